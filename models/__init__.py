"""Network spec, the PyTorch mirror, the Brian2 network and model files."""
