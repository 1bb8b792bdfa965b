"""Helpers shared by the tests of encoder choice, depth, stacking and your own images (tiny runs on
the bundled MNIST sample, which is an ``.npz`` of your own images as far as the loaders go)."""

from __future__ import annotations

import json

from training.cli import main
from training.data import SAMPLE_PATH

SAMPLE = str(SAMPLE_PATH)


def run_json(capsys, argv: list[str]) -> dict:
    """Run ``spikesynth ARGV`` in this process; it must succeed; its last stdout line as JSON."""
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    text = out.strip()
    try:
        return json.loads(text)
    except ValueError:   # progress or other lines before a one-line JSON summary
        return json.loads(text.splitlines()[-1])


def fails(capsys, argv: list[str]) -> str:
    """Run ``spikesynth ARGV``: it must exit with status 1; returns its stderr."""
    capsys.readouterr()
    assert main(argv) == 1
    return capsys.readouterr().err
