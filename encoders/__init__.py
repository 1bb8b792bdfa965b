"""Spike encoders: values and signals to spike trains ``[T, ...]`` and back."""
