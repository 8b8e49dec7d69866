"""One module per subcommand; each has `register(subparsers)` and a `run(args)`."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: the light commands pay for every import
if TYPE_CHECKING:
    import argparse


def light_formatter() -> type[argparse.RawDescriptionHelpFormatter]:
    """argparse's RawDescriptionHelpFormatter, its width found without importing shutil
    (argparse's own formatter imports it each time a parser or an argument is made)."""
    import argparse

    class Formatter(argparse.RawDescriptionHelpFormatter):
        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                     width: int | None = None) -> None:
            if width is None:
                width = _columns() - 2
            super().__init__(prog, indent_increment, max_help_position, width)

    return Formatter


def _columns() -> int:
    """What shutil.get_terminal_size() says: $COLUMNS, the terminal's width, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80
