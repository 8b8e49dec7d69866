"""The command line: arguments, output and exit codes; the work is done elsewhere.

The exit codes are one table, :data:`restybuild.errors.EXIT_CODES`, for every command.
"""

from __future__ import annotations

import os
import sys

from restybuild import __version__

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the warm path
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence


#: commands whose parser is built alone when they are named first: they are run from
#: scripts and loops, where importing every command's module is most of the time
LIGHT = ("deps", "build", "lint")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of the command `only` (in LIGHT) and no other."""
    import argparse

    if only is not None:
        from importlib import import_module

        from restybuild.commands import light_formatter

        parser = argparse.ArgumentParser(prog="restybuild", formatter_class=light_formatter())
        sub = parser.add_subparsers(dest="command", metavar="COMMAND")
        sub.required = True
        import_module(f"restybuild.commands.{only}").register(sub)
        return parser
    from restybuild.commands import base, build, deps, discover, k8s, lint, lock, plan, push
    from restybuild.errors import exit_table

    parser = argparse.ArgumentParser(
        prog="restybuild",
        description="Compile a Restyfile into a verified OpenResty container image.",
        epilog="exit codes (every command):\n" + exit_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"restybuild {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (plan, build, push, lint, lock, deps, k8s, base, discover):
        module.register(sub)
    return parser


def entry() -> None:
    """The `restybuild` command: :func:`main`, then exit with its code.

    Once the work is over, a late signal changes nothing: it is ignored, and the process
    leaves through ``os._exit`` after flushing its output. That also gets around CPython
    3.11 marking a KeyboardInterrupt raised inside ``exec()`` (as ``dataclasses`` runs at
    import time) as unhandled even when it was handled, which would make the process kill
    itself with SIGINT instead of exiting 130.
    """
    import signal

    from restybuild import interrupt

    code = main()
    for sig in interrupt.EXIT_CODES:
        signal.signal(sig, signal.SIG_IGN)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    from restybuild import interrupt

    interrupt.install()
    try:
        rc = _run(list(sys.argv[1:] if argv is None else argv))
        interrupt.check()  # a signal whose KeyboardInterrupt was swallowed on the way
        return rc
    except KeyboardInterrupt:
        print("restybuild: interrupted", file=sys.stderr)
        return interrupt.exit_code() or 130  # Exit.INTERRUPTED
    except BaseException as e:
        code = interrupt.exit_code()
        if code is not None:  # whatever the interrupt turned into on its way out
            print("restybuild: interrupted", file=sys.stderr)
            return code
        if not isinstance(e, Exception):
            raise
        return _report(e)


def _run(args_list: list[str]) -> int:
    only = args_list[0] if args_list and args_list[0] in LIGHT else None
    if only in (None, "lint"):  # the result caches of plan and lint
        from restybuild.fastpath import fast_lint, fast_plan

        cached = fast_plan(args_list)
        if cached is None:
            cached = fast_lint(args_list)
        if cached is not None:
            return cached
    parser = build_parser(only)
    args = parser.parse_args(args_list)
    args.argv = args_list
    rc: int = args.func(args)
    return rc


def _report(e: Exception) -> int:
    """One clear message for an error; its exit code."""
    from restybuild.errors import Exit, RestyError

    try:
        raise e
    except RestyError as e:
        print(e.render(), file=sys.stderr)
        return e.exit_code
    except OSError as e:
        print(f"restybuild: error: {e.strerror or e}: {e.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return Exit.IO
    except Exception as e:  # pragma: no cover - a bug; say so without a traceback
        if os.environ.get("RESTYBUILD_DEBUG"):
            raise
        print(f"restybuild: internal error: {type(e).__name__}: {e}\n"
              "  this is a bug in restybuild; run again with RESTYBUILD_DEBUG=1 for details",
              file=sys.stderr)
        return Exit.INTERNAL
