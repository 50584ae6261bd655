"""Altair charts built from the view models in `healthcheck.views`.

Functions return Altair chart objects (the dashboard hands them to `st.altair_chart`, the report
turns them into PNG with `to_png`); nothing here renders HTML or imports a UI.

Accessibility: colours come from the Okabe-Ito palette (safe for the common colour-vision
deficiencies), and nothing is told by colour alone: radar series also differ by stroke dash,
bands are written beside each bar and named in the legends, heatmap cells carry their score.
Every chart on a page also gets a one-sentence summary (`healthcheck.summaries`) and its numbers
as a table. Pages draw charts through `fit_width`, so a chart fits a 375 px phone screen: the
plot narrows to its container, long labels shorten, legends stack, and a radar stays round.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from healthcheck.core.questionnaire import BAND_MEANING
from healthcheck.present.views import SHOWN, SUPPRESSED, WHOLE

# Okabe-Ito; black is kept for the whole partnership, yellow (#F0E442) is left out: too pale on white.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9"]
WHOLE_COLOUR = "#000000"
DASHES: list[list[float]] = [[6, 3], [2, 2], [10, 3, 2, 3], [1, 3], [12, 4], [4, 2, 1, 2, 1, 2]]
BANDS = ["strength", "borderline", "concern", "no data"]
BAND_COLOURS = ["#0072B2", "#E69F00", "#D55E00", "#BBBBBB"]
RINGS = (25, 50, 75, 100)
RADAR_DOMAIN = [-1.35, 1.35]
LABEL_RADIUS = 1.1
LABEL_WIDTH = 16  # characters per line of a dimension label around the radar
GREY = "#9A9A9A"
GAP_WIDTH = 460
MAX_INLINE_ROWS = 5_000  # Altair refuses bigger DataFrames by default; pass those as plain values


def _data(frame: pd.DataFrame) -> Any:
    """Inline data for a chart; large frames bypass Altair's row limit without touching its globals."""
    if len(frame) > MAX_INLINE_ROWS:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        return alt.InlineData(values=records)
    return frame


def _title(title: str, subtitle: str | Sequence[str] = "") -> alt.TitleParams | str:
    if not subtitle:
        return title
    return alt.TitleParams(text=title or " ", subtitle=subtitle, anchor="start")


# ----------------------------------------------------------------------------- radar


def _series_order(frame: pd.DataFrame) -> list[str]:
    series = [s for s in dict.fromkeys(frame["series"]) if s != WHOLE]
    drawn = set(frame.loc[frame["status"] == SHOWN, "series"])
    order = [WHOLE] if WHOLE in drawn else []
    return order + [s for s in series if s in drawn]


def radar_points(frame: pd.DataFrame) -> pd.DataFrame:
    """Polar -> cartesian for the shown rows of a `radar_frame`, each series closed.

    Dimensions sit clockwise from 12 o'clock, one every 360/n degrees; r = score / 100, x = r sin a,
    y = r cos a. Rows without a shown score (suppressed or no data) are dropped before drawing:
    that vertex is skipped and the polygon joins its neighbours directly, so a missing value is
    never drawn as 0 (which would read as "everyone strongly disagrees"). The first remaining
    point is repeated at the end (order n) so each polygon closes.
    """
    dims = frame.drop_duplicates("dimension")[["dimension", "number"]]
    n = max(len(dims), 1)
    angle = {d: 2 * math.pi * i / n for i, d in enumerate(dims["dimension"])}
    shown = frame[(frame["status"] == SHOWN) & frame["score"].notna()].copy()
    cols = [*frame.columns, "angle", "r", "x", "y", "order", "score_text"]
    if shown.empty:  # nobody answered this framework: an empty chart, not an error
        return pd.DataFrame(columns=cols)
    shown["angle"] = shown["dimension"].map(angle)
    shown["r"] = shown["score"] / 100.0
    shown["x"] = shown["r"] * shown["angle"].map(math.sin)
    shown["y"] = shown["r"] * shown["angle"].map(math.cos)
    shown["order"] = shown["angle"].map(lambda a: round(a / (2 * math.pi) * n))
    shown["score_text"] = shown["score"].round(0).astype(int).astype(str)
    parts = []
    for _, part in shown.groupby("series", sort=False):
        part = part.sort_values("order")
        if len(part) > 2:  # closing point; two points are a segment, one is a dot
            first = part.iloc[[0]].copy()
            first["order"] = n
            part = pd.concat([part, first])
        parts.append(part)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def _wrap(text: str, width: int = LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _grid(n: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Rings (as closed 72-gons), spokes and ring value labels in the radar's coordinates."""
    rings = pd.DataFrame([
        {"ring": ring, "order": k, "x": ring / 100 * math.sin(2 * math.pi * k / 72),
         "y": ring / 100 * math.cos(2 * math.pi * k / 72)}
        for ring in RINGS for k in range(73)])
    spokes = pd.DataFrame([{"x": 0.0, "y": 0.0, "x2": math.sin(2 * math.pi * i / n),
                            "y2": math.cos(2 * math.pi * i / n)} for i in range(n)])
    # Ring values sit just right of the top spoke, where they never meet a dimension label.
    ticks = pd.DataFrame([{"x": 0.02, "y": ring / 100, "text": str(ring)} for ring in RINGS])
    return rings, spokes, ticks


def _round_domain(along: str, across: str) -> alt.ExprRef:
    """RADAR_DOMAIN, widened along the longer side of the plot so the radar stays round when a
    page narrows a square chart to its container (`fit_width`)."""
    lo, hi = RADAR_DOMAIN
    stretch = f"max(1, {along} / max(1, {across}))"
    return alt.ExprRef(expr=f"[{lo} * {stretch}, {hi} * {stretch}]")


def radar(frame: pd.DataFrame, title: str = "", size: int = 420) -> alt.LayerChart:
    """A radar (spider) chart of one framework from `views.radar_frame`.

    One closed polygon per series (whole partnership: thick black; groups: Okabe-Ito colours with
    distinct dashes), rings at 25/50/75/100, spokes, and "number label" text around the outside.
    Suppressed groups are never drawn; they are named in the subtitle.
    """
    dims = frame.drop_duplicates("dimension").reset_index(drop=True)
    n = max(len(dims), 1)
    points = radar_points(frame)
    series = _series_order(frame)
    groups = [s for s in series if s != WHOLE]
    colours = ([WHOLE_COLOUR] if WHOLE in series else []) + [OKABE_ITO[i % len(OKABE_ITO)]
                                                            for i in range(len(groups))]
    dashes = ([[1, 0]] if WHOLE in series else []) + [DASHES[i % len(DASHES)] for i in range(len(groups))]
    widths = ([3.5] if WHOLE in series else []) + [1.8] * len(groups)

    hidden = sorted(set(frame.loc[frame["status"] == SUPPRESSED, "series"]) - set(series))
    partly = sorted(set(frame.loc[frame["status"] == SUPPRESSED, "series"]) & set(series))
    subtitle = []
    if hidden:
        subtitle.append("Not shown, too few responses to keep answers anonymous: " + ", ".join(hidden))
    if partly:
        subtitle.append("Some areas hidden for anonymity: " + ", ".join(partly))

    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=_round_domain("width", "height"), nice=False,
                                                zero=False))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=_round_domain("height", "width"), nice=False,
                                                zero=False))

    rings_df, spokes_df, ticks_df = _grid(n)
    rings = alt.Chart(rings_df).mark_line(color=GREY, strokeWidth=0.8, opacity=0.6).encode(
        x=x, y=y, detail="ring:N", order="order:Q")
    spokes = alt.Chart(spokes_df).mark_rule(color=GREY, strokeWidth=0.6, opacity=0.6).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q")
    ticks = alt.Chart(ticks_df).mark_text(align="left", baseline="bottom", fontSize=9, color="#666666",
                                          dx=2).encode(x=x, y=y, text="text:N")

    angles = [2 * math.pi * i / n for i in range(n)]
    labels_df = pd.DataFrame({
        "x": [LABEL_RADIUS * math.sin(a) for a in angles],
        "y": [LABEL_RADIUS * math.cos(a) for a in angles],
        "text": [_wrap(f"{int(r.number)} {r.label}") for r in dims.itertuples()],
        "align": ["left" if math.sin(a) > 0.2 else "right" if math.sin(a) < -0.2 else "center"
                  for a in angles],
        "baseline": ["bottom" if math.cos(a) > 0.5 else "top" if math.cos(a) < -0.5 else "middle"
                     for a in angles],
    })
    label_layers = []
    for (align, baseline), part in labels_df.groupby(["align", "baseline"]):
        label_layers.append(alt.Chart(part).mark_text(
            align=align, baseline=baseline, fontSize=11, lineBreak="\n", color="#222222").encode(
            x=x, y=y, text="text:N"))

    legend = alt.Legend(title=None, orient="bottom", columns=2, symbolStrokeWidth=2.5, symbolSize=300,
                        labelLimit=260, symbolType="stroke")
    colour = alt.Color("series:N", scale=alt.Scale(domain=series, range=colours), legend=legend)
    dash = alt.StrokeDash("series:N", scale=alt.Scale(domain=series, range=dashes), legend=legend)
    width = alt.StrokeWidth("series:N", scale=alt.Scale(domain=series, range=widths), legend=None)
    tooltip = [alt.Tooltip("series:N", title="Who"), alt.Tooltip("label:N", title="Area"),
               alt.Tooltip("score:Q", title="Score", format=".0f")]
    lines = alt.Chart(points).mark_line(strokeJoin="round").encode(
        x=x, y=y, order="order:Q", detail="series:N", color=colour, strokeDash=dash, strokeWidth=width)
    dots = alt.Chart(points[points["order"] < n]).mark_point(filled=True, size=36).encode(
        x=x, y=y, color=alt.Color("series:N", scale=alt.Scale(domain=series, range=colours), legend=None),
        tooltip=tooltip)

    layers: list[Any] = [rings, spokes, ticks, *label_layers]
    if len(points):
        layers += [lines, dots]
    return alt.layer(*layers).properties(width=size, height=size, title=_title(title, subtitle),
                                         view=alt.ViewBackground(stroke=None))


# ----------------------------------------------------------------------------- bars


def band_scale(legend: alt.Legend | None = None) -> alt.Color:
    return alt.Color("band:N", title="Band", scale=alt.Scale(domain=BANDS, range=BAND_COLOURS),
                     legend=legend)


def band_bars(table: pd.DataFrame, title: str = "", *, cuts: tuple[float, float]) -> alt.LayerChart:
    """Horizontal bars of score per dimension from `views.dimension_table` rows (one framework).

    Bars are coloured by band, and the score and band name are written beside each bar so the
    band never depends on colour; rules mark the band cut points.
    """
    data = table.copy()
    data["name"] = [f"{int(n)} {lab}" for n, lab in zip(data["number"], data["label"], strict=True)]
    data["text"] = [f"{s:.0f} {b}" if pd.notna(s) else "no data" for s, b in zip(data["score"], data["band"],
                                                                                 strict=True)]
    data["text_x"] = data["score"].fillna(0.0)
    order = list(data["name"])
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=240))
    legend = alt.Legend(orient="bottom", title="Band", labelExpr=_band_label_expr(), labelLimit=400)
    bars = alt.Chart(data).mark_bar(height={"band": 0.7}).encode(
        x=alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)"),
        y=y, color=band_scale(legend),
        tooltip=[alt.Tooltip("label:N", title="Area"), alt.Tooltip("score:Q", title="Score", format=".0f"),
                 alt.Tooltip("band:N", title="Band"), alt.Tooltip("spread:Q", title="Spread", format=".0f"),
                 alt.Tooltip("answered:Q", title="Answered")])
    text = alt.Chart(data).mark_text(align="left", dx=4, fontSize=11, color="#222222").encode(
        x="text_x:Q", y=y, text="text:N")
    rules = alt.Chart(pd.DataFrame({"cut": list(cuts)})).mark_rule(
        strokeDash=[4, 3], color="#555555").encode(x="cut:Q")
    height = max(22 * len(data), 60)
    return alt.layer(bars, rules, text).properties(width=460, height=height, title=title)


def _band_label_expr() -> str:
    cases = " : ".join(f"datum.label == '{b}' ? '{b} ({m})'" for b, m in BAND_MEANING.items())
    return f"{cases} : datum.label"


# ----------------------------------------------------------------------------- gaps


def gap_chart(gaps: list[dict[str, Any]], title: str = "") -> alt.LayerChart:
    """Dumbbell per dimension from `views.largest_gaps`: the lower and the higher group, joined."""
    if not gaps:
        empty = pd.DataFrame({"text": ["No differences between groups to show."]})
        return alt.layer(alt.Chart(empty).mark_text(fontSize=12).encode(text="text:N")).properties(
            width=460, height=60, title=title)
    wide = pd.DataFrame(gaps)
    wide["name"] = [f"{lab} ({gap:.0f} points)" for lab, gap in zip(wide["label"], wide["gap"], strict=True)]
    order = list(wide["name"])
    long = pd.concat([
        wide.assign(end="lower", group=wide["low_group"], score=wide["low_score"]),
        wide.assign(end="higher", group=wide["high_group"], score=wide["high_score"]),
    ], ignore_index=True)[["name", "label", "end", "group", "score", "gap"]]
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    x = alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)")
    line = alt.Chart(wide).mark_rule(color=GREY, strokeWidth=3).encode(
        x=alt.X("low_score:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)"),
        x2="high_score:Q", y=y)
    end_scale = alt.Scale(domain=["lower", "higher"], range=["#D55E00", "#0072B2"])
    dots = alt.Chart(long).mark_point(filled=True, size=110, opacity=1).encode(
        x=x, y=y, color=alt.Color("end:N", scale=end_scale, title="Group scoring"),
        shape=alt.Shape("end:N", scale=alt.Scale(domain=["lower", "higher"], range=["square", "circle"]),
                        title="Group scoring"),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("label:N", title="Area"),
                 alt.Tooltip("score:Q", title="Score", format=".0f")])
    # A group name goes beside its point (outside the dumbbell) when it fits in the plot, under
    # the point otherwise, so it never runs into the axis labels or the other end's name.
    room = long["score"].where(long["end"] == "lower", 100 - long["score"]) / 100 * GAP_WIDTH
    long["beside"] = room > long["group"].str.len() * 6.2 + 14
    texts = []
    for end, align, dx in (("lower", "right", -9), ("higher", "left", 9)):
        part = long[long["end"] == end]
        texts.append(alt.Chart(part[part["beside"]]).mark_text(align=align, dx=dx, fontSize=10).encode(
            x=x, y=y, text="group:N"))
        texts.append(alt.Chart(part[~part["beside"]]).mark_text(baseline="top", dy=9, fontSize=10).encode(
            x=x, y=y, text="group:N"))
    return alt.layer(line, dots, *texts).properties(
        width=GAP_WIDTH, height=max(44 * len(wide), 60), title=title)


# ----------------------------------------------------------------------------- trend


def trend_chart(frame: pd.DataFrame, title: str = "", *, cuts: tuple[float, float]) -> alt.LayerChart:
    """Score per dimension across rounds (columns round, dimension, label, score; `views.trend_frame`)."""
    data = frame.dropna(subset=["score"]).copy()
    rounds = list(dict.fromkeys(frame["round"].astype(str)))
    data["round"] = data["round"].astype(str)
    labels = list(dict.fromkeys(frame["label"]))
    colours = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(labels))]
    dashes = [[1, 0], *DASHES][: len(labels)] if len(labels) <= len(DASHES) + 1 else [
        ([1, 0], *DASHES)[i % (len(DASHES) + 1)] for i in range(len(labels))]
    x = alt.X("round:O", sort=rounds, title="Round", axis=alt.Axis(labelAngle=0))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title="Score (0-100)")
    legend = alt.Legend(title="Area", symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=300,
                        labelLimit=260)
    scale = alt.Scale(domain=labels, range=colours)
    colour = alt.Color("label:N", sort=labels, scale=scale, legend=legend)
    dash = alt.StrokeDash("label:N", sort=labels, scale=alt.Scale(domain=labels, range=list(dashes)),
                          legend=legend)
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(x=x, y=y, color=colour, strokeDash=dash,
                                                            detail="dimension:N")
    dots = alt.Chart(data).mark_point(filled=True, size=50).encode(
        x=x, y=y, color=alt.Color("label:N", sort=labels, scale=scale, legend=None),
        tooltip=[alt.Tooltip("round:N", title="Round"), alt.Tooltip("label:N", title="Area"),
                 alt.Tooltip("score:Q", title="Score", format=".0f")])
    rules = alt.Chart(pd.DataFrame({"cut": list(cuts)})).mark_rule(strokeDash=[4, 3], color=GREY).encode(
        y="cut:Q")
    return alt.layer(rules, lines, dots).properties(width=460, height=300, title=title)


# ----------------------------------------------------------------------------- heatmap


def heatmap(frame: pd.DataFrame, title: str = "") -> alt.LayerChart:
    """Partnerships x dimensions (columns partnership, dimension, label, score, band), score in each cell."""
    data = frame.copy()
    if "number" in data:
        data["name"] = [f"{int(n)} {lab}" for n, lab in zip(data["number"], data["label"], strict=True)]
    else:
        data["name"] = data["label"]
    data["text"] = [f"{s:.0f}" if pd.notna(s) else "–" for s in data["score"]]
    columns = list(dict.fromkeys(data["name"]))
    rows = list(dict.fromkeys(data["partnership"]))
    source = _data(data)
    # On a narrow page (a phone) the cells get too small for their numbers, which would overlap:
    # the numbers are left out there (the table beside the chart has them), the column labels
    # stand upright and the legend names the bands without their meaning.
    cell = f"width / {len(columns)}"
    upright = alt.ExprRef(f"{cell} >= 26 ? -40 : -90")
    x = alt.X("name:N", sort=columns, title=None,
              axis=alt.Axis(orient="top", labelLimit=200, labelAngle=upright))
    y = alt.Y("partnership:N", sort=rows, title=None, axis=alt.Axis(labelLimit=260))
    legend = alt.Legend(orient="bottom", title="Band", labelLimit=400,
                        labelExpr=f"width < 320 ? datum.label : ({_band_label_expr()})")
    cells = alt.Chart(source).mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, y=y, color=band_scale(legend),
        tooltip=[alt.Tooltip("partnership:N", title="Partnership"), alt.Tooltip("label:N", title="Area"),
                 alt.Tooltip("score:Q", title="Score", format=".0f"), alt.Tooltip("band:N", title="Band")])
    ink = alt.Scale(domain=BANDS, range=["white", "black", "white", "black"])
    text = alt.Chart(source).mark_text(fontSize=10, opacity=alt.ExprRef(f"{cell} >= 22 ? 1 : 0")).encode(
        x=x, y=y, text="text:N", color=alt.Color("band:N", scale=ink, legend=None))
    return alt.layer(cells, text).resolve_scale(color="independent").properties(
        width=max(34 * len(columns), 200), height=max(22 * len(rows), 40), title=title)


# ----------------------------------------------------------------------------- pages


LABEL_SHARE = 0.4  # at most this share of a narrow container for axis labels
MIN_LABEL = 60


def _limit_expr(limit: float, share: float) -> dict[str, str]:
    """A label limit that shrinks with the chart's container (whole when drawn off-page)."""
    room = f"containerSize()[0] * {share:g}"
    return {"expr": f"containerSize()[0] > 0 ? min({limit:g}, max({MIN_LABEL}, {room})) : {limit:g}"}


NARROW = 600  # px: below this container width a legend under a chart lists one entry per line


def _shrink_labels(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("axis", "legend", "title") and isinstance(value, dict):
                share = LABEL_SHARE if key == "axis" else 0.75
                for name in ("labelLimit", "limit"):
                    if isinstance(value.get(name), (int, float)) and value[name] > 0:
                        value[name] = _limit_expr(float(value[name]), share)
                if key == "legend" and value.get("orient") in ("bottom", "top"):
                    wide = value.get("columns") or 2
                    value["columns"] = {"expr": f"containerSize()[0] > 0 && containerSize()[0] < {NARROW}"
                                                f" ? 1 : {wide}"}
            _shrink_labels(value)
    elif isinstance(node, list):
        for value in node:
            _shrink_labels(value)


def natural_width(spec: dict[str, Any], room: int = 280) -> int:
    """About how wide a chart is drawn at its own size: its plot plus room for labels and legend."""
    width = spec.get("width")
    return int(width) + room if isinstance(width, (int, float)) else 760


def fit_width(spec: dict[str, Any]) -> dict[str, Any]:
    """A Vega-Lite spec (from `to_dict`) made to fit the width of its page: the plot narrows to its
    container (a phone is 375 px wide) with labels and legends inside it, axis and legend labels
    get shorter on a narrow screen, the height stays. A radar stays round (`_round_domain`).

    Only for pages: exported PNG/SVG keep the chart's own size (`to_png`)."""
    out = json.loads(json.dumps({k: v for k, v in spec.items() if k != "datasets"}))
    if "datasets" in spec:
        out["datasets"] = spec["datasets"]
    if any(k in out for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        return out
    out["width"] = "container"
    out["autosize"] = {"type": "fit-x", "contains": "padding", "resize": True}
    title = out.get("title")
    if isinstance(title, str) and title:
        out["title"] = {"text": title, "anchor": "start"}
    if isinstance(out.get("title"), dict):
        out["title"].setdefault("limit", 2000)
    config = out.setdefault("config", {})
    for key in ("axis", "legend"):
        config.setdefault(key, {}).setdefault("labelLimit", 400 if key == "legend" else 260)
    _shrink_labels(out)
    return out


# ----------------------------------------------------------------------------- export


def to_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """PNG bytes of a chart, rendered offline by vl-convert."""
    return bytes(vlc.vegalite_to_png(chart.to_json(), scale=scale))


def to_svg(chart: alt.TopLevelMixin) -> str:
    """SVG text of a chart, rendered offline by vl-convert."""
    return str(vlc.vegalite_to_svg(chart.to_json()))
