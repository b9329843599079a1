"""The frame step (segment, refine, composite) and the full-quality photo job."""
