"""Argument types shared by several commands: each turns a command-line word into a value, or
says in plain words why it cannot (argparse then exits with code 2)."""

from __future__ import annotations

import argparse

from healthcheck.core.vocabulary import MIN_THRESHOLD  # plain constants: no pandas at start-up

DEFAULT_PORT = 8501


def threshold(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the threshold must be a whole number") from None
    if n < MIN_THRESHOLD:
        raise argparse.ArgumentTypeError(f"the threshold cannot be below {MIN_THRESHOLD} (smaller groups "
                                         "identify people)")
    return n


def port(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the port must be a whole number") from None
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError("the port must be between 1 and 65535")
    return n


def base_path(text: str) -> str:
    """A URL path prefix such as `healthcheck` or `/tools/healthcheck/`, kept without its slashes."""
    cleaned = text.strip().strip("/")
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/")
    if any(c not in allowed for c in cleaned) or "//" in cleaned or ".." in cleaned.split("/"):
        raise argparse.ArgumentTypeError("the base path may hold only letters, digits, '-', '.', '_', '~' "
                                         "and single '/' between parts, e.g. 'tools/healthcheck'")
    return cleaned


def add_threshold(parser: argparse.ArgumentParser) -> None:
    """The --threshold option, the same on every command that scores."""
    parser.add_argument("--threshold", type=threshold, default=MIN_THRESHOLD,
                        help=f"smallest group shown in breakdowns (at least {MIN_THRESHOLD})")


SMALL_GROUPS = ("pool", "hide")  # core.anonymity.SMALL_GROUPS (its first is the default)


def add_small_groups(parser: argparse.ArgumentParser) -> None:
    """The --small-groups option of `score` and `report`."""
    parser.add_argument("--small-groups", choices=SMALL_GROUPS, default=SMALL_GROUPS[0],
                        help="groups below the threshold: 'pool' them ('Other partners, 4 people'), or where "
                             "they cannot be pooled leave their people out of every figure so every other "
                             "group shows (default); or 'hide' them and as many others as it takes")


def add_questionnaire_and_rules(parser: argparse.ArgumentParser) -> None:
    """-q/--questionnaire and --rules, the same on every command that scores."""
    parser.add_argument("-q", "--questionnaire", default="core")
    parser.add_argument("--rules", default=None, help="rules folder (default: the shipped rules)")
