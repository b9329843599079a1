"""Helpers shared by segmentation and compositing: image I/O, resizing, a worker thread."""
