"""Person segmentation: model files, the MediaPipe backend, and matte refinement."""
