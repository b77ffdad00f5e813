"""``python -m sim``: the ``stormcrew`` command, for an environment whose scripts folder is not on the PATH."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
