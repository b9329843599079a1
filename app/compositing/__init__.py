"""Compositing: one effect spec, a CPU reference, and GL shaders that implement the same spec."""
