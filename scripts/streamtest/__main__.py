"""``python -m streamtest``: the same entry point as the ``streamtest`` console command."""
import sys

from streamtest.cli import main

if __name__ == "__main__":
    sys.exit(main())
