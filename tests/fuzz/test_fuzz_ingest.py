"""Hostile input x every reader through the real ``logpilot ingest``: exit status, one
message line, and ``lines = rows + quarantined + merged`` against an independent count.

The corpus is generated at test time (``tests/fuzz/corpus.py``); the table of the same
run is ``python tests/benchmarks/fuzz_table.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.check import run_case
from tests.fuzz.corpus import CONTENTS, READERS, all_cases

SPECIAL = ["truncated/gz", "truncated/bz2", "truncated/xz", "truncated/zst", "path_traversal/tar",
           "path_traversal/zip", "zip_bomb/zip", "missing_path/plain"]
KEYS = [f"{c}/{r}" for c in CONTENTS for r in READERS] + SPECIAL


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("fuzz")
    cases = {c.key: c for c in all_cases(folder / "inputs")}
    assert sorted(cases) == sorted(KEYS)
    return {"cases": cases, "folder": folder}


@pytest.mark.parametrize("key", KEYS)
def test_hostile_input_is_accounted(corpus: dict, key: str) -> None:
    case = corpus["cases"][key]
    out = run_case(case, Path(corpus["folder"]) / "ws" / key.replace("/", "-"))
    assert out.ok, f"{key}: {out.faults} (message: {out.message[:300]})"
