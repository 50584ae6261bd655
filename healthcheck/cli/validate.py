"""`healthcheck validate`: check questionnaires and rules, run every rule's examples."""

from __future__ import annotations

import argparse
import sys


def cmd_validate(args: argparse.Namespace) -> int:
    from healthcheck.core.validation import validate

    result = validate(args.paths)
    if result.problems:
        for p in result.problems:
            print(p)
        for line in result.translation_lines:
            print(line)
        print(f"{len(result.problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {result.questionnaires} questionnaire(s), {result.rules} rule(s), "
          f"{result.examples} example(s) behave as expected")
    for line in result.translation_lines:  # how complete each translation is; out-of-date entries (warnings)
        print(line)
    for line in result.reach_lines:  # per questionnaire, the rules that cannot fire on it, and why
        print(line)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    v = sub.add_parser("validate", help="check questionnaires and rules, run every rule's examples")
    v.add_argument("paths", nargs="*", help="files or folders (default: the shipped ones)")
    v.set_defaults(func=cmd_validate)
