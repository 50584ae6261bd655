"""`healthcheck portfolio`: one row per partnership, most at risk first (progress on stderr)."""

from __future__ import annotations

import argparse
import sys

from healthcheck.cli.arguments import add_questionnaire_and_rules, add_threshold
from healthcheck.cli.progress import progress


def cmd_portfolio(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.rules import load_rules
    from healthcheck.services import portfolio

    q = load_questionnaire(find_questionnaire(args.questionnaire))
    pack = load_rules(args.rules)
    result = portfolio.load_path(args.source, q, pack, args.threshold, read_progress=progress("reading"),
                                 assess_progress=progress("assessing"))
    rows = portfolio.sort_rows(result.rows, "risk")
    sys.stdout.write(portfolio.to_json(rows) if args.format == "json" else portfolio.to_csv(rows))
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("portfolio", help="one row per partnership, most at risk first (progress on stderr)")
    p.add_argument("source", help="a responses CSV, a Forms export, a `score` JSON file, or a folder of them")
    add_questionnaire_and_rules(p)
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    add_threshold(p)
    p.set_defaults(func=cmd_portfolio)
