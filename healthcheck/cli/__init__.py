"""The `healthcheck` console script. Thin: every command calls the core.

Exit codes (contract): 0 success, 1 invalid input (each problem on its own line, located),
2 usage.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from healthcheck import __version__
from healthcheck.core.errors import InputError, Problem


def _progress(label: str) -> Callable[[int, int], None]:
    """A one-line progress counter on stderr (only when someone is watching a terminal)."""
    show = sys.stderr.isatty() or os.environ.get("HEALTHCHECK_PROGRESS") == "1"
    step = {"last": -1}

    def report(done: int, total: int) -> None:
        if not show or total <= 0:
            return
        pct = done * 100 // total
        if pct != step["last"] or done == total:
            step["last"] = pct
            end = "\n" if done == total else "\r"
            print(f"{label}: {done}/{total} ({pct}%)", end=end, file=sys.stderr, flush=True)

    return report


# --- validate ----------------------------------------------------------------------------------

def cmd_validate(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import is_translation_file, load_questionnaire, shipped_questionnaires
    from healthcheck.core.rules import RULES_DIR, check_against, load_rules
    from healthcheck.core.rules.engine import run_examples
    from healthcheck.core.translations import check_translations
    from healthcheck.core.yamlsource import read_yaml

    q_paths: list[Path] = []
    t_paths: list[Path] = []  # translation files named here (those beside a questionnaire are found)
    rule_sources: list[Path] = []
    problems: list[Problem] = []
    for raw in args.paths or []:
        path = Path(raw)
        if path.is_dir():
            if any(path.glob("*.yaml")) and all(_looks_like_rule(p) for p in path.glob("*.yaml")):
                rule_sources.append(path)
            else:
                for p in sorted(path.glob("*.yaml")):
                    if is_translation_file(p):
                        t_paths.append(p)
                        continue
                    (rule_sources if _looks_like_rule(p) else q_paths).append(p)
        elif path.exists() and is_translation_file(path):
            t_paths.append(path)
        elif path.exists():
            try:
                data = read_yaml(path)
                kind = "rule" if isinstance(data, dict) and "when" in data else "questionnaire"
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            (rule_sources if kind == "rule" else q_paths).append(path)
        else:
            problems.append(Problem(raw, "no such file or folder"))
    if not args.paths:
        q_paths, rule_sources = shipped_questionnaires(), [RULES_DIR]

    questionnaires = []
    loaded = {}
    for p in q_paths:
        try:
            questionnaires.append(load_questionnaire(p))
            loaded[p] = questionnaires[-1]
        except InputError as exc:
            problems.extend(exc.problems)
    n_rules = n_examples = 0
    for source in rule_sources:
        try:
            pack = load_rules(source)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        n_rules += len(pack.rules)
        against = questionnaires or [load_questionnaire(p) for p in shipped_questionnaires()]
        problems.extend(check_against(pack, against))
        for rule, name, ok in run_examples(pack):
            n_examples += 1
            if not ok:
                want = next(e.expect for e in rule.examples if e.name == name)
                problems.append(Problem(rule.path, f"example '{name}' should be {want} but the engine "
                                        f"says {'quiet' if want == 'fires' else 'fires'}", rule.line))
    translations = check_translations(loaded, t_paths)
    problems.extend(translations.problems)
    if problems:
        for p in problems:
            print(p)
        for line in translations.lines:
            print(line)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {len(questionnaires)} questionnaire(s), {n_rules} rule(s), "
          f"{n_examples} example(s) behave as expected")
    for line in translations.lines:  # how complete each translation is; out-of-date entries (warnings)
        print(line)
    return 0


def _looks_like_rule(path: Path) -> bool:
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    return "\nwhen:" in head or head.startswith("when:")


# --- template ----------------------------------------------------------------------------------

def cmd_template(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.responses import template_csv

    q = load_questionnaire(find_questionnaire(args.questionnaire))
    text = template_csv(q)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# --- translation-template ----------------------------------------------------------------------

def cmd_translation_template(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.translations import template

    path = find_questionnaire(args.questionnaire)
    text = template(load_questionnaire(path), args.language, args.name, path.name)
    if not args.output:
        sys.stdout.write(text)
        return 0
    out = Path(args.output)
    if out.exists() and not args.force:  # a translator's work is not overwritten by accident
        raise InputError([Problem(str(out), "this file already exists: choose another name, or add --force "
                                            "to replace it")])
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(str(out), f"cannot write the template: {exc.strerror or exc}")]) from None
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _translation_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    t = sub.add_parser("translation-template",
                       help="write a questionnaire's texts, with fingerprints, for a translator to translate")
    t.add_argument("questionnaire", help="questionnaire id (core, pulse) or file")
    t.add_argument("language", help="BCP 47 language tag of the translation, e.g. en-US, cy, fr-CA")
    t.add_argument("--name", default=None, help="the language's own name, e.g. \"English (US)\" "
                                                 "(default: the tag)")
    t.add_argument("-o", "--output",
                   help="file to write (default: print); name it <questionnaire>.<tag>.yaml")
    t.add_argument("--force", action="store_true", help="replace the output file if it exists")
    t.set_defaults(func=cmd_translation_template)


# --- score -------------------------------------------------------------------------------------

def _load_inputs(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.responses import read_responses
    from healthcheck.core.rules import load_rules

    q = load_questionnaire(find_questionnaire(args.questionnaire))
    pack = load_rules(args.rules)
    df = read_responses(Path(args.responses), q, progress=_progress("reading"))
    return q, pack, df


def cmd_score(args: argparse.Namespace) -> int:
    from healthcheck.core.assess import iter_assessments

    q, pack, df = _load_inputs(args)
    assessments = list(iter_assessments(q, df, pack, args.threshold, progress=_progress("assessing")))
    out = sys.stdout
    if args.format == "json":
        docs = [a.as_dict() for a in assessments]
        json.dump(docs[0] if len(docs) == 1 else docs, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        out.write(_scores_csv(assessments))
    else:
        for a in assessments:
            out.write(_table(a))
    return 0


def _scores_csv(assessments: Sequence) -> str:  # type: ignore[type-arg]
    import csv

    from healthcheck.core.csvsafe import neutralise

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["partnership", "dimension", "framework", "label", "score", "band", "answered",
                "unknown", "spread", "suppressed"])
    for a in assessments:
        for d in a.scores.dimensions:
            row = d.as_dict()
            w.writerow([neutralise(v) for v in (a.partnership, d.id, d.framework, d.label, row["score"],
                                                d.band, d.answered, row["unknown"], row["spread"],
                                                ";".join(d.suppressed))])
    return buf.getvalue()


def _table(a) -> str:  # type: ignore[no-untyped-def]
    s = a.scores
    lines = [f"{s.partnership or 'Partnership'}: {s.respondents} respondents "
             f"(anonymity threshold {s.threshold})", ""]
    lines.append(f"{'dimension':<34} {'score':>6}  {'band':<11} {'spread':>6}  note")
    for d in s.dimensions:
        score = "-" if d.score is None else f"{d.score:.0f}"
        spread = "-" if d.spread is None else f"{d.spread:.0f}"
        note = f"{len(d.suppressed)} group(s) suppressed" if d.suppressed else ""
        lines.append(f"{d.label:<34} {score:>6}  {d.band:<11} {spread:>6}  {note}")
    lines.append("")
    if not a.findings:
        lines.append("No risks flagged.")
    for f in a.findings:
        lines.append(f"[{f.rule.severity.upper()}] {f.rule.title} ({f.rule.id})")
        for e in f.evidence:
            lines.append(f"    because {e.describe()}")
        for act in f.rule.actions:
            lines.append(f"    - {act.text}")
    lines.append("")
    return "\n".join(lines) + "\n"


# --- wiring ------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="healthcheck", description="Partnership Health Check")
    p.add_argument("--version", action="version", version=f"healthcheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("validate", help="check questionnaires and rules, run every rule's examples")
    v.add_argument("paths", nargs="*", help="files or folders (default: the shipped ones)")
    v.set_defaults(func=cmd_validate)

    t = sub.add_parser("template", help="write the empty responses CSV for a questionnaire")
    t.add_argument("-q", "--questionnaire", default="core")
    t.add_argument("-o", "--output")
    t.set_defaults(func=cmd_template)

    s = sub.add_parser("score", help="score a responses CSV and evaluate the rules")
    s.add_argument("responses")
    s.add_argument("-q", "--questionnaire", default="core")
    s.add_argument("--rules", default=None, help="rules folder (default: the shipped rules)")
    s.add_argument("--format", choices=["json", "table", "csv"], default="table")
    s.add_argument("--threshold", type=_threshold, default=3,
                   help="smallest group shown in breakdowns (at least 3)")
    s.set_defaults(func=cmd_score)

    for extra in _EXTRA_COMMANDS:
        extra(sub)
    return p


def _threshold(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the threshold must be a whole number") from None
    if n < 3:
        raise argparse.ArgumentTypeError("the threshold cannot be below 3 (smaller groups identify people)")
    return n


# Later commands (demo, serve, report, portfolio) register themselves here.
_EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = []  # type: ignore[type-arg]


# --- demo and serve ----------------------------------------------------------------------------

DEFAULT_PORT = 8501


def _open_store(url: str | None):  # type: ignore[no-untyped-def]
    from healthcheck.store import Store

    return Store(url or None)


def _print_demo_links(links: Sequence[tuple[str, str]], base: str,
                     funder: tuple[str, str] | None = None) -> None:
    for name, token in links:
        print(name)
        print(f"  admin link: {base.rstrip('/')}/?admin={token}")
    if funder is not None:
        name, token = funder
        print(f"{name} (sees the partnerships that shared a round with it)")
        print(f"  funder link: {base.rstrip('/')}/?funder={token}")


def _base_url(port: int) -> str:
    return os.environ.get("HEALTHCHECK_BASE_URL", "").strip() or f"http://localhost:{port}"


def cmd_demo(args: argparse.Namespace) -> int:
    from healthcheck.services.demo import load_demo_links

    with _open_store(args.database_url) as store:
        links = load_demo_links(store)
        print(f"Demo partnerships are in {store.describe_location()}.", file=sys.stderr)
    _print_demo_links(links.partnerships, _base_url(args.port), (links.funder_name, links.funder_token))
    print("Each link is new: earlier demo links no longer work.", file=sys.stderr)
    return 0


def app_path() -> Path:
    """The Streamlit entry script: app.py beside the package (a source checkout), else the
    copy inside the package (an installed wheel)."""
    here = Path(__file__).resolve().parent
    beside = here.parents[1] / "app.py"
    return beside if beside.exists() else here.parent / "ui" / "entry.py"


def cmd_serve(args: argparse.Namespace) -> int:
    import subprocess

    from healthcheck.services.demo import DEMO_NAMES, load_demo_links
    from healthcheck.store import default_url

    env = dict(os.environ)
    # The app runs from app.py's folder (so it finds .streamlit/config.toml): pin the database
    # now, so a default SQLite file under ./data means the folder `serve` was started in.
    env["HEALTHCHECK_DATABASE_URL"] = args.database_url or default_url()
    if args.demo:
        with _open_store(args.database_url) as store:
            names = {p.name for p in store.list_partnerships()}
            if names <= set(DEMO_NAMES):
                links = load_demo_links(store)
                _print_demo_links(links.partnerships, _base_url(args.port),
                                  (links.funder_name, links.funder_token))
            else:
                print("The store already holds partnerships, so the demo was not loaded.", file=sys.stderr)
    app = app_path()
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               "--server.headless", "true", "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false",
               "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal"]
    print(f"Starting the app on http://localhost:{args.port} (stop with Ctrl+C)", file=sys.stderr, flush=True)
    return subprocess.call(command, env=env, cwd=str(app.parent if app.name == "app.py" else Path.cwd()))


def _port(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("the port must be a whole number") from None
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError("the port must be between 1 and 65535")
    return n


def _app_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("demo", help="put the demo partnerships and a demo funder into the store and print "
                                         "their links")
    d.add_argument("--database-url", default=None,
                   help="database URL (default: HEALTHCHECK_DATABASE_URL, else a SQLite file in ./data)")
    d.add_argument("--port", type=_port, default=DEFAULT_PORT, help="port used in the printed links")
    d.set_defaults(func=cmd_demo)

    v = sub.add_parser("serve", help="start the app (Streamlit)")
    v.add_argument("--port", type=_port, default=DEFAULT_PORT)
    v.add_argument("--demo", action="store_true",
                   help="load the demo partnerships and funder first (when the store holds no other "
                        "partnerships) and print their links")
    v.add_argument("--database-url", default=None,
                   help="database URL (default: HEALTHCHECK_DATABASE_URL, else a SQLite file in ./data)")
    v.set_defaults(func=cmd_serve)


_EXTRA_COMMANDS.append(_app_commands)
_EXTRA_COMMANDS.append(_translation_command)


# --- portfolio ---------------------------------------------------------------------------------

def cmd_portfolio(args: argparse.Namespace) -> int:
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.rules import load_rules
    from healthcheck.services import portfolio

    q = load_questionnaire(find_questionnaire(args.questionnaire))
    pack = load_rules(args.rules)
    result = portfolio.load_path(args.source, q, pack, args.threshold, read_progress=_progress("reading"),
                                 assess_progress=_progress("assessing"))
    rows = portfolio.sort_rows(result.rows, "risk")
    sys.stdout.write(portfolio.to_json(rows) if args.format == "json" else portfolio.to_csv(rows))
    return 0


def _portfolio_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("portfolio", help="one row per partnership, most at risk first (progress on stderr)")
    p.add_argument("source", help="a responses CSV, a Forms export, a `score` JSON file, or a folder of them")
    p.add_argument("-q", "--questionnaire", default="core")
    p.add_argument("--rules", default=None, help="rules folder (default: the shipped rules)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument("--threshold", type=_threshold, default=3,
                   help="smallest group shown in breakdowns (at least 3)")
    p.set_defaults(func=cmd_portfolio)


_EXTRA_COMMANDS.append(_portfolio_command)


# --- report ------------------------------------------------------------------------------------

def cmd_report(args: argparse.Namespace) -> int:
    import pandas as pd

    from healthcheck.core.assess import Assessment, iter_assessments
    from healthcheck.core.questionnaire import find_questionnaire, load_questionnaire
    from healthcheck.core.responses import read_responses
    from healthcheck.core.rules import load_rules
    from healthcheck.present.report import low_score_comments, report_bytes, slug

    out = Path(args.output)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("pdf", "md"):
        print(f"healthcheck report: error: -o {args.output}: the report file must end in .pdf or .md",
              file=sys.stderr)
        return 2
    q = load_questionnaire(find_questionnaire(args.questionnaire))
    pack = load_rules(args.rules)
    problems: list[Problem] = []
    tables: dict[str, pd.DataFrame] = {}
    for key, source in (("now", args.responses), ("before", args.previous)):
        if source is None:
            continue
        try:
            tables[key] = read_responses(Path(source), q, progress=_progress("reading"))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    df = tables["now"]
    before: dict[str, Assessment] = {}
    if "before" in tables:
        before = {a.partnership: a for a in iter_assessments(q, tables["before"], pack, args.threshold)}

    assessments = list(iter_assessments(q, df, pack, args.threshold, progress=_progress("assessing")))
    if args.partnership is not None:
        chosen = [a for a in assessments if a.partnership == args.partnership]
        if not chosen:
            held = ", ".join(f"'{a.partnership}'" for a in assessments) or "none"
            raise InputError([Problem(args.responses, f"no partnership named '{args.partnership}' "
                                                      f"(the file holds: {held})")])
        assessments = chosen
    if not assessments:
        raise InputError([Problem(args.responses, "the file holds no responses: nothing to report")])
    several = len(assessments) > 1
    if several:
        print(f"{args.responses} holds {len(assessments)} partnerships: writing one report each as "
              f"{out.stem}-<partnership>{out.suffix}", file=sys.stderr)
    round_label = args.round or Path(args.responses).name
    previous_label = Path(args.previous).name if args.previous else None
    used: set[str] = set()
    for a in assessments:
        previous = before.get(a.partnership)
        if previous is None and len(before) == 1 and len(assessments) == 1:
            previous = next(iter(before.values()))  # one partnership in each file: compare them
        if args.previous and previous is None:
            print(f"{args.previous}: no previous round of '{a.partnership}', so no change is shown",
                  file=sys.stderr)
        frame = (df[df["partnership"].fillna("").astype(str) == a.partnership] if "partnership" in df
                 else df)  # comments of this partnership only
        path = out
        if several:
            name = slug(a.partnership)
            stem, n = name, 2
            while name in used:
                name, n = f"{stem}-{n}", n + 1
            used.add(name)
            path = out.with_name(f"{out.stem}-{name}{out.suffix}")
        data = report_bytes(a, previous=previous, fmt=fmt, round_label=round_label,  # type: ignore[arg-type]
                            date=args.date, previous_label=previous_label,
                            comments=low_score_comments(frame, q, a.scores.threshold))
        try:
            path.write_bytes(data)
        except OSError as exc:
            problem = Problem(str(path), f"cannot write the report: {exc.strerror or exc}")
            raise InputError([problem]) from None
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _report_date(text: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError("the date must look like 2026-11-22") from None


def _report_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser("report", help="the partnership report (PDF or Markdown) to take to a board")
    r.add_argument("responses", help="responses CSV (one report per partnership it holds)")
    r.add_argument("-o", "--output", required=True,
                   help="report.pdf or report.md (several partnerships: report-<partnership>.pdf each)")
    r.add_argument("-q", "--questionnaire", default="core")
    r.add_argument("--rules", default=None, help="rules folder (default: the shipped rules)")
    r.add_argument("--threshold", type=_threshold, default=3,
                   help="smallest group shown in breakdowns (at least 3)")
    r.add_argument("--previous", default=None, help="the previous round's responses CSV, to show the change")
    r.add_argument("--partnership", default=None, help="report only this partnership of the file")
    r.add_argument("--round", default=None, help="round label for the cover (default: the file name)")
    r.add_argument("--date", type=_report_date, default=None,
                   help="date on the cover, YYYY-MM-DD (default: today)")
    r.set_defaults(func=cmd_report)


_EXTRA_COMMANDS.append(_report_command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
