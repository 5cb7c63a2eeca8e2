"""A workspace: everything LogPilot knows about one estate of logs, in one folder.

Layout::

    <workspace>/logpilot.duckdb   100% of rows + templates, quarantine, runs, offsets
    <workspace>/chroma/           Chroma persistent store: distinct templates only
    <workspace>/parquet/          engine-neutral archive, source=<s>/date=<d>/*.parquet
    <workspace>/miner/state.json  the template miner's state (plain JSON)
    <workspace>/rules.json        user rules of the schema registry
    <workspace>/logpilot.toml     optional settings

DuckDB allows one writing process per file, and inside a process a second ``connect`` to
the same file with another configuration fails. So a process keeps one database instance
per workspace path (shared by every ``Workspace`` object opened on it) and hands out
cursors: background threads (stream ingestion) and notebook queries each take their own.

Many readers, one writer (issue 18): the first process to open a workspace holds the file
read-write and keeps ``<ws>/snapshot/logpilot.duckdb`` up to date after its commits
(``logpilot_kernel.snapshot``, which says why a snapshot and not the Parquet lake or a query
service); a process that then finds the file locked opens that snapshot READ_ONLY, logs one
line saying how old it is, and picks up a newer snapshot on its next cursor. Its writes
(``write_lock``, which every writer takes) raise the one-line lock error naming the holder.
``read_only=True`` opens the live file READ_ONLY when no writer holds it (else the snapshot).

A widget that keeps querying (the dashboard) calls :meth:`Workspace.hold`; closing the
handle is then deferred until the last holder is closed or collected, so a notebook's
``close()`` never pulls the workspace from under a live widget.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import duckdb

from . import __version__
from .config import LogPilot, load_settings, resolve_home
from .errors import WorkspaceError, WorkspaceLockedError
from .migrations import MIGRATIONS, SCHEMA_VERSION
from . import snapshot as _snap
from .shared_db import SharedDB, WriteLock
from .sqltext import string_literal

DB_FILE = "logpilot.duckdb"
COLLECTION = "templates"
_KNOWN_ENTRIES = {
    DB_FILE, DB_FILE + ".wal", "chroma", "parquet", "miner", "rules.json", "logpilot.toml",
    "pyproject.toml", "runs", "segments", "exports", "health", _snap.SNAPSHOT_DIR,
}


@contextmanager
def transaction(cur: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT on ``cur``, ROLLBACK on any error (a cursor left in a failed
    transaction would refuse every later statement)."""
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    except BaseException:
        try:
            cur.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    cur.execute("COMMIT")


def rewrite_rows(cur: duckdb.DuckDBPyConnection, table: str, keys: Iterable[str],
                 select_sql: str, params: Iterable[Any] | None = None) -> int:
    """Replace the rows ``select_sql`` yields (whole new rows, matched on ``keys``): delete + insert.

    Why not UPDATE: DuckDB skips every checkpoint, automatic or manual, while a transaction
    that began before a committed UPDATE is still open, and notebooks leave such
    transactions open for hours (a ``fetchone()`` or a display limit leaves the result, and
    its transaction, pending). The write-ahead log and memory then grow for as long as the
    stream runs. Deletes and appends do not stop checkpoints (measured on DuckDB 1.5:
    ``tests/test_stream_parts.py``). Run it inside the caller's transaction; returns rows
    replaced.
    """
    keys = list(keys)
    tmp = f"_lp_rewrite_{table}"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {tmp} AS {select_sql}",
                list(params) if params is not None else None)
    try:
        cols = ", ".join(f'"{k}"' for k in keys)
        n = cur.execute(f"SELECT count(*) FROM {tmp}").fetchall()[0][0]
        if n:
            cur.execute(f"DELETE FROM {table} WHERE ({cols}) IN (SELECT {cols} FROM {tmp})")
            cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {tmp}")
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {tmp}")
    return int(n)


def record_template_merges(cur: duckdb.DuckDBPyConnection, mapping: dict[str, str], run_id: str) -> None:
    """Keep the ids a re-mine or merge retired and the ids now standing for them; earlier
    entries pointing at a retired id are re-pointed (delete + insert) so one lookup suffices."""
    cur.execute("CREATE TABLE IF NOT EXISTS template_merges (old_id VARCHAR NOT NULL, new_id VARCHAR NOT NULL, "
                "run_id VARCHAR, merged_at TIMESTAMP DEFAULT current_timestamp)")
    if not mapping:
        return
    import pyarrow as pa

    cur.register("_lp_merges", pa.table({"old_id": list(mapping), "new_id": list(mapping.values())}))
    try:
        rewrite_rows(cur, "template_merges", ["old_id"],
                     "SELECT m.* REPLACE (n.new_id AS new_id) FROM template_merges m "
                     "JOIN _lp_merges n ON m.new_id = n.old_id")
        cur.execute("DELETE FROM template_merges WHERE old_id IN (SELECT old_id FROM _lp_merges)")
        cur.execute("INSERT INTO template_merges (old_id, new_id, run_id) SELECT old_id, new_id, ? FROM _lp_merges",
                    [run_id])
    finally:
        cur.unregister("_lp_merges")


class Workspace:
    """Open (creating if needed) the workspace at ``path``; see the module docstring.

    ``Workspace()`` opens ``$LOGPILOT_HOME`` or ``./logpilot-workspace``. Use it as a
    context manager or call :meth:`close`; closing the last handle in a process releases
    the DuckDB file lock for other processes. When another process holds the file, the
    handle reads that process's snapshot (:attr:`read_only`, :attr:`freshness`);
    ``read_only=True`` never takes the file for writing.
    """

    def __init__(self, path: str | os.PathLike | None = None, *,
                 settings: LogPilot | None = None, read_only: bool = False) -> None:
        base = Path(path).expanduser() if path is not None else resolve_home(settings)
        if base.exists() and not base.is_dir():
            raise WorkspaceError(str(base), "is a file, not a workspace folder")
        try:
            base.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(str(base), f"cannot create the workspace folder: {exc.strerror}") from None
        self.path = base
        self.settings = settings or load_settings(base)
        self._check_foreign(read_only)
        self._shared = SharedDB.acquire(self.db_path, read_only)
        self._closed = False
        self._holders: set[int] = set()
        self._close_pending = False
        self._apply_limits()
        self._chroma: Any = None
        self._collection: Any = None
        try:
            self._migrate()
        except Exception:
            self.close()
            raise
        if self._shared.recovered is None:
            self._shared.recovered = self._recover() if self._shared.mode == "write" else {}
            snapshotter = self._shared.snapshotter
            if snapshotter is not None and snapshotter.needs_copy_on_open():
                snapshotter.mark_dirty()  # copied by its thread: a reader may be waiting
        #: What opening cleaned after a killed run: stale temporaries, unrecorded archive
        #: segments, runs left 'running' (``archive.recover``); empty lists if none.
        self.recovered: dict[str, Any] = self._shared.recovered

    def _recover(self) -> dict[str, Any]:
        """Clean what killed processes left, once per process (the first open of the file).

        Why only then: DuckDB lets one process hold the file, so when this process could
        open it no other writer is alive, and no thread of this process is writing yet.
        A failure here is reported, never a reason to refuse the workspace.
        """
        import logging

        from .archive import recover, summary

        try:
            with self._shared.write_lock.quiet:
                done = recover(self.path, self.parquet_path, self._shared.con)
        except (OSError, duckdb.Error) as exc:
            done = {"error": f"cleanup after an interrupted run failed: {exc}"}
        text = summary(done) or done.get("error", "")
        if text:
            logging.getLogger("logpilot").warning("%s: %s", self.path, text)
        return done

    def _apply_limits(self) -> None:
        limit = self.settings.memory_limit.strip()
        if not limit:
            return
        try:
            # a literal, not a bound parameter: DuckDB imports pandas (0.7-1 s) on the first
            # parameter it binds, and opening a workspace needs none (issue 18: the opening cell)
            self._shared.con.execute(f"SET memory_limit = {string_literal(limit)}")
        except duckdb.Error as exc:
            self.close()
            from .errors import ConfigError

            raise ConfigError("memory_limit", f"{limit!r} not accepted by DuckDB ({str(exc).splitlines()[0]}); "
                              "accepted: a size such as 512MB, 2GB, 8GB") from None
        tmp = self.path / ".duckdb-tmp"
        self._shared.con.execute(f"SET temp_directory = {string_literal(str(tmp))}")

    # ----------------------------------------------------------------- paths
    @property
    def db_path(self) -> Path:
        return self.path / DB_FILE

    @property
    def chroma_path(self) -> Path:
        return self.path / "chroma"

    @property
    def parquet_path(self) -> Path:
        return self.path / "parquet"

    @property
    def miner_state_path(self) -> Path:
        return self.path / "miner" / "state.json"

    @property
    def rules_path(self) -> Path:
        return self.path / "rules.json"

    # --------------------------------------------------------------- duckdb
    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The process-wide connection of this workspace (use from the owning thread)."""
        self._require_open()
        return self._shared.con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared instance: one per thread, never shared across threads."""
        self._require_open()
        self._shared.refresh()  # a reader picks up the writer's newer snapshot here
        shared = self._shared
        cur = shared.con.cursor()
        cur.execute("SET TimeZone = 'UTC'")
        if shared.mode == "snapshot":  # a cursor starts in the in-memory catalog
            cur.execute(f"USE {_snap.catalog(shared.path.name)}")
        return cur

    @property
    def write_lock(self) -> WriteLock:
        """Serialises multi-statement writes (bulk job vs stream thread) in this process.

        Every writer takes it, so it is where a read-only handle refuses a write (the
        lock error naming the holder) and where the writer's snapshotter learns of commits.
        """
        self._require_writable()
        return self._shared.write_lock

    @property
    def read_only(self) -> bool:
        """True when this process cannot write here (a snapshot, or opened ``read_only``)."""
        return self._shared.mode != "write"

    @property
    def freshness(self) -> str | None:
        """For a snapshot, the one line saying how old it is (None on the live file)."""
        if self._shared.mode != "snapshot":
            return None
        try:
            stamp = _snap.read_stamp(self._shared.con)
        except duckdb.Error:
            stamp = {}
        return _snap.freshness_line(self.path, stamp, self._shared.holder)

    def snapshot_now(self, timeout: float = 600.0) -> bool:
        """Writer: copy what is committed for readers now (after a write_lock commit they
        get it ``snapshot.QUIET`` s later anyway); False on a read-only handle."""
        snapshotter = self._shared.snapshotter
        if snapshotter is None:
            return False
        snapshotter.mark_dirty()  # also what bypassed write_lock (raw ``con`` writes)
        return snapshotter.flush(timeout)

    def _require_writable(self) -> None:
        self._require_open()
        if self._shared.mode == "snapshot":
            raise WorkspaceLockedError(str(self.db_path), self._shared.holder)
        if self._shared.mode == "read":
            raise WorkspaceError(str(self.db_path), "opened read-only; open it without "
                                 "read_only to write")

    def sql(self, query: str, params: Iterable[Any] | None = None) -> Any:
        """Run a query on a fresh cursor and return a pandas DataFrame (convenience)."""
        cur = self.cursor()
        try:
            return cur.execute(query, list(params) if params is not None else None).df()
        finally:
            cur.close()

    def scalar(self, query: str, params: Iterable[Any] | None = None) -> Any:
        cur = self.cursor()
        try:
            row = cur.execute(query, list(params) if params is not None else None).fetchone()
            return None if row is None else row[0]
        finally:
            cur.close()

    @classmethod
    def existing(cls, path: str | os.PathLike | None = None, **kwargs: Any) -> "Workspace":
        """Open a workspace that must already hold logs: for commands that only read.

        ``Workspace()`` creates what is missing, which is right for ``ingest`` but turns a
        mistyped ``--workspace`` of ``sql``/``ask``/``why`` into a silent empty answer (and
        an empty folder left behind). Here that is one error naming the folder instead.
        """
        base = Path(path).expanduser() if path is not None else resolve_home(kwargs.get("settings"))
        if not (base / DB_FILE).is_file():
            what = "is not a folder" if base.exists() and not base.is_dir() else (
                "holds no workspace" if base.exists() else "does not exist")
            raise WorkspaceError(str(base), f"{what}; load logs into it first with "
                                 f"`logpilot ingest PATH --workspace {base}`")
        return cls(base, **kwargs)

    @property
    def schema_version(self) -> int:
        return int(self.scalar("SELECT value FROM meta WHERE key = 'schema_version'"))

    def _check_foreign(self, read_only: bool = False) -> None:
        db = self.db_path
        if db.exists():
            if not os.access(db, os.R_OK if read_only else os.R_OK | os.W_OK):
                raise WorkspaceError(str(db), "is not readable by this user" if read_only
                                     else "is not readable and writable by this user")
            with open(db, "rb") as fh:
                head = fh.read(16)
            if len(head) >= 12 and head[8:12] != b"DUCK":
                raise WorkspaceError(str(db), "exists but is not a DuckDB database file; "
                                     "move it away or pick another workspace")
        for entry in ("rules.json",):
            p = self.path / entry
            if p.exists():
                try:
                    json.loads(p.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise WorkspaceError(str(p), f"is not valid JSON ({exc})") from None

    def _migrate(self) -> None:
        con = self._shared.con
        if self._shared.mode != "write":
            version = int(con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchall()[0][0])
            if version != SCHEMA_VERSION:
                raise WorkspaceError(str(self.db_path), f"has schema version {version}, this LogPilot "
                                     f"reads {SCHEMA_VERSION}; open it once read-write with this version")
            return
        with self._shared.write_lock.quiet:
            # fetchall, never fetchone, on the shared root connection: a pending result keeps
            # its transaction open for the life of the process (see rewrite_rows).
            tables = {r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchall()}
            if "meta" not in tables:
                if tables:
                    raise WorkspaceError(str(self.db_path), "is a DuckDB file but not a LogPilot "
                                         f"workspace (it holds {', '.join(sorted(tables)[:5])})")
                con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
                con.execute("INSERT INTO meta VALUES ('schema_version', '0'), ('created_at', ?), "
                            "('created_by', ?)", [dt.datetime.now(dt.timezone.utc).isoformat(),
                                                  f"logpilot {__version__}"])
            version = int(con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchall()[0][0])
            if version > SCHEMA_VERSION:
                raise WorkspaceError(str(self.db_path), f"has schema version {version}, newer than "
                                     f"this LogPilot understands ({SCHEMA_VERSION}); upgrade logpilot")
            for target in range(version + 1, SCHEMA_VERSION + 1):
                with transaction(con):
                    MIGRATIONS[target - 1](con)
                    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(target)])
        if version < SCHEMA_VERSION:
            self._shared._committed()  # readers of an older snapshot could not read it

    # --------------------------------------------------------------- chroma
    @property
    def chroma(self) -> Any:
        """The Chroma persistent client (created on first use: it costs about a second)."""
        self._require_open()
        if self._chroma is None:
            import chromadb
            from chromadb.config import Settings

            self._chroma = chromadb.PersistentClient(
                path=str(self.chroma_path), settings=Settings(anonymized_telemetry=False)
            )
        return self._chroma

    @property
    def templates_collection(self) -> Any:
        """The Chroma collection of distinct templates, embedded offline by default."""
        if self._collection is None:
            from .embeddings import make_embedding_function

            ef = make_embedding_function(self.settings.embedding)
            self._collection = self.chroma.get_or_create_collection(
                COLLECTION, embedding_function=ef, metadata={"hnsw:space": "cosine"}
            )
        return self._collection

    def embed_pending_templates(self, batch: int = 256) -> int:
        """Embed templates whose current text is not in Chroma yet; return how many.

        Only distinct templates are embedded, once each: ``embedded_text`` remembers what
        Chroma holds, so a template Drain generalised later is re-embedded, and nothing
        else is touched again.
        """
        cur = self.cursor()
        try:
            rows = cur.execute(
                "SELECT template_id, template, coalesce(first_service, '') FROM templates "
                "WHERE embedded_text IS DISTINCT FROM template ORDER BY template_id"
            ).fetchall()
            if not rows:
                return 0
            col = self.templates_collection
            for i in range(0, len(rows), batch):
                part = rows[i:i + batch]
                col.upsert(
                    ids=[r[0] for r in part],
                    documents=[r[1] for r in part],
                    metadatas=[{"service": r[2]} for r in part],
                )
            import pyarrow as pa

            done = pa.table({"template_id": [r[0] for r in rows], "text": [r[1] for r in rows]})
            with self.write_lock:
                cur.register("_lp_embedded", done)
                try:
                    with transaction(cur):
                        rewrite_rows(cur, "templates", ["template_id"],
                                     "SELECT t.* REPLACE (e.text AS embedded_text) FROM templates t "
                                     "JOIN _lp_embedded e USING (template_id)")
                finally:
                    cur.unregister("_lp_embedded")
            return len(rows)
        finally:
            cur.close()

    def search_templates(self, text: str, n: int = 10, *,
                         failure_first: bool = True) -> list[dict[str, Any]]:
        """Templates nearest in meaning to ``text`` (id, template, service, distance).

        ``failure_first``: a query with a failure word ("checkout failing") ranks the
        subject's failure templates above its other ones (``query.template_rank``); the
        why-engine, which weighs distances itself, asks for the plain order.
        """
        col = self.templates_collection
        total = col.count()
        if total == 0:
            return []
        from .query.template_rank import error_shares, has_failure_word, rerank

        reorder = failure_first and has_failure_word(text)
        res = col.query(query_texts=[text], n_results=min(max(n * 4, 30) if reorder else n, total))
        out = []
        for tid, doc, meta, dist in zip(res["ids"][0], res["documents"][0],
                                        res["metadatas"][0], res["distances"][0]):
            out.append({"template_id": tid, "template": doc,
                        "service": (meta or {}).get("service"), "distance": float(dist)})
        if not reorder:
            return out
        cur = self.cursor()
        try:
            shares = error_shares(cur, [h["template_id"] for h in out])
        finally:
            cur.close()
        return rerank(text, out, shares, n)

    def template_merges(self) -> dict[str, str]:
        """Retired template id -> the id standing for it now (``logpilot templates remine``)."""
        cur = self.cursor()
        if not cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'template_merges'").fetchone()[0]:
            return {}
        return dict(cur.execute("SELECT old_id, new_id FROM template_merges ORDER BY old_id").fetchall())

    # ------------------------------------------------------------ summaries
    def summary(self) -> dict[str, Any]:
        """What the workspace holds: rows per source, time range, templates, quarantine."""
        cur = self.cursor()
        try:
            rows, lo, hi = cur.execute("SELECT count(*), min(timestamp), max(timestamp) FROM logs").fetchone()
            sources = cur.execute(
                "SELECT source, count(*) AS rows, min(timestamp) AS first, max(timestamp) AS last "
                "FROM logs GROUP BY source ORDER BY rows DESC"
            ).fetchall()
            return {
                "path": str(self.path),
                "rows": rows,
                "first": lo.isoformat() if lo else None,
                "last": hi.isoformat() if hi else None,
                "templates": cur.execute("SELECT count(*) FROM templates").fetchone()[0],
                "quarantined": cur.execute("SELECT count(*) FROM quarantine WHERE origin_offset > 0").fetchone()[0],
                # offset 0: a whole file set aside (binary), listed with its reason and size
                "quarantined_files": [{"origin": o, "reason": r} for o, r in cur.execute(
                    "SELECT origin, reason FROM quarantine WHERE origin_offset = 0 ORDER BY origin").fetchall()],
                "sources": [
                    {"source": s, "rows": n, "first": f.isoformat() if f else None,
                     "last": lt.isoformat() if lt else None}
                    for s, n, f, lt in sources
                ],
                "schema_version": self.schema_version,
            }
        finally:
            cur.close()

    def handover_marks(self) -> dict[str, dt.datetime]:
        """Latest event time per source loaded by bulk jobs: where a stream takes over."""
        cur = self.cursor()
        try:
            return dict(cur.execute("SELECT source, last_event FROM handover").fetchall())
        finally:
            cur.close()

    def foreign_entries(self) -> list[str]:
        """Entries in the folder LogPilot did not put there (reported, never deleted)."""
        return sorted(p.name for p in self.path.iterdir()
                      if p.name not in _KNOWN_ENTRIES and not p.name.startswith("."))

    # -------------------------------------------------------------- closing
    def _require_open(self) -> None:
        if getattr(self, "_closed", True):
            raise WorkspaceError(str(self.path), "this workspace handle is closed")

    def hold(self, user: object) -> None:
        """Keep this handle open while ``user`` (a widget) lives: :meth:`close` is deferred
        until every holder was passed to :meth:`let_go` or garbage-collected.

        Why: a notebook's last cell closing the workspace (or Run All re-running the
        opening cell) must not turn a dashboard above it into "this handle is closed".
        """
        self._require_open()
        key = id(user)
        self._holders.add(key)
        weakref.finalize(user, self._let_go_key, key)

    def let_go(self, user: object) -> None:
        """``user`` no longer queries; a close asked for meanwhile happens now."""
        self._let_go_key(id(user))

    def _let_go_key(self, key: int) -> None:
        self._holders.discard(key)
        if self._close_pending and not self._holders:
            self._close_pending = False
            self.close()

    @property
    def holders(self) -> int:
        """Live widgets holding this handle open (see :meth:`hold`)."""
        return len(self._holders)

    def close(self) -> None:
        """Release this handle; the last one in the process closes DuckDB and Chroma.
        Deferred while a widget holds it (:meth:`hold`)."""
        if getattr(self, "_closed", True):
            return
        if self._holders:
            self._close_pending = True
            return
        self._closed = True
        self._collection = None
        self._chroma = None
        self._shared.release()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("snapshot" if self._shared.mode == "snapshot" else
                                                "read-only" if self._shared.mode == "read" else "open")
        return f"Workspace({str(self.path)!r}, {state})"
