"""Partnership reports from responses files (`healthcheck report`): one file per partnership.

Reads this round (and the previous one, when given), assesses every partnership, pairs each with
its previous round, gathers the comments it may show, and writes the report: to the file asked
for, or to <stem>-<partnership><suffix> each when the responses hold several partnerships.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from healthcheck.core.anonymity import DEFAULT_SMALL_GROUPS, low_score_comments
from healthcheck.core.assess import Assessment, iter_assessments
from healthcheck.core.errors import InputError, Problem
from healthcheck.core.questionnaire import Questionnaire
from healthcheck.core.responses import read_responses
from healthcheck.core.rules import RulePack
from healthcheck.core.text import slug
from healthcheck.present.report import report_bytes
from healthcheck.services.scoring import ProgressFor

REPORT_FORMATS = ("pdf", "md")


def report_format(output: str | Path) -> str | None:
    """The report format a file name asks for ("pdf" or "md"), or None when it names neither."""
    fmt = Path(output).suffix.lower().lstrip(".")
    return fmt if fmt in REPORT_FORMATS else None


def write_reports(responses: str | Path, output: str | Path, questionnaire: Questionnaire, pack: RulePack,
                  threshold: int, *, previous: str | Path | None = None, partnership: str | None = None,
                  round_label: str | None = None, date: str | None = None,
                  progress: ProgressFor | None = None,
                  note: Callable[[str], None] = lambda _text: None,
                  small_groups: str = DEFAULT_SMALL_GROUPS) -> list[Path]:
    """Write the report of each partnership in `responses` (only `partnership`, when named) and
    return the files written; `note` hears what a reader should know (files written, no previous
    round found). Problems in the files (or no such partnership) raise InputError.

    round_label defaults to the responses file's name; the previous round is the same
    partnership's in `previous`, or the only one there when each file holds one partnership.
    """
    out = Path(output)
    fmt = report_format(out)
    if fmt is None:
        raise ValueError(f"{output}: the report file must end in .pdf or .md")
    q = questionnaire
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for key, source in (("now", responses), ("before", previous)):
        if source is None:
            continue
        try:
            tables[key] = read_responses(Path(source), q, progress=progress("reading") if progress else None)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    df = tables["now"]
    before: dict[str, Assessment] = {}
    if "before" in tables:
        before = {a.partnership: a for a in iter_assessments(q, tables["before"], pack, threshold,
                                                             small_groups=small_groups)}

    assessments = list(iter_assessments(q, df, pack, threshold,
                                        progress=progress("assessing") if progress else None,
                                        small_groups=small_groups))
    if partnership is not None:
        chosen = [a for a in assessments if a.partnership == partnership]
        if not chosen:
            held = ", ".join(f"'{a.partnership}'" for a in assessments) or "none"
            raise InputError([Problem(str(responses), f"no partnership named '{partnership}' "
                                                      f"(the file holds: {held})")])
        assessments = chosen
    if not assessments:
        raise InputError([Problem(str(responses), "the file holds no responses: nothing to report")])
    several = len(assessments) > 1
    if several:
        note(f"{responses} holds {len(assessments)} partnerships: writing one report each as "
             f"{out.stem}-<partnership>{out.suffix}")
    round_label = round_label or Path(responses).name
    previous_label = Path(previous).name if previous else None
    paths = report_paths(out, [a.partnership for a in assessments]) if several else [out]
    for a, path in zip(assessments, paths, strict=True):
        earlier = before.get(a.partnership)
        if earlier is None and len(before) == 1 and len(assessments) == 1:
            earlier = next(iter(before.values()))  # one partnership in each file: compare them
        if previous and earlier is None:
            note(f"{previous}: no previous round of '{a.partnership}', so no change is shown")
        frame = (df[df["partnership"].fillna("").astype(str) == a.partnership] if "partnership" in df
                 else df)  # comments of this partnership only, of the people in its figures
        if a.scores.in_figures:
            frame = frame[list(a.scores.in_figures)]
        data = report_bytes(a, previous=earlier, fmt=fmt, round_label=round_label,  # type: ignore[arg-type]
                            date=date, previous_label=previous_label,
                            comments=low_score_comments(frame, q, a.scores.threshold))
        try:
            path.write_bytes(data)
        except OSError as exc:
            problem = Problem(str(path), f"cannot write the report: {exc.strerror or exc}")
            raise InputError([problem]) from None
        note(f"wrote {path}")
    return paths


def report_paths(output: Path, partnerships: list[str]) -> list[Path]:
    """One file per partnership beside `output`: report-<slug>.pdf, with -2, -3... when two
    partnerships' names make the same slug."""
    used: set[str] = set()
    paths = []
    for partnership in partnerships:
        stem = name = slug(partnership)
        n = 2
        while name in used:
            name, n = f"{stem}-{n}", n + 1
        used.add(name)
        paths.append(output.with_name(f"{output.stem}-{name}{output.suffix}"))
    return paths
