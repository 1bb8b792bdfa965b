"""One small script per paper figure, sharing one runner."""
