"""A questionnaire's own `bands:` are the only band cut points: the scores, the dashboard's
table, caption and charts, the JSON export, the report and the portfolio all follow them."""

from __future__ import annotations

from typing import Any

import pytest

from healthcheck.core.anonymity import shown_score
from healthcheck.core.assess import assess
from healthcheck.core.questionnaire import Bands, find_questionnaire, load_questionnaire
from healthcheck.core.rules import load_rules
from healthcheck.present import charts, views
from healthcheck.present.report import build_report, to_markdown
from healthcheck.services.demo_stories import STORY_BY_KEY, story_responses
from healthcheck.services.portfolio import Portfolio

CUSTOM = Bands(strength=85, borderline=30)


@pytest.fixture(scope="module")
def custom() -> Any:
    q = load_questionnaire(find_questionnaire("core"))
    qc = q.model_copy(update={"bands": CUSTOM})
    frame = story_responses(qc, STORY_BY_KEY["money"])
    return qc, assess(qc, frame, load_rules()), frame


def _expected(score: float | None) -> str:
    """The band of a score as shown (whole points): `score` is the shown one here."""
    return "no data" if score is None else (
        "strength" if score >= 85 else "borderline" if score >= 30 else "concern")


def test_scores_and_the_dashboard_table_use_the_questionnaires_bands(custom: Any) -> None:
    _, a, _ = custom
    dims = a.scores.dimensions
    assert all(d.band == _expected(shown_score(d.score)) for d in dims)  # banded as shown
    # the custom cuts change at least one band against the defaults, or the test proves nothing
    assert any(Bands().band(d.score) != d.band for d in dims)
    table = views.dimension_table(a.scores)
    assert [b for b in table["band"]] == [_expected(s) for s in table["score"].tolist()]


def test_the_dashboard_caption_and_charts_draw_the_same_cuts(custom: Any) -> None:
    qc, a, _ = custom
    assert qc.bands.describe().startswith("strength at 85 and above")
    spec = charts.band_bars(views.dimension_table(a.scores, "factors"), cuts=qc.bands.cuts).to_dict()
    cut_values = {row["cut"] for data in spec.get("datasets", {}).values() for row in data if "cut" in row}
    assert cut_values == {30.0, 85.0}


def test_json_export_and_report_agree(custom: Any) -> None:
    qc, a, _ = custom
    doc = a.as_dict()
    assert all(d["band"] == _expected(d["score"]) for d in doc["dimensions"])
    text = to_markdown(build_report(a, with_charts=False))
    assert "strength at 85 and above" in text and "concern below 30" in text


def test_the_portfolio_bands_follow_too(custom: Any) -> None:
    qc, _, frame = custom
    portfolio = Portfolio()
    portfolio.add_table(qc, frame.assign(partnership="Money"), load_rules(), 3)
    [row] = portfolio.rows
    for framework, mean in row.means.items():
        assert row.framework_bands[framework] == _expected(mean)
