"""`python -m drs_demo`."""

import sys

from drs_demo.demo import main

sys.exit(main())
