"""The lab: synthetic truth scenes, quality metrics and evaluation. Never imported by the app."""
