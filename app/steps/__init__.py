"""The steps from a frame to a picture: the frame step every video path runs (segment, refine,
composite: step.py), the full-quality photo (photo.py) and re-focus after capture (refocus.py).
Below the pipeline, above segmentation, compositing and outputs. (Segmentation's own engine is
``SegmentationEngine``, in app/segmentation/engine.py.)"""
