from __future__ import annotations

import sys

from restybuild import interrupt

interrupt.install()  # first: a Ctrl-C from here on is recorded and ends in exit code 130
try:
    from restybuild.cli import entry
except KeyboardInterrupt:
    print("restybuild: interrupted", file=sys.stderr)
    sys.exit(interrupt.exit_code() or 130)

entry()
