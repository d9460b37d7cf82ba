"""``python -m gradsym …``: the same command line as the ``gradsym`` script."""

import os
import sys

from gradsym.cli import main

if __name__ == "__main__":
    # Figures are drawn off-screen; a display (or its absence) must not matter.
    os.environ.setdefault("MPLBACKEND", "Agg")
    sys.exit(main())
