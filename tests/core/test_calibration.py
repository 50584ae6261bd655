"""The calibration card (`healthcheck calibrate`, docs/calibration.md): current, and on target.

The shipped card is regenerated here with its own command line (200 partnerships per
population, seed 1): when a rule or a generator changes, this test fails until the card is
regenerated, so every threshold change shows its effect in the diff.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pytest

from healthcheck.cli import main
from healthcheck.core.frameworks import DIMENSION_IDS
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.rules import load_rules
from healthcheck.core.scoring import ScoreTable
from healthcheck.services.calibration import POPULATIONS, calibrate, simulate, target_checks

ROOT = Path(__file__).resolve().parents[2]
CARD = ROOT / "docs" / "calibration.md"
COMMAND = ["calibrate", "-q", "core", "-n", "200", "--seed", "1"]


@pytest.fixture(scope="module")
def card_text() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(COMMAND) == 0
    return out.getvalue()


def test_the_shipped_card_is_current(card_text: str) -> None:
    assert CARD.read_text(encoding="utf-8") == card_text, (
        "docs/calibration.md is out of date: run `healthcheck calibrate -q core -n 200 --seed 1 "
        "> docs/calibration.md` and commit the result")


def test_the_card_names_its_command_and_every_rule(card_text: str) -> None:
    assert "`healthcheck calibrate -q core -n 200 --seed 1 > docs/calibration.md`" in card_text
    for rule in load_rules().rules:
        assert f"| `{rule.id}` | {rule.severity} |" in card_text


def test_the_rules_meet_their_targets() -> None:
    results = calibrate(load_questionnaire(find_questionnaire("core")), load_rules(), n=200, seed=1)
    checks = target_checks(results)
    assert len(checks) == 4
    missed = [(target, measured) for target, measured, met in checks if not met]
    assert not missed, missed


def test_the_weak_area_generator_puts_the_area_in_the_concern_band() -> None:
    q = load_questionnaire(find_questionnaire("core"))
    weak_population = next(p for p in POPULATIONS if p.key == "weak")
    df, weak = simulate(q, weak_population, 44, seed=3)
    scores = ScoreTable(q, df).score.reindex(columns=list(DIMENSION_IDS)).to_numpy()
    assert sorted(set(weak.tolist())) == list(range(len(DIMENSION_IDS)))  # each area has its turn
    weak_scores = scores[np.arange(len(weak)), weak]
    assert weak_scores.max() < 40
    others = scores.copy()
    others[np.arange(len(weak)), weak] = np.nan
    assert np.nanmean(others) > 70


def test_same_seed_same_partnerships() -> None:
    q = load_questionnaire(find_questionnaire("core"))
    a, _ = simulate(q, POPULATIONS[1], 5, seed=7)
    b, _ = simulate(q, POPULATIONS[1], 5, seed=7)
    c, _ = simulate(q, POPULATIONS[1], 5, seed=8)
    assert a.equals(b) and not a.equals(c)


@pytest.mark.parametrize("args", [["-n", "0"], ["-n", "many"], ["--seed", "-1"]])
def test_bad_arguments_are_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["calibrate", *args])
    assert info.value.code == 2
    assert "calibrate" in capsys.readouterr().err
