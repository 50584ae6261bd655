"""A throwaway PostgreSQL server for tests.

If `HEALTHCHECK_TEST_PG_URL` is set, that server is used (it must allow CREATE DATABASE).
Otherwise Debian's server binaries (`/usr/lib/postgresql/*/bin`) start a private cluster in a
temporary folder on a free port, with durability switched off for speed. PostgreSQL refuses to
run as root, so as root the cluster belongs to the `postgres` user and its commands run through
`runuser`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

ENV_URL = "HEALTHCHECK_TEST_PG_URL"


class PgUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started."""


def find_bin_dir() -> Path | None:
    """The newest PostgreSQL server bin folder holding initdb and pg_ctl, or None."""

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit()) or (0,)

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _psycopg_conninfo(url: str) -> str:
    """psycopg takes libpq URLs; strip a SQLAlchemy driver suffix if present."""
    scheme, rest = url.split("://", 1)
    return "postgresql://" + rest if scheme.startswith("postgres") else url


@dataclass
class PgServer:
    """A running server. `url` points at its maintenance database `postgres`."""

    url: str
    owned: bool = False
    base_dir: Path | None = None
    bin_dir: Path | None = None
    as_user: str | None = None
    # A server that tests will `crash` must keep what it acknowledged: with synchronous_commit
    # off, the last commits before an immediate stop can vanish, as they would not on a real one.
    durable: bool = False
    _databases: list[str] = field(default_factory=list)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert self.bin_dir is not None
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, cwd=self.base_dir, capture_output=True, text=True, timeout=120)

    def admin_connect(self) -> psycopg.Connection:
        return psycopg.connect(_psycopg_conninfo(self.url), autocommit=True, connect_timeout=10)

    def create_database(self, prefix: str = "hc_test") -> str:
        """Create a fresh empty database; returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.admin_connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        self._databases.append(name)
        base, _, _ = self.url.rpartition("/")
        return f"{base}/{name}"

    def drop_database(self, url: str) -> None:
        name = url.rpartition("/")[2].split("?")[0]
        with self.admin_connect() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        with contextlib.suppress(ValueError):
            self._databases.remove(name)

    def start(self, port: int) -> subprocess.CompletedProcess[str]:
        """Start this (owned) server's cluster on `port`; also used to bring it back after `crash`."""
        assert self.base_dir is not None
        sync = "on" if self.durable else "off"
        opts = (f"-p {port} -k {self.base_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit={sync} -c full_page_writes=off -c max_connections=200")
        return self._run("pg_ctl", "-D", str(self.base_dir / "data"), "-o", opts,
                         "-l", str(self.base_dir / "log"), "-w", "-t", "60", "start")

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    def crash(self) -> None:
        """Stop the server the hard way (`-m immediate`, as in a power cut): an outage for the app."""
        assert self.owned and self.durable and self.base_dir is not None
        done = self._run("pg_ctl", "-D", str(self.base_dir / "data"), "-m", "immediate", "-w", "stop")
        assert done.returncode == 0, done.stderr or done.stdout

    def start_again(self) -> None:
        """Back after `crash`, on the same port, so clients' URLs work again."""
        done = self.start(self.port)
        assert done.returncode == 0, done.stderr or done.stdout

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Return once the server accepts connections (after `start_again`, recovery may run)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.admin_connect() as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, "the server did not come back"
                time.sleep(0.1)  # poll interval of a wait on a condition

    def stop(self) -> None:
        if not self.owned:
            for name in list(self._databases):
                with contextlib.suppress(Exception):
                    self.drop_database(f"{self.url.rpartition('/')[0]}/{name}")
            return
        assert self.base_dir is not None
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.base_dir / "data"), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.base_dir, ignore_errors=True)


def start_server(durable: bool = False) -> PgServer:
    """Use `HEALTHCHECK_TEST_PG_URL` or start a private server. Raises PgUnavailable.
    `durable` keeps every acknowledged commit through `crash` (slower; for outage tests)."""
    env_url = os.environ.get(ENV_URL, "").strip()
    if env_url:
        server = PgServer(url=env_url)
        try:
            server.admin_connect().close()
        except Exception as exc:
            raise PgUnavailable(f"cannot connect to {ENV_URL}: {exc}") from exc
        return server

    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PgUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; "
                            "install Debian's 'postgresql' package or set " + ENV_URL)
    as_user: str | None = None
    base_dir = Path(tempfile.mkdtemp(prefix="hc-pg-"))
    if os.geteuid() == 0:
        as_user = "postgres"
        try:
            pw = pwd.getpwnam(as_user)
        except KeyError as exc:
            shutil.rmtree(base_dir, ignore_errors=True)
            raise PgUnavailable("running as root but there is no 'postgres' user to run the server") from exc
        os.chown(base_dir, pw.pw_uid, pw.pw_gid)
        base_dir.chmod(0o700)

    server = PgServer(url="", owned=True, base_dir=base_dir, bin_dir=bin_dir, as_user=as_user,
                      durable=durable)
    data = str(base_dir / "data")
    done = server._run("initdb", "-D", data, "-A", "trust", "-U", "hc", "-E", "UTF8", "--no-sync",
                       "--locale=C")
    if done.returncode != 0:
        shutil.rmtree(base_dir, ignore_errors=True)
        raise PgUnavailable(f"initdb failed: {done.stderr or done.stdout}")
    last_error = ""
    for _attempt in range(3):  # the free port can be taken between choosing and binding
        port = _free_port()
        done = server.start(port)
        if done.returncode == 0:
            server.url = f"postgresql://hc@127.0.0.1:{port}/postgres"
            return server
        last_error = done.stderr or done.stdout
        with contextlib.suppress(OSError):
            last_error += "\n" + (base_dir / "log").read_text()[-2000:]
    server.stop()
    raise PgUnavailable(f"pg_ctl start failed: {last_error}")
