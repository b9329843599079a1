"""The Qt room: the only package that imports PyQt6."""
