"""A small deployment for tests: `healthcheck serve` processes behind Debian's nginx.

The nginx site is deploy/nginx-site.conf.template itself (its ${HC_...} placeholders filled in
as envsubst would), inside a minimal main configuration that keeps every file in a temporary
folder. Without nginx the tests are skipped locally and fail in CI (like chromium).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .browser import free_port, unavailable

ROOT = Path(__file__).resolve().parent.parent
SITE_TEMPLATE = ROOT / "deploy" / "nginx-site.conf.template"
ENV_FILE = ROOT / "deploy" / "healthcheck.env"
_PLACEHOLDER = re.compile(r"\$\{(HC_[A-Z0-9_]+)\}")

MAIN_CONF = """\
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    include {dir}/site.conf;
}}
"""


def nginx_path() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not path:
        unavailable("nginx is not installed (apt-get install -y nginx-light, or nginx)")
    return str(path)


def render_site(values: dict[str, str], template: Path = SITE_TEMPLATE) -> str:
    """The site file with its placeholders filled in (every placeholder must have a value)."""
    text = template.read_text(encoding="utf-8")
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
    assert not missing, f"no value for {missing}"
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def get(url: str, cookie: str | None = None, timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    """A plain GET: (status, headers, body); HTTP errors are answers too."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def wait_until(check, timeout: float, what: str, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Poll `check()` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OSError):
            value = check()
            if value:
                return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)  # the poll interval of a wait on a condition


def env_file_settings(path: Path = ENV_FILE) -> dict[str, str]:
    """The settings of deploy/healthcheck.env that are switched on (not commented out)."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            out[name.strip()] = value.strip()
    return out


@dataclass
class AppProcess:
    """One `healthcheck serve` process (the command a deployer runs), its log in a file."""

    name: str
    port: int
    db_url: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    _log: object = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Streamlit's settings as the deployment guide's environment file gives them; the database
        # and the instance name are this test's own
        streamlit = {k: v for k, v in env_file_settings().items() if k.startswith("STREAMLIT_")}
        env = dict(os.environ, **streamlit, HEALTHCHECK_DATABASE_URL=self.db_url,
                   HEALTHCHECK_INSTANCE=self.name, PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
        for name in ("HEALTHCHECK_BASE_URL", "HEALTHCHECK_PUBLIC_URL"):
            env.pop(name, None)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "healthcheck.cli", "serve", "--address", "127.0.0.1",
             "--port", str(self.port)],
            cwd=str(ROOT), env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        def ready() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log_text()
            status, _, body = get(f"{self.base}/healthz/ready", timeout=2)
            return status == 200 and json.loads(body)["instance"] == self.name
        wait_until(ready, timeout, f"{self.name} to be ready")

    def kill(self) -> None:
        """The hard way (SIGKILL, as when a machine dies): no clean shutdown at all."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()  # type: ignore[attr-defined]
            self._log = None

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Nginx:
    """Debian's nginx running the deploy/ site in front of `apps`."""

    folder: Path
    apps: list[AppProcess]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"

    def start(self) -> None:
        binary = nginx_path()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        values = {"HC_LISTEN": f"127.0.0.1:{self.port}", "HC_SERVER_NAME": "localhost",
                  "HC_ACCESS_LOG": str(self.access_log)}
        values.update({f"HC_APP_{i}": f"127.0.0.1:{app.port}" for i, app in enumerate(self.apps, start=1)})
        (self.folder / "site.conf").write_text(render_site(values), encoding="utf-8")
        (self.folder / "nginx.conf").write_text(MAIN_CONF.format(dir=self.folder), encoding="utf-8")
        conf = str(self.folder / "nginx.conf")
        checked = subprocess.run([binary, "-t", "-p", str(self.folder), "-c", conf],
                                 capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        self.proc = subprocess.Popen([binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: get(f"{self.base}/healthz/ready", timeout=2)[0] == 200, 20, "nginx")

    def instance_for(self, route: str) -> str:
        """Which process nginx sends a browser with this `hc_route` cookie to."""
        status, _, body = get(f"{self.base}/healthz/ready", cookie=f"hc_route={route}")
        assert status == 200, body
        return str(json.loads(body)["instance"])

    def route_to(self, instance: str) -> str:
        """A cookie value that nginx's hash sends to `instance`."""
        for n in range(200):
            if self.instance_for(f"route-{n}") == instance:
                return f"route-{n}"
        raise AssertionError(f"no route found to {instance}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
