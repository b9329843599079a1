"""Where frames come from: cameras, files, the demo scene; the capture thread and its slot."""
