"""`python -m pipeline` is the same as `hembesok`."""

import sys

from pipeline.cli import main

sys.exit(main())
