"""Build the blind Loghub-2k question set (loghub_questions.json) from the ground truth.

Every answer is computed here from the labelled `<S>_2k.log_structured_corrected.csv`
files, never from LogPilot, so that the set measures the question box rather than
agreeing with it. The raw `<S>_2k.log` files are read only to check that each
"message contains" phrase counts the same lines in the message as in the whole raw
line (so the answer does not depend on whether a header field is searched too).

Usage: python make_loghub_questions.py --data DIR [--out FILE]
where DIR holds one folder per system (Apache, BGL, HDFS, ...).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

SYSTEMS = ["Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "Spark", "Zookeeper"]

# Ground-truth level spellings -> the golden severities. Systems absent here have no
# level column (HealthApp) or a header field that is not a level (Linux: the host).
LEVEL_MAP = {
    "Apache": {"error": "ERROR", "notice": "INFO"},
    "BGL": {"INFO": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "SEVERE": "ERROR",
            "FAILURE": "ERROR", "FATAL": "FATAL"},
    "HDFS": {"INFO": "INFO", "WARN": "WARN"},
    "Hadoop": {"INFO": "INFO", "WARN": "WARN", "ERROR": "ERROR", "FATAL": "FATAL"},
    "Spark": {"INFO": "INFO", "WARN": "WARN", "ERROR": "ERROR"},
    "Zookeeper": {"INFO": "INFO", "WARN": "WARN", "ERROR": "ERROR"},
}
ERRORS = ("ERROR", "FATAL")

DOC = (
    "Blind question set over the eight Loghub-2k development systems (Apache, BGL, HDFS, "
    "Hadoop, HealthApp, Linux, Spark, Zookeeper). Written without looking at LogPilot's "
    "question parser; every answer is computed by make_loghub_questions.py from the "
    "ground-truth structured CSVs (<S>_2k.log_structured_corrected.csv). "
    "Protocol: load each system's raw <S>_2k.log into ONE workspace with "
    "`logpilot ingest <S>_2k.log --workspace WS --source <s>` where <s> is the system name "
    "in lower case (apache, bgl, hdfs, hadoop, healthapp, linux, spark, zookeeper), so each "
    "system is one source/service; then ask each question as written. "
    "Conventions of the expected answers: one CSV row = one log line; severities are the "
    "golden ones (WARNING->WARN, SEVERE->ERROR, FAILURE->ERROR, FATAL->FATAL, Apache "
    "error->ERROR); 'errors' means ERROR and FATAL, 'warnings' means WARN; 'component' is the "
    "CSV's Component header field (for Linux the syslog program, e.g. sshd(pam_unix)); "
    "times come from the CSV's Date/Time fields read as UTC with the years in the data "
    "(HDFS 081109 = 2008-11-09, Spark 17/06/09 = 2017-06-09; for BGL the Time field, not the "
    "epoch column; Linux has no year: its questions are year-independent); timestamps in "
    "answers are 'YYYY-MM-DDTHH:MM:SS' truncated to the second; windows 'between A and B' "
    "are half-open [A, B) and chosen so that no line falls within B's second, so "
    "reading B as inclusive gives the same answer; 'mentions X' is a "
    "case-insensitive substring match on the message, with phrases chosen so that the raw "
    "line gives the same count; fractions are 0-1 rounded to 4 decimals (also when the "
    "question says percent); the 'system' field names the system asked about (several "
    "comma-separated, '*' for all eight); groupings list every non-empty group (ordered=false); top-N "
    "lists are ordered and have no tie at the cut; hour buckets are 'YYYY-MM-DDTHH:00:00', "
    "minute buckets 'YYYY-MM-DDTHH:MM:00', day buckets 'YYYY-MM-DD'; a system named in an "
    "answer is its lower-case source name."
)


def load(data: Path, system: str) -> pd.DataFrame:
    """One frame per system with ts, sev, comp, msg and raw (the line as in the file)."""
    folder = data / system
    df = pd.read_csv(folder / f"{system}_2k.log_structured_corrected.csv", dtype=str,
                     keep_default_na=False)
    raw = (folder / f"{system}_2k.log").read_text(encoding="utf-8", errors="replace").splitlines()
    if len(raw) != len(df):
        raise SystemExit(f"{system}: {len(raw)} raw lines but {len(df)} CSV rows")
    df["raw"] = raw
    if system == "HDFS":
        text, fmt = "20" + df.Date.str.zfill(6) + df.Time.str.zfill(6), "%Y%m%d%H%M%S"
    elif system in ("Hadoop", "Zookeeper"):
        text, fmt = df.Date + " " + df.Time, "%Y-%m-%d %H:%M:%S,%f"
    elif system == "Spark":
        text, fmt = df.Date + " " + df.Time, "%y/%m/%d %H:%M:%S"
    elif system == "Apache":
        text, fmt = df.Time, "%a %b %d %H:%M:%S %Y"
    elif system == "HealthApp":
        text, fmt = df.Time, "%Y%m%d-%H:%M:%S:%f"
    elif system == "BGL":
        text, fmt = df.Time, "%Y-%m-%d-%H.%M.%S.%f"
    else:  # Linux: no year in the data; 2000 is a placeholder used only for ordering.
        text, fmt = "2000 " + df.Month + " " + df.Date + " " + df.Time, "%Y %b %d %H:%M:%S"
    df["ts"] = pd.to_datetime(text, format=fmt).dt.floor("s")
    levels = LEVEL_MAP.get(system)
    df["sev"] = df.Level.map(levels) if levels else None
    if levels and df.sev.isna().any():
        raise SystemExit(f"{system}: unmapped levels {set(df.Level[df.sev.isna()])}")
    df["comp"] = df.Component if "Component" in df else None
    df["msg"] = df.Content
    return df


def iso(ts: pd.Timestamp) -> str:
    """Answers carry second precision, the finest every system's data shares."""
    return ts.strftime("%Y-%m-%dT%H:%M:%S")


class Builder:
    """Collects questions; each helper computes its answer and checks it is unambiguous."""

    def __init__(self, data: Path) -> None:
        self.d = {s: load(data, s) for s in SYSTEMS}
        epoch = self.d["BGL"].copy()
        epoch["ts"] = pd.to_datetime(epoch.Timestamp.astype(int), unit="s")
        self.d["BGL_epoch"] = epoch  # only to report how robust a BGL time answer is
        self.qs: list[dict] = []

    def add(self, system: str, kind: str, question: str, answer: dict, notes: str = "") -> None:
        self.qs.append({"id": f"lh-{len(self.qs) + 1:03d}", "system": system, "kind": kind,
                        "question": question, "answer": answer, "notes": notes})

    # -- selections ---------------------------------------------------------------
    def df(self, s: str, sev: str | tuple | None = None, comp: str | None = None,
           text: str | None = None, start: str | None = None, end: str | None = None,
           day: str | None = None, edge: bool = True) -> pd.DataFrame:
        d = self.d[s]
        if sev is not None:
            d = d[d.sev.isin((sev,) if isinstance(sev, str) else sev)]
        if comp is not None:
            d = d[d.comp == comp]
        if text is not None:
            hit = d.msg.str.contains(text, case=False, regex=False)
            raw_hit = d.raw.str.contains(text, case=False, regex=False)
            if not hit.equals(raw_hit):
                raise SystemExit(f"{s}: '{text}' counts differently in message and raw line")
            d = d[hit]
        if day is not None:
            d = d[d.ts.dt.strftime("%Y-%m-%d") == day]
        if start is not None:
            d = d[d.ts >= pd.Timestamp(start)]
        if end is not None:
            e = pd.Timestamp(end)
            edge_rows = d[(d.ts >= e) & (d.ts < e + pd.Timedelta("1s"))]
            if len(edge_rows) and edge:
                raise SystemExit(f"{s}: window end {end} has {len(edge_rows)} lines on its edge")
            d = d[d.ts < e]
        return d

    def n(self, s: str, **kw) -> int:
        return int(len(self.df(s, **kw)))

    def frac(self, part: int, whole: int) -> float:
        return round(part / whole, 4)

    def top(self, s: str, n: int, key: str = "comp", **kw) -> list[list]:
        vc = self.df(s, **kw)[key].value_counts()
        if n < len(vc) and vc.iloc[n - 1] == vc.iloc[n]:
            raise SystemExit(f"{s}: tie at the top-{n} cut")
        if n > 1 and len(set(vc.iloc[:n])) < min(n, len(vc)):
            raise SystemExit(f"{s}: tie inside the top-{n}")
        return [[k, int(v)] for k, v in vc.iloc[:n].items()]

    def group(self, s: str, key: str, fmt: str | None = None, **kw) -> list[list]:
        d = self.df(s, **kw)
        col = d.ts.dt.strftime(fmt) if fmt else d[key]
        return [[k, int(v)] for k, v in col.value_counts().sort_index().items()]

    def distinct(self, s: str, col: str) -> int:
        vals = self.d[s][col]
        return int(vals[vals != ""].nunique())

    def bgl_note(self, ours: object, theirs: object) -> str:
        """BGL's epoch column is UTC, 7-8 h after its Time field: say whether that reading agrees."""
        base = ("BGL times are the Time field (protocol); the raw line's epoch column is 7-8 h later "
                "(the Time field looks like US Pacific local time). ")
        if ours == theirs:
            return base + "Reading the epoch column instead gives the same answer."
        return base + f"Reading the epoch column instead would give {theirs}."


def scalar(v: float) -> dict:
    return {"type": "scalar", "value": v}


def value(v: str) -> dict:
    return {"type": "value", "value": v}


def rows(columns: list[str], r: list[list], ordered: bool) -> dict:
    return {"type": "rows", "columns": columns, "rows": r, "ordered": ordered}


def totals(b: Builder) -> None:
    k = "total_count"
    b.add("HDFS", k, "How many log lines does HDFS have?", scalar(b.n("HDFS")))
    b.add("Hadoop", k, "How many lines did Hadoop log in total?", scalar(b.n("Hadoop")))
    b.add("Spark", k, "what's the total number of log entries in spark", scalar(b.n("Spark")))
    b.add("Zookeeper", k, "How many events are there in the Zookeeper logs?", scalar(b.n("Zookeeper")))
    b.add("BGL", k, "Count all the BGL log lines.", scalar(b.n("BGL")))
    b.add("Apache", k, "how many lines came from apache?", scalar(b.n("Apache")))
    b.add("HealthApp", k, "How many records did HealthApp write?", scalar(b.n("HealthApp")))
    b.add("Linux", k, "How many Linux log lines were loaded?", scalar(b.n("Linux")))
    b.add("*", k, "How many log lines are there across all eight systems?",
          scalar(sum(b.n(s) for s in SYSTEMS)))
    b.add("HDFS,Hadoop", k, "How many lines did HDFS and Hadoop log together?",
          scalar(b.n("HDFS") + b.n("Hadoop")))


def by_level(b: Builder) -> None:
    k = "count_by_level"
    b.add("HDFS", k, "How many WARN lines did HDFS log?", scalar(b.n("HDFS", sev="WARN")))
    b.add("Hadoop", k, "How many warnings did Hadoop log?", scalar(b.n("Hadoop", sev="WARN")))
    b.add("Hadoop", k, "How many failures did Hadoop hit?", scalar(b.n("Hadoop", sev=ERRORS)),
          "'failures' read as errors = ERROR + FATAL")
    b.add("Hadoop", k, "How many FATAL lines are in Hadoop?", scalar(b.n("Hadoop", sev="FATAL")))
    b.add("Zookeeper", k, "How many errors were there in the Zookeeper logs?",
          scalar(b.n("Zookeeper", sev=ERRORS)), "errors = ERROR + FATAL (Zookeeper has no FATAL)")
    b.add("Zookeeper", k, "number of WARN messages logged by zookeeper",
          scalar(b.n("Zookeeper", sev="WARN")))
    b.add("Spark", k, "Were there any warnings in Spark? How many?", scalar(b.n("Spark", sev="WARN")),
          "Spark's sample is all INFO: the answer is zero.")
    b.add("Apache", k, "How many errors did Apache log?", scalar(b.n("Apache", sev=ERRORS)),
          "Apache level 'error' -> ERROR")
    b.add("BGL", k, "How many FATAL events did BGL record?", scalar(b.n("BGL", sev="FATAL")))
    b.add("BGL", k, "how many errors are in the BGL logs", scalar(b.n("BGL", sev=ERRORS)),
          "errors = ERROR + FATAL; BGL levels ERROR and SEVERE map to ERROR, FATAL to FATAL "
          f"(ERROR {b.n('BGL', sev='ERROR')} incl. SEVERE, FATAL {b.n('BGL', sev='FATAL')})")
    b.add("BGL", k, "How many warnings did BGL get?", scalar(b.n("BGL", sev="WARN")),
          "BGL level WARNING -> WARN")


def per_time(b: Builder) -> None:
    k = "per_time"
    b.add("HDFS", k, "How many lines did HDFS log per day?",
          rows(["day", "count"], b.group("HDFS", "", fmt="%Y-%m-%d"), False),
          "HDFS dates 081109.. = 2008-11-09..")
    b.add("Zookeeper", k, "daily line counts for zookeeper",
          rows(["day", "count"], b.group("Zookeeper", "", fmt="%Y-%m-%d"), False))
    b.add("Hadoop", k, "Show the number of Hadoop lines per minute.",
          rows(["minute", "count"], b.group("Hadoop", "", fmt="%Y-%m-%dT%H:%M:00"), False))
    b.add("Apache", k, "How many lines did Apache write each day?",
          rows(["day", "count"], b.group("Apache", "", fmt="%Y-%m-%d"), False))
    b.add("HealthApp", k, "How many HealthApp lines per hour?",
          rows(["hour", "count"], b.group("HealthApp", "", fmt="%Y-%m-%dT%H:00:00"), False))
    b.add("HDFS", k, "How many lines did HDFS log in the 10 o'clock hour on November 10, 2008?",
          scalar(b.n("HDFS", start="2008-11-10 10:00", end="2008-11-10 11:00", edge=False)),
          "10:00-10:59:59")
    b.add("Apache", k, "How many Apache lines were logged during the 6am hour on Dec 4 2005?",
          scalar(b.n("Apache", start="2005-12-04 06:00", end="2005-12-04 07:00", edge=False)),
          "06:00-06:59:59")
    b.add("Linux", k, "How many lines did the Linux logs have on June 30?",
          scalar(b.n("Linux", day="2000-06-30")), "Linux lines carry no year; the question is year-independent.")
    bgl = b.n("BGL", day="2005-07-17")
    b.add("BGL", k, "how many BGL lines were logged on 2005-07-17?", scalar(bgl),
          b.bgl_note(bgl, b.n("BGL_epoch", day="2005-07-17")))
    b.add("HDFS", k, "How many WARN lines did HDFS log each day?",
          rows(["day", "count"], b.group("HDFS", "", fmt="%Y-%m-%d", sev="WARN"), False),
          "days with no WARN are omitted")
    b.add("Zookeeper", k, "Errors per day in Zookeeper?",
          rows(["day", "count"], b.group("Zookeeper", "", fmt="%Y-%m-%d", sev=ERRORS), False),
          "errors = ERROR + FATAL; days without errors omitted")


def top_components(b: Builder) -> None:
    k = "top_component"
    b.add("HDFS", k, "Which HDFS component logged the most lines?", value(b.top("HDFS", 1)[0][0]))
    b.add("HDFS", k, "which component logged the most WARN in HDFS",
          value(b.top("HDFS", 1, sev="WARN")[0][0]))
    b.add("Hadoop", k, "Which component logged the most warnings in Hadoop?",
          value(b.top("Hadoop", 1, sev="WARN")[0][0]))
    b.add("Hadoop", k, "Which two Hadoop components had the most errors?",
          rows(["component", "count"], b.top("Hadoop", 2, sev=ERRORS), True), "errors = ERROR + FATAL")
    b.add("Hadoop", k, "What are the five busiest components in Hadoop by line count?",
          rows(["component", "count"], b.top("Hadoop", 5), True))
    b.add("Spark", k, "top 5 spark components by number of lines",
          rows(["component", "count"], b.top("Spark", 5), True))
    b.add("BGL", k, "Which BGL component had the most FATAL events?",
          value(b.top("BGL", 1, sev="FATAL")[0][0]))
    b.add("BGL", k, "Rank the BGL components by how many errors they logged.",
          rows(["component", "count"], b.top("BGL", b.df("BGL", sev=ERRORS).comp.nunique(), sev=ERRORS),
               True), "errors = ERROR + FATAL (SEVERE -> ERROR); all components with errors")
    b.add("Linux", k, "Top 3 programs in the Linux logs by number of lines",
          rows(["component", "count"], b.top("Linux", 3), True),
          "program = the syslog tag before [pid], e.g. sshd(pam_unix)")
    b.add("HealthApp", k, "Which 3 HealthApp components were the noisiest?",
          rows(["component", "count"], b.top("HealthApp", 3), True))


def distincts(b: Builder) -> None:
    k = "count_distinct"
    b.add("HDFS", k, "How many distinct pids show up in HDFS?", scalar(b.distinct("HDFS", "Pid")))
    b.add("HDFS", k, "how many different components does HDFS have", scalar(b.distinct("HDFS", "Component")))
    b.add("Hadoop", k, "How many unique components logged in Hadoop?", scalar(b.distinct("Hadoop", "Component")))
    b.add("Hadoop", k, "How many distinct thread names (the bracketed field, like [main]) appear in Hadoop?",
          scalar(b.distinct("Hadoop", "Process")), "the CSV's Process field")
    fatal_nodes = b.df("BGL", sev="FATAL").Node
    if not fatal_nodes.str.startswith("R").all():
        raise SystemExit("BGL: a FATAL line has a placeholder node")
    b.add("BGL", k, "How many distinct nodes had FATAL events in BGL?", scalar(int(fatal_nodes.nunique())),
          "the Node field; asked for FATAL lines only because other lines carry placeholders "
          "(NULL, UNKNOWN_LOCATION) that make 'distinct nodes' ambiguous")
    b.add("BGL", k, "how many components are there in bgl", scalar(b.distinct("BGL", "Component")))
    b.add("Spark", k, "How many different components wrote to the Spark log?",
          scalar(b.distinct("Spark", "Component")))
    b.add("HealthApp", k, "How many distinct components does HealthApp have?",
          scalar(b.distinct("HealthApp", "Component")))
    b.add("HealthApp", k, "How many different process ids logged in HealthApp?",
          scalar(b.distinct("HealthApp", "Pid")))
    b.add("Linux", k, "how many distinct programs logged to the Linux syslog?",
          scalar(b.distinct("Linux", "Component")),
          "program = the syslog tag, e.g. sshd(pam_unix); the CSV's programs include 'syslogd 1.4.1' and "
          "'-- root' (one each), and 'syslog' apart from 'syslogd 1.4.1'")
    linux_pids = b.d["Linux"].PID.str.replace(r"\.0$", "", regex=True)
    b.add("Linux", k, "How many unique PIDs are in the Linux logs?",
          scalar(int(linux_pids[linux_pids != ""].nunique())),
          "the [pid] after the program; lines without one are not counted")


def contains(b: Builder) -> None:
    k = "message_contains"
    b.add("HDFS", k, "How many times was the blockMap updated in HDFS?",
          scalar(b.n("HDFS", text="blockMap updated")), "message contains 'blockMap updated' (addStoredBlock)")
    b.add("HDFS", k, "How often did HDFS log 'Deleting block'?", scalar(b.n("HDFS", text="Deleting block")))
    b.add("HDFS", k, "How many lines in HDFS mention 'Got exception while serving'?",
          scalar(b.n("HDFS", text="Got exception while serving")))
    b.add("Zookeeper", k, "How many 'Connection broken' messages were there in Zookeeper?",
          scalar(b.n("Zookeeper", text="Connection broken")))
    b.add("Zookeeper", k, "How often did zookeeper say it cannot open channel?",
          scalar(b.n("Zookeeper", text="Cannot open channel")), "message contains 'Cannot open channel'")
    b.add("Hadoop", k, "How many times did Hadoop retry connecting to the server?",
          scalar(b.n("Hadoop", text="Retrying connect to server")),
          "message contains 'Retrying connect to server'")
    b.add("Apache", k, "How many times was a mod_jk child workerEnv in error state in Apache?",
          scalar(b.n("Apache", text="workerEnv in error state")), "message contains 'workerEnv in error state'")
    b.add("Linux", k, "How many lines in the Linux logs contain 'authentication failure'?",
          scalar(b.n("Linux", text="authentication failure")),
          "substring 'authentication failure' only (not 'Authentication failed')")
    b.add("Linux", k, "how many sessions were opened according to the linux logs",
          scalar(b.n("Linux", text="session opened")), "message contains 'session opened'")
    b.add("BGL", k, "How many 'generating core' lines are in BGL?", scalar(b.n("BGL", text="generating core")))
    b.add("HealthApp", k, "How many onStandStepChanged events did HealthApp log?",
          scalar(b.n("HealthApp", text="onStandStepChanged")))


def first_last(b: Builder) -> None:
    k = "first_last_seen"
    def first(s: str, **kw) -> str:
        return iso(b.df(s, **kw).ts.min())
    def last(s: str, **kw) -> str:
        return iso(b.df(s, **kw).ts.max())
    b.add("HDFS", k, "When did HDFS first log a WARN?", value(first("HDFS", sev="WARN")))
    b.add("HDFS", k, "When was the last 'Deleting block' message in HDFS?", value(last("HDFS", text="Deleting block")))
    b.add("Hadoop", k, "When did Hadoop first hit an error?", value(first("Hadoop", sev=ERRORS)),
          "errors = ERROR + FATAL; milliseconds truncated")
    b.add("Hadoop", k, "When was the last FATAL in Hadoop?", value(last("Hadoop", sev="FATAL")),
          "milliseconds truncated")
    b.add("Zookeeper", k, "when did zookeeper log its first error", value(first("Zookeeper", sev=ERRORS)),
          "milliseconds truncated")
    b.add("Zookeeper", k, "When did we last see 'Connection broken' in Zookeeper?",
          value(last("Zookeeper", text="Connection broken")), "milliseconds truncated")
    b.add("Apache", k, "When was the first error in the Apache log?", value(first("Apache", sev=ERRORS)))
    b.add("Apache", k, "When did Apache last log 'Directory index forbidden'?",
          value(last("Apache", text="Directory index forbidden")))
    b.add("Spark", k, "When did Spark first log 'Finished task'?", value(first("Spark", text="Finished task")))
    b.add("HealthApp", k, "When was the last 'flush sensor data' in HealthApp?",
          value(last("HealthApp", text="flush sensor data")), "milliseconds truncated")
    ours, theirs = first("BGL", sev="FATAL"), first("BGL_epoch", sev="FATAL")
    b.add("BGL", k, "When did BGL first report a FATAL event?", value(ours), b.bgl_note(ours, theirs))


def shares(b: Builder) -> None:
    k = "share"
    f = b.frac
    b.add("Zookeeper", k, "What fraction of Zookeeper lines are warnings?",
          scalar(f(b.n("Zookeeper", sev="WARN"), b.n("Zookeeper"))))
    b.add("Apache", k, "What percentage of Apache lines are errors?",
          scalar(f(b.n("Apache", sev=ERRORS), b.n("Apache"))), "asked as a percentage; answer as a fraction")
    b.add("HDFS", k, "what share of HDFS log lines are WARN", scalar(f(b.n("HDFS", sev="WARN"), b.n("HDFS"))))
    b.add("Hadoop", k, "What proportion of Hadoop's lines were errors?",
          scalar(f(b.n("Hadoop", sev=ERRORS), b.n("Hadoop"))), "errors = ERROR + FATAL")
    b.add("BGL", k, "What fraction of BGL events are FATAL?", scalar(f(b.n("BGL", sev="FATAL"), b.n("BGL"))))
    b.add("Linux", k, "What fraction of the Linux lines came from sshd(pam_unix)?",
          scalar(f(b.n("Linux", comp="sshd(pam_unix)"), b.n("Linux"))))
    b.add("HealthApp", k, "What share of HealthApp lines come from Step_LSC?",
          scalar(f(b.n("HealthApp", comp="Step_LSC"), b.n("HealthApp"))))
    b.add("Hadoop", k, "what fraction of hadoop lines were logged by org.apache.hadoop.ipc.Client",
          scalar(f(b.n("Hadoop", comp="org.apache.hadoop.ipc.Client"), b.n("Hadoop"))))
    b.add("HDFS", k, "What fraction of HDFS lines mention 'blockMap updated'?",
          scalar(f(b.n("HDFS", text="blockMap updated"), b.n("HDFS"))))
    b.add("Spark", k, "What percent of Spark's lines are INFO?", scalar(f(b.n("Spark", sev="INFO"), b.n("Spark"))),
          "asked as a percentage; answer as a fraction")
    b.add("Zookeeper", k, "What share of Zookeeper's lines on July 29, 2015 were warnings?",
          scalar(f(b.n("Zookeeper", sev="WARN", day="2015-07-29"), b.n("Zookeeper", day="2015-07-29"))))


def windows(b: Builder) -> None:
    k = "time_window"
    b.add("HDFS", k, "How many lines did HDFS log between 20:30 and 21:00 on November 9, 2008?",
          scalar(b.n("HDFS", start="2008-11-09 20:30", end="2008-11-09 21:00")))
    b.add("HDFS", k, "how many HDFS messages from 21:00 to 21:30 on 2008-11-10",
          scalar(b.n("HDFS", start="2008-11-10 21:00", end="2008-11-10 21:30")))
    b.add("Hadoop", k, "How many lines did Hadoop log between 18:03 and 18:05 on Oct 18 2015?",
          scalar(b.n("Hadoop", start="2015-10-18 18:03", end="2015-10-18 18:05")))
    b.add("Spark", k, "How many Spark lines were there between 20:10:50 and 20:11:00 on June 9, 2017?",
          scalar(b.n("Spark", start="2017-06-09 20:10:50", end="2017-06-09 20:11:00")))
    b.add("Zookeeper", k, "How many Zookeeper lines between 19:00 and 20:00 on July 29, 2015?",
          scalar(b.n("Zookeeper", start="2015-07-29 19:00", end="2015-07-29 20:00")))
    b.add("Zookeeper", k, "How many warnings did Zookeeper log between July 30 and August 1, 2015?",
          scalar(b.n("Zookeeper", sev="WARN", start="2015-07-30", end="2015-08-01")), "[07-30 00:00, 08-01 00:00)")
    b.add("Apache", k, "How many Apache lines between 6:00 and 6:30 am on Dec 4, 2005?",
          scalar(b.n("Apache", start="2005-12-04 06:00", end="2005-12-04 06:30")))
    b.add("Apache", k, "how many errors did apache hit between 16:00 and 18:00 on 2005-12-04",
          scalar(b.n("Apache", sev=ERRORS, start="2005-12-04 16:00", end="2005-12-04 18:00")))
    b.add("HealthApp", k,
          "How many HealthApp lines from 23:00 up to, but not including, 23:30 on December 23, 2017?",
          scalar(b.n("HealthApp", start="2017-12-23 23:00", end="2017-12-23 23:30", edge=False)),
          "HealthApp logs at the top of every minute; the end is exclusive as the question says "
          f"({b.n('HealthApp', start='2017-12-23 23:30', end='2017-12-23 23:30:01', edge=False)} line at 23:30:00)")
    ours = b.n("BGL", start="2005-10-01", end="2005-11-01")
    b.add("BGL", k, "How many BGL lines were logged in October 2005?", scalar(ours),
          b.bgl_note(ours, b.n("BGL_epoch", start="2005-10-01", end="2005-11-01")))
    b.add("Linux", k, "How many Linux lines between 04:00 and 05:00 on July 10?",
          scalar(b.n("Linux", start="2000-07-10 04:00", end="2000-07-10 05:00")),
          "Linux lines carry no year; the question is year-independent.")


def comparisons(b: Builder) -> None:
    k = "comparison"
    day = ["day", "count"]
    sysc = ["system", "count"]
    b.add("HDFS", k, "Did HDFS log more lines on Nov 10 or on Nov 11, 2008?",
          rows(day, [[d, b.n("HDFS", day=d)] for d in ("2008-11-10", "2008-11-11")], False))
    b.add("Zookeeper", k, "Compare Zookeeper warnings on July 29 vs July 30, 2015.",
          rows(day, [[d, b.n("Zookeeper", sev="WARN", day=d)] for d in ("2015-07-29", "2015-07-30")], False))
    b.add("Apache", k, "Were there more Apache errors on Dec 4 or Dec 5 2005?",
          value(max(("2005-12-04", "2005-12-05"), key=lambda d: b.n("Apache", sev=ERRORS, day=d))),
          "counts: " + ", ".join(f"{d}: {b.n('Apache', sev=ERRORS, day=d)}" for d in ("2005-12-04", "2005-12-05")))
    b.add("Hadoop,Zookeeper", k, "Which logged more warnings, Hadoop or Zookeeper?",
          rows(sysc, [["hadoop", b.n("Hadoop", sev="WARN")], ["zookeeper", b.n("Zookeeper", sev="WARN")]], False))
    b.add("HDFS,Hadoop", k, "How many more warnings did Hadoop log than HDFS?",
          scalar(b.n("Hadoop", sev="WARN") - b.n("HDFS", sev="WARN")))
    b.add("Apache,Hadoop", k, "compare error counts between apache and hadoop",
          rows(sysc, [["apache", b.n("Apache", sev=ERRORS)], ["hadoop", b.n("Hadoop", sev=ERRORS)]], False),
          "errors = ERROR + FATAL")
    b.add("Spark,Hadoop", k, "Which has more distinct components, Spark or Hadoop?",
          value("hadoop" if b.distinct("Hadoop", "Component") > b.distinct("Spark", "Component") else "spark"),
          f"hadoop {b.distinct('Hadoop', 'Component')}, spark {b.distinct('Spark', 'Component')}")
    b.add("BGL,Zookeeper", k, "How many more errors did BGL have than Zookeeper?",
          scalar(b.n("BGL", sev=ERRORS) - b.n("Zookeeper", sev=ERRORS)), "errors = ERROR + FATAL")
    b.add("Linux", k, "Did the Linux logs have more lines on June 30 or on July 10?",
          rows(day, [["06-30", b.n("Linux", day="2000-06-30")], ["07-10", b.n("Linux", day="2000-07-10")]], False),
          "Linux lines carry no year: days are given as MM-DD.")
    ours = [["2005-06", b.n("BGL", sev="FATAL", start="2005-06-01", end="2005-07-01")],
            ["2005-07", b.n("BGL", sev="FATAL", start="2005-07-01", end="2005-08-01")]]
    theirs = [["2005-06", b.n("BGL_epoch", sev="FATAL", start="2005-06-01", end="2005-07-01")],
              ["2005-07", b.n("BGL_epoch", sev="FATAL", start="2005-07-01", end="2005-08-01")]]
    b.add("BGL", k, "Compare BGL FATAL counts for June and July 2005.",
          rows(["month", "count"], ours, False), b.bgl_note(ours, theirs))


def by_severity(b: Builder) -> None:
    k = "group_by_severity"
    cols = ["severity", "count"]
    b.add("HDFS", k, "Break down HDFS lines by severity.", rows(cols, b.group("HDFS", "sev"), False))
    b.add("Hadoop", k, "How many Hadoop lines at each log level?", rows(cols, b.group("Hadoop", "sev"), False))
    b.add("Zookeeper", k, "zookeeper counts by severity", rows(cols, b.group("Zookeeper", "sev"), False))
    b.add("BGL", k, "What's the severity breakdown for BGL?", rows(cols, b.group("BGL", "sev"), False),
          "WARNING->WARN, SEVERE->ERROR, FAILURE->ERROR, FATAL->FATAL")
    b.add("Spark", k, "Group the Spark lines by level.", rows(cols, b.group("Spark", "sev"), False))
    comp = "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerAllocator"
    b.add("Hadoop", k, f"For {comp} in Hadoop, how many lines per severity?",
          rows(cols, b.group("Hadoop", "sev", comp=comp), False))
    b.add("Zookeeper", k, "By severity, what did Zookeeper log on July 30, 2015?",
          rows(cols, b.group("Zookeeper", "sev", day="2015-07-30"), False))
    b.add("HDFS", k, "Severity counts for dfs.DataNode$DataXceiver in HDFS?",
          rows(cols, b.group("HDFS", "sev", comp="dfs.DataNode$DataXceiver"), False))
    b.add("BGL", k, "how many KERNEL lines in BGL per severity",
          rows(cols, b.group("BGL", "sev", comp="KERNEL"), False), "BGL levels mapped as in the doc")
    r = []
    for s in ("HDFS", "Hadoop", "Spark", "Zookeeper"):
        r += [[s.lower(), sev, c] for sev, c in b.group(s, "sev", sev=("WARN",) + ERRORS)]
    b.add("HDFS,Hadoop,Spark,Zookeeper", k,
          "Warnings and errors per system for HDFS, Hadoop, Spark and Zookeeper, by severity",
          rows(["system", "severity", "count"], r, False), "WARN, ERROR, FATAL; empty groups omitted (Spark has none)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path, help="folder with one sub-folder per system")
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("loghub_questions.json"))
    args = ap.parse_args()
    b = Builder(args.data)
    for part in (totals, by_level, per_time, top_components, distincts, contains, first_last, shares,
                 windows, comparisons, by_severity):
        part(b)
    args.out.write_text(json.dumps({"doc": DOC, "questions": b.qs}, indent=1) + "\n", encoding="utf-8")
    kinds: dict[str, int] = {}
    for q in b.qs:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"{len(b.qs)} questions -> {args.out}: {kinds}")


if __name__ == "__main__":
    main()
