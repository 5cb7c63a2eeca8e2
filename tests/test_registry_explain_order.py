"""``registry detect --explain`` shows each sample line with its own parsed fields.

Why: the parse does not keep record order when every record has a time of its own, and
``Registry.test`` paired its rows with the input lines by position: on a sample with a
``[Level]`` in some lines only, a line was printed next to another line's time, level and
message. Invented sample of that shape (six-digit date, padded hour)."""

from __future__ import annotations

from logpilot_kernel.ingest.registry import Registry
from logpilot_kernel.ingest.registry.report import explain

LINES = [
    "190402  7:10:01 [Note] cache warmer started with 4 slots",
    "190402  7:10:03 Store: the page pool holds 512 pages",
    "190402  7:10:04 [Warning] slot 3 is larger than the pool allows",
    "190402  8:00:05 [ERROR] cannot bind the control port",
]


def test_explain_pairs_each_line_with_its_own_fields() -> None:
    info = explain(Registry(), LINES, stem="pool")
    assert [s["line"] for s in info["samples"]] == LINES[:3]
    for s in info["samples"]:
        hh_mm_ss = s["line"].split()[1].zfill(8)
        assert s["timestamp"].endswith(hh_mm_ss), (s["line"], s["timestamp"])
        assert s["line"].endswith(s["message"]), (s["line"], s["message"])


def test_rule_test_keeps_record_order() -> None:
    reg = Registry()
    rule = reg.detect_file(LINES, stem="pool").rule
    res = reg.test(rule, LINES)
    assert [r.line for r in res.results] == LINES
    assert [r.fields["message"] for r in res.results] == [
        "cache warmer started with 4 slots", "Store: the page pool holds 512 pages",
        "slot 3 is larger than the pool allows", "cannot bind the control port"]
