"""Where the grammar and the recipes live: inside the wheel, or beside the package."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder `name` (``grammar`` or ``recipes``).

    A wheel carries them in ``restybuild/_data``; a checkout has them at the
    repository's top level, next to the package.
    """
    shipped = _PACKAGE / "_data" / name
    if shipped.is_dir():
        return shipped
    return _PACKAGE.parent / name
