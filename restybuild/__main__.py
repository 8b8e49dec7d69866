from __future__ import annotations

from restybuild.cli import main

raise SystemExit(main())
