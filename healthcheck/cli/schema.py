"""`healthcheck schema`: write the JSON Schemas of questionnaire, rule and translation files."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_schema(args: argparse.Namespace) -> int:
    from healthcheck.core.schemas import SCHEMA_DIR, write_schemas

    for path in write_schemas(Path(args.output) if args.output else SCHEMA_DIR):
        print(path)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser("schema", help="write JSON Schemas for questionnaire, rule and translation files "
                                      "(for editors)")
    s.add_argument("-o", "--output", metavar="DIR", help="folder to write to (default: the shipped schemas/)")
    s.set_defaults(func=cmd_schema)
