"""Production settings: the deployment guide's files, `serve` flags, readiness, one-line logs.

The multi-process run itself is tests/test_multiprocess.py; these are the quick checks.
"""

from __future__ import annotations

import asyncio
import io
import logging
import shlex
from pathlib import Path
from typing import Any

import pytest

from healthcheck.cli.demo import base_url
from healthcheck.cli.parser import build_parser
from healthcheck.cli.serve import streamlit_command
from healthcheck.core.publicurl import configured_public_url
from healthcheck.store import Store
from healthcheck.ui import logsetup
from healthcheck.ui.readiness import Readiness

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "deploy"


# ----------------------------------------------------------------------------- the guide's files


@pytest.mark.parametrize("name", sorted(p.name for p in DEPLOY.iterdir() if p.is_file()))
def test_the_guide_shows_each_deploy_file_as_it_is(name: str) -> None:
    """Every file in deploy/ appears in docs/deploy.md verbatim (so the guide never drifts from
    what the tests run), and the guide links it."""
    guide = GUIDE.read_text(encoding="utf-8")
    body = (DEPLOY / name).read_text(encoding="utf-8")
    assert body in guide, f"docs/deploy.md does not include deploy/{name} as it is"
    assert f"(../deploy/{name})" in guide


def test_the_unit_starts_serve_with_flags_the_command_accepts() -> None:
    unit = (DEPLOY / "healthcheck@.service").read_text(encoding="utf-8")
    start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    words = shlex.split(start.removeprefix("ExecStart=").replace("%i", "8502"))
    assert Path(words[0]).name == "healthcheck"
    args = build_parser().parse_args(words[1:])
    assert args.func.__name__ == "cmd_serve" and args.port == 8502
    assert args.address == "127.0.0.1"
    assert "--server.address" in streamlit_command(args)


def test_the_environment_file_names_only_settings_the_app_reads() -> None:
    from .cluster import env_file_settings

    settings = env_file_settings()
    known = {"HEALTHCHECK_PUBLIC_URL", "HEALTHCHECK_DATA_DIR", "HEALTHCHECK_DATABASE_URL",
             "STREAMLIT_SERVER_ENABLE_XSRF_PROTECTION", "STREAMLIT_SERVER_MAX_UPLOAD_SIZE"}
    assert set(settings) <= known, set(settings) - known
    # the upload limit is the one the app's config states, and under nginx's body limit
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert f"maxUploadSize = {settings['STREAMLIT_SERVER_MAX_UPLOAD_SIZE']}" in config
    site = (DEPLOY / "nginx-site.conf.template").read_text(encoding="utf-8")
    assert "client_max_body_size 55m;" in site and int(settings["STREAMLIT_SERVER_MAX_UPLOAD_SIZE"]) < 55


# ----------------------------------------------------------------------------- serve flags and links


def test_serve_flags_reach_streamlit() -> None:
    args = build_parser().parse_args(["serve", "--address", "127.0.0.1", "--port", "8600",
                                      "--base-path", "/tools/healthcheck/"])
    command = streamlit_command(args)
    pairs = dict(zip(command, command[1:], strict=False))
    assert pairs["--server.address"] == "127.0.0.1"
    assert pairs["--server.port"] == "8600"
    assert pairs["--server.baseUrlPath"] == "tools/healthcheck"
    plain = streamlit_command(build_parser().parse_args(["serve"]))
    assert "--server.address" not in plain and "--server.baseUrlPath" not in plain


@pytest.mark.parametrize("bad", ["a b", "../x", "x//y", "<script>", "q?x=1"])
def test_a_bad_base_path_is_a_usage_error(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["serve", "--base-path", bad])
    assert exc.value.code == 2
    assert "base path" in capsys.readouterr().err


def test_printed_links_use_the_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEALTHCHECK_PUBLIC_URL", raising=False)
    monkeypatch.delenv("HEALTHCHECK_BASE_URL", raising=False)
    assert configured_public_url() is None
    assert base_url(8600, "127.0.0.1", "tools/hc") == "http://127.0.0.1:8600/tools/hc"
    assert base_url(8501) == "http://localhost:8501"
    monkeypatch.setenv("HEALTHCHECK_BASE_URL", "https://old.example.org/")
    assert base_url(8501) == "https://old.example.org"
    monkeypatch.setenv("HEALTHCHECK_PUBLIC_URL", "https://hc.example.org/tools/hc/")
    assert base_url(8600, "127.0.0.1", "tools/hc") == "https://hc.example.org/tools/hc"


def test_pages_show_links_with_the_public_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from healthcheck.ui import common

    monkeypatch.setenv("HEALTHCHECK_PUBLIC_URL", "https://hc.example.org/hc")
    assert common.admin_link("TOKEN") == "https://hc.example.org/hc/?admin=TOKEN"
    monkeypatch.delenv("HEALTHCHECK_PUBLIC_URL")
    monkeypatch.delenv("HEALTHCHECK_BASE_URL", raising=False)
    assert common.admin_link("TOKEN") == f"{common.DEFAULT_BASE_URL}/?admin=TOKEN"


# ----------------------------------------------------------------------------- readiness


def _call(app: Any, path: str) -> tuple[int, bytes, bool]:
    """One HTTP request through an ASGI app: (status, body, whether the inner app was reached)."""
    sent: list[dict[str, Any]] = []
    reached: list[bool] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(inner)({"type": "http", "path": path, "method": "GET", "headers": []}, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, bool(reached)


def test_ready_only_while_the_database_answers(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCHECK_INSTANCE", "web1-8501")
    Store(db_url).close()
    status, body, reached = _call(lambda inner: Readiness(inner, url=lambda: db_url), "/healthz/ready")
    assert (status, reached) == (200, False)
    assert body == b'{"status": "ready", "instance": "web1-8501"}'
    # under a base path too; every other path goes on to the app
    assert _call(lambda inner: Readiness(inner, url=lambda: db_url), "/hc/healthz/ready")[0] == 200
    assert _call(lambda inner: Readiness(inner, url=lambda: db_url), "/")[2] is True


def test_not_ready_when_the_database_is_unreachable() -> None:
    from .browser import free_port

    gone = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"  # nothing listens there
    status, body, reached = _call(lambda inner: Readiness(inner, url=lambda: gone), "/healthz/ready")
    assert (status, reached) == (503, False)
    assert b"database unreachable" in body and b"nobody" not in body


# ----------------------------------------------------------------------------- logs


def _captured(emit: Any) -> list[str]:
    stream = io.StringIO()
    logger = logging.getLogger("healthcheck")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        logsetup.configure(stream)
        emit()
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved
        for name in ("uvicorn", "uvicorn.error"):
            logging.getLogger(name).handlers.clear()
    return stream.getvalue().splitlines()


def test_one_line_per_event_and_no_token_in_the_log() -> None:
    from healthcheck.store.tokens import new_token

    token = new_token()
    log = logging.getLogger("healthcheck.ui")

    def emit() -> None:
        logsetup.events().info("answers stored (round %d)", 7)
        try:
            raise RuntimeError(f"lookup failed for ?admin={token}&x=1\nsecond line {token}")
        except RuntimeError:
            log.exception("page failed")
        log.warning("joined with join=ABC234 and a hash %s", "a" * 20 + "0" * 44)

    lines = _captured(emit)
    assert len(lines) == 3, lines  # the traceback folded onto its event's line
    assert lines[0].endswith("INFO healthcheck.events answers stored (round 7)")
    assert "page failed" in lines[1] and "Traceback" in lines[1] and "RuntimeError" in lines[1]
    text = "\n".join(lines)
    assert token not in text and "ABC234" not in text and "0" * 44 not in text
    assert "[redacted]" in lines[1] and "join=[redacted]" in lines[2]


def test_redact_keeps_ordinary_words() -> None:
    line = "workshop answers stored (workshop 12) in healthcheck.ui.pages.workshop_join"
    assert logsetup.redact(line) == line
