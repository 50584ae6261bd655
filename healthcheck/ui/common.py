"""Shared bits of the Streamlit pages: the store, cached core objects, links, safe text.

Pages stay thin: they read from the store, call the core and lay out the result. Everything a
user or respondent typed is shown through `plain()` (markdown and HTML escaped) or `st.text`,
never with `unsafe_allow_html`.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st

try:  # Streamlit's own Arrow encoder: lets cached chart specs skip re-encoding on every rerun
    from streamlit.dataframe_util import convert_anything_to_arrow_bytes as _to_arrow
except ImportError:  # pragma: no cover - a Streamlit without it: send plain values
    _to_arrow = None

from healthcheck.core.errors import InputError
from healthcheck.core.pagetext import PAGE_TEXT
from healthcheck.core.publicurl import configured_public_url
from healthcheck.core.questionnaire import Questionnaire, find_questionnaire, load_questionnaire
from healthcheck.core.rules import RulePack, load_rules
from healthcheck.core.text import without_bidi
from healthcheck.present import charts
from healthcheck.services.holdings import downloaded
from healthcheck.services.results import RoundData, round_results
from healthcheck.store import PartnershipInfo, RoundInfo, Store, default_url

DEFAULT_BASE_URL = "http://localhost:8501"
# url_path of every page: stripped from st.context.url to find the app's root address.
PAGE_PATHS = ("start", "rules", "dashboard", "rounds", "teams", "actions", "exports", "data", "privacy",
              "audit", "answer", "portfolio")
KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")
SAFE_ERROR = ("Something went wrong on our side and this page could not be shown. Your data are "
              "safe. Please reload the page; if it happens again, tell the person who runs the "
              "health check.")
# An outage (database server stopped, restarting or unreachable; SQLite file busy or missing):
# nothing is wrong with the page, so say so plainly. The Streamlit session, and so what the
# visitor typed, survives; once the database is back the same click works (submissions are
# idempotent per key).
DB_UNAVAILABLE = PAGE_TEXT["outage"]  # the same words on every page; respondents may read them translated

# Connection-level failures by SQLSTATE class: 08 connection exception, 57P admin/crash shutdown or
# "cannot connect now" (starting up), 53 insufficient resources (e.g. too many connections).
_OUTAGE_SQLSTATES = ("08", "57P", "53")
_SQLITE_OUTAGE = ("database is locked", "database is busy", "unable to open database", "disk i/o error")


def is_outage(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says the database cannot be reached right now, as
    opposed to a bug: worth a "try again in a minute", not "something went wrong"."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PoolTimeout):  # every pooled connection busy
            return True
        if isinstance(current, DBAPIError):
            if current.connection_invalidated:
                return True
            orig = current.orig
            sqlstate = getattr(orig, "sqlstate", None)
            if isinstance(sqlstate, str) and sqlstate.startswith(_OUTAGE_SQLSTATES):
                return True
            module = type(orig).__module__
            if module.startswith("psycopg") and sqlstate is None and type(orig).__name__ in (
                    "OperationalError", "InterfaceError"):
                return True  # refused, reset or closed before the server said anything
            if module.startswith("sqlite3") and any(m in str(orig).lower() for m in _SQLITE_OUTAGE):
                return True
        current = current.__cause__ or current.__context__
    return False


def outage_summary(exc: BaseException) -> str:
    """One line for the log: the driver's error type and first line only (no SQL, no parameters)."""
    from sqlalchemy.exc import DBAPIError

    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    first = (str(inner).strip().splitlines() or [""])[0]
    return f"{type(inner).__name__}: {first[:200]}"


def show_failure(exc: Exception, what: str, logger: logging.Logger) -> None:
    """The error boundary's answer to an unexpected exception: logged, and a plain message on the
    page. An outage is not a bug, so it gets its own message and no traceback in the log (the
    cause is outside the app)."""
    if is_outage(exc):
        logger.warning("%s: database unreachable (%s)", what, outage_summary(exc))
        st.error(DB_UNAVAILABLE)
    else:
        logger.exception(what)
        st.error(SAFE_ERROR)


# --------------------------------------------------------------------------------------------
# Cached core objects (one per process)


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


def get_store() -> Store:
    """The process-wide store for HEALTHCHECK_DATABASE_URL (or the default SQLite file)."""
    return _store(default_url())


@st.cache_resource(show_spinner=False)
def get_questionnaire(questionnaire_id: str) -> Questionnaire:
    return load_questionnaire(find_questionnaire(questionnaire_id))


@st.cache_resource(show_spinner=False)
def get_rules() -> RulePack:
    return load_rules()


QUESTIONNAIRE_CHOICES: dict[str, str] = {
    "core": "Full health check (about 15 minutes)",
    "pulse": "Pulse check (about 5 minutes, for a live workshop)",
}

# --------------------------------------------------------------------------------------------
# Safe text

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~:$])")
# Streamlit's Markdown turns some plain text into links, images or icons after escapes are read
# (GFM autolinks: http://, www., e-mail addresses; emoji shortcodes; :material/...: icons), so
# escaping cannot stop them. An invisible word joiner inside each breaks the pattern and leaves
# the text reading as typed.
JOINER = "\u2060"
_AUTO = (
    (re.compile(r"://"), ":" + JOINER + "//"),  # http://host
    (re.compile(r"\b(www)\.", re.IGNORECASE), r"\1" + JOINER + "."),  # www.host
    (re.compile(r"@(?=[-\w])"), "@" + JOINER),  # name@host
    (re.compile(r"(:[\w/+-]+)(?=:)"), r"\1" + JOINER),  # :smile: and :material/home:
)


def plain(text: object, *, markdown: bool = True) -> str:
    """`text` from a user or a file, safe to show: bidirectional controls removed and, where
    Streamlit renders Markdown (markdown, captions, alerts, every widget label, tab and expander
    labels, radio options, help), escaped so it shows literally: no Markdown, HTML, LaTeX,
    directives (`:red[...]`), emoji shortcodes, icons or automatic links.

    `markdown=False` for places that show text as it is (st.text, st.code, select options,
    table cells): only the bidirectional controls go."""
    s = "" if text is None else without_bidi(str(text))
    if not markdown:
        return s
    for pattern, broken in _AUTO:
        s = pattern.sub(broken, s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # Line breaks stay line breaks; no block structure (lists, headings, code) can start.
    return "  \n".join(line.strip() for line in s.splitlines())


PURGED_NOTE = ("This round's individual answers and comments were deleted at the end of the partnership's "
               "retention period (set on the Data page). Its results, as they were shown, are kept.")


def fewer_than(threshold: int) -> str:
    return f"fewer than {threshold} responses"


def release_note(data: RoundData, threshold: int) -> str | None:
    """Why the figures leave out answers already sent (they move only in steps: services.results)."""
    if data.assessment is None and data.received:
        waiting = threshold - data.received
        when = (f"when {_more(waiting)} answered" if waiting > 0
                else f"when every area has either none or at least {threshold} answers")
        return (f"Results appear {when} (at least {threshold} in all), and then move only in steps of "
                f"{threshold} or more answers, so nobody's answers can be picked out.")
    if data.held_back:
        waiting = threshold - data.held_back
        when = (f"when {_more(waiting)} answered" if waiting > 0
                else f"when every area has either none or at least {threshold} of the new answers")
        return (f"{data.held_back} answer(s) sent since the last update are not in these figures yet. "
                f"Results update {when} (at least {threshold} new answers, and every area either none "
                f"or {threshold} of them), so nobody's answers can be worked out by comparing two looks.")
    return None


def _more(n: int) -> str:
    return "1 more person has" if n == 1 else f"{n} more people have"


def count_text(n: int, threshold: int) -> str:
    """A response count as shown to admins: exact at or above the threshold."""
    if n <= 0:
        return "no responses yet"
    if n < threshold:
        return fewer_than(threshold)
    return f"{n} responses"


def show_problems(exc: InputError) -> None:
    st.error("\n\n".join(plain(p.message) for p in exc.problems) or "Please check what you entered.")


# --------------------------------------------------------------------------------------------
# Links


def base_url() -> str:
    """The app's root address: HEALTHCHECK_PUBLIC_URL when the deployer states it (behind a proxy
    the app cannot see the scheme or path people use), else the browser's own (st.context.url),
    else this machine's default."""
    stated = configured_public_url()
    if stated:
        return stated
    url = ""
    try:
        url = st.context.url or ""
    except Exception:  # noqa: BLE001 - not in a browser session (tests, bare mode)
        url = ""
    if url.startswith(("http://", "https://")):
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments and segments[-1] in PAGE_PATHS:
            segments = segments[:-1]
        path = "/" + "/".join(segments) if segments else ""
        return urlunsplit((parts.scheme, parts.netloc, path, "", "")).rstrip("/")
    return DEFAULT_BASE_URL


def admin_link(token: str) -> str:
    return f"{base_url()}/?admin={token}"


def respondent_link(token: str) -> str:
    return f"{base_url()}/?r={token}"


def invitation_link(token: str) -> str:
    return f"{base_url()}/?invite={token}"


# --------------------------------------------------------------------------------------------
# Admin context (set by the router for every admin page run)


@dataclass(frozen=True)
class AdminContext:
    partnership: PartnershipInfo
    token: str

    @property
    def store(self) -> Store:
        return get_store()

    @property
    def questionnaire(self) -> Questionnaire:
        return get_questionnaire(self.partnership.questionnaire_id)


def round_label(r: RoundInfo) -> str:
    state = "open" if r.is_open else "closed"
    return f"{r.label} ({state}, opened {r.opened_at:%d %b %Y})"


def pick_round(ctx: AdminContext, key: str, label: str = "Round") -> RoundInfo | None:
    """A round selector (newest first, newest by default); None when there are no rounds."""
    rounds = list(reversed(ctx.store.rounds(ctx.partnership.id)))
    if not rounds:
        return None
    by_id = {r.id: r for r in rounds}
    chosen = st.selectbox(label, list(by_id), key=key,
                          format_func=lambda rid: plain(round_label(by_id[rid]), markdown=False))
    return by_id.get(chosen, rounds[0])


def questionnaire_for_round(r: RoundInfo) -> Questionnaire:
    return get_questionnaire(r.questionnaire_id)


# --------------------------------------------------------------------------------------------
# Assessments (cached per round and number of responses: responses are never edited)


_ASSESS_CACHE_SIZE = 16


@st.cache_resource(show_spinner=False)
def _assessment_cache() -> dict[tuple[Any, ...], RoundData]:
    return {}


def round_data(ctx: AdminContext, r: RoundInfo) -> RoundData:
    """Records, canonical table and assessment of a round (None when nobody answered)."""
    store = ctx.store
    counts = store.response_counts(r.id)
    q = questionnaire_for_round(r)
    pack = get_rules()
    key = (str(store.url), r.id, sum(counts.values()), ctx.partnership.threshold, ctx.partnership.name,
           q.id, q.version, pack.digest, r.small_groups)
    cache = _assessment_cache()
    hit = cache.get(key)
    if hit is not None:
        return hit
    data = round_results(store, r.id, q, pack, ctx.partnership.threshold, ctx.partnership.name, key)
    if len(cache) >= _ASSESS_CACHE_SIZE:
        cache.pop(next(iter(cache)))
    cache[key] = data
    return data


# --------------------------------------------------------------------------------------------
# Charts


_SPEC_CACHE_SIZE = 64


@st.cache_resource(show_spinner=False)
def _spec_cache() -> dict[tuple[Any, ...], dict[str, Any]]:
    return {}


def chart_spec(cache_key: tuple[Any, ...], build: Callable[[], Any]) -> dict[str, Any]:
    """The Vega-Lite spec of an Altair chart, built once per `cache_key`.

    Building an Altair chart and validating it against the Vega-Lite schema takes most of a
    dashboard rerun (about 0.3 s per chart); the spec of the same data never changes, so it is
    made once (without re-validation: charts.py is tested) and reused on every rerun."""
    cache = _spec_cache()
    spec = cache.get(cache_key)
    if spec is None:
        spec = _fitted(build().to_dict(validate=False))
        # Datasets as Arrow bytes, the form Streamlit sends them in (it skips converting bytes).
        if _to_arrow is not None and spec.get("datasets"):
            spec["datasets"] = {name: _to_arrow(pd.DataFrame(values))
                                for name, values in spec["datasets"].items()}
        if len(cache) >= _SPEC_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[cache_key] = spec
    return spec


def _fitted(spec: dict[str, Any]) -> dict[str, Any]:
    """A chart's spec made to fit the page's width (a phone included), remembering its own width."""
    fitted = charts.fit_width(spec)
    fitted["usermeta"] = {**fitted.get("usermeta", {}), "natural_width": charts.natural_width(spec)}
    return fitted


def chart_with_table(chart: Any, table: pd.DataFrame | None, key: str, *, summary: str,
                     caption: str | None = None) -> None:
    """A chart that fits the page's width, its text alternative, and the same numbers in a
    'Show as table' expander.

    `chart` is an Altair chart or a cached Vega-Lite spec from `chart_spec` (drawn by the same
    front-end component as st.altair_chart). `summary` is the chart's one-sentence summary
    (`healthcheck.summaries`): shown as text under the chart and given to screen readers as the
    chart's own description."""
    spec = chart if isinstance(chart, dict) else _fitted(chart.to_dict(validate=False))
    width = int(spec.get("usermeta", {}).get("natural_width", 760))
    st.vega_lite_chart(spec, width=width, key=key, alt=summary)
    st.markdown(plain(summary))
    if caption:
        st.caption(caption)
    if table is not None:
        with st.expander("Show as table"):
            st.dataframe(table, hide_index=True)


def recorded(data: bytes | Callable[[], bytes], partnership_ids: Any, by: str,
             what: str) -> Callable[[], bytes]:
    """A download button's data that, when the file is taken (Streamlit calls it on the click),
    records the download in each partnership's audit log. `by`: the kind of link (AUDIT_ACTORS)."""
    store = get_store()
    ids = [partnership_ids] if isinstance(partnership_ids, int) else list(dict.fromkeys(partnership_ids))

    def take() -> bytes:
        content = data() if callable(data) else data
        for pid in ids:
            downloaded(store, pid, by, what)
        return content

    return take


def submission_key(state_key: str) -> str:
    """The key of this page session's one submission, made on the server when the form starts and
    kept in the session, so a double click, a rerun or "Send" pressed again after a database outage
    stores the answers once. Never read from the address: a link someone forwarded (or copied from
    an address bar) must always let its holder answer. A `k` left in an old address is removed."""
    key = st.session_state.get(state_key)
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        key = uuid.uuid4().hex
        st.session_state[state_key] = key
    if "k" in st.query_params:
        del st.query_params["k"]
    return key


def new_submission_key(state_key: str) -> None:
    """After a successful Send: the next form of this session (if the page offers one) gets a new key."""
    st.session_state.pop(state_key, None)
