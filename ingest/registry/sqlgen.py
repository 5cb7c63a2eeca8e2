"""Compile a :class:`Rule` into one DuckDB SELECT over a chunk of records.

Bulk ingestion parses millions of lines; doing that in Python costs a function call per
line. Instead each rule becomes a single vectorised query (RE2 ``regexp_extract`` with a
group-name list, ``try_strptime`` with a list of formats, JSON operators, list lambdas).
The query reads a relation with columns ``rn, origin, origin_offset, raw, dir_service,
bad_utf8`` and yields the golden columns (``timestamp`` still unmerged as ``ts``,
``context`` as JSON text) plus ``rn, matched, ts_text, raw, rule``;
:mod:`logpilot_kernel.ingest.enrich` merges the passes of several rules and inherits
missing timestamps.

Regexes must work in Python ``re`` and RE2 alike: named groups, no lookaround, no
backreferences. DuckDB maps ``regexp_extract`` names to groups by *position*, which is
why :meth:`Rule.group_names` lists every capturing group in order.
"""

from __future__ import annotations

import datetime as dt
import json
import re

from logpilot_kernel.schema import NOTE_KEYS, SEVERITIES, severity_sql_case

from .. import timestamps as _ts
from .. import zones as _zones
from .model import EPOCH_FORMATS, GOLDEN_GROUPS, HTTP_STATUS_FIELDS, SEVERITY_WORDS, Rule
from .sqlsplit import kv_matches_sql, split_select

#: Kept as names of this module for callers that used them here.
TZ_ABBREV_MINUTES = _ts.TZ_ABBREV_MINUTES
TZ_SPLIT_RE = _ts.TZ_SPLIT_RE

#: key=value pairs inside a message (``k=v``, ``k="quoted v"``); keys start with a letter.
KV_RE = r'([A-Za-z_][A-Za-z0-9_.\-]*)=("[^"]*"|[^\s,;"()\[\]{}]*)'

#: Trace / request ids written inside free text.
TRACE_IN_TEXT_RE = (
    r"(?i)\b(?:trace[_-]?id|traceid|trace|request[_-]?id|x[_-]request[_-]id)[\"']?\s*[=:]\s*"
    r"[\"']?([A-Za-z0-9][A-Za-z0-9._\-]{3,})"
)

#: Groups that are handled explicitly; every other named group becomes a context entry.
_NOT_CONTEXT = {"timestamp", "severity", "service", "host", "trace_id", "message"}

#: At most this many message key=value pairs go to context (URLs can carry hundreds).
MAX_KV = 32


def lit(value: str | None) -> str:
    """A DuckDB string literal (standard SQL quoting; backslashes are literal)."""
    from ...sqltext import literal  # the one literal helper (issue 17)

    return literal(None if value is None else str(value))


def severity_words_regex() -> list[tuple[str, str]]:
    """(level, RE2 regex) pairs from :data:`SEVERITY_WORDS`, tried in order."""
    out = []
    for level, words in SEVERITY_WORDS:
        alts = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
        out.append((level, rf"(?i)\b(?:{alts})\b"))
    return out


def inferred_severity_sql(msg: str) -> str:
    """CASE inferring a level from words in ``msg`` (for formats without a level)."""
    arms = " ".join(f"WHEN regexp_matches({msg}, {lit(rx)}) THEN '{lvl}'"
                    for lvl, rx in severity_words_regex())
    return f"(CASE {arms} ELSE 'INFO' END)"


def _clean(expr: str) -> str:
    """'' and '-' mean "absent" in nearly every log format."""
    return f"nullif(nullif(trim({expr}), ''), '-')"


def json_value_sql(v: str) -> str:
    """Text -> JSON text: integers stay numbers (status, bytes, ports), the rest strings."""
    # cheap necessary tests first (at most 16 bytes, first byte in '-'..'9'): most values
    # are longer text or start with a letter, and they spare those the regex
    return (f"(CASE WHEN strlen({v}) <= 16 AND {v} >= '-' AND {v} < ':' "
            f"AND regexp_full_match({v}, '-?(?:0|[1-9][0-9]{{0,14}})') THEN {v} "
            f"ELSE CAST(to_json({v}) AS VARCHAR) END)")


_strip_zone_formats = _ts.strip_zone_formats


def timestamp_sql(rule: Rule, base: str, ref: dt.datetime) -> str:
    """Naive *local* TIMESTAMP from the zone-less text ``base`` (see :mod:`..timestamps`)."""
    return _ts.local_time_sql(rule.timestamp_formats, base, ref)


def epoch_sql(rule: Rule, base: str) -> str:
    """Epoch seconds / ms / us (already UTC) when the rule allows them."""
    return _ts.epoch_sql(rule.timestamp_formats, base)


_offset_minutes_sql = _ts.offset_minutes_sql


def _fields_regex(rule: Rule) -> str:
    """First layer for regex rules: match the record's first line, pull the groups."""
    names = rule.group_names()
    pattern = rule.pattern or ""
    tail = "(?P<message>.*)$"
    # A trailing catch-all message group makes RE2 track a submatch across the whole
    # line; matching only the header and taking the rest by position is cheaper.
    header_only = pattern.endswith(tail) and names and names[-1] == "message" \
        and pattern.count("(?P<message>") == 1
    if header_only:
        pattern, names = pattern[: -len(tail)], names[:-1]
    matched = "length(g._all) > 0"
    if re.match(pattern, "") is not None:  # an empty match is still a match
        matched = f"regexp_matches(first_line, {lit(rule.pattern or '')})"
    wrapped = "(" + pattern + ")"
    # struct fields by position (c1, c2, ...): DuckDB's names are case-insensitive, and
    # a format may name two groups alike but for case (HAProxy's TR and Tr timers)
    field = {n: f"c{i}" for i, n in enumerate(names, 1)}
    name_list = "[" + ", ".join(lit(n) for n in ["_all", *field.values()]) + "]"
    has = set(names)

    def grp(n: str) -> str:
        return _clean(f"g.{field[n]}") if n in has else "CAST(NULL AS VARCHAR)"

    extras = [n for n in names if n not in _NOT_CONTEXT and not n.startswith("_g")]
    # each context field cleaned once, in a layer of its own: written inline, the cleaned
    # text was evaluated four times per field (test, number test, value, JSON quoting)
    cleaned = "".join(f", {grp(n)} AS _lp_x{i}" for i, n in enumerate(extras))
    pieces = ", ".join(
        f"CASE WHEN _lp_x{i} IS NOT NULL THEN {lit(json.dumps(n) + ':')} || {json_value_sql(f'_lp_x{i}')} END"
        for i, n in enumerate(extras)
    )
    entries_sql = f"concat_ws(',', {pieces})" if extras else "CAST(NULL AS VARCHAR)"
    keys_sql = "[" + ", ".join(lit(n) for n in extras) + "]::VARCHAR[]"
    if header_only:
        msg = "substr(first_line, length(g._all) + 1)"
    else:
        msg = f"coalesce(g.{field['message']}, '')" if "message" in has else "first_line"
    sev_src = grp(rule.severity_field)
    if "-" in rule.severity_map and rule.severity_field in has:  # '-' is a level mark here
        sev_src = f"nullif(trim(g.{field[rule.severity_field]}), '')"
    svc = f"coalesce({grp('service')}, {_default_service(rule)}, {grp('program')})"
    base = (f"SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8, {_head_sql(rule, 'raw')} AS first_line, "
            f"{_rest_sql(rule, 'raw')} AS rest FROM {{src}}")
    g_sql = f"regexp_extract(first_line, {lit(wrapped)}, {name_list})"
    # lines whose layout the pattern's delimiters fix are cut instead (see .sqlsplit)
    cut = split_select(rule.pattern or "", len(names), base, "first_line", g_sql,
                       len(names) + 1 if header_only else None) if header_lines(rule) == 1 else None
    if cut is not None:
        base, g_sql = cut
    return f"""
    SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8, rest,
      {matched} AS matched,
      {grp('timestamp')} AS ts_text,
      {sev_src} AS severity_raw,
      {svc} AS svc_rec,
      {grp('host')} AS host,
      {grp('trace_id')} AS trace_raw,
      {msg} AS msg1,
      nullif({entries_sql}, '') AS ctx_parts,
      {keys_sql} AS ctx_keys
    FROM (SELECT *{cleaned} FROM (SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8, rest, first_line,
            {g_sql} AS g
          FROM ({base})))"""


def header_lines(rule: Rule) -> int:
    """Lines a regex rule's pattern spans: 1, or more when it matches a newline (outside a
    character class), for a format whose records start with a two-line header."""
    if rule.kind != "regex" or not rule.pattern:
        return 1
    return 1 + re.sub(r"\[(?:\\.|[^\]])*\]", "", rule.pattern).count("\\n")


def _head_sql(rule: Rule, raw: str) -> str:
    """The part of a record the pattern is matched against: its first line (or lines)."""
    k = header_lines(rule)
    if k == 1:
        return f"CASE WHEN contains({raw}, chr(10)) THEN substr({raw}, 1, strpos({raw}, chr(10)) - 1) ELSE {raw} END"
    return f"array_to_string(string_split({raw}, chr(10))[1:{k}], chr(10))"


def _rest_sql(rule: Rule, raw: str) -> str:
    """The record's lines after the header (NULL when it has none)."""
    k = header_lines(rule)
    if k == 1:
        return f"CASE WHEN contains({raw}, chr(10)) THEN substr({raw}, strpos({raw}, chr(10)) + 1) END"
    return (f"CASE WHEN len(string_split({raw}, chr(10))) > {k} THEN "
            f"array_to_string(string_split({raw}, chr(10))[{k + 1}:], chr(10)) END")


def _default_service(rule: Rule) -> str:
    """A rule's default service name, after the file's own folder.

    Why: a format's default (``postgres`` for a PostgreSQL log) is a guess about the
    user's estate; the folder the user keeps the file in (``logs/billing-db/``) is their
    name for it. Generic folders (``log``, ``var``, ...) give NULL, so the default still
    applies to ``/var/log/postgresql.log``; rules without a default keep the record's own
    program before the folder (syslog's ``sshd``).
    """
    if rule.default_service is None:
        return "NULL"
    return f"coalesce(dir_service, {lit(rule.default_service)})"


def _ident(name: str) -> str:
    from ...sqltext import ident  # the one identifier helper (issue 17)

    return ident(name)


def _json_path(key: str) -> list[str]:
    """JSON paths to try for a key: the literal key, and the nested reading of 'a.b'.

    Keys come from rules, and induced rules take them from the data, so any character can
    occur. DuckDB's JSONPath reads a quoted step (``$."a.b"``) up to the closing quote, a
    backslash escaping the next character: ``"`` and ``\\`` are escaped, and ``.`` or
    ``[`` inside the quotes are part of the key. An empty key has no JSONPath spelling
    (DuckDB refuses ``$.""``); such a path is written as a JSON Pointer (RFC 6901, ``~``
    and ``/`` escaped as ``~0`` and ``~1``), which DuckDB accepts in the same path list.
    """
    paths = [_json_steps([key])]
    if "." in key and not key.startswith("@"):
        paths.append(_json_steps(key.split(".")))
    return paths


def _json_steps(keys: list[str]) -> str:
    """One DuckDB JSON path through nested object ``keys`` (see :func:`_json_path`)."""
    if any(k == "" for k in keys):
        return "".join("/" + k.replace("~", "~0").replace("/", "~1") for k in keys)
    return "$" + "".join('."' + k.replace("\\", "\\\\").replace('"', '\\"') + '"' for k in keys)


def _ejson_date(ts: str) -> str:
    """A time written as an Extended-JSON object (``{"$date": "..."}`` or
    ``{"$date": {"$numberLong": "..."}}``) read as its text; other values unchanged."""
    return (f"(CASE WHEN starts_with({ts}, '{{') THEN coalesce(json_extract_string({ts}, '$.\"$date\".\"$numberLong\"'), "
            f"json_extract_string({ts}, '$.\"$date\"')) ELSE {ts} END)")


def json_top_keys(rule: Rule) -> list[str]:
    """The top-level keys whose presence decides which alias paths of a json rule can hit."""
    goldens = ("timestamp", "severity", "message", "service", "host", "trace_id")
    keys = {k for g in goldens for k in rule.aliases(g)}
    keys |= {k.split(".")[0] for k in keys if "." in k and not k.startswith("@")}
    return sorted(keys)


def _fields_json(rule: Rule, present: "set[str] | None" = None) -> str:
    """First layer for JSON-lines rules: aliases per golden field, other keys to context.

    All alias paths are read with ONE multi-path ``json_extract_string`` (one parse per
    record), and the context is the object with the used keys removed by a constant
    RFC 7386 merge patch (nulls delete keys) - again one call, no per-key work.
    ``present``: the top-level keys that occur in the chunk at all (see
    :func:`json_top_keys`); paths and patch entries for absent keys are left out, which
    changes no result and makes both calls about 3x cheaper for records with few keys.
    """
    goldens = ("timestamp", "severity", "message", "service", "host", "trace_id")
    paths: list[str] = []
    index: dict[str, list[int]] = {}

    def hits(path: str, key: str) -> bool:
        if present is None:
            return True
        top = key if path == _json_path(key)[0] else key.split(".")[0]
        return top in present

    for g in goldens:
        index[g] = []
        for k in rule.aliases(g):
            for path in _json_path(k):
                if not hits(path, k):
                    continue
                if path not in paths:
                    paths.append(path)
                index[g].append(paths.index(path) + 1)

    def pick(golden: str) -> str:
        if not index[golden]:
            return "CAST(NULL AS VARCHAR)"
        return "coalesce(" + ", ".join(f"vals[{i}]" for i in index[golden]) + ")"

    used = sorted({k.split(".")[0] if "." in k and not k.startswith("@") else k
                   for g in goldens for k in rule.aliases(g)})
    if present is not None:
        used = [k for k in used if k in present]
    patch = lit(json.dumps({k: None for k in used}, separators=(",", ":")))
    if not paths:
        paths = ['$."_"']  # a list of no paths is not valid SQL; no pick() reads this one
    path_list = "[" + ", ".join(lit(p) for p in paths) + "]"
    svc = f"coalesce({_clean(pick('service'))}, {_default_service(rule)})"
    return f"""
    SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8, CAST(NULL AS VARCHAR) AS rest,
      j IS NOT NULL AS matched,
      {_ejson_date(_clean(pick('timestamp')))} AS ts_text,
      {_clean(pick('severity'))} AS severity_raw,
      {svc} AS svc_rec,
      {_clean(pick('host'))} AS host,
      {_clean(pick('trace_id'))} AS trace_raw,
      coalesce({pick('message')}, raw) AS msg1,
      nullif(substr(others, 2, length(others) - 2), '') AS ctx_parts,
      CASE WHEN contains(coalesce({pick('message')}, ''), '=') THEN json_keys(others) ELSE []::VARCHAR[] END AS ctx_keys
    FROM (SELECT *, CASE WHEN j IS NOT NULL THEN json_extract_string(j, {path_list}) END AS vals,
            CASE WHEN j IS NOT NULL THEN CAST(json_merge_patch(j, {patch}) AS VARCHAR) END AS others
          FROM (SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8,
                  CASE WHEN starts_with(ltrim(raw), '{{') THEN TRY_CAST(raw AS JSON) END AS j
                FROM {{src}}))"""


LOGFMT_RE = r'([A-Za-z_@][A-Za-z0-9_.@\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)'


def _fields_logfmt(rule: Rule) -> str:
    """First layer for logfmt rules: all pairs of the line, aliases to golden fields."""
    def pick(golden: str) -> str:
        keys = rule.aliases(golden)
        return "coalesce(" + ", ".join(f"vs[list_position(ks, {lit(k)})]" for k in keys) + ")"

    used = sorted({k for g in ("timestamp", "severity", "message", "service", "host", "trace_id")
                   for k in rule.aliases(g)})
    date_keys, zone_keys = _zones.split_time_keys()

    def first_of(keys: list[str]) -> str:
        return ("coalesce(" + ", ".join(f"vs[list_position(ks, {lit(k)})]" for k in keys) + ")") if keys \
            else "CAST(NULL AS VARCHAR)"
    # the date and the zone under keys of their own: joined to a clock-only time value
    clock = _clean(pick('timestamp'))
    ts_text = (f"CASE WHEN regexp_full_match({clock}, '\\d{{1,2}}:\\d{{2}}(?::\\d{{2}})?(?:[.,]\\d+)?') "
               f"AND {_clean(first_of(date_keys))} IS NOT NULL THEN {_clean(first_of(date_keys))} || ' ' || {clock} "
               f"|| coalesce(' ' || {_clean(first_of(zone_keys))}, '') ELSE {clock} END")
    used_list = "[" + ", ".join(lit(k) for k in used) + "]"
    svc = f"coalesce({_clean(pick('service'))}, {_default_service(rule)})"
    unq = (f"list_transform(regexp_extract_all(raw, {lit(LOGFMT_RE)}, 2), lambda v: "
           "CASE WHEN starts_with(v, '\"') THEN replace(substr(v, 2, length(v) - 2), '\\\"', '\"') ELSE v END)")
    return f"""
    SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8, CAST(NULL AS VARCHAR) AS rest,
      matched,
      {ts_text} AS ts_text,
      {_clean(pick('severity'))} AS severity_raw,
      {svc} AS svc_rec,
      {_clean(pick('host'))} AS host,
      {_clean(pick('trace_id'))} AS trace_raw,
      coalesce({pick('message')}, raw) AS msg1,
      nullif(array_to_string(list_transform(list_filter(list_zip(ks, vs), lambda p: NOT list_contains({used_list}, p[1])),
        lambda p: CAST(to_json(p[1]) AS VARCHAR) || ':' || {json_value_sql('p[2]')}), ','), '') AS ctx_parts,
      ks AS ctx_keys
    FROM (SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8, ks, vs,
            len(ks) >= 2 AND regexp_matches(raw, '^\\s*[A-Za-z_@][A-Za-z0-9_.@\\-]*=') AS matched
          FROM (SELECT rn, origin, origin_offset, raw, dir_service, bad_utf8,
                  regexp_extract_all(raw, {lit(LOGFMT_RE)}, 1) AS ks, {unq} AS vs
                FROM {{src}}))"""


def _severity_key_sql(rule: Rule, raw: str) -> str:
    if rule.severity_field == "pri":
        return f"CAST(TRY_CAST({raw} AS INTEGER) % 8 AS VARCHAR)"
    return f"lower(trim({raw}))"


def _severity_map_sql(rule: Rule, key: str) -> str:
    """Level for a distinct severity key: rule map first, then the shared aliases."""
    if rule.severity_field in HTTP_STATUS_FIELDS:
        return (f"(CASE WHEN TRY_CAST({key} AS INTEGER) >= 500 THEN 'ERROR' "
                f"WHEN TRY_CAST({key} AS INTEGER) >= 400 THEN 'WARN' "
                f"WHEN TRY_CAST({key} AS INTEGER) IS NOT NULL THEN 'INFO' END)")
    own = " ".join(f"WHEN {key} = {lit(k.lower())} THEN {lit(v)}"
                   for k, v in rule.severity_map.items() if v in SEVERITIES)
    shared = f"nullif({severity_sql_case(key, default='')}, '')"
    return f"(CASE {own} ELSE {shared} END)" if own else shared


def _kv_pairs_sql(rule_keys: str) -> str:
    """Message key=value pairs as a list of {k, v} (keys the rule already set skipped)."""
    return (f"CASE WHEN contains(message, '=') THEN list_slice(list_filter(list_transform("
            f"{kv_matches_sql('message', KV_RE)}, "
            "lambda x: {'k': substr(x, 1, strpos(x, '=') - 1), 'v': substr(x, strpos(x, '=') + 1)}), "
            f"lambda e: NOT list_contains({rule_keys}, e.k)), 1, {MAX_KV}) END")


def _kv_text_sql(kv: str) -> str:
    """``"k":v`` JSON text of the pairs; the first occurrence of a key wins (the
    quadratic dedupe only runs on the rare records that repeat a key)."""
    dedup = (f"CASE WHEN len(list_distinct(list_transform({kv}, lambda e: e.k))) = len({kv}) THEN {kv} "
             f"ELSE list_filter({kv}, lambda x, i: list_position(list_transform({kv}, lambda y: y.k), x.k) = i) END")
    # a key matched KV_RE's key group (letters, digits, '_', '.', '-'): nothing in it needs
    # JSON escaping, so it is quoted as it stands instead of through to_json per pair
    return (f"CASE WHEN len({kv}) > 0 THEN array_to_string(list_transform({dedup}, lambda e: "
            f"'\"' || e.k || '\":' || {json_value_sql(_unquote('e.v'))}), ',') END")


_TZ_TAIL_RE = _ts.TZ_TAIL_RE


def compile_rule(rule: Rule, src: str, *, ref: dt.datetime, now: dt.datetime,
                 file_ts: dt.datetime | None, source: str = "unknown",
                 json_keys: "set[str] | None" = None, monotone: bool = False) -> str:
    """The full SELECT for ``rule`` over relation ``src``.

    ``monotone``: year-less times get their years from the record order (window
    functions, see :func:`..timestamps.monotone_year_ctes`) instead of each from ``ref``
    alone; the caller asks for it only when the cheap per-record reading runs backwards.

    ``src`` has columns ``rn, origin, origin_offset, raw, dir_service, bad_utf8``.
    ``ref`` anchors year inference; ``now`` marks future timestamps; ``file_ts`` is the
    time given to records of formats that carry no time at all. The output has the
    golden columns (timestamp still unmerged as ``ts``, context as text without the
    inheritance note) plus ``rn, matched, ts_text, raw, rule``. ``json_keys``: for a json
    rule, the top-level keys present in ``src`` (None: assume all may be).
    """
    if rule.kind == "json":
        first = _fields_json(rule, json_keys)
    elif rule.kind == "logfmt":
        first = _fields_logfmt(rule)
    else:
        first = _fields_regex(rule)
    first = first.replace("{src}", src)
    no_ts = rule.kind == "regex" and "timestamp" not in rule.group_names()
    ts_epoch = epoch_sql(rule, "ts_text")
    wy = _ts.with_year_sql(rule.timestamp_formats, "tz_base")
    md = _ts.month_day_sql(rule.timestamp_formats, "tz_base")
    tod = _ts.time_of_day_sql(rule.timestamp_formats, "tz_base")
    if tod is not None:  # a time of day only: the date from ref, a day more at each midnight
        local_ctes = _time_of_day_ctes(wy, md, tod, ref, rule.file_date)
    elif md is None:  # every format has a year: one expression per record
        local_ctes = f"l AS (SELECT *, {wy or 'CAST(NULL AS TIMESTAMP)'} AS ts_local FROM z),"
    elif not monotone:  # year-less: each record's year from ref (the caller checks the order)
        local_ctes = f"l AS (SELECT *, {timestamp_sql(rule, 'tz_base', ref)} AS ts_local FROM z),"
    else:  # year-less formats: the year follows the file's order (see monotone_year_ctes)
        local_ctes = (f"y0 AS (SELECT *, {wy or 'CAST(NULL AS TIMESTAMP)'} AS ts_y, {md} AS md FROM z),\n    "
                      + _ts.monotone_year_ctes("y0", ref)
                      + ",\n    l AS (SELECT * EXCLUDE (ts_y, md, roll, first_md, year_md), "
                      "coalesce(ts_y, md + to_years(CAST(year_md - 2000 AS INTEGER))) AS ts_local FROM yb),")
    to_utc = _zones.to_utc_sql("ts_local", rule.timezone)  # times written without an offset
    future = lit((now + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"))
    if no_ts:  # the merge step gives these the previous record's time or the file's
        ts_expr = "CAST(NULL AS TIMESTAMP)"
        note0 = "NULL"
    else:
        ts_expr = (f"coalesce({ts_epoch}, CASE WHEN tz IS NOT NULL THEN ts_local - "
                   f"to_minutes(CAST({_offset_minutes_sql('tz', rule.timestamp_formats)} AS BIGINT)) ELSE {to_utc} END)")
        note0 = "NULL"
    date_src = "file_header" if rule.file_date else "file_mtime"  # where a time of day's date came from
    line_src = (f"""CASE WHEN ts IS NOT NULL AND ts_tod THEN '"ts_source":"line_time","ts_date":"{date_src}"' """
                """WHEN ts IS NOT NULL THEN '"ts_source":"line"' END""" if tod is not None
                else """CASE WHEN ts IS NOT NULL THEN '"ts_source":"line"' END""")
    # a time that was found but not taken says why (the row keeps an inherited one)
    epoch_arm = ("""WHEN ts IS NULL AND regexp_full_match(ts_text, '[0-9]{9,}(?:[.][0-9]+)?')
          THEN '"ts_rejected":' || CAST(to_json('epoch number ' || ts_text || ' out of range') AS VARCHAR)"""
                 if any(f in EPOCH_FORMATS for f in rule.timestamp_formats) else "")
    rejected = "NULL" if no_ts else (
        f"""CASE WHEN ts IS NULL AND tz IS NOT NULL AND ts_local IS NOT NULL AND {_offset_minutes_sql('tz', rule.timestamp_formats)} IS NULL
          THEN '"ts_rejected":' || CAST(to_json('UTC offset ' || tz || ' out of range') AS VARCHAR)
          {epoch_arm} END""")
    sev_key = _severity_key_sql(rule, "severity_raw")
    inferred = inferred_severity_sql("message")
    fallback_sev = lit(rule.default_severity) if rule.default_severity else inferred
    rule_piece = lit('"_rule":' + json.dumps(rule.name))
    # A level read from the words of the message is marked, never passed off as the source's.
    sev_src_piece = "" if rule.default_severity else \
        """CASE WHEN lvl IS NULL THEN '"severity_source":"inferred"' END,"""
    return f"""
    WITH f AS ({first}),
    m AS MATERIALIZED (SELECT *, {_message_sql(rule)} AS message,
            {sev_key} AS sev_key,
            {_ts.zone_split_sql('ts_text', rule.timestamp_formats)} AS tzx
          FROM f),
    z AS (SELECT *, CASE WHEN tzx.tzz <> '' THEN tzx.tzb ELSE ts_text END AS tz_base,
            nullif(tzx.tzz, '') AS tz FROM m),
    {local_ctes}
    sv AS (SELECT s, {_severity_map_sql(rule, 's')} AS lvl
           FROM (SELECT DISTINCT sev_key AS s FROM m WHERE sev_key IS NOT NULL)),
    p AS (SELECT l.*, {ts_expr} AS ts, sv.lvl FROM l LEFT JOIN sv ON l.sev_key = sv.s),
    q AS (SELECT *, CASE WHEN ts > TIMESTAMP {future} THEN 'future' ELSE {note0} END AS ts_note,
            {_kv_pairs_sql("kv_ex")} AS kv0
          FROM (SELECT *, list_concat(ctx_keys, [{', '.join(lit(k) for k in NOTE_KEYS)}]) AS kv_ex FROM p))
    SELECT rn, origin, origin_offset, raw, matched, ts, ts_text,
      coalesce(lvl, {fallback_sev}) AS severity,
      coalesce(svc_rec, dir_service, {lit(source)}) AS service_name,
      coalesce(trace_raw, CASE WHEN regexp_matches(message, '(?i)trace|request') THEN
        nullif(regexp_extract(message, {lit(TRACE_IN_TEXT_RE)}, 1), '') END) AS trace_id,
      message, host,
      '{{' || concat_ws(',', {rule_piece},
        CASE WHEN severity_raw IS NOT NULL THEN '"severity_raw":' || CAST(to_json(severity_raw) AS VARCHAR) END,
        CASE WHEN bad_utf8 THEN '"bad_utf8":true' END,
        CASE WHEN ts_note IS NOT NULL THEN '"ts_note":' || CAST(to_json(ts_note) AS VARCHAR) END,
        {line_src},
        {rejected},
        {sev_src_piece}
        ctx_parts, {_kv_text_sql('kv0')}) || '}}' AS context,
      {lit(rule.name)} AS rule, {lit(source)} AS source
    FROM q"""


def _message_sql(rule: Rule) -> str:
    """A record's message: its first line's (after the header) and the lines below it.
    When the first line holds no message (a header line of its own, the message on the
    following lines), the message is those lines; ``body_indent`` (an induced rule's
    indentation of them) is taken off each; a ``message_close`` mark alone on the last
    line is dropped; so is a ``message_quote``'s closing quote (doubled ones undone)."""
    body = "rest"
    if rule.body_indent:
        rx = "(^|\n)" + rule.body_indent.lstrip("^")
        body = f"regexp_replace(rest, {lit(rx)}, '\\1', 'g')"
    msg = (f"CASE WHEN rest IS NULL THEN msg1 WHEN trim(msg1) = '' THEN {body} "
           f"ELSE msg1 || chr(10) || {body} END")
    if rule.message_close:  # the closing mark alone on the last line is not message
        rx = r"\s*(?:^|\n)[ \t]*" + re.escape(rule.message_close) + r"\s*$"
        msg = f"regexp_replace({msg}, {lit(rx)}, '')"
    if rule.message_drop:  # layout lines (frames) out, and the line ends they leave at the end
        rx = "(?m)^(?:" + rule.message_drop.lstrip("^").rstrip("$") + ")$\n?"
        msg = f"rtrim(regexp_replace({msg}, {lit(rx)}, '', 'g'), chr(10))"
    if rule.message_quote:  # a quoted text: its closing quote off, doubled quotes undone
        q = rule.message_quote
        close = lit(re.escape(q) + r"[ \t]*$")
        msg = f"replace(regexp_replace({msg}, {close}, ''), {lit(q + q)}, {lit(q)})"
    return msg


def _time_of_day_ctes(wy: str | None, md: str | None, tod: str, ref: dt.datetime,
                      file_date: str | None = None) -> str:
    """The ``l`` CTE (with the ones it needs) for rules with a date-less format: each
    record's ``ts_local``, and ``ts_tod`` = its date came from ref, not from its line."""
    head = (f"t0 AS (SELECT *, {wy or 'CAST(NULL AS TIMESTAMP)'} AS ts_y, "
            f"{md or 'CAST(NULL AS TIMESTAMP)'} AS md, {tod} AS tod FROM z),\n    ")
    if md is not None:
        head += (_ts.monotone_year_ctes("t0", ref) + ",\n    t1 AS (SELECT * EXCLUDE (roll, first_md), "
                 "md + to_years(CAST(year_md - 2000 AS INTEGER)) AS ts_md FROM yb),\n    ")
    else:
        head += "t1 AS (SELECT *, CAST(NULL AS INTEGER) AS year_md, CAST(NULL AS TIMESTAMP) AS ts_md FROM t0),\n    "
    from ..timestamps_days import dated_time_of_day_ctes

    days = dated_time_of_day_ctes("t1", file_date) if file_date else _ts.time_of_day_ctes("t1", ref)
    return (head + days
            + ",\n    l AS (SELECT * EXCLUDE (ts_y, md, tod, year_md, ts_md, droll, last_tod, tod_ts), "
            "coalesce(ts_y, ts_md, tod_ts) AS ts_local, (ts_y IS NULL AND ts_md IS NULL AND tod IS NOT NULL) AS ts_tod "
            "FROM tb),")


def _unquote(v: str) -> str:
    return f"(CASE WHEN starts_with({v}, '\"') AND length({v}) >= 2 THEN substr({v}, 2, length({v}) - 2) ELSE {v} END)"


def format_probe_sql(rule: Rule, src: str) -> str | None:
    """Count, on a small sample relation, how many timestamps each format parses.

    Failed ``strptime`` attempts are the most expensive part of a parse (an order of
    magnitude over a hit), so the caller reorders formats so the common one is tried
    first. ``None`` when there is nothing to reorder.
    """
    fmts = [f for f in _strip_zone_formats(rule.timestamp_formats) if f not in EPOCH_FORMATS]
    if len(fmts) < 2 or (rule.kind == "regex" and "timestamp" not in rule.group_names()):
        return None
    first = {"json": _fields_json, "logfmt": _fields_logfmt}.get(rule.kind, _fields_regex)(rule)
    first = first.replace("{src}", src)
    arms = ", ".join(
        f"count(CASE WHEN {_one_format_sql(f, 'b')} IS NOT NULL THEN 1 END)" for f in fmts)
    return f"""SELECT {arms} FROM (
        SELECT CASE WHEN tzx.tzz <> '' THEN tzx.tzb ELSE ts_text END AS b FROM (
          SELECT ts_text, {_ts.zone_split_sql('ts_text', rule.timestamp_formats)} AS tzx
          FROM ({first}) WHERE matched AND ts_text IS NOT NULL))"""


def _one_format_sql(fmt: str, base: str) -> str:
    if "%Y" in fmt or "%y" in fmt:
        return f"try_strptime({base}, {lit(fmt)})"
    return f"try_strptime('2000 ' || {base}, {lit('%Y ' + fmt)})"


def reorder_formats(rule: Rule, counts: list[int]) -> list[str]:
    """The rule's formats, most successful on the sample first (stable otherwise)."""
    fmts = [f for f in _strip_zone_formats(rule.timestamp_formats) if f not in EPOCH_FORMATS]
    rank = {f: -c for f, c in zip(fmts, counts)}
    ordered = sorted(fmts, key=lambda f: rank.get(f, 0))
    return ordered + [f for f in rule.timestamp_formats if f in EPOCH_FORMATS]


def match_sql(rule: Rule, raw: str = "raw") -> str:
    """Cheap boolean 'does this rule take the record' (for routing mixed-format lines)."""
    if rule.kind == "json":
        return f"(starts_with(ltrim({raw}), '{{') AND json_valid({raw}))"
    if rule.kind == "logfmt":
        return (f"(regexp_matches({raw}, '^\\s*[A-Za-z_@][A-Za-z0-9_.@\\-]*=') AND "
                f"len(regexp_extract_all({raw}, {lit(LOGFMT_RE)}, 1)) >= 2)")
    return f"regexp_matches({_head_sql(rule, raw)}, {lit(rule.pattern or '')})"


__all__ = ["compile_rule", "match_sql", "lit", "GOLDEN_GROUPS", "header_lines"]
