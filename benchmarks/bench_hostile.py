"""What hostile input costs: refusing it must be cheap next to reading good input of a usual size.

- a 100,000-row CSV (over the 50,000-row limit) vs reading a valid 12,000-row CSV whole: the
  reader stops at the limit, so refusing it should cost no more than a few good files.
- a 10 MB single cell vs the same valid file.
- a YAML alias bomb ("billion laughs") vs loading the real core questionnaire.
- the store's answer check (`record_problems`) on a 12,000-row import vs the whole import.
No targets are set by the issue; the ratios are reported so a regression shows.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from healthcheck.core.errors import InputError
from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
from healthcheck.core.responses import export_csv, read_responses, record_problems, records_from_frame
from healthcheck.services.demo_stories import bulk_responses
from healthcheck.store import Store

from .common import best_of, report

# Nine levels of ten aliases each: 10^9 values if expanded.
_LEVELS = zip("abcdefgh", "bcdefghi", strict=True)
BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x, x]"]
                 + [f"{c}: &{c} [{', '.join(['*' + p] * 10)}]" for p, c in _LEVELS] + ["id: core"])


def _refused(load: object) -> None:
    try:
        load()  # type: ignore[operator]
    except InputError:
        return
    raise AssertionError("hostile input was accepted")


def main() -> bool:
    q = load_questionnaire(find_questionnaire("core"))
    good = bulk_responses(q, 1_000, 12, seed=5)
    text = export_csv(good, q)
    header, _, first = text.partition("\n")
    row = first.partition("\n")[0]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "good.csv").write_text(text, encoding="utf-8")
        (folder / "rows.csv").write_text(header + "\n" + (row + "\n") * 100_000, encoding="utf-8")
        cells = row.split(",")
        cells[3] = "x" * 10_000_000
        (folder / "cell.csv").write_text(header + "\n" + ",".join(cells) + "\n", encoding="utf-8")
        (folder / "bomb.yaml").write_text(BOMB, encoding="utf-8")

        baseline, frame = best_of(lambda: read_responses(folder / "good.csv", q))
        rows, _ = best_of(lambda: _refused(lambda: read_responses(folder / "rows.csv", q)))
        ok &= report("refuse a 100,000-row CSV vs read 12,000 good rows", rows, baseline, target_ratio=2.0)
        cell, _ = best_of(lambda: _refused(lambda: read_responses(folder / "cell.csv", q)))
        ok &= report("refuse a 10 MB cell vs read 12,000 good rows", cell, baseline, target_ratio=1.0)

        core = find_questionnaire("core")
        loaded, _ = best_of(lambda: load_questionnaire(core))
        bomb, _ = best_of(lambda: _refused(lambda: load_questionnaire(folder / "bomb.yaml")))
        ok &= report("refuse a YAML alias bomb vs load core.yaml", bomb, loaded, target_ratio=1.0)

        records = records_from_frame(frame, q)
        store = Store(f"sqlite:///{(folder / 'bench.db').as_posix()}")
        p, _ = store.create_partnership("Bench partnership", "core", 3,
                                        [(name, "other") for name in sorted(set(frame["organisation"]))])
        r, _ = store.open_round(p.id, "Bench", "core", "1")
        check, _ = best_of(lambda: record_problems(records, q))
        whole, _ = best_of(lambda: store.import_records(r.id, records), repeat=1)
        store.close()
        ok &= report("store import: answer check vs whole 12,000-row import", check, whole, target_ratio=0.5)
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
