"""Datasets, losses, metrics, trainers and the command line."""
