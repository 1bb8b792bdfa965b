"""``python -m training.cli``: the ``spikesynth`` command."""

import sys

from training.cli import main

sys.exit(main())
