"""The `healthcheck` command line: the parser of every command, and `main`.

Exit codes (contract): 0 success, 1 invalid input (each problem on its own line, located),
2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from healthcheck import __version__
from healthcheck.cli import (
    backup,
    calibrate,
    delete,
    demo,
    export_all,
    portfolio,
    purge,
    report,
    restore,
    schema,
    score,
    serve,
    template,
    validate,
)
from healthcheck.core.errors import InputError

# In the order `healthcheck --help` lists them.
COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (  # type: ignore[type-arg]
    validate.add_command,
    template.add_template,
    score.add_command,
    demo.add_command,
    serve.add_command,
    template.add_translation_template,
    portfolio.add_command,
    report.add_command,
    calibrate.add_command,
    delete.add_command,
    purge.add_command,
    backup.add_command,
    restore.add_command,
    export_all.add_command,
    schema.add_command,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="healthcheck", description="Partnership Health Check")
    p.add_argument("--version", action="version", version=f"healthcheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
