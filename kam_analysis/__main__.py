"""``python -m kam_analysis``: the command-line interface."""

import sys

from kam_analysis.cli import main

sys.exit(main())
