"""``python -m genrelib ...``: the command line, also under ``torchrun -m genrelib train ...``."""

import sys

from genrelib.cli import main

sys.exit(main())
