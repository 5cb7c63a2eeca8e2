"""The read-only guard decides by DuckDB's parser: statement types and the parse tree."""

from __future__ import annotations

import pytest

from logpilot_kernel.query.guard import GuardError, check_read_only, is_sql

ALLOWED = [
    "SELECT 1",
    "select context->>'order_id' AS o FROM logs -- a comment with DELETE in it",
    "SELECT 'drop table logs; copy x to y' AS harmless_text",
    "WITH e AS (SELECT * FROM logs WHERE severity = 'ERROR') SELECT count(*) FROM e",
    "DESCRIBE logs",
    "SHOW TABLES",
    "SUMMARIZE logs",
    "FROM logs LIMIT 3",
    "EXPLAIN SELECT * FROM logs",
    "EXPLAIN ANALYZE SELECT count(*) FROM logs",
    "SELECT * FROM range(10)",
    "PRAGMA table_info('logs')",
    "SELECT * FROM duckdb_tables()",
    "SELECT 1;",
]

REFUSED = [
    ("INSERT INTO logs SELECT * FROM logs", "INSERT"),
    ("UPDATE logs SET severity = 'INFO'", "UPDATE"),
    ("DELETE FROM logs", "DELETE"),
    ("DROP TABLE logs", "DROP"),
    ("CREATE TABLE t AS SELECT 1", "CREATE"),
    ("ALTER TABLE logs ADD COLUMN x INT", "ALTER"),
    ("COPY logs TO 'out.csv'", "COPY"),
    ("EXPORT DATABASE 'dump'", "EXPORT"),
    ("ATTACH 'other.duckdb' AS o", "ATTACH"),
    ("DETACH o", "DETACH"),
    ("INSTALL httpfs", "LOAD"),
    ("LOAD httpfs", "LOAD"),
    ("SET threads = 1", "SET"),
    ("CALL pragma_version()", "CALL"),
    ("SELECT * FROM read_csv('/etc/passwd')", "read_csv"),
    ("SELECT * FROM read_text('/etc/hostname')", "read_text"),
    ("SELECT count(*) FROM logs WHERE origin IN (SELECT file FROM glob('*.log'))", "glob"),
    ("SELECT * FROM 'secrets.parquet'", "file path"),
    ("SELECT * FROM logs JOIN read_parquet('x.parquet') USING (origin)", "read_parquet"),
    ("SUMMARIZE SELECT * FROM read_json('x.json')", "read_json"),
    ("SELECT * FROM query('DELETE FROM logs')", "query"),
    ("EXPLAIN ANALYZE DELETE FROM logs", "DELETE"),
    ("SELECT 1; DROP TABLE logs", "2 statements"),
    ("SELECT getenv('HOME')", "getenv"),
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_read_only_statements_pass(sql: str) -> None:
    report = check_read_only(sql)
    assert report.statements[0] in ("SELECT", "EXPLAIN")


@pytest.mark.parametrize("sql,needle", REFUSED)
def test_writes_files_and_extensions_are_refused_with_the_construct_named(sql: str, needle: str) -> None:
    with pytest.raises(GuardError) as info:
        check_read_only(sql)
    msg = str(info.value)
    assert msg.startswith("refused (read-only):") and needle in msg and "\n" not in msg
    assert "--write" in msg


def test_generated_sql_refusals_do_not_offer_write() -> None:
    with pytest.raises(GuardError) as info:
        check_read_only("DELETE FROM logs", generated=True)
    assert "--write" not in str(info.value)


def test_sql_or_english_is_decided_by_the_parser() -> None:
    assert is_sql("SELECT count(*) FROM logs")
    assert is_sql("SUMMARIZE logs")
    assert not is_sql("how many errors in May?")
    assert not is_sql("which service failed most")
    assert not is_sql("select the top services")  # starts like SQL, is English
