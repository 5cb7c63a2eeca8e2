"""The read-only guard refuses settings and secrets, which write nothing but disclose
paths (``secret_directory``, ``temp_directory``, the database file) and credentials.

Each refused statement is also run on a real workspace file without the guard, to show
it is real SQL that does disclose something (so the test fails if DuckDB renames one).
"""

from __future__ import annotations

import duckdb
import pytest

from logpilot_kernel.query.guard import GuardError, check_read_only

DISCLOSING = [
    ("SELECT name, value FROM duckdb_settings() WHERE name = 'secret_directory'", "duckdb_settings"),
    ("SELECT current_setting('temp_directory')", "current_setting"),
    ("SELECT * FROM pg_settings", "pg_settings"),
    ("SELECT setting FROM pg_catalog.pg_settings WHERE name = 'home_directory'", "pg_settings"),
    ("SELECT * FROM duckdb_secrets()", "duckdb_secrets"),
    ("SELECT which_secret('s3://bucket/x', 's3')", "which_secret"),
    ("SELECT path FROM duckdb_databases()", "duckdb_databases"),
    ("SELECT path FROM duckdb_databases", "duckdb_databases"),
    ("SELECT install_path FROM duckdb_extensions()", "duckdb_extensions"),
    ("SELECT * FROM duckdb_temporary_files()", "duckdb_temporary_files"),
    ("SELECT * FROM pragma_database_size()", "pragma_database_size"),
    ("SELECT * FROM pragma_platform()", "pragma_platform"),
    ("SELECT * FROM pragma_user_agent()", "pragma_user_agent"),
    ("SELECT getenv('HOME')", "getenv"),
    ("WITH s AS (SELECT * FROM duckdb_settings()) SELECT count(*) FROM s", "duckdb_settings"),
    ("SELECT count(*) FROM logs WHERE origin IN (SELECT current_setting('temp_directory'))", "current_setting"),
    ("SUMMARIZE SELECT * FROM duckdb_settings()", "duckdb_settings"),
    ("EXPLAIN SELECT * FROM duckdb_secrets()", "duckdb_secrets"),
]

STILL_ALLOWED = [
    "PRAGMA table_info('logs')",
    "SELECT * FROM pragma_table_info('logs')",
    "DESCRIBE logs",
    "SELECT table_name FROM duckdb_tables()",
    "SELECT column_name FROM duckdb_columns() WHERE table_name = 'logs'",
    "SELECT 'duckdb_settings() is just text here' AS t",
]


@pytest.mark.parametrize("sql,needle", DISCLOSING)
def test_settings_paths_and_secrets_are_refused_by_default(sql: str, needle: str) -> None:
    with pytest.raises(GuardError) as info:
        check_read_only(sql)
    msg = str(info.value)
    assert msg.startswith("refused (read-only):") and needle in msg and "\n" not in msg
    with pytest.raises(GuardError):
        check_read_only(sql, generated=True)


@pytest.mark.parametrize("sql", STILL_ALLOWED)
def test_schema_description_still_passes(sql: str) -> None:
    assert check_read_only(sql).statements[0] == "SELECT"


def test_the_refused_sql_does_disclose_a_path_when_unguarded(tmp_path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute("CREATE TABLE logs (origin VARCHAR)")
        shown = " ".join(str(r) for q in ("SELECT value FROM duckdb_settings() WHERE name = 'secret_directory'",
                                          "SELECT current_setting('temp_directory')",
                                          "SELECT path FROM duckdb_databases WHERE NOT internal")
                         for r in con.execute(q).fetchall())
    finally:
        con.close()
    assert str(tmp_path) in shown and "/" in shown
