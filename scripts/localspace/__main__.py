"""``python -m localspace`` (see cli.py)."""
import sys

from localspace.cli import main

sys.exit(main())
