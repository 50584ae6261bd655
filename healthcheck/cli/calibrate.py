"""`healthcheck calibrate`: the calibration card, how often each rule fires on simulated populations."""

from __future__ import annotations

import argparse
import sys

from healthcheck.cli.arguments import add_questionnaire_and_rules

MAX_PARTNERSHIPS = 100_000


def partnerships(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the number of partnerships must be a whole number") from None
    if not 1 <= n <= MAX_PARTNERSHIPS:
        raise argparse.ArgumentTypeError(
            f"the number of partnerships must be between 1 and {MAX_PARTNERSHIPS:,}")
    return n


def seed(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the seed must be a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("the seed cannot be negative")
    return n


def cmd_calibrate(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.rules import load_rules
    from healthcheck.services.calibration import calibrate, card

    q = load_questionnaire(find_questionnaire(args.questionnaire))
    pack = load_rules(args.rules)
    results = calibrate(q, pack, args.n, args.seed)
    sys.stdout.write(card(results, pack, q, args.n, args.seed))
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser("calibrate", help="how often each rule fires on simulated partnerships (Markdown)")
    add_questionnaire_and_rules(s)
    s.add_argument("-n", type=partnerships, default=1000, help="partnerships per population (default 1000)")
    s.add_argument("--seed", type=seed, default=1,
                   help="random seed (default 1): the same seed gives the same card")
    s.set_defaults(func=cmd_calibrate)
