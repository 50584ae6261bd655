"""`healthcheck score`: score a responses CSV and evaluate the rules (JSON, table or CSV)."""

from __future__ import annotations

import argparse
import sys

from healthcheck.cli.arguments import add_questionnaire_and_rules, add_small_groups, add_threshold
from healthcheck.cli.progress import progress


def cmd_score(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.rules import load_rules
    from healthcheck.present.score_output import render_scores
    from healthcheck.services.scoring import assess_file

    q = load_questionnaire(find_questionnaire(args.questionnaire))
    pack = load_rules(args.rules)
    notes: list[str] = []
    assessments = assess_file(args.responses, q, pack, args.threshold, progress=progress, notes=notes,
                              small_groups=args.small_groups)
    for note in notes:  # answers set aside as not asked: said, not hidden
        print(f"note: {note}", file=sys.stderr)
    sys.stdout.write(render_scores(assessments, args.format))
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser("score", help="score a responses CSV and evaluate the rules")
    s.add_argument("responses")
    add_questionnaire_and_rules(s)
    s.add_argument("--format", choices=["json", "table", "csv"], default="table")
    add_threshold(s)
    add_small_groups(s)
    s.set_defaults(func=cmd_score)
