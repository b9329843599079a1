"""What the app ships besides code: the demo scene and sample photos (see README.md here)."""
