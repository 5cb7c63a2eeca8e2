"""Workspace storage: round trip across processes, sharing, locks, foreign files, versions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import duckdb
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.errors import WorkspaceError, WorkspaceLockedError
from logpilot_kernel.migrations import SCHEMA_VERSION
from logpilot_kernel.schema import LogRecord, records_to_arrow


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300)


def _insert(ws: Workspace, n: int) -> None:
    recs = [LogRecord(timestamp=f"2024-05-30T10:{i % 60:02d}:00Z", severity="ERROR" if i % 3 == 0 else "INFO",
                      service_name="payment", body="pool <*> exhausted", template_id="Tpool",
                      message=f"pool db{i} exhausted", source="demo", origin="payment.jsonl",
                      origin_offset=i + 1, context={"pool": f"db{i}"}) for i in range(n)]
    batch = records_to_arrow(recs)
    ws.con.register("batch", batch)
    ws.con.execute("INSERT INTO logs SELECT * FROM batch")
    ws.con.unregister("batch")


def test_unknown_path_is_created_with_layout_and_version(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "ws"
    with Workspace(target) as ws:
        assert (target / "logpilot.duckdb").is_file()
        assert ws.schema_version == SCHEMA_VERSION
        tables = set(ws.sql("SELECT table_name FROM information_schema.tables")["table_name"])
        assert {"logs", "templates", "quarantine", "ingest_runs", "stream_offsets", "handover", "meta"} <= tables


def test_round_trip_in_a_new_process_with_offline_template_search(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    with Workspace(path) as ws:
        _insert(ws, 90)
        ws.con.execute("INSERT INTO templates (template_id, template, first_service) VALUES "
                       "('Tpool', 'connection pool <*> exhausted after <*> ms', 'payment'), "
                       "('Tdisk', 'could not extend file <*>: No space left on device', 'postgres'), "
                       "('Tlogin', 'Accepted publickey for <*> from <*>', 'sshd')")
        assert ws.embed_pending_templates() == 3
        assert ws.embed_pending_templates() == 0  # embedded once
    out = _run(f"""
        import json, socket
        # No network: any attempt to connect anywhere but loopback fails loudly.
        real = socket.socket.connect
        def guard(self, addr):
            if isinstance(addr, tuple) and addr[0] not in ("127.0.0.1", "::1", "localhost"):
                raise OSError("network disabled in this test: " + str(addr))
            return real(self, addr)
        socket.socket.connect = guard
        from logpilot_kernel import Workspace
        with Workspace({str(path)!r}) as ws:
            rows = ws.scalar("SELECT count(*) FROM logs")
            errors = ws.scalar("SELECT count(*) FROM logs WHERE severity = 'ERROR'")
            ctx = ws.scalar("SELECT context->>'pool' FROM logs WHERE origin_offset = 5")
            hits = ws.search_templates("database ran out of connections", n=3)
            disk = ws.search_templates("disk is full", n=1)
        print(json.dumps({{"rows": rows, "errors": errors, "ctx": ctx,
                          "top": hits[0]["template_id"], "disk": disk[0]["template_id"]}}))
    """)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"rows": 90, "errors": 30, "ctx": "db4", "top": "Tpool", "disk": "Tdisk"}


def test_a_reopened_chroma_collection_still_embeds_offline_without_passing_the_function(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ws.con.execute("INSERT INTO templates (template_id, template) VALUES ('T1', 'TLS certificate expired for <*>')")
        ws.embed_pending_templates()
    out = _run(f"""
        import chromadb, logpilot_kernel.embeddings
        from chromadb.config import Settings
        c = chromadb.PersistentClient(path={str(tmp_path / 'ws' / 'chroma')!r}, settings=Settings(anonymized_telemetry=False))
        col = c.get_collection("templates")
        print(col.query(query_texts=["x509 cert has expired"], n_results=1)["ids"][0][0])
    """)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "T1"


def test_two_handles_in_one_process_share_one_instance_and_threads_use_cursors(tmp_path: Path) -> None:
    a = Workspace(tmp_path / "ws")
    b = Workspace(tmp_path / "ws")
    try:
        assert a.con is b.con
        _insert(a, 10)
        counts: list[int] = []

        def reader() -> None:
            cur = b.cursor()
            counts.append(cur.execute("SELECT count(*) FROM logs").fetchone()[0])
            cur.close()

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert counts == [10, 10, 10, 10]
        a.close()
        assert b.scalar("SELECT count(*) FROM logs") == 10  # b still open after a closed
    finally:
        a.close()
        b.close()


def test_a_lock_held_by_another_process_names_that_process(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    Workspace(path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(path / 'logpilot.duckdb')!r}); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        reader = Workspace(path)  # the snapshot the last writer left: readable, never writable
        try:
            assert reader.read_only
            with pytest.raises(WorkspaceLockedError, match=f"PID {holder.pid}"):
                reader.write_lock
        finally:
            reader.close()
        shutil.rmtree(path / "snapshot")
        with pytest.raises(WorkspaceLockedError) as info:
            Workspace(path)
        assert str(holder.pid) in str(info.value)
        assert "logpilot.duckdb" in str(info.value)
        assert "Traceback" not in str(info.value)
    finally:
        holder.kill()
        holder.wait()


def test_foreign_and_unreadable_files_get_errors_naming_the_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "logpilot.duckdb").write_bytes(b"this is not a database at all" * 10)
    with pytest.raises(WorkspaceError) as info:
        Workspace(garbage)
    assert "logpilot.duckdb" in str(info.value) and "not a DuckDB" in str(info.value)

    other = tmp_path / "other"
    other.mkdir()
    con = duckdb.connect(str(other / "logpilot.duckdb"))
    con.execute("CREATE TABLE invoices (id INT)")
    con.close()
    with pytest.raises(WorkspaceError) as info:
        Workspace(other)
    assert "not a LogPilot workspace" in str(info.value) and "invoices" in str(info.value)

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "rules.json").write_text("{broken")
    with pytest.raises(WorkspaceError) as info:
        Workspace(rules)
    assert "rules.json" in str(info.value)

    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(WorkspaceError, match="is a file"):
        Workspace(afile)


def test_a_newer_schema_is_refused_and_an_older_one_migrated(tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ws.con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="newer than"):
        Workspace(tmp_path / "ws")

    old = tmp_path / "old"
    old.mkdir()
    con = duckdb.connect(str(old / "logpilot.duckdb"))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    con.close()
    with Workspace(old) as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert ws.scalar("SELECT count(*) FROM logs") == 0


def test_closed_handle_refuses_work_and_releases_the_file(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.close()
    with pytest.raises(WorkspaceError, match="closed"):
        ws.sql("SELECT 1")
    out = _run(f"import duckdb; duckdb.connect({str(tmp_path / 'ws' / 'logpilot.duckdb')!r}); print('ok')")
    assert out.stdout.strip() == "ok", out.stderr
