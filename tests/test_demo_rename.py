"""The renamed demo estate: same estate, other words.

A benchmark re-asks its questions of a renamed estate to show the parser reads the data,
not a vocabulary. That only measures something if the renamed estate is the plain one in
every number (so the expected answers carry over) and no original word is left in it
(so a parser tuned to the plain estate cannot pass by accident). Both are checked here
from the bytes on disk.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from logpilot_kernel.cli import cmd_demo_data
from logpilot_kernel.demo import generate
from logpilot_kernel.demo.renames import (TABLE, VERBATIM_VALUES, SCHEMA_KEYS, Renamer, choose,
                                          render_answer, render_question)

# sha256 (first 32 hex digits) of the uncompressed bytes of
# generate(days=1, seed=3, lines=15_000), as written before renames existed.
PLAIN_PIN = {
    "ground_truth.json": "2f0fb0da3e46807d54361b6cb35c22ea",
    "logs/auth/auth.log": "df8c1a7119210248e425b74d3f329224",
    "logs/catalog/catalog.log": "9af570815cd2b5b7ace5286fb48f3e11",
    "logs/catalog/catalog.log.1.gz": "c9cc9fc78b7226f4fa3d14fcbb0c67f2",
    "logs/checkout/checkout.jsonl": "869ae31b7c39bed5267207061d2e482b",
    "logs/firewall/syslog": "b08142f35a0c6ab831683db96dc84502",
    "logs/gateway/access.log": "037244c7f46032dc0918cec1dddff668",
    "logs/gateway/access.log.1.gz": "ee7011cd7eed922bcee2447a8df3ded1",
    "logs/inventory/inventory.jsonl": "9cc8f53e3779d092c755339f39a63abb",
    "logs/payment/payment.jsonl": "b2ad17ab60305719fcca14b1b2c90321",
    "logs/postgres/postgresql.log": "9895d7d453f9b6fa2afa3cfc9330639b",
}


def _text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)).replace("\\", "/"):
            hashlib.sha256(_text(p).encode("utf-8")).hexdigest()[:32]
            for p in sorted(root.rglob("*")) if p.is_file()}


def _token_rx(words) -> re.Pattern:
    alts = sorted({w for t in words for w in (t, t.capitalize() if t.islower() else t)},
                  key=len, reverse=True)
    return re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, alts)) + r")(?![A-Za-z0-9])")


def _truth_strings(obj, key=None):
    """Every string of a ground truth that is estate data (not schema, not the mapping)."""
    if isinstance(obj, str):
        if key not in VERBATIM_VALUES:
            yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k in ("renames", "rename_seed"):
                continue
            if k not in SCHEMA_KEYS:
                yield k
            yield from _truth_strings(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from _truth_strings(v, key)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    root = tmp_path_factory.mktemp("rename")
    # with the extra incidents, so their words are covered too
    kw = dict(days=2, seed=11, lines=30_000, extra_incidents=True)
    plain = generate(root / "plain", **kw)
    renamed = generate(root / "renamed", rename_seed=5, **kw)
    return root / "plain", plain, root / "renamed", renamed


def test_table_is_unambiguous():
    terms = [t for _c, t, _a, _g in TABLE]
    assert len(terms) == len(set(terms))
    alts = [a for _c, _t, al, _g in TABLE for a in al]
    assert len(alts) == len(set(alts)), "an alternative is offered for two terms"
    sizes = {}
    for _c, _t, al, g in TABLE:
        assert sizes.setdefault(g, len(al)) == len(al), g
    term_rx = _token_rx(terms)
    alt_rx = _token_rx(alts)
    for a in alts:
        assert not term_rx.search(a), f"alternative {a!r} contains an original term"
        assert [m.group(0) for m in alt_rx.finditer(a)] == [a], f"{a!r} contains another"


def test_same_seed_same_names_and_seeds_differ():
    assert choose(5) == choose(5)
    maps = [choose(s) for s in range(8)]
    assert len({json.dumps(m, sort_keys=True) for m in maps}) > 1
    for m in maps:
        assert all(v != k for k, v in m.items())
        # groups move together
        assert (m["BLOCK"], m["ALLOW"]) in {("DROP", "ACCEPT"), ("DENY", "PERMIT"),
                                            ("REJECT", "PASS")}


def test_plain_estate_is_unchanged(tmp_path):
    generate(tmp_path, days=1, seed=3, lines=15_000)
    assert _digests(tmp_path) == PLAIN_PIN


def test_renamed_estate_counts_and_times_equal(pair):
    plain_root, plain, ren_root, renamed = pair
    ren = renamed.to_dict()
    mapping = ren.pop("renames")
    assert ren.pop("rename_seed") == 5 and mapping == choose(5)
    # the whole truth, numbers, times and incidents included, is the plain one renamed
    assert Renamer(mapping).truth(plain.to_dict()) == ren
    assert renamed.counts["lines_total"] == plain.counts["lines_total"]
    assert renamed.counts["records_total"] == plain.counts["records_total"]
    assert [i["start"] for i in renamed.incidents] == [i["start"] for i in plain.incidents]
    # and on disk: same files (renamed paths), same number of lines, same first columns
    plain_files = sorted(p.relative_to(plain_root) for p in plain_root.rglob("*") if p.is_file())
    ren_files = sorted(p.relative_to(ren_root) for p in ren_root.rglob("*") if p.is_file())
    assert len(plain_files) == len(ren_files)
    for f in renamed.files:
        text = _text(ren_root / f["path"])
        assert text.count("\n") == f["lines"], f["path"]
    by_path = {Renamer(mapping).sub(f["path"]): f for f in plain.files}
    for f in renamed.files:
        a = _text(plain_root / by_path[f["path"]]["path"]).splitlines()
        b = _text(ren_root / f["path"]).splitlines()
        assert len(a) == len(b)
        # time prefixes are untouched (first 15 characters hold the time in every format
        # except nginx and JSON, whose lines start with an IP or '{"ts":"...')
        assert [x[:30] for x in a[::97] if x[:1].isdigit() and ":" in x[:20]] == \
            [y[:30] for y in b[::97] if y[:1].isdigit() and ":" in y[:20]]


def test_no_original_name_left(pair):
    _plain_root, _plain, ren_root, renamed = pair
    rx = _token_rx(renamed.renames)
    for p in ren_root.rglob("*"):
        rel = str(p.relative_to(ren_root))
        assert not rx.search(rel), rel
        if p.is_file() and p.name != "ground_truth.json":
            m = rx.search(_text(p))
            assert m is None, (rel, m and m.group(0))
    data = json.loads((ren_root / "ground_truth.json").read_text(encoding="utf-8"))
    leaks = sorted({m.group(0) for s in _truth_strings(data) for m in rx.finditer(s)})
    assert leaks == []


def test_new_names_were_not_in_the_plain_estate(pair):
    """A new name that already existed would merge two things; no alternative of the table
    (whichever seed picks it) occurs in a plain estate."""
    plain_root, _plain, _ren_root, _renamed = pair
    alts = sorted({a for _c, _t, al, _g in TABLE for a in al})
    rx = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, alts)) + r")(?![A-Za-z0-9])",
                    re.IGNORECASE)
    for p in plain_root.rglob("*"):
        if p.is_file():
            m = rx.search(_text(p))
            assert m is None, (p.name, m and m.group(0))


def test_renamed_estate_is_deterministic(tmp_path):
    generate(tmp_path / "a", days=1, seed=2, lines=6_000, rename_seed=9)
    generate(tmp_path / "b", days=1, seed=2, lines=6_000, rename_seed=9)
    generate(tmp_path / "c", days=1, seed=2, lines=6_000, rename_seed=10)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a == b
    names = json.loads((tmp_path / "c" / "ground_truth.json").read_text())["renames"]
    assert names == choose(10) and names != choose(9)


def test_cli_rename_seed(tmp_path, capsys):
    # the handler, called as the parser calls it (the parser also builds every other
    # subcommand, which this test is not about)
    args = argparse.Namespace(out=str(tmp_path), days=1, seed=7, lines=4000, start=None,
                              rename_seed=3, extra_incidents=True)
    assert cmd_demo_data(args) == 0
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert truth["renames"] == choose(3) and truth["rename_seed"] == 3
    assert truth["extra_incidents"] and len(truth["incidents"]) == 8
    svc = choose(3)["checkout"]
    assert (tmp_path / "logs" / svc / f"{svc}.jsonl").is_file()
    assert "8 incidents" in capsys.readouterr().out


def test_render_question_and_answer():
    names = {"checkout": "storefront", "order_id": "purchase_ref", "BLOCK": "DROP"}
    q = "how many distinct {key:order_id} did {svc:checkout} log with {val:BLOCK}?"
    assert render_question(q, names) == "how many distinct purchase_ref did storefront log " \
                                        "with DROP?"
    assert render_question(q) == "how many distinct order_id did checkout log with BLOCK?"
    assert render_question("{val:inventory_timeout} on {svc:/api/checkout}",
                           {"inventory": "depot", "checkout": "basket"}) == \
        "depot_timeout on /api/basket"
    ans = {"type": "rows", "columns": ["service", "n"], "rows": [["{svc:checkout}", 3]]}
    assert render_answer(ans, names)["rows"] == [["storefront", 3]]
    assert render_answer({"type": "scalar", "value": 4}, names) == {"type": "scalar", "value": 4}


# ------------------------------------------------------------------- the blind question sets
DATA = Path(__file__).resolve().parent / "data"


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def test_blind_question_files_match_their_script():
    """The committed answers are what the script computes from a fresh estate today."""
    spec = importlib.util.spec_from_file_location("make_questions_blind",
                                                  DATA / "make_questions_blind.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--check"]) == 0


def test_blind_questions_shape():
    qs = _load("questions_blind.json")["questions"]
    assert 60 <= len(qs) <= 80
    assert len({q["id"] for q in qs}) == len(qs)
    kinds = Counter(q["answer"]["type"] for q in qs)
    assert set(kinds) == {"scalar", "value", "rows"} and min(kinds.values()) >= 5
    for q in qs:
        a = q["answer"]
        if a["type"] == "rows":
            assert a["rows"] and all(len(r) == len(a["columns"]) for r in a["rows"]), q["id"]
            assert isinstance(a["ordered"], bool)
    whys = _load("why_questions_blind.json")["questions"]
    per_incident = Counter(q["expected"]["incident"] for q in whys)
    assert len(per_incident) == 8 and min(per_incident.values()) >= 4
    assert sum(not q["names_root_service"] for q in whys) >= len(whys) / 2
    assert len({q["time_style"] for q in whys}) >= 5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_blind_questions_render_for_a_renamed_estate(seed):
    """Rendered with a seed's renames, no question or answer keeps an original word."""
    names = choose(seed)
    rx = _token_rx(names)
    for name, answer_key in (("questions_blind.json", "answer"),
                             ("why_questions_blind.json", "expected")):
        for q in _load(name)["questions"]:
            text = render_question(q["question"], names)
            assert "{" not in text and not rx.search(text), (q["id"], text)
            # column labels are descriptive, not data a parser must produce; an incident's
            # kind is its stable name in every estate (like the ground truth's)
            data = {k: v for k, v in q[answer_key].items() if k not in ("columns", "kind")}
            rendered = json.dumps(render_answer(data, names))
            assert not rx.search(rendered), (q["id"], rendered)
            assert render_question(q["question"]) == re.sub(
                r"\{(?:svc|key|val|word|text):([^{}]+)\}", r"\1", q["question"])
