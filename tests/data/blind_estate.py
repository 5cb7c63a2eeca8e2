"""The demo estate as this question set reads it: its own regexes over the raw files.

Kept apart from LogPilot on purpose: an expected answer must not inherit a bug of the
parser it is meant to test. ``crosscheck`` holds this reading to the generator's own
counters, so the two independent accounts must agree before any answer is written.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections import Counter
from pathlib import Path

UTC = dt.timezone.utc
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}

NGINX = re.compile(r'^(\S+) - - \[(\d\d)/(\w{3})/(\d{4}):(\d\d):(\d\d):(\d\d) \+0000\] '
                   r'"(\S+) (\S+) HTTP/1\.1" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$')
PG = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[(\d+)\] "
                r"(LOG|WARNING|ERROR|FATAL):  (.*)$")
SYSLOG = re.compile(r"^(\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) ([\w-]+)(?:\[(\d+)\])?: (.*)$")
UFW = re.compile(r"^\[\s*\d+\.\d+\] (\[UFW (\w+)\] .*)$")
KV = re.compile(r"(\w+)=(\S*)")
L4J = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (\w+)\s* "
                 r"\[([^\]]+)\] ([\w.$]+) - (.*)$")
PG_SEV = {"LOG": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "FATAL": "FATAL"}

#: The readings this set uses for time words (documented in the file it writes).
PARTS = {"early hours": (0, 6), "morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24)}


# ----------------------------------------------------------------------------- parsing
class Rec:
    __slots__ = ("svc", "sev", "ts", "msg", "f")

    def __init__(self, svc: str, sev: str, ts: dt.datetime, msg: str, f: dict) -> None:
        self.svc, self.sev, self.ts, self.msg, self.f = svc, sev, ts, msg, f


def _lines(path: Path) -> list[str]:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8").splitlines()


def _sshd_sev(msg: str) -> str:
    low = msg.lower()
    if any(w in low for w in ("failed", "invalid", "error", "denied", "refused")):
        return "ERROR"
    return "WARN" if ("warn" in low or "block" in low) else "INFO"


def parse_estate(root: Path) -> list[Rec]:
    """Every record of the estate, read from the files named in its ground truth."""
    truth = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    year = int(truth["start"][:4])
    out: list[Rec] = []
    for f in truth["files"]:
        path, fmt, svc = root / f["path"], f["format"], f["service"]
        lines = _lines(path)
        if fmt == "nginx_combined":
            for ln in lines:
                m = NGINX.match(ln)
                ts = dt.datetime(int(m[4]), MONTHS[m[3]], int(m[2]), int(m[5]), int(m[6]),
                                 int(m[7]), tzinfo=UTC)
                status = int(m[10])
                sev = "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO"
                out.append(Rec(svc, sev, ts, f"{m[8]} {m[9]}", {
                    "ip": m[1], "method": m[8], "path": m[9], "status": status,
                    "size": int(m[11]), "referer": m[12], "ua": m[13]}))
        elif fmt == "jsonl":
            for ln in lines:
                o = json.loads(ln)
                ts = dt.datetime.fromisoformat(o["ts"].replace("Z", "+00:00"))
                out.append(Rec(o["service"], o["level"].upper(), ts, o["msg"], o))
        elif fmt == "postgresql_stderr":
            for ln in lines:
                m = PG.match(ln)
                ts = dt.datetime.fromisoformat(m[1]).replace(tzinfo=UTC)
                out.append(Rec(svc, PG_SEV[m[3]], ts, m[4], {"pid": int(m[2])}))
        elif fmt.startswith("syslog"):
            for ln in lines:
                m = SYSLOG.match(ln)
                ts = dt.datetime(year, MONTHS[m[1]], int(m[2]), int(m[3]), int(m[4]), int(m[5]),
                                 tzinfo=UTC)
                if fmt == "syslog_rfc3164_ufw":
                    u = UFW.match(m[9])
                    kv = dict(KV.findall(u[1]))
                    out.append(Rec(svc, "WARN" if u[2] == "BLOCK" else "INFO", ts, u[1],
                                   dict(kv, action=u[2], host=m[6])))
                else:
                    out.append(Rec(m[7], _sshd_sev(m[9]), ts, m[9], {"host": m[6]}))
        elif fmt == "log4j":
            cur = None
            for ln in lines:
                m = L4J.match(ln)
                if m:
                    if cur:
                        out.append(cur)
                    ts = dt.datetime.fromisoformat(f"{m[1]}.{m[2]}").replace(tzinfo=UTC)
                    cur = Rec(svc, m[3], ts, m[6], {"logger": m[5], "thread": m[4]})
            if cur:
                out.append(cur)
        else:
            raise SystemExit(f"unknown format {fmt}")
    return out


def crosscheck(recs: list[Rec], truth: dict) -> None:
    """This script's reading of the files must agree with the generator's own counters."""
    c = truth["counts"]
    got = Counter((r.svc, r.sev, r.ts.date().isoformat()) for r in recs)
    want = {(x["service"], x["severity"], x["day"]): x["records"]
            for x in c["by_service_severity_day"]}
    checks = {
        "records by service, severity and day": (dict(got), want),
        "firewall blocks by source": (dict(Counter(r.f["SRC"] for r in recs if r.svc == "firewall"
                                                   and r.f["action"] == "BLOCK")),
                                      c["firewall_blocks_by_src_ip"]),
        "failed ssh logins by source": (dict(Counter(
            re.search(r" from (\S+) port", r.msg)[1] for r in recs
            if r.svc == "sshd" and r.msg.startswith("Failed password"))),
            c["ssh_failed_logins_by_src_ip"]),
        "orders placed by day": (dict(Counter(r.ts.date().isoformat() for r in recs
                                              if r.svc == "checkout" and r.msg == "order placed")),
                                 {d: o["placed"] for d, o in c["orders"]["by_day"].items()}),
        "http status by day": (dict(Counter((r.ts.date().isoformat(), str(r.f["status"]))
                                            for r in recs if r.svc == "gateway")),
                               {(d, st): n for d, m in c["http_status_by_day"].items()
                                for st, n in m.items()}),
    }
    for what, (mine, theirs) in checks.items():
        if mine != theirs:
            raise SystemExit(f"this script and the generator disagree on {what}")


