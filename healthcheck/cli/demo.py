"""`healthcheck demo`: put the demo partnerships and a demo funder into the store, print their links."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from healthcheck.cli.arguments import DEFAULT_PORT, port
from healthcheck.core.publicurl import configured_public_url

if TYPE_CHECKING:
    from healthcheck.store import Store

DATABASE_URL_HELP = "database URL (default: HEALTHCHECK_DATABASE_URL, else a SQLite file in ./data)"


def open_store(url: str | None) -> Store:
    from healthcheck.store import Store

    return Store(url or None)


def print_demo_links(links: Sequence[tuple[str, str]], base: str,
                     funder: tuple[str, str] | None = None) -> None:
    for name, token in links:
        print(name)
        print(f"  admin link: {base.rstrip('/')}/?admin={token}")
    if funder is not None:
        name, token = funder
        print(f"{name} (sees the partnerships that shared a round with it)")
        print(f"  funder link: {base.rstrip('/')}/?funder={token}")


def base_url(port_number: int, address: str = "localhost", base_path: str = "") -> str:
    """Where the printed links point: HEALTHCHECK_PUBLIC_URL when set, else this machine."""
    stated = configured_public_url()
    if stated:
        return stated
    host = "localhost" if address in ("", "0.0.0.0", "::") else address
    host = f"[{host}]" if ":" in host else host
    path = f"/{base_path.strip('/')}" if base_path.strip("/") else ""
    return f"http://{host}:{port_number}{path}"


def cmd_demo(args: argparse.Namespace) -> int:
    from healthcheck.services.demo import load_demo_links

    with open_store(args.database_url) as store:
        links = load_demo_links(store)
        print(f"Demo partnerships are in {store.describe_location()}.", file=sys.stderr)
    print_demo_links(links.partnerships, base_url(args.port), (links.funder_name, links.funder_token))
    print("Each link is new: earlier demo links no longer work.", file=sys.stderr)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    d = sub.add_parser("demo", help="put the demo partnerships and a demo funder into the store and print "
                                         "their links")
    d.add_argument("--database-url", default=None, help=DATABASE_URL_HELP)
    d.add_argument("--port", type=port, default=DEFAULT_PORT, help="port used in the printed links")
    d.set_defaults(func=cmd_demo)
