"""`healthcheck serve`: start the app (Streamlit), optionally with the demo loaded first."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from healthcheck.cli.arguments import DEFAULT_PORT, port
from healthcheck.cli.demo import DATABASE_URL_HELP, base_url, open_store, print_demo_links


def app_path() -> Path:
    """The Streamlit entry script: app.py beside the package (a source checkout), else the
    copy inside the package (an installed wheel)."""
    here = Path(__file__).resolve().parent
    beside = here.parents[1] / "app.py"
    return beside if beside.exists() else here.parent / "ui" / "entry.py"


def serving_path() -> Path:
    """What `streamlit run` is given: `healthcheck/ui/serving.py`, the app behind headers that
    refuse to let other sites frame it (X-Frame-Options, CSP frame-ancestors)."""
    return Path(__file__).resolve().parent.parent / "ui" / "serving.py"


def cmd_serve(args: argparse.Namespace) -> int:
    import subprocess

    from healthcheck.services.demo import load_demo_links, only_demo_in
    from healthcheck.store import default_url

    env = dict(os.environ)
    # The app runs from app.py's folder (so it finds .streamlit/config.toml): pin the database
    # now, so a default SQLite file under ./data means the folder `serve` was started in.
    env["HEALTHCHECK_DATABASE_URL"] = args.database_url or default_url()
    if args.demo:
        with open_store(args.database_url) as store:
            if only_demo_in(store):
                links = load_demo_links(store)
                print_demo_links(links.partnerships, base_url(args.port),
                                 (links.funder_name, links.funder_token))
            else:
                print("The store already holds partnerships, so the demo was not loaded.", file=sys.stderr)
    _purge(args.database_url)
    app = app_path()
    command = [sys.executable, "-m", "streamlit", "run", str(serving_path()),
               "--server.headless", "true", "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false",
               "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal"]
    print(f"Starting the app on http://localhost:{args.port} (stop with Ctrl+C)", file=sys.stderr, flush=True)
    return subprocess.call(command, env=env, cwd=str(app.parent if app.name == "app.py" else Path.cwd()))


def _purge(url: str | None) -> None:
    """Retention at start: rounds past their period lose their answers before anyone looks. A
    database that cannot be reached now must not stop the app (its pages say so, and the app
    tries again when it starts its first page)."""
    from healthcheck.services.retention import purge

    try:
        with open_store(url) as store:
            for purged in purge(store):
                print(f"retention: {purged.describe()}", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001 - report and start anyway
        print(f"retention: not run now ({type(exc).__name__}); the app runs it when it starts",
              file=sys.stderr)


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    v = sub.add_parser("serve", help="start the app (Streamlit)")
    v.add_argument("--port", type=port, default=DEFAULT_PORT)
    v.add_argument("--demo", action="store_true",
                   help="load the demo partnerships and funder first (when the store holds no other "
                        "partnerships) and print their links")
    v.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    v.set_defaults(func=cmd_serve)
