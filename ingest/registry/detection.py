"""Sample-based format detection.

Every candidate rule parses the same sample through the real (DuckDB) parser; the score
is the fraction of records it turns into a row with a timestamp of its own. Using the
production parser rather than a second matcher means detection can never promise a
format the bulk load then fails to parse.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from .model import Detection, Rule
from .sqlgen import header_lines

if TYPE_CHECKING:  # pragma: no cover
    from . import Registry

#: Lines looked at; enough to see a mixture, small enough to stay interactive.
SAMPLE_LINES = 200
#: Below this best score the sample is called "unknown" and ``generic`` is returned.
THRESHOLD = 0.5
#: Rules without any timestamp in the format count a parsed line this much.
NO_TS_WEIGHT = 0.85
#: ``generic`` matches everything, so its confidence is scaled down to stay "low".
GENERIC_WEIGHT = 0.3


def group_records(lines: Sequence[str], multiline_start: str | None) -> list[str]:
    """Join continuation lines the way the reader would for this rule."""
    lines = [ln.rstrip("\r\n") for ln in lines if ln and ln.strip()]
    if not multiline_start:
        return lines
    try:
        start = re.compile(multiline_start)
    except re.error:
        return lines
    out: list[str] = []
    for ln in lines:
        if start.match(ln) or not out:
            out.append(ln)
        else:
            out[-1] += "\n" + ln
    return out


def _chunk(records: list[str]) -> pa.Table:
    n = len(records)
    return pa.table({
        "origin": pa.array(["<sample>"] * n, pa.string()),
        "origin_offset": pa.array(range(1, n + 1), pa.int64()),
        "raw": pa.array(records, pa.string()),
        "n_lines": pa.array([r.count("\n") + 1 for r in records], pa.int32()),
        "bad_utf8": pa.array([False] * n),
    })


def specificity(rule: Rule) -> float:
    """Tie-breaker in [0, 1): more named groups and literal text = a more specific rule."""
    if rule.kind != "regex" or not rule.pattern:
        return 0.3
    groups = len(rule.group_names())
    literal = len(re.sub(r"\\.|\[[^\]]*\]|\(\?P<\w+>|[()?*+|{}^$.]", "", rule.pattern))
    return min(0.99, groups / 40 + literal / 400)


def score_rule(registry: "Registry", rule: Rule, lines: Sequence[str]) -> float:
    """Fraction of the sample's records parsed with their own timestamp (0 on error)."""
    records = group_records(lines, rule.multiline_start)
    if not records:
        return 0.0
    try:
        out = registry._run(rule, _chunk(records))
    except Exception:  # noqa: BLE001 - a broken user rule must not break detection
        return 0.0
    matched = out.column("matched")
    if rule.kind == "regex" and "timestamp" not in rule.group_names():
        return NO_TS_WEIGHT * pc.sum(pc.cast(matched, pa.int64())).as_py() / len(records)
    ok = pc.and_(matched, out.column("has_ts"))
    return (pc.sum(pc.cast(ok, pa.int64())).as_py() or 0) / len(records)


def quick_bound(rule: Rule, records: Sequence[str]) -> float:
    """Upper bound of a rule's score from a cheap Python check of each record's first
    line; rules that cannot win are then never sent through DuckDB."""
    if not records:
        return 0.0
    k = header_lines(rule)
    firsts = ["\n".join(r.split("\n", k)[:k]) for r in records]
    if rule.kind == "json":
        hits = sum(1 for f in firsts if f.lstrip().startswith("{"))
    elif rule.kind == "logfmt":
        hits = sum(1 for f in firsts if "=" in f)
    else:
        try:
            rx = re.compile(rule.pattern or "")
        except re.error:
            return 0.0
        hits = sum(1 for f in firsts if rx.match(f))
    return hits / len(records)


def detect(registry: "Registry", lines: Sequence[str]) -> Detection:
    """Best rule for ``lines``; ``generic`` with a low confidence when nothing fits."""
    sample = [ln for ln in list(lines)[: SAMPLE_LINES * 2] if isinstance(ln, str) and ln.strip()]
    sample = sample[:SAMPLE_LINES]
    rules = registry.list()
    generic = next((r for r in rules if r.name == "generic"), None)
    scored: list[tuple[str, float]] = []
    best: tuple[float, float, int, Rule] | None = None
    bounds = {r.name: quick_bound(r, group_records(sample, r.multiline_start)) for r in rules}
    by_bound = sorted(enumerate(rules), key=lambda t: -bounds[t[1].name])
    for order, rule in by_bound:
        if rule.name == "generic":
            continue
        if not sample or bounds[rule.name] == 0 or (best is not None and bounds[rule.name] < best[0] - 0.005):
            s = 0.0 if not sample or bounds[rule.name] == 0 else bounds[rule.name]
            scored.append((rule.name, round(s, 4)))
            continue
        s = score_rule(registry, rule, sample)
        scored.append((rule.name, round(s, 4)))
        key = (round(s, 2), specificity(rule), -order)
        if best is None or key > best[:3]:
            best = (*key, rule)
    gscore = score_rule(registry, generic, sample) * GENERIC_WEIGHT if (generic and sample) else 0.0
    if generic:
        scored.append(("generic", round(gscore, 4)))
    scored.sort(key=lambda t: -t[1])
    if best is None or best[0] < THRESHOLD:
        fallback = generic or (best[3] if best else rules[0])
        return Detection(rule=fallback, confidence=round(gscore, 4), scores=scored)
    return Detection(rule=best[3], confidence=round(best[0], 4), scores=scored)


def detect_many(registry: "Registry", samples: Sequence[Sequence[str]]) -> list[Detection]:
    """:func:`detect` for several files' samples at once: the same rule and confidence per
    sample, with one scoring query per rule for all the samples that still need it.

    Why: the bulk job detects every file, and a directory of small files paid about five
    DuckDB queries per file (each rule a few files could match, then ``generic``), each
    mostly planning time. Here the rules are visited by the best key they could reach
    (``quick_bound``, specificity, order); a rule is scored only for the samples where it
    could still beat the best so far, and ``generic`` only for samples no rule reaches
    :data:`THRESHOLD` with (elsewhere its entry in ``scores`` is its bound, as for every rule
    not scored). A score never exceeds its bound, so the winner is :func:`detect`'s.
    """
    rules = registry.list()
    generic = next((r for r in rules if r.name == "generic"), None)
    prepared = [[ln for ln in list(lines)[: SAMPLE_LINES * 2] if isinstance(ln, str) and ln.strip()][:SAMPLE_LINES]
                for lines in samples]
    starts = {r.multiline_start for r in rules}  # most rules share one (none): group once per start
    grouped = [{m: group_records(s, m) for m in starts} for s in prepared]
    bounds = [{r.name: quick_bound(r, g[r.multiline_start]) for r in rules} for g in grouped]
    rank = {r.name: (specificity(r), -k) for k, r in enumerate(rules)}
    scored: list[dict[str, float]] = [{} for _ in prepared]
    best: list[tuple[float, float, int, Rule] | None] = [None] * len(prepared)

    def upper(i: int, rule: Rule) -> tuple[float, float, int]:
        return (round(bounds[i][rule.name], 2), *rank[rule.name])

    candidates = [r for r in rules if r.name != "generic"]
    candidates.sort(key=lambda r: max((upper(i, r) for i in range(len(prepared))), default=(0.0, 0.0, 0)),
                    reverse=True)
    for rule in candidates:
        need = [i for i, s in enumerate(prepared) if s and bounds[i][rule.name] > 0
                and (best[i] is None or upper(i, rule) > best[i][:3])]  # type: ignore[index]
        groups = [grouped[i][rule.multiline_start] for i in need]
        for i, s in zip(need, score_samples(registry, rule, [prepared[i] for i in need], groups)):
            scored[i][rule.name] = s
            key = (round(s, 2), *rank[rule.name])
            if best[i] is None or key > best[i][:3]:  # type: ignore[index]
                best[i] = (*key, rule)
    weak = [i for i, s in enumerate(prepared) if s and generic and (best[i] is None or best[i][0] < THRESHOLD)]
    gscores = dict(zip(weak, score_samples(registry, generic, [prepared[i] for i in weak],
                                           [grouped[i][generic.multiline_start] for i in weak]))) if generic else {}
    out = []
    for i, sample in enumerate(prepared):
        scores = [(r.name, round(scored[i].get(r.name, bounds[i][r.name] if sample else 0.0), 4))
                  for r in candidates]
        gscore = gscores.get(i, bounds[i]["generic"] if sample and generic else 0.0) * GENERIC_WEIGHT
        if generic:
            scores.append(("generic", round(gscore, 4)))
        scores.sort(key=lambda t: -t[1])
        b = best[i]
        if b is None or b[0] < THRESHOLD:
            fallback = generic or (b[3] if b else rules[0])
            out.append(Detection(rule=fallback, confidence=round(gscore, 4), scores=scores))
        else:
            out.append(Detection(rule=b[3], confidence=round(b[0], 4), scores=scores))
    return out


def score_samples(registry: "Registry", rule: Rule, samples: Sequence[Sequence[str]],
                  groups: "Sequence[list[str]] | None" = None) -> list[float]:
    """:func:`score_rule` of ``rule`` on each sample, in one parse of all of them
    (``groups``: each sample's records under ``rule.multiline_start``, grouped already).

    Each sample's records are grouped on their own (a record never spans two files) and
    scored as one sample alone would be: the batch skips the timestamp-format probe, which
    a 200-line sample alone is too short to get. On a parse error each sample is scored
    on its own, so one file's bad sample cannot zero another's score."""
    if not samples:
        return []
    if len(samples) == 1:
        return [score_rule(registry, rule, samples[0])]
    if groups is None:
        groups = [group_records(s, rule.multiline_start) for s in samples]
    records = [r for g in groups for r in g]
    if not records:
        return [0.0] * len(samples)
    chunk = _chunk(records)
    origin = pa.array([f"<sample {i}>" for i, g in enumerate(groups) for _ in g], pa.string())
    chunk = chunk.set_column(chunk.schema.get_field_index("origin"), "origin", origin)
    try:
        out = registry._run(rule, chunk, tuned=True)
    except Exception:  # noqa: BLE001 - score one by one (each error is then that sample's 0)
        return [score_rule(registry, rule, s) for s in samples]
    no_ts = rule.kind == "regex" and "timestamp" not in rule.group_names()
    ok = out.column("matched") if no_ts else pc.and_(out.column("matched"), out.column("has_ts"))
    hits = pc.value_counts(pc.filter(out.column("origin"), ok))
    per = dict(zip(hits.field("values").to_pylist(), hits.field("counts").to_pylist()))
    weight = NO_TS_WEIGHT if no_ts else 1.0
    return [weight * per.get(f"<sample {i}>", 0) / len(g) if g else 0.0 for i, g in enumerate(groups)]
