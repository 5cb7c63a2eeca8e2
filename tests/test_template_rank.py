"""A failure word in a template search ranks the subject's failure templates first.

Invented vocabulary (no demo words); the failure words come from the synonym table.
"""

from __future__ import annotations

from pathlib import Path

from logpilot_kernel import Workspace
from logpilot_kernel.query.template_rank import failure_stems, has_failure_word, rerank


def test_failure_words_come_from_the_synonym_table() -> None:
    assert {"fail", "error"} <= failure_stems()
    assert has_failure_word("shipment failing") and has_failure_word("an Exception was raised")
    assert not has_failure_word("shipment started") and not has_failure_word("")


def test_rerank_lifts_failures_only_for_a_failure_query() -> None:
    hits = [{"template_id": "A", "template": "parcel shipment started", "distance": 0.30},
            {"template_id": "B", "template": "parcel shipment failed", "distance": 0.45},
            {"template_id": "C", "template": "label printed", "distance": 0.50}]
    got = rerank("shipment failing", hits, {"C": 0.9}, n=3)
    assert [h["template_id"] for h in got] == ["B", "A", "C"]
    assert [h["failure"] for h in got] == [True, False, True]  # C: 90% of its rows are errors
    plain = rerank("shipment", hits, {}, n=2)
    assert [h["template_id"] for h in plain] == ["A", "B"]  # no failure word: embedding order


def test_search_templates_ranks_the_failure_of_the_subject_first(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ws.con.execute("INSERT INTO templates (template_id, template, first_service) VALUES "
                       "('Tstart', 'parcel shipment started for <*>', 'courier'), "
                       "('Tdone', 'parcel shipment delivered to <*>', 'courier'), "
                       "('Tfail', 'parcel shipment failed: carrier unreachable', 'courier'), "
                       "('Tother', 'invoice rendered in <*> ms', 'ledger')")
        assert ws.embed_pending_templates() == 4
        top = ws.search_templates("shipment failing", n=3)
        assert top[0]["template_id"] == "Tfail", top
        plain = ws.search_templates("shipment failing", n=3, failure_first=False)
        assert {h["template_id"] for h in plain} <= {"Tstart", "Tdone", "Tfail", "Tother"}
