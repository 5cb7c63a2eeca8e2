"""Readers: real files on disk (compressed, archived, damaged), exact line accounting."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import pathlib
import tarfile
import zipfile

import pyarrow as pa
import pytest
import zstandard

from logpilot_kernel.ingest.readers import (
    InputFile, RecordChunk, expand_inputs, read_records,
)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"

LINES = [f"2024-03-05 10:22:{i % 60:02d},{i:03d} INFO [main] a.b.C - event {i}" for i in range(500)]
TEXT = ("\n".join(LINES) + "\n").encode()


def read_all(f: InputFile, **kw) -> tuple[pa.Table, list, int, int, list[RecordChunk]]:
    chunks = list(read_records(f, **kw))
    for ch in chunks:  # the identity holds per chunk, not just in total
        assert ch.lines_read == sum(ch.table.column("n_lines").to_pylist()) + sum(p.n_lines for p in ch.problems)
        assert ch.table.schema.names == ["origin", "origin_offset", "raw", "n_lines", "bad_utf8"]
        for p in ch.problems:  # offset > 0 exactly when the problem is one quarantined line
            assert (p.origin_offset > 0) == (p.n_lines == 1), p
    tables = [c.table for c in chunks]
    table = pa.concat_tables(tables) if tables else pa.table({})
    problems = [p for c in chunks for p in c.problems]
    return table, problems, sum(c.lines_read for c in chunks), sum(c.empty_lines for c in chunks), chunks


def one(path: pathlib.Path) -> InputFile:
    files, problems = expand_inputs([path])
    assert problems == [] and len(files) == 1, problems
    return files[0]


@pytest.mark.parametrize("suffix,writer", [
    ("", lambda p, b: p.write_bytes(b)),
    (".gz", lambda p, b: p.write_bytes(gzip.compress(b))),
    (".bz2", lambda p, b: p.write_bytes(bz2.compress(b))),
    (".xz", lambda p, b: p.write_bytes(lzma.compress(b))),
    (".zst", lambda p, b: p.write_bytes(zstandard.ZstdCompressor().compress(b))),
])
def test_compressed_files_read_transparently(tmp_path, suffix, writer):
    path = tmp_path / f"app.log{suffix}"
    writer(path, TEXT)
    table, problems, lines, empty, chunks = read_all(one(path), chunk_records=128)
    assert problems == [] and empty == 0
    assert lines == 500 and table.num_rows == 500
    assert max(c.table.num_rows for c in chunks) == 128
    assert table.column("raw").to_pylist() == LINES
    assert table.column("origin_offset").to_pylist() == list(range(1, 501))
    assert set(table.column("origin").to_pylist()) == {str(path)}


def test_zip_and_tar_members_are_separate_inputs(tmp_path):
    zpath = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("checkout/app.log", TEXT)
        zf.writestr("payments/app.log.gz", gzip.compress(b"one\ntwo\n"))
        zf.writestr(".hidden/skip.log", b"x\n")
    tpath = tmp_path / "dump.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        for name, data in (("a/first.log", b"alpha\nbeta\n"), ("b/second.log", b"gamma\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    files, problems = expand_inputs([tmp_path])
    assert problems == []
    origins = [f.origin for f in files]
    assert origins == [f"{zpath}!checkout/app.log", f"{zpath}!payments/app.log.gz",
                       f"{tpath}!a/first.log", f"{tpath}!b/second.log"]
    got = {f.origin: read_all(f)[0].column("raw").to_pylist() for f in files}
    assert got[f"{zpath}!payments/app.log.gz"] == ["one", "two"]
    assert got[f"{tpath}!a/first.log"] == ["alpha", "beta"]
    assert got[f"{tpath}!b/second.log"] == ["gamma"]
    assert len(got[f"{zpath}!checkout/app.log"]) == 500


def test_truncated_gzip_keeps_rows_before_the_damage(tmp_path):
    body = b"".join(f"line {i} {i * 7919 % 10007}\n".encode() for i in range(40_000))
    comp = gzip.compress(body)
    path = tmp_path / "cut.log.gz"
    path.write_bytes(comp[: len(comp) // 2])
    table, problems, lines, _, _ = read_all(one(path))
    assert 0 < table.num_rows < 40_000
    assert table.column("raw")[0].as_py() == "line 0 0"
    assert len(problems) == 1 and "truncated or corrupt" in problems[0].reason
    # the damage is reported right after the last good line
    assert problems[0].origin_offset == table.num_rows + 1
    assert lines == table.num_rows + problems[0].n_lines


def test_truncated_zstd_is_reported_not_silent(tmp_path):
    body = b"".join(f"row {i} {i * 104729 % 7919}\n".encode() for i in range(60_000))
    comp = zstandard.ZstdCompressor().compress(body)
    path = tmp_path / "cut.log.zst"
    path.write_bytes(comp[: len(comp) // 2])
    table, problems, _, _, _ = read_all(one(path))
    assert table.num_rows > 0
    assert problems and "zstd stream ended" in problems[0].reason


def test_binary_file_is_a_problem_not_records(tmp_path):
    path = tmp_path / "core.dump"
    path.write_bytes(bytes(range(256)) * 40)
    table, problems, lines, _, _ = read_all(one(path))
    assert table.num_rows == 0 and lines == 0
    assert len(problems) == 1 and problems[0].reason.startswith("binary content")
    assert problems[0].origin_offset == 0 and problems[0].n_lines == 0


def test_nul_bytes_inside_a_text_file_quarantine_that_line(tmp_path):
    path = tmp_path / "app.log"
    path.write_bytes(b"first line\n" * 500 + b"bad\x00\x00line\n" + b"after\n")
    table, problems, lines, _, _ = read_all(one(path))
    assert table.num_rows == 501 and lines == 502
    assert [p.origin_offset for p in problems] == [501]
    assert "NUL" in problems[0].reason and "\\x00" in problems[0].raw


def test_overlong_line_is_quarantined_with_its_text(tmp_path):
    path = tmp_path / "huge.log"
    big = "x" * (2 * 1024 * 1024)
    path.write_text(f"before\n{big}\nafter\n")
    table, problems, lines, _, _ = read_all(one(path), max_line_bytes=1000)
    assert table.column("raw").to_pylist() == ["before", "after"]
    assert table.column("origin_offset").to_pylist() == [1, 3]
    assert len(problems) == 1
    p = problems[0]
    assert p.origin_offset == 2 and p.raw == big
    assert str(len(big)) in p.reason and "max_line_bytes=1000" in p.reason
    assert lines == 3


def test_line_longer_than_a_read_block(tmp_path, monkeypatch):
    from logpilot_kernel.ingest import readers

    monkeypatch.setattr(readers, "BLOCK_BYTES", 4096)  # a real small block, not a mock
    path = tmp_path / "long.log"
    long_line = "y" * 20_000
    path.write_text(f"a\n{long_line}\nb\nc")
    table, problems, lines, _, _ = read_all(one(path), max_line_bytes=10_000)
    assert table.column("raw").to_pylist() == ["a", "b", "c"]
    assert table.column("origin_offset").to_pylist() == [1, 3, 4]
    assert [p.origin_offset for p in problems] == [2] and problems[0].raw == long_line
    assert lines == 4


def test_empty_file_and_empty_lines(tmp_path):
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    table, problems, lines, blank, chunks = read_all(one(empty))
    assert chunks == [] and lines == 0 and problems == []
    gaps = tmp_path / "gaps.log"
    gaps.write_bytes(b"a\n\n\nb\r\n\r\nc\n")
    table, problems, lines, blank, _ = read_all(one(gaps))
    assert table.column("raw").to_pylist() == ["a", "b", "c"]
    assert table.column("origin_offset").to_pylist() == [1, 4, 6]
    assert lines == 3 and blank == 3  # empty lines are counted apart, not in lines_read


def test_invalid_utf8_is_replaced_and_flagged(tmp_path):
    path = tmp_path / "latin.log"
    path.write_bytes(b"ok line\nprice: 5\xe2\x82 euro \xff\nfine again\n")
    table, problems, _, _, _ = read_all(one(path))
    assert problems == []
    assert table.column("bad_utf8").to_pylist() == [False, True, False]
    assert "\ufffd" in table.column("raw")[1].as_py()


JAVA = [
    "2024-03-05 10:00:00,001 INFO  [main] a.B - start",
    "2024-03-05 10:00:01,002 ERROR [main] a.B - boom",
    "java.lang.IllegalStateException: bad",
    "\tat a.B.c(B.java:10)",
    "\tat a.B.d(B.java:20)",
    "2024-03-05 10:00:02,003 INFO  [main] a.B - next",
    "2024-03-05 10:00:03,004 WARN  [main] a.B - trace follows",
    "\tat x.Y.z(Y.java:1)",
]


@pytest.mark.parametrize("block", [None, 64])
def test_multiline_records_never_split_across_chunks(tmp_path, monkeypatch, block):
    from logpilot_kernel.ingest import readers

    if block:
        monkeypatch.setattr(readers, "BLOCK_BYTES", block)
    path = tmp_path / "java.log"
    path.write_text("\tat orphan.Line(X.java:1)\n" + "\n".join(JAVA * 3) + "\n")
    table, problems, lines, _, chunks = read_all(one(path), multiline_start=r"\d{4}-\d{2}-\d{2} ",
                                                 chunk_records=2)
    assert problems == [] and lines == 1 + 3 * len(JAVA)
    assert all(c.table.num_rows <= 2 for c in chunks)
    raws = table.column("raw").to_pylist()
    assert raws[0] == "\tat orphan.Line(X.java:1)"  # continuation before any start
    assert raws[2] == "\n".join(JAVA[1:5])
    assert raws[-1] == "\n".join(JAVA[6:8])
    assert table.column("n_lines").to_pylist()[:5] == [1, 1, 4, 1, 2]
    assert table.column("origin_offset").to_pylist()[:5] == [1, 2, 3, 7, 8]
    assert table.num_rows == 1 + 4 * 3


def test_python_only_multiline_pattern_still_works(tmp_path):
    path = tmp_path / "py.log"
    path.write_text("START a\ncont\nSTART b\n")
    # (?<=...) is valid in Python re but not in RE2: the reader falls back to Python
    table, _, _, _, _ = read_all(one(path), multiline_start=r"(?<=)START ")
    assert table.column("raw").to_pylist() == ["START a\ncont", "START b"]


def test_expand_inputs_dirs_globs_missing(tmp_path):
    (tmp_path / "svc" / "deep").mkdir(parents=True)
    (tmp_path / "svc" / "b.log").write_text("b\n")
    (tmp_path / "svc" / "a.log").write_text("a\n")
    (tmp_path / "svc" / "deep" / "c.log").write_text("c\n")
    (tmp_path / "svc" / ".secret.log").write_text("hidden\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.log").write_text("x\n")
    files, problems = expand_inputs([tmp_path, tmp_path / "missing.log", str(tmp_path / "**" / "*.nomatch")])
    names = [pathlib.Path(f.origin).name for f in files]
    assert names == ["a.log", "b.log", "c.log"]
    assert [p.reason for p in problems] == ["no such file or directory", "no file matches this pattern"]
    globbed, _ = expand_inputs([str(tmp_path / "**" / "c.log")])
    assert [pathlib.Path(f.origin).name for f in globbed] == ["c.log"]
    assert files[0].size == 2 and files[0].mtime is not None


def test_file_vanished_before_reading(tmp_path):
    path = tmp_path / "rotated.log"
    path.write_text("x\n")
    f = one(path)
    os.remove(path)
    table, problems, lines, _, _ = read_all(f)
    assert table.num_rows == 0 and lines == 0
    assert "vanished" in problems[0].reason


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.log")))
def test_accounting_identity_on_every_fixture(fixture):
    path = FIXTURES / fixture
    physical = path.read_bytes().count(b"\n")
    for ml in (None, r"\S"):
        table, problems, lines, blank, _ = read_all(one(path), multiline_start=ml, chunk_records=3)
        assert lines + blank == physical
        assert lines == sum(table.column("n_lines").to_pylist()) + sum(p.n_lines for p in problems)
