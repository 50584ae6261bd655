"""The calibration card: how often each rule fires on simulated populations of partnerships.

A finding should mean something (a healthy partnership is rarely flagged) and a real problem
should never pass silently (one area in the concern band always raises a finding that names
it). This module simulates four documented populations, scores them in one vectorised pass
(`ScoreTable`), runs the rules on every partnership and writes the result as a Markdown card
(`healthcheck calibrate`; the shipped card is `docs/calibration.md`).

How a population is drawn (every partnership alike in shape):

- 12 respondents in three organisations of four ("Music organisation" at the strategic level,
  "Children's services" and "Fostering team" at the operational level), so every group is shown;
- each area (the 22 dimensions) has a centre on 0-100, drawn per partnership as the population
  says; each organisation moves it by a small amount (normal, sd 4 points) and each respondent
  by their own mood (normal, sd 5 points, the same on every item);
- a likert answer follows the lowest of the respondent's views of the areas the item measures
  (an item such as "if a new idea fails, we treat it as a lesson, not as someone's fault" reads
  true only when both areas it touches are in good shape), turned round for reverse-keyed items,
  on the 1-5 scale, plus noise (normal, sd 0.6), rounded and kept within 1-5; 3% of answers are
  "don't know" and 1% are left blank;
- each choice item (`fact.*`) is answered from the population's mix of answers, which each
  partnership varies a little (a Dirichlet draw around the mix, concentration 12).

Populations (`POPULATIONS`):

- healthy: every area drawn from 75-92, facts from the healthy mix;
- typical: every area drawn from 55-75 (the borderline band), facts from the typical mix;
- struggling: every area drawn from 25-55, facts from the struggling mix;
- one weak area: one area drawn from 10-25 (the areas take turns, so each is weak in about
  1/22 of the partnerships), every other area from 75-92, facts from the healthy mix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthcheck.core.frameworks import DIMENSION_BY_ID, DIMENSION_IDS
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import DONT_KNOW
from healthcheck.core.rules import Finding, RulePack
from healthcheck.core.rules.engine import get_engine
from healthcheck.core.scoring import ScoreTable

RESPONDENTS = 12
ORGS = (("Music organisation", "strategic"), ("Children's services", "operational"),
        ("Fostering team", "operational"))
NOISE = 0.6  # per answer, on the 1-5 scale
ORG_SD, MOOD_SD = 4.0, 5.0  # on 0-100
DONT_KNOW_RATE, BLANK_RATE = 0.03, 0.01
CONCENTRATION = 12.0

# Mixes of answers to the choice items. Choices a questionnaire does not offer are left out.
HEALTHY_FACTS: dict[str, dict[str, float]] = {
    "fact.origin": {"shared_need": 0.8, "invitation": 0.12, "funding_call": 0.03, "dont_know": 0.05},
    "fact.time_costed": {"yes": 0.75, "partly": 0.17, "no": 0.03, "dont_know": 0.05},
    "fact.named_lead": {"yes": 0.93, "no": 0.02, "dont_know": 0.05},
    "fact.resources_delivered": {"all": 0.6, "most": 0.33, "some": 0.03, "dont_know": 0.04},
    "fact.continuity_plan": {"yes": 0.7, "partly": 0.22, "no": 0.02, "dont_know": 0.06},
    "fact.capacity": {"enough": 0.7, "stretched": 0.25, "overstretched": 0.02, "dont_know": 0.03},
    "fact.outcomes_set": {"outline_then_refined": 0.62, "emerging": 0.2, "fixed_in_advance": 0.1,
                          "dont_know": 0.08},
    "fact.meeting_actions": {"always": 0.6, "usually": 0.36, "rarely": 0.02, "dont_know": 0.02},
    "fact.review_timing": {"each_meeting": 0.6, "now_and_then": 0.33, "end_only": 0.03, "dont_know": 0.04},
}
TYPICAL_FACTS: dict[str, dict[str, float]] = {
    "fact.origin": {"shared_need": 0.45, "invitation": 0.22, "funding_call": 0.2, "other": 0.05,
                    "dont_know": 0.08},
    "fact.time_costed": {"yes": 0.4, "partly": 0.35, "no": 0.12, "dont_know": 0.13},
    "fact.named_lead": {"yes": 0.8, "no": 0.08, "dont_know": 0.12},
    "fact.resources_delivered": {"all": 0.3, "most": 0.47, "some": 0.13, "none": 0.02, "dont_know": 0.08},
    "fact.continuity_plan": {"yes": 0.4, "partly": 0.4, "no": 0.08, "dont_know": 0.12},
    "fact.capacity": {"enough": 0.45, "stretched": 0.45, "overstretched": 0.06, "dont_know": 0.04},
    "fact.outcomes_set": {"outline_then_refined": 0.45, "emerging": 0.15, "fixed_in_advance": 0.28,
                          "dont_know": 0.12},
    "fact.meeting_actions": {"always": 0.35, "usually": 0.55, "rarely": 0.06, "dont_know": 0.04},
    "fact.review_timing": {"each_meeting": 0.35, "now_and_then": 0.5, "end_only": 0.1, "dont_know": 0.05},
}
STRUGGLING_FACTS: dict[str, dict[str, float]] = {
    "fact.origin": {"shared_need": 0.2, "invitation": 0.2, "funding_call": 0.45, "other": 0.05,
                    "dont_know": 0.1},
    "fact.time_costed": {"yes": 0.1, "partly": 0.35, "no": 0.4, "dont_know": 0.15},
    "fact.named_lead": {"yes": 0.45, "no": 0.3, "dont_know": 0.25},
    "fact.resources_delivered": {"all": 0.1, "most": 0.3, "some": 0.35, "none": 0.1, "dont_know": 0.15},
    "fact.continuity_plan": {"yes": 0.1, "partly": 0.35, "no": 0.4, "dont_know": 0.15},
    "fact.capacity": {"enough": 0.15, "stretched": 0.45, "overstretched": 0.35, "dont_know": 0.05},
    "fact.outcomes_set": {"outline_then_refined": 0.2, "emerging": 0.1, "fixed_in_advance": 0.55,
                          "dont_know": 0.15},
    "fact.meeting_actions": {"always": 0.1, "usually": 0.45, "rarely": 0.4, "dont_know": 0.05},
    "fact.review_timing": {"each_meeting": 0.1, "now_and_then": 0.4, "end_only": 0.4, "dont_know": 0.1},
}

Centres = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]


def _uniform(low: float, high: float) -> Centres:
    """Every area drawn from low-high; no weak area (-1)."""
    def draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        return rng.uniform(low, high, size=(n, len(DIMENSION_IDS))), np.full(n, -1)
    return draw


def _one_weak(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """One area drawn from 10-25 (the areas take turns), the others from 75-92."""
    centres = rng.uniform(75, 92, size=(n, len(DIMENSION_IDS)))
    weak = np.arange(n) % len(DIMENSION_IDS)
    centres[np.arange(n), weak] = rng.uniform(10, 25, size=n)
    return centres, weak


@dataclass(frozen=True)
class Population:
    key: str
    name: str
    drawn: str  # how it is drawn, in a few words (the card's table)
    centres: Centres
    facts: dict[str, dict[str, float]]


POPULATIONS: tuple[Population, ...] = (
    Population("healthy", "healthy", "every area 75-92; healthy facts", _uniform(75, 92), HEALTHY_FACTS),
    Population("typical", "typical", "every area 55-75; typical facts", _uniform(55, 75), TYPICAL_FACTS),
    Population("struggling", "struggling", "every area 25-55; struggling facts", _uniform(25, 55),
               STRUGGLING_FACTS),
    Population("weak", "one weak area", "one area 10-25 (each in turn), the rest 75-92; healthy facts",
               _one_weak, HEALTHY_FACTS),
)


def simulate(questionnaire: Questionnaire, population: Population, n: int, seed: int,
             ) -> tuple[pd.DataFrame, np.ndarray]:
    """Responses of `n` partnerships of a population (one row per respondent), and the index in
    DIMENSION_IDS of each partnership's weak area (-1: none)."""
    rng = np.random.default_rng(seed)
    centres, weak = population.centres(rng, n)
    n_rows = n * RESPONDENTS
    p_idx = np.repeat(np.arange(n), RESPONDENTS)
    o_idx = np.tile(np.arange(RESPONDENTS) % len(ORGS), n)
    org_shift = rng.normal(0.0, ORG_SD, size=(n, len(ORGS), len(DIMENSION_IDS)))
    mood = rng.normal(0.0, MOOD_SD, size=n_rows)
    # each respondent's view of each area, 0-100
    view = centres[p_idx] + org_shift[p_idx, o_idx] + mood[:, None]
    dim_pos = {d: j for j, d in enumerate(DIMENSION_IDS)}
    data: dict[str, object] = {
        "respondent": [f"R{i}" for i in range(n_rows)],
        "organisation": np.array([o for o, _ in ORGS], dtype=object)[o_idx],
        "level": np.array([lv for _, lv in ORGS], dtype=object)[o_idx],
        "role": None,
        "partnership": np.char.add(f"{population.key} ", p_idx.astype(str)).astype(object),
    }
    for item in questionnaire.items:
        if item.type == "likert":
            # the statement holds only as far as the weakest area it touches is in good shape
            target = 1.0 + view[:, [dim_pos[ref.id] for ref in item.dimensions]].min(axis=1) / 25.0
            if item.reverse:
                target = 6.0 - target
            v = np.clip(np.rint(rng.normal(target, NOISE)), 1, 5)
            v[rng.random(n_rows) < DONT_KNOW_RATE] = DONT_KNOW
            v[rng.random(n_rows) < BLANK_RATE] = np.nan
            data[item.id] = v
        elif item.type == "choice":
            data[item.id] = _choices(rng, item.id, [c.id for c in item.choices], population.facts, n, p_idx)
        else:
            data[item.id] = None
    for item in questionnaire.items:
        if item.comment_prompt_below:
            data[f"{item.id}_comment"] = None
    return pd.DataFrame(data), weak


def _choices(rng: np.random.Generator, item_id: str, ids: list[str], mixes: dict[str, dict[str, float]],
             n: int, p_idx: np.ndarray) -> np.ndarray:
    mix = mixes.get(item_id) or {c: 1.0 for c in ids}
    keys = [c for c in ids if mix.get(c, 0.0) > 0]
    alpha = CONCENTRATION * np.array([mix[c] for c in keys]) / sum(mix[c] for c in keys)
    probs = rng.dirichlet(alpha, size=n)  # each partnership's own mix
    cum = np.cumsum(probs, axis=1)[p_idx]
    pick = (rng.random(len(p_idx))[:, None] > cum).sum(axis=1)
    return np.array(keys, dtype=object)[np.minimum(pick, len(keys) - 1)]


def names_area(finding: Finding, area: str) -> bool:
    """A finding names an area when the area is one of its tasks (with those of the rules it
    covers) or the subject of its evidence."""
    return area in finding.tasks or any(e.subject == area for e in finding.evidence)


@dataclass(frozen=True)
class PopulationResult:
    population: Population
    findings: list[list[Finding]]  # per partnership
    weak: np.ndarray  # per partnership: index in DIMENSION_IDS of its weak area, -1 for none
    scores: np.ndarray  # partnerships x DIMENSION_IDS, as measured (NaN where not measured)

    @property
    def size(self) -> int:
        return len(self.findings)

    def fire_rate(self, rule_id: str) -> float:
        """How often the rule fires, shown on its own or inside a finding that supersedes it."""
        fired = (any(rule_id == f.id or rule_id in f.covers for f in fs) for fs in self.findings)
        return sum(fired) / self.size

    @property
    def mean_findings(self) -> float:
        return sum(len(fs) for fs in self.findings) / self.size

    @property
    def high_share(self) -> float:
        return sum(any(f.rule.severity == "high" for f in fs) for fs in self.findings) / self.size

    def measured(self) -> tuple[float, float, float]:
        """Area scores as measured, over every partnership and area: mean, 5th and 95th percentile."""
        values = self.scores[~np.isnan(self.scores)]
        return float(values.mean()), float(np.percentile(values, 5)), float(np.percentile(values, 95))

    def named(self) -> dict[str, tuple[int, int, float]]:
        """Per weak area: (partnerships where it was weak, of those how many raised a finding naming
        it, its mean measured score)."""
        out: dict[str, tuple[int, int, float]] = {}
        for code, (fs, w) in enumerate(zip(self.findings, self.weak.tolist(), strict=True)):
            if w < 0:
                continue
            area = DIMENSION_IDS[w]
            total, hit, score_sum = out.get(area, (0, 0, 0.0))
            out[area] = (total + 1, hit + any(names_area(f, area) for f in fs),
                         score_sum + float(np.nan_to_num(self.scores[code, w])))
        return {a: (t, h, s / t) for a, (t, h, s) in out.items()}


def run_population(questionnaire: Questionnaire, pack: RulePack, population: Population, n: int,
                   seed: int) -> PopulationResult:
    responses, weak = simulate(questionnaire, population, n, seed)
    table = ScoreTable(questionnaire, responses)
    engine = get_engine(pack)
    findings = [engine.evaluate(table.facts(code)) for code in range(len(table))]
    scores = table.score.reindex(columns=list(DIMENSION_IDS)).to_numpy(dtype=float)
    return PopulationResult(population, findings, weak, scores)


def calibrate(questionnaire: Questionnaire, pack: RulePack, n: int = 1000, seed: int = 1,
              ) -> list[PopulationResult]:
    """Every population simulated with `n` partnerships (seeds derived from `seed`) and assessed."""
    return [run_population(questionnaire, pack, pop, n, seed * 100 + i) for i, pop in enumerate(POPULATIONS)]


# --- targets and the card ----------------------------------------------------------------------

def target_checks(results: list[PopulationResult]) -> list[tuple[str, str, bool]]:
    """(target, what was measured, met) for the targets the rule set is held to."""
    by = {r.population.key: r for r in results}
    out = []
    if "healthy" in by:
        h = by["healthy"].high_share
        out.append(("healthy: at most 2% with a high finding", f"{h:.1%}", h <= 0.02))
    if "typical" in by:
        t = by["typical"]
        out.append(("typical: at most 2 findings on average", f"{t.mean_findings:.2f}", t.mean_findings <= 2))
        out.append(("typical: at most 10% with a high finding", f"{t.high_share:.1%}", t.high_share <= 0.10))
    if "weak" in by:
        named = by["weak"].named()
        total = sum(t for t, _, _ in named.values())
        hit = sum(h for _, h, _ in named.values())
        share = hit / total if total else 0.0
        out.append(("one weak area: 100% raise a finding naming it", f"{share:.1%}",
                    total > 0 and hit == total))
    return out


def card(results: list[PopulationResult], pack: RulePack, questionnaire: Questionnaire, n: int,
         seed: int) -> str:
    """The calibration card as Markdown."""
    lines = [
        "# Calibration card",
        "",
        f"How often each rule fires on simulated partnerships: {n:,} per population, questionnaire "
        f"`{questionnaire.id}`, seed {seed}. Made by `healthcheck calibrate -q {questionnaire.id} -n {n} "
        f"--seed {seed} > docs/calibration.md`; how each population is drawn is described in "
        "`healthcheck/services/calibration.py`. "
        "A test fails when the shipped card is out of date: after changing a rule, run the command "
        "again and commit its output here, so the change shows its effect in the diff.",
        "",
        "## Populations",
        "",
        "Area scores as measured are the mean over every partnership and area, with the 5th and 95th "
        "percentiles: an item that touches two areas follows the weaker one, so they sit a little "
        "below the centres the areas are drawn around.",
        "",
        "| population | how it is drawn | partnerships | area scores as measured | mean findings "
        "| with a high finding |",
        "| --- | --- | ---: | --- | ---: | ---: |",
    ]
    for r in results:
        mean, low, high = r.measured()
        lines.append(f"| {r.population.name} | {r.population.drawn} | {r.size:,} "
                     f"| {mean:.0f} ({low:.0f}-{high:.0f}) | {r.mean_findings:.2f} | {r.high_share:.1%} |")
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | ---: | --- |"]
    for target, measured, met in target_checks(results):
        lines.append(f"| {target} | {measured} | {'yes' if met else 'NO'} |")
    lines += ["", "## How often each rule fires", "",
              "| rule | severity | " + " | ".join(r.population.name for r in results) + " |",
              "| --- | --- | " + " | ".join("---:" for _ in results) + " |"]
    for rule in pack.rules:
        rates = " | ".join(f"{r.fire_rate(rule.id):.1%}" for r in results)
        lines.append(f"| `{rule.id}` | {rule.severity} | {rates} |")
    weak = next((r for r in results if r.population.key == "weak"), None)
    if weak is not None:
        lines += ["", "## One weak area: is it named?", "",
                  "A finding names an area when the area is one of the rule's tasks or the subject of "
                  "its evidence.", "",
                  "| area | partnerships | its score as measured (mean) | named by a finding |",
                  "| --- | ---: | ---: | ---: |"]
        named = weak.named()
        for area in DIMENSION_IDS:
            if area in named:
                total, hit, score = named[area]
                lines.append(f"| {DIMENSION_BY_ID[area].label} (`{area}`) | {total} | {score:.0f} "
                             f"| {hit / total:.0%} |")
    return "\n".join(lines) + "\n"
