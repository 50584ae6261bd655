"""`healthcheck serve`: start the app (Streamlit), optionally with the demo loaded first."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from healthcheck.cli.arguments import DEFAULT_PORT, base_path, port
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
    public = base_url(args.port, args.address or "localhost", args.base_path)
    if args.demo:
        with open_store(args.database_url) as store:
            if only_demo_in(store):
                links = load_demo_links(store)
                print_demo_links(links.partnerships, public, (links.funder_name, links.funder_token))
            else:
                print("The store already holds partnerships, so the demo was not loaded.", file=sys.stderr)
    _purge(args.database_url)
    app = app_path()
    command = streamlit_command(args)
    print(f"Starting the app on {public} (stop with Ctrl+C)", file=sys.stderr, flush=True)
    cwd = str(app.parent if app.name == "app.py" else Path.cwd())
    if os.name == "posix":
        # Become the server: a service manager's (or a test's) signals then reach it directly, and
        # stopping this process cannot leave an orphaned server behind.
        sys.stdout.flush()
        os.chdir(cwd)
        os.execve(sys.executable, command, env)
    return subprocess.call(command, env=env, cwd=cwd)


def streamlit_command(args: argparse.Namespace) -> list[str]:
    """The `streamlit run` command line for these settings (the rest come from .streamlit/config.toml
    or STREAMLIT_* variables, for example the XSRF and upload settings in docs/deploy.md)."""
    command = [sys.executable, "-m", "streamlit", "run", str(serving_path()),
               "--server.headless", "true", "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false",
               "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
               # production: nothing watches the source for changes (a rerun on save is for development)
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    if args.address:
        command += ["--server.address", args.address]
    if args.base_path:
        command += ["--server.baseUrlPath", args.base_path]
    return command


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
    v.add_argument("--address", default=None,
                   help="address to listen on (default: every interface; 127.0.0.1 behind a proxy on the "
                        "same machine)")
    v.add_argument("--port", type=port, default=DEFAULT_PORT,
                   help=f"port to listen on (default {DEFAULT_PORT})")
    v.add_argument("--base-path", type=base_path, default="",
                   help="path the app is served under behind a proxy, e.g. 'healthcheck' for "
                        "https://example.org/healthcheck/ (Streamlit's server.baseUrlPath)")
    v.add_argument("--demo", action="store_true",
                   help="load the demo partnerships and funder first (when the store holds no other "
                        "partnerships) and print their links")
    v.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    v.set_defaults(func=cmd_serve)
