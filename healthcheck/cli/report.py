"""`healthcheck report`: the partnership report (PDF or Markdown) to take to a board."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from healthcheck.cli.arguments import add_questionnaire_and_rules, add_small_groups, add_threshold
from healthcheck.cli.progress import progress


def cmd_report(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.rules import load_rules
    from healthcheck.services.reports import report_format, write_reports

    if report_format(args.output) is None:
        print(f"healthcheck report: error: -o {args.output}: the report file must end in .pdf or .md",
              file=sys.stderr)
        return 2
    q = load_questionnaire(find_questionnaire(args.questionnaire))
    pack = load_rules(args.rules)
    write_reports(args.responses, args.output, q, pack, args.threshold, previous=args.previous,
                  partnership=args.partnership, round_label=args.round, date=args.date, progress=progress,
                  small_groups=args.small_groups,
                  note=lambda text: print(text, file=sys.stderr))
    return 0


def report_date(text: str) -> str:
    """A cover date given as YYYY-MM-DD, checked."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError("the date must look like 2026-11-22") from None


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser("report", help="the partnership report (PDF or Markdown) to take to a board")
    r.add_argument("responses", help="responses CSV (one report per partnership it holds)")
    r.add_argument("-o", "--output", required=True,
                   help="report.pdf or report.md (several partnerships: report-<partnership>.pdf each)")
    add_questionnaire_and_rules(r)
    add_threshold(r)
    add_small_groups(r)
    r.add_argument("--previous", default=None, help="the previous round's responses CSV, to show the change")
    r.add_argument("--partnership", default=None, help="report only this partnership of the file")
    r.add_argument("--round", default=None, help="round label for the cover (default: the file name)")
    r.add_argument("--date", type=report_date, default=None,
                   help="date on the cover, YYYY-MM-DD (default: today)")
    r.set_defaults(func=cmd_report)
