"""Renders records as each real program writes them (nginx combined + $request_time, pino NDJSON, PostgreSQL
stderr with log_line_prefix '%m [%p] %q%u@%d ', Redis server log, klog structured, Kafka log4j, a CSV audit).

Why a separate module: the rename variant changes only this layer; the records and the answers stay put.
"""
from __future__ import annotations

import datetime as dt
import json
import re

from sim import DEVICES, GROUPS, PLANS, PROFILES, REGIONS, TOPICS

UTC = dt.timezone.utc
CEST = dt.timezone(dt.timedelta(hours=2))
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _ms(t: float) -> tuple[dt.datetime, int]:
    n = int(round(t * 1000))
    return dt.datetime.fromtimestamp(n // 1000, UTC), n % 1000


class Renderer:
    """Turns records into lines under one rename variant's words."""

    def __init__(self, words: dict) -> None:
        self.w = words
        self.val = {}
        for canon, key in ((REGIONS, "regions"), (DEVICES, "devices"), (PLANS, "plans"), (PROFILES, "profiles"),
                           (TOPICS, "topics"), (GROUPS, "groups"),
                           (["allow", "deny_region", "deny_plan"], "decisions")):
            self.val.update(zip(canon, words[key]))
        self.val["db"] = words["pg_db"]

    def v(self, x):
        return self.val.get(x, x) if isinstance(x, str) else x

    def key(self, k: str) -> str:
        return self.w.get(k, k)

    def braces(self, text: str) -> str:
        return re.sub(r"\{([a-z-]+)\}", lambda m: self.val.get(m.group(1), m.group(1)), text)

    def line(self, r: dict) -> str:
        return getattr(self, "r_" + r["src"])(r)

    def r_nginx(self, r):
        d = dt.datetime.fromtimestamp(r["t"], CEST)
        stamp = f"{d.day:02d}/{MON[d.month - 1]}/{d.year}:{d:%H:%M:%S} +0200"
        return (f'{r["ip"]} - - [{stamp}] "{r["method"]} {r["path"]} HTTP/1.1" {r["status"]} {r["size"]} '
                f'"{r["ref"]}" "{r["ua"]}" {r["rt"]:.3f}')

    def r_playback(self, r):
        out = {"level": r["level"], "time": int(round(r["t"] * 1000)), "pid": r["pid"], "hostname": self.w["host"]}
        for k, x in r["f"].items():
            out[self.key(k)] = self.v(x)
        if "err" in r:
            out["err"] = {"type": "Error", "message": r["err"],
                          "stack": f"Error: {r['err']}\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)"}
        out["msg"] = self.w[r["msg"]]
        return json.dumps(out, separators=(",", ":"))

    def r_pg(self, r):
        d, ms = _ms(r["t"])
        who = f'{self.w["pg_user"]}@{self.w["pg_db"]} ' if r["user"] else ""
        return f'{d:%Y-%m-%d %H:%M:%S}.{ms:03d} UTC [{r["pid"]}] {who}{r["level"]}:  {self.braces(r["text"])}'

    def r_redis(self, r):
        d, ms = _ms(r["t"])
        return f'{r["pid"]}:{r["role"]} {d.day:02d} {MON[d.month - 1]} {d.year} {d:%H:%M:%S}.{ms:03d} {r["ch"]} {r["text"]}'

    def r_transcoder(self, r):
        n = int(round(r["t"] * 1_000_000))
        d = dt.datetime.fromtimestamp(n // 1_000_000, UTC)
        kv = " ".join(f'{self.key(k)}="{self.v(x)}"' if q else f"{self.key(k)}={x}" for k, x, q in r["kv"])
        return f'{r["level"]}{d:%m%d %H:%M:%S}.{n % 1_000_000:06d}       1 {r["where"]}] "{self.w[r["msg"]]}" {kv}'.rstrip()

    def r_kafka(self, r):
        d, ms = _ms(r["t"])
        head = f'[{d:%Y-%m-%d %H:%M:%S},{ms:03d}] {r["level"]} {self.braces(r["text"])} ({r["logger"]})'
        return "\n".join([head] + r.get("stack", []))

    def r_entitle(self, r):
        d = dt.datetime.fromtimestamp(int(round(r["t"] * 1000)) // 1000, CEST)
        ms = int(round(r["t"] * 1000)) % 1000
        return (f'{d:%Y-%m-%dT%H:%M:%S}.{ms:03d}+02:00,{r["req"]},{r["user"]},{r["title"]},{self.v(r["plan"])},'
                f'{self.v(r["region"])},{self.v(r["decision"])},{r["lat"]}')

    def header(self, src: str) -> list[str]:
        return [",".join(self.w["csv_header"])] if src == "entitle" else []
