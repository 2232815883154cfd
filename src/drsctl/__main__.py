"""`python -m drsctl`."""

import sys

from drsctl.cli import main

sys.exit(main())
