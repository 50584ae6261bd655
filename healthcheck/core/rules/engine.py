"""The durable-rules adapter: compile a rule pack once, evaluate one assessment at a time.

durable-rules 2.0.28 is required by the design card but has traps (see ARCHITECTURE.md): the
stock Host leaks timer threads and C rulesets, loses results when a fact matches no rule,
swallows action errors, segfaults on fact-to-fact references and on deleting a session where no
action started, and caps live sessions at 1,024. So we bypass the Host and call the engine's C
functions directly:

- one flat fact per assessment holding only the values the pack reads (less JSON to encode and
  for the engine to parse: most of the speed-up over the stock path);
- no fact-to-fact references and no `$not`: `none` groups compile by negating comparisons, with
  `$nex` (attribute absent) keeping "a missing value is false" exact;
- a sentinel rule that matches every assessment fact, so every session starts at least one
  action (deleting a session is then safe); one fact per session (a separate sentinel fact cost
  about 8% more); a fresh sid per evaluation, deleted straight after, all under one lock;
- actions are never Python callbacks: we read only each fired rule's name from the message, so
  there is nothing for the engine to swallow; evidence is computed in Python afterwards.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections import OrderedDict

import durable_rules_engine as _c
import orjson

from healthcheck.core.rules.compile import SENTINEL, compile_pack
from healthcheck.core.rules.model import (
    FACT_FIELD,
    Condition,
    Evidence,
    Facts,
    Finding,
    Leaf,
    Rule,
    RulePack,
    leaves,
    share_value,
)
from healthcheck.core.rules.rank import grouped, ranked

# Evidence and Finding live with the other rule models; callers have long imported them from here.
__all__ = ["Engine", "EngineError", "Evidence", "Finding", "compile_pack", "evidence_for", "get_engine",
           "holds", "run_examples"]


class EngineError(RuntimeError):
    """The rule engine failed on a valid pack: a bug or an engine limit, never the user's input."""


def evidence_for(cond: Condition, facts: Facts) -> list[Evidence]:
    """The leaf conditions that made a (held) condition hold, with their values."""
    if isinstance(cond, Leaf):
        return [Evidence(cond.kind, cond.subject, facts.value(cond), cond.op, cond.threshold, cond.choices)]
    out: list[Evidence] = []
    if cond.mode == "none":
        for leaf in leaves(cond):
            out.append(Evidence(leaf.kind, leaf.subject, facts.value(leaf), f"not {leaf.op}",
                                leaf.threshold, leaf.choices))
        return out
    for part in cond.parts:
        if holds(part, facts):
            out.extend(evidence_for(part, facts))
    return out


def holds(cond: Condition, facts: Facts) -> bool:
    """Plain-Python truth of a condition; used for evidence only (the engine decides firing)."""
    if isinstance(cond, Leaf):
        return cond.holds(facts.value(cond))
    results = (holds(p, facts) for p in cond.parts)
    if cond.mode == "all":
        return all(results)
    if cond.mode == "any":
        return any(results)
    return not any(results)


# --- evaluating ------------------------------------------------------------------------------

class Engine:
    """One compiled pack in the C engine. Thread-safe; call `close()` (or let the cache) to free it."""

    _names = itertools.count(1)

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self._rules = pack.by_id
        # Each distinct value the pack reads, grouped by where it lives in Facts, so building the
        # flat fact is a few dict lookups per value (this, not the C engine, was the hot spot).
        distinct = {leaf.key: leaf for rule in pack.rules for leaf in leaves(rule.when)}
        short = pack.value_names
        self._plain: dict[str, list[tuple[str, str]]] = {}
        self._shares: list[tuple[str, str, tuple[str, ...]]] = []
        self._count_key: str | None = None
        for key, leaf in distinct.items():
            if leaf.kind == "answer":
                self._shares.append((short[key], leaf.subject, leaf.choices))
            elif leaf.kind == "respondents":
                self._count_key = short[key]
            else:
                self._plain.setdefault(FACT_FIELD[leaf.kind], []).append((short[key], leaf.subject))
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._name = f"hc_{pack.digest}_{next(self._names)}"
        try:
            self._handle: int | None = _c.create_ruleset(self._name, json.dumps(compile_pack(pack)))
        except Exception as exc:  # the C engine raises bare Exceptions with an error code
            raise EngineError(f"the rule engine refused the compiled rule pack: {exc}") from exc

    def flat_fact(self, facts: Facts) -> dict[str, float]:
        """Only the values the pack reads; a missing value is left out (so its leaf is false)."""
        out: dict[str, float] = {}
        for field, pairs in self._plain.items():
            table = getattr(facts, field)
            for key, subject in pairs:
                v = table.get(subject)
                if v is not None:
                    out[key] = v
        answers = facts.answers
        for key, item, choices in self._shares:
            share = share_value(answers.get(item), choices)
            if share is not None:
                out[key] = share
        if self._count_key is not None and facts.respondents is not None:
            out[self._count_key] = facts.respondents
        return out

    def fired(self, facts: Facts) -> list[str]:
        """Ids of the rules whose conditions hold, as decided by durable-rules."""
        flat = self.flat_fact(facts)
        with self._lock:
            if self._handle is None:
                raise EngineError("this rule engine has been closed")
            sid = str(next(self._sids))
            flat.update(sid=sid, id="a", t="hc")
            payload = orjson.dumps(flat).decode()
            try:
                result = _c.assert_fact(self._handle, payload)
            except Exception as exc:
                raise EngineError(f"the rule engine could not take an assessment: {exc}") from exc
            state = result[1]
            names: list[str] = []
            started = False
            try:
                action = _c.start_action_for_state(self._handle, state)
                if not action:
                    raise EngineError("the rule engine started no action (the sentinel rule did not fire)")
                started = True
                message = action[1]
                while message:
                    names.append(message[2:message.index('"', 2)])
                    message = _c.complete_and_start_action(self._handle, state)
            finally:
                # Deleting a session where no action started segfaults: the sentinel makes it safe.
                if started:
                    _c.delete_state(self._handle, sid)
        return sorted({n for n in names if n != SENTINEL})

    def evaluate(self, facts: Facts) -> list[Finding]:
        """The findings, grouped (a rule that supersedes another takes it in) and ranked
        (`rank`: severity, then how far past its threshold the evidence is)."""
        findings = []
        for rule_id in self.fired(facts):
            rule = self._rules[rule_id]
            findings.append(Finding(rule, tuple(evidence_for(rule.when, facts))))
        return ranked(grouped(findings, self._rules))

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                _c.delete_ruleset(self._handle)
                self._handle = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown the module may be gone
            self.close()


_cache: OrderedDict[str, Engine] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 4


def get_engine(pack: RulePack) -> Engine:
    """The process-wide engine for a pack; packs no longer in use are freed (least recent first)."""
    key = pack.digest
    with _cache_lock:
        engine = _cache.get(key)
        if engine is None:
            engine = _cache[key] = Engine(pack)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)[1].close()
        _cache.move_to_end(key)
        return engine


def run_examples(pack: RulePack, engine: Engine | None = None) -> list[tuple[Rule, str, bool]]:
    """Every rule's examples through the real engine: (rule, example name, passed)."""
    engine = engine or get_engine(pack)
    out = []
    for rule in pack.rules:
        for example in rule.examples:
            fired = rule.id in engine.fired(example.facts())
            out.append((rule, example.name, fired == (example.expect == "fires")))
    return out
