"""``python -m chipdemand``: the command line, as ``chipdemand``."""

import sys

from .cli import main

sys.exit(main())
