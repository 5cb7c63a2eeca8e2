"""Readers against hostile text: line ends, control bytes, binary files and encodings.

Every case runs through each reader (plain, gz, bz2, xz, zst, tar, tgz, zip) on real files,
and the per-chunk accounting identity of ``test_readers.read_all`` holds throughout.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import pathlib
import random
import tarfile
import zipfile

import pytest
import zstandard

from logpilot_kernel.ingest.readers import expand_inputs
from tests.test_readers import read_all


def _tar(mode: str):
    def write(path: pathlib.Path, data: bytes) -> pathlib.Path:
        with tarfile.open(path, mode) as tf:
            info = tarfile.TarInfo("app.log")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        return path
    return write


def _zip(path: pathlib.Path, data: bytes) -> pathlib.Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("app.log", data)
    return path


READERS = {
    "plain": (".log", lambda p, b: p.write_bytes(b)),
    "gz": (".log.gz", lambda p, b: p.write_bytes(gzip.compress(b))),
    "bz2": (".log.bz2", lambda p, b: p.write_bytes(bz2.compress(b))),
    "xz": (".log.xz", lambda p, b: p.write_bytes(lzma.compress(b))),
    "zst": (".log.zst", lambda p, b: p.write_bytes(zstandard.ZstdCompressor().compress(b))),
    "tar": (".tar", _tar("w")),
    "tgz": (".tgz", _tar("w:gz")),
    "zip": (".zip", _zip),
}


def read(tmp_path: pathlib.Path, reader: str, data: bytes, **kw):
    suffix, write = READERS[reader]
    path = tmp_path / f"input{suffix}"
    write(path, data)
    files, problems = expand_inputs([path])
    assert problems == [] and len(files) == 1, problems
    table, probs, lines, empty, _ = read_all(files[0], **kw)
    return table.column("raw").to_pylist() if table.num_rows else [], \
        table.column("origin_offset").to_pylist() if table.num_rows else [], probs, lines, empty, files[0]


LINE_ENDS = {
    "crlf": b"one\r\ntwo\r\n\r\nthree\r\n",
    "lone_cr": b"one\rtwo\r\rthree",
    "u2028": "one\u2028two\u2029\u2028three\n".encode(),
    "mixed": b"one\ntwo\r\n\rthree\r",
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("ending", sorted(LINE_ENDS))
def test_every_line_end_is_normalised_by_every_reader(tmp_path, reader, ending):
    raw, offsets, probs, lines, empty, _ = read(tmp_path, reader, LINE_ENDS[ending])
    assert raw == ["one", "two", "three"], raw  # no "\r" left at the end of a message
    assert offsets == [1, 2, 4] and probs == [] and lines == 3 and empty == 1


def test_crlf_split_across_two_read_blocks_is_one_line_end(tmp_path, monkeypatch):
    from logpilot_kernel.ingest import readers

    monkeypatch.setattr(readers, "BLOCK_BYTES", 7)  # a real small block: "line 1\r" | "\nline 2..."
    data = b"".join(b"line %d\r\n" % i for i in range(1, 40))
    raw, offsets, probs, lines, empty, _ = read(tmp_path, "plain", data)
    assert raw == [f"line {i}" for i in range(1, 40)]
    assert offsets == list(range(1, 40)) and empty == 0 and probs == []


@pytest.mark.parametrize("reader", sorted(READERS))
def test_nul_in_the_first_line_quarantines_that_line_only(tmp_path, reader):
    data = b"\x00\x00boot\x00 garbage\n" + b"".join(b"event %d ok\n" % i for i in range(99))
    raw, offsets, probs, lines, empty, _ = read(tmp_path, reader, data)
    assert len(raw) == 99 and offsets[0] == 2 and lines == 100
    assert [(p.origin_offset, p.n_lines) for p in probs] == [(1, 1)]
    assert "NUL" in probs[0].reason and probs[0].raw == "\\x00\\x00boot\\x00 garbage"


def test_control_bytes_quarantine_their_line_but_tab_and_ansi_colour_load(tmp_path):
    data = b"bell \x07 here\ntab\tok\n\x1b[31mred\x1b[0m\nform\x0cfeed\nbackspace\x08\nsub \x1a end\n"
    raw, offsets, probs, lines, _, _ = read(tmp_path, "plain", data)
    assert raw == ["tab\tok", "\x1b[31mred\x1b[0m", "form\x0cfeed", "backspace\x08"]
    assert [p.origin_offset for p in probs] == [1, 6] and lines == 6
    assert all(p.reason == "binary content (control bytes in the line)" for p in probs)
    assert probs[0].raw == "bell \\x07 here"


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_binary_file_is_one_quarantined_file_with_its_size(tmp_path, reader):
    data = random.Random(17).randbytes(200_000)
    raw, _, probs, lines, empty, f = read(tmp_path, reader, data)
    assert raw == [] and lines == 0 and empty == 0
    assert len(probs) == 1 and probs[0].quarantined_file and probs[0].origin_offset == 0
    assert probs[0].size == f.size and f"{f.size:,} bytes" in probs[0].reason
    assert probs[0].reason.startswith("binary content: whole file quarantined")


def test_nul_padding_after_good_lines_is_one_quarantined_line_not_a_binary_file(tmp_path):
    data = b"".join(b"event %d\n" % i for i in range(100)) + b"\x00" * 20_000
    raw, _, probs, lines, _, _ = read(tmp_path, "plain", data)
    assert len(raw) == 100 and lines == 101
    assert [(p.origin_offset, p.quarantined_file) for p in probs] == [(101, False)]


def test_mostly_text_with_some_binary_lines_still_loads(tmp_path):
    good = b"".join(b"2024-05-01 10:00:%02d INFO event %d\n" % (i % 60, i) for i in range(300))
    data = good[:5000] + b"\x00\x01\x02 blob\n" * 40 + good[5000:]
    raw, _, probs, lines, _, _ = read(tmp_path, "plain", data)
    assert len(raw) == 300 and len(probs) == 40 and lines == 340
    assert not any(p.quarantined_file for p in probs)


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize("encoding,bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                          ("utf-16-le", b""), ("utf-8", codecs.BOM_UTF8)])
def test_utf16_and_byte_order_marks_are_read_as_text(tmp_path, reader, encoding, bom):
    text = "".join(f"2024-05-01 10:00:{i:02d} INFO caf\u00e9 {i}\r\n" for i in range(50))
    raw, offsets, probs, lines, _, _ = read(tmp_path, reader, bom + text.encode(encoding))
    assert probs == [] and lines == 50
    assert raw == [f"2024-05-01 10:00:{i:02d} INFO caf\u00e9 {i}" for i in range(50)]


def test_utf16_split_across_read_blocks(tmp_path, monkeypatch):
    from logpilot_kernel.ingest import readers

    monkeypatch.setattr(readers, "BLOCK_BYTES", 33)  # odd: code units straddle blocks
    text = "".join(f"l\u00efne {i}\n" for i in range(60))
    raw, _, probs, lines, _, _ = read(tmp_path, "plain", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert raw == [f"l\u00efne {i}" for i in range(60)] and probs == [] and lines == 60


def test_white_space_only_lines_are_empty_lines(tmp_path):
    raw, offsets, probs, lines, empty, _ = read(tmp_path, "plain", b"a\n   \n\t\n \t \r\nb\n\n")
    assert raw == ["a", "b"] and offsets == [1, 5] and lines == 2 and empty == 4


def test_latin1_lines_load_flagged_not_quarantined(tmp_path):
    data = "caf\u00e9 cr\u00e8me\r\nna\u00efve\r\n".encode("latin-1")
    suffix, write = READERS["plain"]
    path = tmp_path / "latin.log"
    write(path, data)
    files, _ = expand_inputs([path])
    table, probs, lines, _, _ = read_all(files[0])
    assert probs == [] and lines == 2
    assert table.column("bad_utf8").to_pylist() == [True, True]
    assert table.column("raw").to_pylist() == ["caf\ufffd cr\ufffdme", "na\ufffdve"]


@pytest.mark.parametrize("latin1_elsewhere", [False, True])
def test_a_json_line_keeps_u2028_inside_its_strings(tmp_path, latin1_elsewhere):
    """JSON allows raw U+2028 in strings (JSON.stringify writes it so): one record, not two
    quarantined halves; outside JSON it still ends a line."""
    record = '{"ts": "2024-06-01T10:00:00Z", "msg": "pasted\u2028text\u2029here"}'
    data = (record + "\nplain\u2028text\n").encode() + (b"caf\xe9\n" if latin1_elsewhere else b"")
    raw, offsets, probs, lines, _, _ = read(tmp_path, "plain", data)
    assert raw[:3] == [record, "plain", "text"] and offsets[:3] == [1, 2, 3] and probs == []
    assert lines == (4 if latin1_elsewhere else 3)
    (tmp_path / "b").mkdir()
    broken = '{"ts": 1, "msg": "not closed\u2028"'  # not JSON as a whole: separators are line ends
    raw, _, _, _, _, _ = read(tmp_path / "b", "plain", (broken + "\n").encode())
    assert raw == ['{"ts": 1, "msg": "not closed', '"']
