"""``python -m chipdemand.cli``: the command line, as ``chipdemand``."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
