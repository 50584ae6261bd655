"""Charts: radar geometry and spec, band labels, offline PNG/SVG export.

The radar PNG of every demo story is written to test-artifacts/charts/ for a human to look at.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest
import vl_convert as vlc

from healthcheck.core.questionnaire import Bands, Questionnaire, load_questionnaire
from healthcheck.core.scoring import PartnershipScores, score
from healthcheck.present import charts, views
from healthcheck.services.demo_stories import STORIES, STORY_BY_KEY, story_responses

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "charts"
CUTS = Bands().cuts
SMALL_ORG = "County Fostering Team"


@pytest.fixture(scope="module")
def q() -> Questionnaire:
    return load_questionnaire("questionnaires/core.yaml")


@pytest.fixture(scope="module")
def story_scores(q: Questionnaire) -> dict[str, PartnershipScores]:
    return {s.key: score(q, story_responses(q, s)) for s in STORIES}


def _small_frame(q: Questionnaire) -> Any:
    frame = story_responses(q, STORY_BY_KEY["leaderless"])
    drop = frame.index[frame["organisation"] == SMALL_ORG][-1]
    return frame.drop(index=drop).reset_index(drop=True)


@pytest.fixture(scope="module")
def small(q: Questionnaire) -> PartnershipScores:
    """A partner of two, hidden (a round set to "hide"; new rounds pool or leave out instead)."""
    return score(q, _small_frame(q), small_groups="hide")


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for layer in spec.get("layer", []):
        out.extend(_layers(layer) if "layer" in layer else [layer])
    return out


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for data in spec.get("datasets", {}).values():
        rows.extend(data)
    return rows


# ----------------------------------------------------------------------------- radar geometry


def test_radar_polygons_close(story_scores: dict[str, PartnershipScores]) -> None:
    frame = views.radar_frame(story_scores["leaderless"], "tasks")
    points = charts.radar_points(frame)
    n = frame["dimension"].nunique()
    assert set(points["series"]) == set(frame["series"])
    for _, part in points.groupby("series"):
        part = part.sort_values("order")
        assert len(part) == n + 1
        first, last = part.iloc[0], part.iloc[-1]
        assert (first["x"], first["y"], first["dimension"]) == (last["x"], last["y"], last["dimension"])
        assert last["order"] == n
        assert list(part["order"]) == list(range(n + 1))
    # geometry: the first dimension points straight up, r = score / 100
    whole = points[(points["series"] == views.WHOLE) & (points["order"] == 0)].iloc[0]
    assert whole["x"] == pytest.approx(0.0, abs=1e-12)
    assert whole["y"] == pytest.approx(whole["score"] / 100)
    assert (points["x"] ** 2 + points["y"] ** 2).pow(0.5).between(0, 1).all()


def test_radar_skips_missing_vertices(story_scores: dict[str, PartnershipScores]) -> None:
    frame = views.radar_frame(story_scores["money"], "prerequisites")
    gone = (frame["series"] == views.WHOLE) & (frame["dimension"] == "prereq.clear_roles")
    frame.loc[gone, ["score", "status"]] = [math.nan, views.NO_DATA]
    points = charts.radar_points(frame)
    whole = points[points["series"] == views.WHOLE].sort_values("order")
    assert "prereq.clear_roles" not in set(whole["dimension"])
    assert whole["score"].notna().all()
    assert len(whole) == 5  # 4 remaining vertices + the closing point
    assert whole.iloc[0]["dimension"] == whole.iloc[-1]["dimension"]


def test_radar_never_draws_a_suppressed_group(small: PartnershipScores) -> None:
    frame = views.radar_frame(small, "tasks")
    assert (frame.loc[frame["series"] == SMALL_ORG, "status"] == views.SUPPRESSED).all()
    points = charts.radar_points(frame)
    assert SMALL_ORG not in set(points["series"])
    spec = charts.radar(frame, title="small").to_dict()
    for row in _values(spec):
        assert row.get("series") != SMALL_ORG
    colour_domains = [layer["encoding"]["color"]["scale"]["domain"] for layer in _layers(spec)
                      if "color" in layer.get("encoding", {})]
    assert colour_domains and all(SMALL_ORG not in d for d in colour_domains)
    assert SMALL_ORG in json.dumps(spec["title"])  # named as hidden, in words


def test_radar_of_a_pooling_round_leaves_a_lone_small_group_out(q: Questionnaire) -> None:
    """The default ("pool"): a partner of two that no other small partner can be pooled with is
    in no figure at all, so the radar has no trace of it, not even a hidden series."""
    pooled = score(q, _small_frame(q))
    assert pooled.anonymity["organisation"].left_out == [SMALL_ORG] and pooled.left_out == 2
    frame = views.radar_frame(pooled, "tasks")
    assert SMALL_ORG not in set(frame["series"])
    assert (frame["status"] == views.SHOWN).all()
    spec = charts.radar(frame, title="pooled").to_dict()
    assert SMALL_ORG not in json.dumps(spec)


# ----------------------------------------------------------------------------- radar spec


@pytest.mark.parametrize("size", [300, 420])
def test_radar_spec_is_square_with_equal_domains(story_scores: dict[str, PartnershipScores],
                                                  size: int) -> None:
    chart = charts.radar(views.radar_frame(story_scores["strong"], "factors"), title="Strong", size=size)
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    assert spec["width"] == spec["height"] == size
    layers = _layers(spec)
    xs = [layer["encoding"]["x"] for layer in layers]
    ys = [layer["encoding"]["y"] for layer in layers]
    assert len(xs) == len(layers) and len(ys) == len(layers)
    for enc in xs + ys:
        if "scale" in enc:  # at the chart's own (square) size both domains are RADAR_DOMAIN
            assert _domain(enc, size, size) == charts.RADAR_DOMAIN
        assert enc.get("axis", "absent") is None
    assert any("scale" in enc for enc in xs)
    assert charts.RADAR_DOMAIN == [-1.35, 1.35]


def _domain(enc: dict[str, Any], width: float, height: float) -> list[float]:
    """A radar scale's domain expression evaluated for a plot of width x height (the expression
    is also valid Python: numbers, max(), a list)."""
    expr = enc["scale"]["domain"]["expr"]
    names = {"max": max, "width": width, "height": height}
    return [round(v, 6) for v in eval(expr, {"__builtins__": {}}, names)]


def _label_limits(node: Any) -> list[Any]:
    """Every labelLimit in a spec (axis and legend labels shrink on phones)."""
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k == "labelLimit"]
        return found + [x for v in node.values() for x in _label_limits(v)]
    if isinstance(node, list):
        return [x for v in node for x in _label_limits(v)]
    return []


def test_radar_stays_round_when_narrowed(story_scores: dict[str, PartnershipScores]) -> None:
    """On a phone the page narrows the square radar: one data unit stays as many pixels across as
    down, so rings stay circles (the longer side's domain widens)."""
    layers = _layers(charts.radar(views.radar_frame(story_scores["strong"], "tasks")).to_dict())
    enc = next(layer["encoding"] for layer in layers if "scale" in layer["encoding"]["x"])
    for width, height in ((300, 420), (420, 420), (700, 420)):
        x, y = _domain(enc["x"], width, height), _domain(enc["y"], width, height)
        assert (x[1] - x[0]) / width == pytest.approx((y[1] - y[0]) / height)
        assert min(x[1], y[1]) == pytest.approx(1.35)  # the shorter side keeps the whole radar


def test_fit_width_makes_every_chart_fit_its_container(story_scores: dict[str, PartnershipScores]) -> None:
    scores = story_scores["leaderless"]
    built = [charts.radar(views.radar_frame(scores, "tasks"), "Tasks"),
             charts.band_bars(views.dimension_table(scores, "factors"), "Factors", cuts=CUTS),
             charts.gap_chart(views.largest_gaps(scores, 5), "Gaps"),
             charts.heatmap(views.heatmap_frame([scores]), "Heat")]
    for chart in built:
        spec = chart.to_dict()
        fitted = charts.fit_width(spec)
        assert fitted["width"] == "container"
        assert fitted["autosize"]["type"] == "fit-x"
        assert fitted["height"] == spec["height"]  # only the width follows the page
        limits = _label_limits(fitted)
        assert limits and all(isinstance(v, dict) and "containerSize()" in v["expr"] for v in limits)
        assert spec.get("width") != "container"  # the original (used for the report PNG) is untouched
        vlc.vegalite_to_vega(json.dumps(fitted))  # still a valid Vega-Lite spec
        assert charts.natural_width(spec) > spec["width"]


def test_radar_layers(story_scores: dict[str, PartnershipScores]) -> None:
    frame = views.radar_frame(story_scores["leaderless"], "tasks")
    spec = charts.radar(frame).to_dict()
    layers = _layers(spec)
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers]
    assert marks.count("line") == 2  # rings + series polygons
    assert "rule" in marks and "text" in marks and "point" in marks
    texts = {row.get("text") for row in _values(spec)}
    assert {"25", "50", "75", "100"} <= texts
    assert "1 Taking stock" in texts
    assert any(t and t.startswith("13 ") for t in texts)
    series_line = next(layer for layer in layers
                       if layer["encoding"].get("detail", {}).get("field") == "series")
    enc = series_line["encoding"]
    assert enc["order"]["field"] == "order"
    widths = enc["strokeWidth"]["scale"]
    assert widths["domain"][0] == views.WHOLE
    assert widths["range"][0] > max(widths["range"][1:])  # whole partnership drawn thicker
    dashes = enc["strokeDash"]["scale"]["range"]
    assert len({json.dumps(d) for d in dashes}) == len(dashes)  # series differ without colour
    point_layer = next(layer for layer in layers if layer["mark"].get("type") == "point")
    tips = {t["field"] for t in point_layer["encoding"]["tooltip"]}
    assert tips == {"series", "label", "score"}


# ----------------------------------------------------------------------------- other charts


def test_band_bars_write_the_band_beside_each_bar(story_scores: dict[str, PartnershipScores]) -> None:
    table = views.dimension_table(story_scores["money"], "tasks")
    spec = charts.band_bars(table, title="Tasks", cuts=CUTS).to_dict()
    layers = _layers(spec)
    text_layer = next(layer for layer in layers if layer["mark"]["type"] == "text")
    assert text_layer["encoding"]["text"]["field"] == "text"
    texts = [row["text"] for row in _values(spec) if "text" in row]
    assert len(texts) == 13
    for band in set(table["band"]):
        assert any(t.endswith(band) for t in texts)
    assert any("concern" in t for t in texts) and any("borderline" in t for t in texts)
    bar = next(layer for layer in layers if layer["mark"]["type"] == "bar")
    colour = bar["encoding"]["color"]
    assert colour["field"] == "band"
    assert colour["scale"]["domain"][:3] == ["strength", "borderline", "concern"]
    assert colour["legend"] is not None
    cuts = sorted(row["cut"] for row in _values(spec) if "cut" in row)
    assert cuts == [50.0, 75.0]


def test_band_bars_no_data_row(story_scores: dict[str, PartnershipScores]) -> None:
    table = views.dimension_table(story_scores["money"], "factors")
    table.loc[0, ["score", "band"]] = [math.nan, views.NO_DATA]
    texts = [row["text"] for row in _values(charts.band_bars(table, cuts=CUTS).to_dict()) if "text" in row]
    assert texts[0] == "no data"


def test_gap_chart_trend_heatmap_specs(story_scores: dict[str, PartnershipScores]) -> None:
    gaps = views.largest_gaps(story_scores["leaderless"])
    gap_spec = charts.gap_chart(gaps).to_dict()
    groups = {row.get("group") for row in _values(gap_spec)}
    assert {gaps[0]["low_group"], gaps[0]["high_group"]} <= groups
    assert charts.gap_chart([]).to_dict()["layer"]

    trend = views.trend_frame([("Round 1", story_scores["money"]), ("Round 2", story_scores["strong"])],
                              "prerequisites")
    trend_spec = charts.trend_chart(trend, cuts=CUTS).to_dict()
    assert {row["round"] for row in _values(trend_spec) if "round" in row} == {"Round 1", "Round 2"}

    heat = views.heatmap_frame(story_scores.values())
    heat_spec = charts.heatmap(heat, title="Portfolio").to_dict()
    cells = [row for row in _values(heat_spec) if "partnership" in row]
    assert len(cells) == len(STORIES) * 13
    assert all(row["text"] == f"{row['score']:.0f}" for row in cells)


def test_heatmap_takes_a_large_portfolio() -> None:
    rows = 6_000
    frame = pd.DataFrame({"partnership": [f"P{i // 13}" for i in range(rows)],
                          "dimension": "task.taking_stock", "label": "Taking stock", "number": 1,
                          "score": 50.0, "band": "borderline"})
    spec = charts.heatmap(frame).to_dict()  # Altair's default 5,000-row limit must not bite
    assert spec["layer"]


# ----------------------------------------------------------------------------- export


def test_every_demo_story_radar_renders_to_png(story_scores: dict[str, PartnershipScores]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for key, scores in story_scores.items():
        chart = charts.radar(views.radar_frame(scores, "tasks"), title=scores.partnership)
        png = charts.to_png(chart)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(png[16:20], "big")
        height = int.from_bytes(png[20:24], "big")
        assert width >= 2 * 420 and height >= 2 * 420  # scale 2, nothing shrunk away
        (ARTIFACTS / f"radar-{key}.png").write_bytes(png)


def test_other_charts_render(story_scores: dict[str, PartnershipScores], small: PartnershipScores) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    made = {
        "bars-money": charts.band_bars(views.dimension_table(story_scores["money"], "tasks"), title="Tasks",
                                       cuts=CUTS),
        "gaps-leaderless": charts.gap_chart(views.largest_gaps(story_scores["leaderless"])),
        "radar-small-by-level": charts.radar(views.radar_frame(small, "tasks", by="level"), title="By level"),
        "heatmap": charts.heatmap(views.heatmap_frame(story_scores.values())),
    }
    for name, chart in made.items():
        png = charts.to_png(chart, scale=1)
        assert png.startswith(b"\x89PNG")
        (ARTIFACTS / f"{name}.png").write_bytes(png)
    svg = charts.to_svg(made["bars-money"])
    assert svg.lstrip().startswith("<svg") and "borderline" in svg


def test_radar_of_a_framework_nobody_answered_is_empty_not_an_error() -> None:
    import pandas as pd

    from healthcheck.present.charts import radar, radar_points

    frame = pd.DataFrame({"series": ["Whole partnership"] * 2, "grouping": [None, None],
                          "dimension": ["factor.debate", "factor.change"], "label": ["a", "b"],
                          "number": [1, 3], "score": [float("nan")] * 2, "status": ["no data"] * 2})
    assert radar_points(frame).empty
    assert radar(frame).to_dict()  # still a drawable (empty) chart
