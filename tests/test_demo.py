"""Tests of the demo estate generator, checked against the files with the test's own parsing.

Nothing here imports the generator's internals: every count in ground_truth.json is
recomputed from the bytes on disk with small regexes, so a bookkeeping bug in the
generator cannot hide behind the same bug in the check.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from logpilot_kernel.demo import GroundTruth, generate

MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}

NGINX = re.compile(r'^(\S+) - - \[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\] '
                   r'"(GET|POST|PUT|DELETE|HEAD) (\S+) HTTP/1\.1" (\d{3}) (\d+) "[^"]*" "[^"]*"$')
PG = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) UTC \[\d+\] "
                r"(LOG|WARNING|ERROR|FATAL):  (\S.*)$")
SYSLOG = re.compile(r"^(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) ([\w-]+)(?:\[(\d+)\])?: (.*)$")
UFW = re.compile(r"^\[\s*\d+\.\d{6}\] (\[UFW (BLOCK|ALLOW)\] IN=\S* OUT=\S* MAC=\S+ SRC=(\S+) "
                 r"DST=(\S+) .* DPT=(\d+) .*)$")
L4J = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) (DEBUG|INFO |WARN |ERROR) "
                 r"\[[^\]]+\] [\w.$]+ - (.*)$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")

PG_SEV = {"LOG": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "FATAL": "FATAL"}
JSON_SEV = {"debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR"}


def read_lines(path: Path) -> list[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        text = fh.read()
    assert text == "" or text.endswith("\n"), path
    return text.splitlines()


def sshd_sev(msg: str) -> str:
    low = msg.lower()
    if any(w in low for w in ("failed", "invalid", "error", "denied", "refused")):
        return "ERROR"
    return "WARN" if ("warn" in low or "block" in low) else "INFO"


def template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(<\*>)", template)
    return re.compile("".join(r"\S+" if p == "<*>" else re.escape(p) for p in parts) + "$")


def parse_ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


class Parsed:
    """Records of an estate as (service, severity, datetime, file, text, extras)."""

    def __init__(self, root: Path, truth: GroundTruth) -> None:
        self.root = root
        self.records: list[tuple[str, str, dt.datetime, str, str, object]] = []
        self.lines: dict[str, int] = {}
        self.nrecords: dict[str, int] = {}
        for f in truth.files:
            path = root / f["path"]
            lines = read_lines(path)
            self.lines[f["path"]] = len(lines)
            year = dt.datetime.fromtimestamp(os.stat(path).st_mtime, dt.timezone.utc).year
            before = len(self.records)
            parser = getattr(self, "p_" + f["format"])
            parser(f["path"], lines, year)
            self.nrecords[f["path"]] = len(self.records) - before

    def add(self, svc, sev, ts, path, text, extra=None):
        self.records.append((svc, sev, ts, path, text, extra))

    def p_nginx_combined(self, path, lines, _year):
        for line in lines:
            m = NGINX.match(line)
            assert m, line
            d = dt.datetime(int(m[4]), MONTHS[m[3]], int(m[2]), int(m[5]), int(m[6]), int(m[7]),
                            tzinfo=dt.timezone.utc)
            status = int(m[10])
            sev = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"
            self.add("gateway", sev, d, path, line, (status, m[8], m[9]))

    def p_jsonl(self, path, lines, _year):
        service = Path(path).parent.name
        for line in lines:
            obj = json.loads(line)
            assert {"ts", "level", "service", "trace_id", "msg"} <= set(obj), line
            assert obj["service"] == service and ISO.match(obj["ts"]), line
            assert HEX32.match(obj["trace_id"]), line
            self.add(service, JSON_SEV[obj["level"]], parse_ts(obj["ts"]), path, obj["msg"], obj)

    def p_postgresql_stderr(self, path, lines, _year):
        for line in lines:
            m = PG.match(line)
            assert m, line
            d = dt.datetime.fromisoformat(f"{m[1]}T{m[2]}:{m[3]}:{m[4]}.{m[5]}+00:00")
            self.add("postgres", PG_SEV[m[6]], d, path, m[7])

    def _syslog(self, lines, year):
        for line in lines:
            m = SYSLOG.match(line)
            assert m, line
            d = dt.datetime(year, MONTHS[m[1]], int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                            tzinfo=dt.timezone.utc)
            yield m, d

    def p_syslog_rfc3164_ufw(self, path, lines, year):
        for m, d in self._syslog(lines, year):
            assert m[7] == "kernel" and m[8] is None
            u = UFW.match(m[9])
            assert u, m[0]
            sev = "WARN" if u[2] == "BLOCK" else "INFO"
            # the message starts after the kernel's uptime stamp
            self.add("firewall", sev, d, path, u[1], (u[2], u[3], u[4], int(u[5])))

    def p_syslog_rfc3164(self, path, lines, year):
        for m, d in self._syslog(lines, year):
            assert m[7] == "sshd"
            self.add("sshd", sshd_sev(m[9]), d, path, m[9])

    def p_log4j(self, path, lines, _year):
        cur = None
        for line in lines:
            m = L4J.match(line)
            if m:
                if cur:
                    self.add(*cur)
                d = dt.datetime.fromisoformat(f"{m[1]}T{m[2]}:{m[3]}:{m[4]}.{m[5]}+00:00")
                cur = ["catalog", m[6].strip(), d, path, m[7], [line]]
            else:
                assert cur is not None and (line.startswith("\t") or re.match(
                    r"^(Caused by: )?[\w.$]+(Exception|Error)\b", line)), line
                cur[5].append(line)
        if cur:
            self.add(*cur)


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    root = tmp_path_factory.mktemp("estate")
    # two days across the month boundary, small enough to parse in a second or two
    truth = generate(root, days=2, seed=11, lines=60_000, start=dt.date(2024, 5, 31))
    return root, truth, Parsed(root, truth)


def test_files_and_layout(estate):
    root, truth, parsed = estate
    on_disk = sorted(str(p.relative_to(root)).replace(os.sep, "/")
                     for p in root.rglob("*") if p.is_file())
    assert on_disk == sorted([f["path"] for f in truth.files] + ["ground_truth.json"])
    paths = {f["path"] for f in truth.files}
    assert {"logs/" + p for p in (
        "gateway/access.log", "gateway/access.log.1.gz", "catalog/catalog.log",
        "catalog/catalog.log.1.gz", "checkout/checkout.jsonl", "payment/payment.jsonl",
        "inventory/inventory.jsonl", "postgres/postgresql.log", "firewall/syslog",
        "auth/auth.log")} <= paths
    for f in truth.files:
        assert f["compressed"] == f["path"].endswith(".gz")
        assert parsed.lines[f["path"]] == f["lines"], f["path"]
        assert parsed.nrecords[f["path"]] == f["records"], f["path"]
        assert f["records"] > 0, f["path"]
    cat = [f for f in truth.files if f["service"] == "catalog"]
    assert sum(f["lines"] for f in cat) > sum(f["records"] for f in cat)  # stack traces


def test_time_order_range_and_mtimes(estate):
    root, truth, parsed = estate
    start, end = parse_ts(truth.start), parse_ts(truth.end)
    by_file = defaultdict(list)
    for svc, sev, ts, path, text, extra in parsed.records:
        by_file[path].append(ts)
        assert start <= ts < end, (path, ts)
    for f in truth.files:
        ts = by_file[f["path"]]
        # nginx and syslog have one-second resolution
        assert all(a <= b for a, b in zip(ts, ts[1:])), f["path"]
        mtime = dt.datetime.fromtimestamp(os.stat(root / f["path"]).st_mtime, dt.timezone.utc)
        assert abs((mtime - ts[-1]).total_seconds()) < 1.0, f["path"]
    # rotated part is strictly older than the live file
    for svc in ("logs/gateway/access.log", "logs/catalog/catalog.log"):
        assert by_file[svc + ".1.gz"][-1] <= by_file[svc][0]


def test_counts_by_service_severity_day_and_hour(estate):
    _root, truth, parsed = estate
    day, hour = Counter(), Counter()
    for svc, sev, ts, *_ in parsed.records:
        day[(svc, sev, ts.strftime("%Y-%m-%d"))] += 1
        hour[(svc, sev, ts.strftime("%Y-%m-%dT%H"))] += 1
    got_day = {(r["service"], r["severity"], r["day"]): r["records"]
               for r in truth.counts["by_service_severity_day"]}
    got_hour = {(r["service"], r["severity"], r["hour"]): r["records"]
                for r in truth.counts["by_service_severity_hour"]}
    assert got_day == dict(day)
    assert got_hour == dict(hour)
    assert {k[2] for k in day} == {"2024-05-31", "2024-06-01"}
    assert {k[0] for k in day} == {"gateway", "checkout", "payment", "inventory", "postgres",
                                   "firewall", "sshd", "catalog"}
    # background noise: every service has some non-INFO records
    for svc in ("gateway", "checkout", "payment", "postgres", "firewall", "sshd", "catalog"):
        assert any(k[0] == svc and k[1] in ("WARN", "ERROR", "FATAL") for k in day), svc


def test_http_firewall_ssh_orders_counts(estate):
    _root, truth, parsed = estate
    http, fw_src, fw_dpt, ssh = Counter(), Counter(), Counter(), Counter()
    placed, failed, users = Counter(), Counter(), defaultdict(set)
    for svc, sev, ts, path, text, extra in parsed.records:
        d = ts.strftime("%Y-%m-%d")
        if svc == "gateway":
            http[(d, str(extra[0]))] += 1
        elif svc == "firewall" and extra[0] == "BLOCK":
            fw_src[extra[1]] += 1
            fw_dpt[str(extra[3])] += 1
        elif svc == "sshd" and text.startswith("Failed password"):
            ssh[re.search(r" from (\S+) port", text)[1]] += 1
        elif svc == "checkout" and text in ("order placed", "order failed"):
            (placed if text == "order placed" else failed)[d] += 1
            users[d].add(extra["user_id"])
    got = {(d, s): n for d, m in truth.counts["http_status_by_day"].items() for s, n in m.items()}
    assert got == dict(http)
    assert truth.counts["firewall_blocks_by_src_ip"] == dict(fw_src)
    assert truth.counts["firewall_blocks_by_dpt"] == dict(fw_dpt)
    assert truth.counts["ssh_failed_logins_by_src_ip"] == dict(ssh)
    orders = truth.counts["orders"]["by_day"]
    assert {d: o["placed"] for d, o in orders.items()} == dict(placed)
    assert {d: o["failed"] for d, o in orders.items() if o["failed"]} == dict(failed)
    assert truth.counts["orders"]["by_month"]["2024-05"]["failed"] == failed["2024-05-31"]
    assert truth.counts["users"]["ordering_users_by_day"] == {d: len(s) for d, s in users.items()}


def test_incidents(estate):
    root, truth, parsed = estate
    kinds = [i["kind"] for i in truth.incidents]
    assert sorted(kinds) == ["bad_deploy", "disk_full", "firewall_block", "pool_exhaustion",
                             "tls_expired"]
    windows = sorted((parse_ts(i["start"]), parse_ts(i["end"])) for i in truth.incidents)
    for (s1, e1), (s2, _e2) in zip(windows, windows[1:]):
        assert e1 < s2  # no overlap
    for inc in truth.incidents:
        start, end = parse_ts(inc["start"]), parse_ts(inc["end"])
        assert 10 * 60 <= (end - start).total_seconds() <= 40 * 60, inc["id"]
        rc = inc["root_cause"]
        assert len(inc["questions"]) >= 3 and inc["affected_services"]
        assert rc["service"] in inc["affected_services"]
        assert template_regex(rc["template"]).match(rc["message_example"]), rc
        hits = [r for r in parsed.records if r[3] in (rc["file"], rc["file"] + ".1.gz")
                and all(s in r[4] for s in rc["line_contains"])]
        assert len(hits) == rc["records"] > 0, inc["id"]
        tol = dt.timedelta(seconds=1)  # syslog has second resolution
        assert all(start - tol <= r[2] <= end for r in hits), inc["id"]
        if inc["kind"] == "bad_deploy":  # the window opens with the deploy (the trigger)
            assert inc["trigger"]["at"] == inc["start"]
            assert min(r[2] for r in hits) - start < dt.timedelta(minutes=2)
        else:
            assert min(r[2] for r in hits) - start < tol, inc["id"]
        assert all(r[0] == rc["service"] for r in hits)
        assert any(template_regex(rc["template"]).match(r[4]) for r in hits)
        assert inc["entities"], inc["id"]
        in_window = [r for r in parsed.records if start <= r[2] <= end]
        for tpl in inc["symptom_templates"]:
            rx = template_regex(tpl)
            assert any(rx.match(r[4]) for r in in_window if isinstance(r[4], str)), tpl
        hs = inc["http_symptom"]
        path_rx = template_regex(hs["path"])
        assert any(r[0] == "gateway" and r[5][0] in hs["status"] and r[5][1] == hs["method"]
                   and path_rx.match(r[5][2]) for r in in_window), inc["id"]
        if inc["kind"] != "bad_deploy":
            oid = inc["entities"]["order_id"]
            failed = [r for r in parsed.records if r[0] == "checkout" and r[4] == "order failed"
                      and r[5]["order_id"] == oid]
            assert len(failed) == 1 and start <= failed[0][2] <= end


def test_bad_deploy_exception_is_new(estate):
    _root, truth, parsed = estate
    inc = next(i for i in truth.incidents if i["kind"] == "bad_deploy")
    start, end = parse_ts(inc["start"]), parse_ts(inc["end"])
    npe = [r for r in parsed.records if r[0] == "catalog"
           and any("NullPointerException" in line for line in r[5])]
    assert npe and all(start < r[2] < end for r in npe)
    assert all(r[1] == "ERROR" and len(r[5]) > 3 for r in npe)
    deploy = [r for r in parsed.records
              if r[0] == "catalog" and r[4].startswith("Deployed version 2.4.1")]
    rollback = [r for r in parsed.records if r[0] == "catalog" and r[4].startswith("Rolled back")]
    assert [r[2] for r in deploy] == [start] and [r[2] for r in rollback] == [end]


def test_trace_ids_shared_across_services(estate):
    _root, _truth, parsed = estate
    by_trace = defaultdict(set)
    order_trace = {}
    for svc, sev, ts, path, text, extra in parsed.records:
        if isinstance(extra, dict):
            by_trace[extra["trace_id"]].add(svc)
            if svc == "checkout" and text == "order placed":
                order_trace[extra["order_id"]] = extra["trace_id"]
    assert len(order_trace) > 100
    for oid, tid in order_trace.items():
        assert by_trace[tid] == {"checkout", "payment", "inventory"}, oid


def test_ground_truth_roundtrip(estate):
    root, truth, _parsed = estate
    loaded = GroundTruth.load(root / "ground_truth.json")
    assert loaded.to_dict() == json.loads(json.dumps(truth.to_dict()))
    assert GroundTruth.load(root).incident("pool_exhaustion")["kind"] == "pool_exhaustion"
    assert loaded.counts["lines_total"] == sum(f["lines"] for f in loaded.files)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_deterministic_and_seed_sensitive(tmp_path):
    a = generate(tmp_path / "a", days=1, seed=3, lines=15_000)
    generate(tmp_path / "b", days=1, seed=3, lines=15_000)
    generate(tmp_path / "c", days=1, seed=4, lines=15_000)
    da, db, dc = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert da == db
    assert da["logs/checkout/checkout.jsonl"] != dc["logs/checkout/checkout.jsonl"]
    assert abs(a.counts["lines_total"] - 15_000) < 1_500


@pytest.mark.parametrize("lines", [5_000, 120_000])
def test_lines_scaling(tmp_path, lines):
    truth = generate(tmp_path, days=2, seed=5, lines=lines)
    total = sum(f["lines"] for f in truth.files)
    assert abs(total - lines) <= 0.1 * lines, total


def test_default_size_and_speed(tmp_path):
    t0 = time.perf_counter()
    truth = generate(tmp_path)
    took = time.perf_counter() - t0
    assert truth.start == "2024-05-30T00:00:00.000Z" and truth.end == "2024-06-02T00:00:00.000Z"
    assert 250_000 <= truth.counts["lines_total"] <= 350_000
    assert took < 30
    months = truth.counts["orders"]["by_month"]
    assert set(months) == {"2024-05", "2024-06"} and months["2024-05"]["failed"] > 0


@pytest.fixture(scope="module")
def extra_estate(tmp_path_factory):
    root = tmp_path_factory.mktemp("extra")
    truth = generate(root, days=2, seed=11, lines=60_000, start=dt.date(2024, 5, 31),
                     extra_incidents=True)
    return root, truth, Parsed(root, truth)


def test_extra_incidents_leave_the_default_five_alone(estate, extra_estate):
    _r, plain, _p = estate
    _r2, extra, _p2 = extra_estate
    assert "extra_incidents" not in plain.to_dict() and extra.to_dict()["extra_incidents"]
    keep = ("id", "kind", "start", "end")
    assert [{k: i[k] for k in keep} for i in plain.incidents] == \
        [{k: i[k] for k in keep} for i in extra.incidents[:5]]
    assert [i["id"] for i in extra.incidents[5:]] == ["INC-6", "INC-7", "INC-8"]


def test_extra_incidents_root_outside_the_symptom(extra_estate):
    _root, truth, parsed = extra_estate
    extras = truth.incidents[5:]
    assert sorted(i["kind"] for i in extras) == ["db_lock", "heap_pressure", "stock_feed_outage"]
    windows = sorted((parse_ts(i["start"]), parse_ts(i["end"])) for i in truth.incidents)
    for (s1, e1), (s2, _e2) in zip(windows, windows[1:]):
        assert e1 < s2
    tol = dt.timedelta(seconds=1)
    for inc in extras:
        start, end = parse_ts(inc["start"]), parse_ts(inc["end"])
        rc = inc["root_cause"]
        assert inc["symptom_service"] != rc["service"]
        assert not any(rc["service"] in q for q in inc["questions"]), inc["questions"]
        hits = [r for r in parsed.records if r[3] in (rc["file"], rc["file"] + ".1.gz")
                and all(s in r[4] for s in rc["line_contains"])]
        assert len(hits) == rc["records"] > 3, inc["id"]
        assert all(r[0] == rc["service"] and r[1] == "ERROR" for r in hits)
        assert all(start <= r[2] <= end for r in hits), inc["id"]
        assert min(r[2] for r in hits) - start < tol and min(r[2] for r in hits) >= start
        assert template_regex(rc["template"]).match(rc["message_example"])
        hs = inc["http_symptom"]
        path_rx = template_regex(hs["path"])
        sym = [r for r in parsed.records if r[0] == inc["symptom_service"]
               and r[5][0] in hs["status"] and r[5][1] == hs["method"] and path_rx.match(r[5][2])]
        inside = [r for r in sym if start <= r[2] <= end]
        assert len(inside) == inc["impact"]["http_errors"] > 0, inc["id"]
        # the symptom's rate in the window is far above its rate elsewhere
        span = (parse_ts(truth.end) - parse_ts(truth.start)).total_seconds()
        inside_rate = len(inside) / (end - start).total_seconds()
        outside_rate = (len(sym) - len(inside)) / (span - (end - start).total_seconds())
        assert inside_rate > 5 * outside_rate, inc["id"]
        in_window = [r for r in parsed.records if start <= r[2] <= end]
        for tpl in inc["symptom_templates"]:
            rx = template_regex(tpl)
            assert any(rx.match(r[4]) for r in in_window if isinstance(r[4], str)), tpl
