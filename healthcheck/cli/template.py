"""`healthcheck template` (the empty responses CSV) and `healthcheck translation-template` (a
questionnaire's texts for a translator)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from healthcheck.core.errors import InputError, Problem


def cmd_template(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.responses import template_csv

    q = load_questionnaire(find_questionnaire(args.questionnaire))
    text = template_csv(q)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_translation_template(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.translations import template

    path = find_questionnaire(args.questionnaire)
    text = template(load_questionnaire(path), args.language, args.name, path.name)
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if out.exists() and not args.force:  # a translator's work is not overwritten by accident
        raise InputError([Problem(str(out), "this file already exists: choose another name, or add --force "
                                            "to replace it")])
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(str(out), f"cannot write the template: {exc.strerror or exc}")]) from None
    print(f"wrote {out}", file=sys.stderr)
    return 0


def add_template(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    t = sub.add_parser("template", help="write the empty responses CSV for a questionnaire")
    t.add_argument("-q", "--questionnaire", default="core")
    t.add_argument("-o", "--output")
    t.set_defaults(func=cmd_template)


def add_translation_template(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    t = sub.add_parser("translation-template",
                       help="write a questionnaire's texts, with fingerprints, for a translator to translate")
    t.add_argument("questionnaire", help="questionnaire id (core, pulse) or file")
    t.add_argument("language", help="BCP 47 language tag of the translation, e.g. en-US, cy, fr-CA")
    t.add_argument("--name", default=None, help="the language's own name, e.g. \"English (US)\" "
                                                 "(default: the tag)")
    t.add_argument("-o", "--output",
                   help="file to write (default: print); name it <questionnaire>.<tag>.yaml")
    t.add_argument("--force", action="store_true", help="replace the output file if it exists")
    t.set_defaults(func=cmd_translation_template)
