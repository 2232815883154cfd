"""`python -m drs_sandbox`: the sandbox in the foreground (same as `drsctl sandbox`)."""

import sys

from drs_sandbox.server import main

sys.exit(main())
