"""The README documents every rule, dimension and CLI command (a newcomer starts there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcheck.cli import build_parser
from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.rules import load_rules

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("rule", [r.id for r in load_rules().rules])
def test_every_rule_is_in_the_readme(rule: str) -> None:
    assert f"`{rule}`" in README


@pytest.mark.parametrize("dimension", DIMENSION_IDS)
def test_every_dimension_is_in_the_readme(dimension: str) -> None:
    assert f"`{dimension}`" in README


def test_every_cli_command_is_in_the_readme() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"healthcheck {name}" in README, name
