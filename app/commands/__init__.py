"""The headless commands: thin drivers over sources, the frame step and outputs."""
