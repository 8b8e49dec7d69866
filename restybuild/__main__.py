from __future__ import annotations

from restybuild.cli import entry

entry()
