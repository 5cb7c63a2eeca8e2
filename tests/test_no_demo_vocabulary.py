"""The offline parser holds no word of the demo estate: names come from the workspace.

The list is taken from the demo generator itself at test time (its rename table names every
service, context key, value and distinctive message word; the ground truth of a tiny
estate adds the services and the keys it writes), so a word added to the demo is checked
too. Only string literals and comments of the parser's modules are searched, case
sensitively and as whole tokens: that is where a hard-coded word would sit, and SQL
keywords ("ORDER BY") are not the demo's words.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

import pytest

import logpilot_kernel.query as query_pkg
from logpilot_kernel.demo import generate, renames

PARSER_MODULES = ["nl.py", "nl_grammar.py", "nl_link.py", "nl_sql.py", "nl_time.py",
                  "nl_filters.py", "nl_template_words.py", "nl_parts.py", "nl_dims.py",
                  "nl_compare.py", "lexicon.py", "lexicon_stats.py"]


@pytest.fixture(scope="module")
def demo_words(tmp_path_factory) -> set[str]:
    words = {term for _cat, term, _alts, _group in renames.TABLE}
    root = tmp_path_factory.mktemp("tiny")
    truth = generate(root / "estate", days=1, seed=3, lines=3000).to_dict()
    words |= set(truth["services"])
    words |= {info["dir"] for info in truth["services"].values()}
    for path in (root / "estate").rglob("*.jsonl"):
        for line in path.read_text().splitlines()[:200]:
            words |= {k for k in json.loads(line) if len(k) > 3}
    generic = {"level", "message", "service", "timestamp", "trace_id", "time", "host", "msg"}
    return {w for w in words if w not in generic}


def _literals(path: Path) -> list[tuple[int, str]]:
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
        if tok.type in (tokenize.STRING, tokenize.COMMENT):
            out.append((tok.start[0], tok.string))
    return out


def test_the_word_list_is_taken_from_the_demo(demo_words: set[str]) -> None:
    assert {"checkout", "order_id", "BLOCK"} <= demo_words  # sanity: the list is not empty
    assert len(demo_words) > 40


@pytest.mark.parametrize("module", PARSER_MODULES)
def test_parser_module_has_no_demo_word(module: str, demo_words: set[str]) -> None:
    path = Path(query_pkg.__file__).parent / module
    rx = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(
        re.escape(w) for w in sorted(demo_words, key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
    hits = [(line, m.group(1)) for line, text in _literals(path) for m in rx.finditer(text)]
    assert not hits, f"{module} names demo words (line, word): {hits}"


def test_the_check_can_fail(demo_words: set[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('SERVICES = {"db": "postgres"}  # firewall\n')
    found = {m for _, t in _literals(bad) for m in demo_words if re.search(rf"\b{m}\b", t)}
    assert {"postgres", "firewall"} <= found
