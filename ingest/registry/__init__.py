"""Schema registry: the known log formats (builtins + user rules) and format detection.

Builtins ship as data (``builtin_rules.json``); user rules persist as JSON in the
workspace (``<workspace>/rules.json``) so a team can version them with the notebooks.
Validation runs every rule through both regex engines it will meet (Python ``re`` for
tests and detection grouping, DuckDB RE2 for bulk parsing) and through its own examples,
so a rule that is accepted is a rule that works.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import threading
from typing import Any, Sequence

import duckdb
import pyarrow as pa

from ...atomic import write_text
from .builtins import load_builtins
from .detection import _chunk, detect as _detect, detect_many, group_records
from .model import (
    DEFAULT_KEY_ALIASES, GOLDEN_GROUPS, SEVERITY_WORDS, Detection, LineResult, Rule,
    RuleError, RuleTest, UnknownRuleError,
)
from ..zones import ACCEPTED as ZONES_ACCEPTED, normalize_zone
from .sqlgen import lit
from .wrapped import compositions_of, with_compositions

__all__ = [
    "Registry", "Rule", "RuleError", "UnknownRuleError", "RuleTest", "LineResult",
    "Detection", "GOLDEN_GROUPS", "SEVERITY_WORDS", "DEFAULT_KEY_ALIASES",
    "parse_records", "ParseResult",
]


def __getattr__(name: str) -> Any:
    # parse_records lives in ..enrich, which imports this package; re-export it lazily
    # so ``from logpilot_kernel.ingest.registry import parse_records`` works too.
    if name in ("parse_records", "ParseResult"):
        from .. import enrich

        return getattr(enrich, name)
    raise AttributeError(name)

_FILE_VERSION = 1
#: Below this confidence of the best known rule, a rule is induced from the sample.
INDUCE_BELOW = 0.9
#: An induced rule must parse at least this share of its sample to be used.
MIN_INDUCED = 0.3
#: A carrier's file takes the composition with a payload rule that parses this share.
PAYLOAD_SHARE = 0.5


class Registry:
    """Builtin rules plus the user's rules (a user rule may shadow a builtin by name)."""

    _default: "Registry | None" = None
    _default_lock = threading.Lock()

    def __init__(self, user_rules_path: pathlib.Path | str | None = None,
                 disabled: Sequence[str] = ()) -> None:
        self.user_rules_path = pathlib.Path(user_rules_path) if user_rules_path else None
        self._base: dict[str, Rule] = {r.name: r for r in load_builtins()}
        self._disabled: set[str] = set()
        self._builtins: dict[str, Rule] = {}
        self._compose()
        if disabled:
            self.disable(disabled)
        self._user: dict[str, Rule] = {}
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.RLock()
        self.stated_zone: str | None = None
        if self.user_rules_path and self.user_rules_path.exists():
            self._load_user_rules()

    @classmethod
    def default(cls) -> "Registry":
        """A shared builtins-only registry (for callers that pass none)."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = cls()
            return cls._default

    # -- persistence -------------------------------------------------------------------
    def _load_user_rules(self) -> None:
        path = self.user_rules_path
        assert path is not None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RuleError(str(path), f"cannot read user rules: {exc}") from exc
        items = data.get("rules", []) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise RuleError(str(path), "expected {'rules': [...]} in the rules file")
        for item in items:
            rule = Rule.from_dict(item)
            rule.builtin = False
            rule.check_shape()
            self._user[rule.name] = rule

    def _save(self) -> None:
        if not self.user_rules_path:
            return
        path = self.user_rules_path
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"version": _FILE_VERSION, "rules": [r.to_dict() for r in self._user.values()]}
        # atomic (the one helper): a crash never leaves half a rules file
        write_text(path, json.dumps(payload, indent=1, ensure_ascii=False))

    def _compose(self) -> None:
        """The builtins in use: the packaged ones not disabled, each carrier preceded by
        its compositions with the payload rules (:mod:`.wrapped`); a disabled rule takes
        its compositions with it."""
        base = [r for n, r in self._base.items() if n not in self._disabled]
        self._builtins = {r.name: r for r in with_compositions(base) if r.name not in self._disabled}

    def disable(self, names: Sequence[str] | str) -> None:
        """Switch builtin rules off for this registry (detection, fallbacks, lookup), to
        see how a file fares without the rule written for it. ``generic`` stays."""
        if isinstance(names, str):
            names = [n for n in names.replace(",", " ").split() if n]
        for name in names:
            if name == "generic":
                raise RuleError(name, "the generic fallback cannot be disabled")
            if name not in self._builtins and name not in self._disabled:
                raise UnknownRuleError(name, list(self._builtins))
            self._disabled.add(name)
        self._compose()

    def state_zone(self, zone: str | None) -> None:
        """The zone the user says these files' times are in, when a line writes none
        (``ingest --timezone``); ValueError for a zone that is neither a name nor
        ``±HH:MM``. A file cannot tell its host's zone, so without this they are UTC."""
        self.stated_zone = normalize_zone(zone) if zone else None

    def zoned(self, rule: Rule) -> Rule:
        """``rule`` with the stated zone (a copy; the rule itself is shared), or as is."""
        if not self.stated_zone or rule.timezone == self.stated_zone:
            return rule
        return dataclasses.replace(rule, timezone=self.stated_zone)

    # -- lookup --------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [r.name for r in self.list()]

    def list(self) -> list[Rule]:
        """User rules first (they are what the user cares about), with their compositions
        (a user carrier or payload rule with the others), then builtins in order."""
        user = self._user_rules()
        shadowed = {r.name for r in user}
        return user + [r for n, r in self._builtins.items() if n not in shadowed]

    def _user_rules(self) -> list[Rule]:
        """The user's rules, each carrier preceded by its compositions, then the
        compositions of builtin carriers with user payload rules."""
        if not self._user:
            return []
        users = list(self._user.values())
        payloads = users + [r for n, r in self._base.items() if n not in self._user and n not in self._disabled]
        out = with_compositions(users, payloads)
        carriers = [r for n, r in self._base.items() if n not in self._user and n not in self._disabled]
        extra = [r for r in with_compositions(carriers, users) if r.name not in self._base]
        return out + extra

    def get(self, name: str) -> Rule:
        if name in self._user:
            return self._user[name]
        if name in self._builtins:
            return self._builtins[name]
        for rule in self._user_rules():
            if rule.name == name:
                return rule
        raise UnknownRuleError(name, self.names())

    def compositions(self, carrier: Rule) -> list[Rule]:
        """The rules for payload formats carried as ``carrier``'s message (:mod:`.wrapped`)."""
        return compositions_of(carrier, self.list())

    def fallback_rules(self) -> list[Rule]:
        """Builtins tried (in file order) on lines the chosen rule does not match."""
        return [self.zoned(r) for r in self._builtins.values() if r.name != "generic"]

    # -- changes -------------------------------------------------------------------------
    def add(self, rule: Rule | dict[str, Any], *, persist: bool = True) -> Rule:
        """Validate and register a user rule (replacing a user rule of the same name)."""
        rule = Rule.from_dict(dict(rule) if isinstance(rule, dict) else rule)
        rule.builtin = False
        self.validate(rule)
        with self._lock:
            self._user[rule.name] = rule
            if persist:
                self._save()
        return rule

    def remove(self, name: str) -> None:
        with self._lock:
            if name not in self._user:
                if name in self._builtins:
                    raise RuleError(name, "builtin rules cannot be removed (add a user rule of the same name to override it)")
                raise UnknownRuleError(name, self.names())
            del self._user[name]
            self._save()

    def validate(self, rule: Rule) -> None:
        """Raise :class:`RuleError` unless the rule compiles in both engines and parses
        every one of its examples (with a timestamp when the format has one)."""
        rule.check_shape()
        con = self._connection()
        with self._lock:
            for label, rx in (("pattern", rule.pattern), ("multiline_start", rule.multiline_start)):
                if rule.kind == "regex" or label == "multiline_start":
                    if rx:
                        try:
                            con.execute(f"SELECT regexp_matches('', {lit(rx)})").fetchall()
                        except duckdb.Error as exc:
                            msg = str(exc).splitlines()[0]
                            raise RuleError(rule.name, f"{label} does not compile in DuckDB (RE2): {msg}") from exc
            if rule.timezone:
                try:
                    normalize_zone(rule.timezone)
                except ValueError as exc:
                    raise RuleError(rule.name, f"unknown timezone {rule.timezone!r} (expected {ZONES_ACCEPTED})") from exc
        if not rule.examples:
            raise RuleError(rule.name, "give at least one example line")
        result = self.test(rule, rule.examples)
        failed = [r for r in result.results if not r.matched or r.reason]
        if failed:
            f = failed[0]
            raise RuleError(rule.name, f"example does not parse: {f.line[:120]!r}: {f.reason}")

    # -- running ---------------------------------------------------------------------------
    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect()
            self._con.execute("SET threads = 1")
        return self._con

    def _run(self, rule: Rule, chunk: pa.Table, *, tuned: bool = False) -> pa.Table:
        from ..enrich import run_rule  # late: enrich imports this package

        with self._lock:
            return run_rule(self._connection(), chunk, rule, source="test", tuned=tuned)

    def test(self, rule: Rule | str, lines: Sequence[str]) -> RuleTest:
        """Try ``rule`` on each line (or multi-line record): matched?, fields, why not."""
        if isinstance(rule, str):
            rule = self.get(rule)
        records = group_records(list(lines), rule.multiline_start) if rule.multiline_start \
            else [ln.rstrip("\r\n") for ln in lines]
        if not records:
            return RuleTest(rule.name, [])
        try:
            # the parse does not keep record order (only a time to inherit needs it): put
            # the rows back in record order, else a line is shown with another's fields
            out = sorted(self._run(rule, _chunk(records)).to_pylist(), key=lambda r: r["rn"])
        except Exception as exc:  # noqa: BLE001 - report, do not raise, on bad data
            msg = str(exc).splitlines()[0]
            return RuleTest(rule.name, [LineResult(r, False, {}, f"parser error: {msg}") for r in records])
        has_ts_group = not (rule.kind == "regex" and "timestamp" not in rule.group_names())
        results = []
        for line, row in zip(records, out):
            ctx = json.loads(row["context"]) if row["context"] else {}
            fields = {k: row[k] for k in ("timestamp", "severity", "service_name", "host", "trace_id", "message")}
            fields["context"] = ctx
            reason = None
            if not row["matched"]:
                reason = {"json": "not a JSON object", "logfmt": "not key=value pairs"}.get(
                    rule.kind, "pattern did not match the line")
            elif has_ts_group and not row["has_ts"]:
                reason = ("no timestamp found by the rule" if row["ts_text"] is None
                          else f"timestamp {row['ts_text']!r} did not parse with formats "
                          + json.dumps(rule.timestamp_formats))
            results.append(LineResult(line, bool(row["matched"]), fields, reason))
        return RuleTest(rule.name, results)

    def detect_file(self, lines: Sequence[str], *, stem: str, ref: Any = None,
                    det: Detection | None = None) -> Detection:
        """:meth:`detect` (or ``det``, its result found already), then, when no rule fits
        with confidence, a rule induced from the sample (``induced:<stem>``) if it parses
        more of it than the best known rule."""
        det = det if det is not None else self.detect(lines)
        det = self._with_payload(det, lines)
        det = self._with_json_keys(det, lines, stem=stem)
        if det.rule.name != "generic" and det.confidence >= INDUCE_BELOW:
            return self._with_level_key(det, lines, stem=stem)
        try:
            from .induce import induce

            with self._lock:
                ind = induce(self._connection(), lines, stem=stem, ref=ref)
            if ind is None:
                return det
            from .detection import score_rule

            body = [ln for ln in lines if ln and ln.strip()]
            if ind.rule.comment_start:
                import re as _re

                body = [ln for ln in body if not _re.match(ind.rule.comment_start, ln)]
            ind.confidence = round(score_rule(self, ind.rule, body), 4) if body else 0.0
        except Exception:  # noqa: BLE001 - induction is advisory, detection stands
            return det
        if ind.confidence > det.confidence and ind.confidence >= MIN_INDUCED:
            return Detection(rule=ind.rule, confidence=ind.confidence,
                             scores=[(ind.rule.name, ind.confidence)] + det.scores, induced=ind)
        return det

    def detect_files(self, samples: Sequence[Sequence[str]], *, stems: Sequence[str],
                     refs: Sequence[Any]) -> list[Detection]:
        """:meth:`detect_file` for several files: the known rules scored for all samples at
        once (:func:`.detection.detect_many`, same winners), then each file's own steps
        (level key, induction). Why: per file, detection was most of the cost of loading a
        directory of small files."""
        try:
            dets = detect_many(self, samples)
        except Exception:  # noqa: BLE001 - detection is advisory: one by one, as detect() does
            dets = [self.detect(s) for s in samples]
        return [self.detect_file(s, stem=st, ref=rf, det=d) for s, st, rf, d in zip(samples, stems, refs, dets)]

    def _with_payload(self, det: Detection, lines: Sequence[str]) -> Detection:
        """``det``, or, when its rule is a carrier (syslog) and most of the sample's lines
        carry one payload format, the composition with it, at ``det``'s confidence.

        Why: a composition that misses a few lines (a proxy's own start-up messages in
        its access log) scores below the carrier, which takes every line; with the
        composition as the file's rule those lines still go to the carrier (it follows
        its compositions in the fallbacks), and the others get the payload's fields."""
        comps = self.compositions(det.rule) if det.rule.carrier else []
        if not comps:
            return det
        try:
            from .detection import quick_bound, score_rule

            body = [ln for ln in lines if ln and ln.strip()][: 200]
            best = max(comps, key=lambda r: quick_bound(r, body))
            if quick_bound(best, body) < PAYLOAD_SHARE:
                return det
            score = score_rule(self, best, body)
        except Exception:  # noqa: BLE001 - advisory, detection stands
            return det
        if score < PAYLOAD_SHARE:
            return det
        return Detection(rule=best, confidence=det.confidence,
                         scores=[(best.name, round(score, 4))] + [s for s in det.scores if s[0] != best.name])

    def _with_json_keys(self, det: Detection, lines: Sequence[str], *, stem: str) -> Detection:
        """``det``, or, for a file of JSON objects whose time, message or level keys no rule
        names as written (an epoch number under a longer key, ``MESSAGE`` in capitals), the
        JSON rule with the sample's own keys (:func:`.induce_json_keys.induce_json_keys`)
        when it scores at least as well. Why: without the time key every record of such
        a file took the file's time, and no rule gave it a message."""
        body = [ln for ln in lines if ln and ln.strip()]
        if not body or sum(1 for ln in body if ln.lstrip().startswith("{")) < 0.9 * len(body):
            return det
        try:
            from .detection import score_rule
            from .induce_json_keys import induce_json_keys

            if det.rule.kind == "json":
                base = det.rule
            else:
                names = [n for n, _s in det.scores]
                jsons = [r for r in self.list() if r.kind == "json"]
                jsons.sort(key=lambda r: names.index(r.name) if r.name in names else len(names))
                if not jsons:
                    return det
                base = jsons[0]
            ind = induce_json_keys(base, lines, stem=stem)
            if ind is None:
                return det
            ind.confidence = round(score_rule(self, ind.rule, body), 4)
        except Exception:  # noqa: BLE001 - induction is advisory, detection stands
            return det
        if ind.confidence < det.confidence or ind.confidence <= 0:
            return det
        return Detection(rule=ind.rule, confidence=ind.confidence,
                         scores=[(ind.rule.name, ind.confidence)] + det.scores, induced=ind)

    def _with_level_key(self, det: Detection, lines: Sequence[str], *, stem: str) -> Detection:
        """``det``, or, for a JSON rule that finds no level key in the sample, the same
        rule with the sample's level key induced (:func:`.induce_json.induce_json_level`):
        otherwise every level of such a file would be guessed from its message words."""
        if det.rule.kind != "json":
            return det
        try:
            from .detection import score_rule
            from .induce_json import induce_json_level

            ind = induce_json_level(det.rule, lines, stem=stem)
            if ind is None:
                return det
            ind.confidence = round(score_rule(self, ind.rule, [ln for ln in lines if ln and ln.strip()]), 4)
        except Exception:  # noqa: BLE001 - induction is advisory, detection stands
            return det
        if ind.confidence < det.confidence:
            return det
        return Detection(rule=ind.rule, confidence=ind.confidence,
                         scores=[(ind.rule.name, ind.confidence)] + det.scores, induced=ind)

    def detect(self, lines: Sequence[str]) -> Detection:
        """Best matching rule for sample lines; never raises on garbage."""
        try:
            return _detect(self, lines)
        except Exception:  # noqa: BLE001 - detection is advisory
            generic = self._builtins.get("generic") or next(iter(self._builtins.values()))
            return Detection(rule=generic, confidence=0.0, scores=[])
