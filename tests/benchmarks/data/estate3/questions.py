"""The quantitative questions of estate 3: wording (with rename placeholders) and how each answer is computed.

Placeholders: {nginx} etc. a service's folder name, {v:x} a categorical value, {k:x} a JSON/kv key,
{c:i} the i-th CSV column name. Answers come from the records (sim.Estate), never from parsing the text.
"""
from __future__ import annotations

from collections import Counter

from qlib import DAY, WEEKDAYS, Q, is_err, is_warn, kv, listing, mean, pct, scalar, table, top

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def _st(r):
    return r.get("status", 0)


def specs(q: Q, rd) -> list[tuple]:
    """(group, kind, question template, answer, notes) for every question, in order."""
    ng, pb, pg, tc, en = (q.R[k] for k in ("nginx", "playback", "pg", "transcoder", "entitle"))
    starts = [r for r in pb if r["msg"] == "m_start"]
    ends = [r for r in pb if r["msg"] == "m_end"]
    done = [r for r in tc if r["msg"] == "k_done"]
    slow = [r for r in pg if r.get("kind") == "duration"]
    now = q.est.t_end
    v = rd.v
    S = []
    add = lambda *a: S.append(a)  # noqa: E731

    add("count", "total", "How many requests did {nginx} handle over the whole week?", scalar(len(ng)),
        "every access-log line is one request")
    add("count", "status_day", "How many 5xx responses did {nginx} return on Tuesday?",
        scalar(len(q.sel("nginx", q.day(TUE), lambda r: _st(r) >= 500))), "status 500-599, Tuesday UTC")
    add("count", "errors_day", "how many errors did {playback} log on the 3rd?",
        scalar(len(q.sel("playback", q.day(WED), is_err))), "pino level >= 50 on 2026-06-03 UTC")
    add("count", "warnings_yesterday", "Total number of warnings across all services yesterday?",
        scalar(len(q.sel("*", q.day(SUN), is_warn))),
        "yesterday = the last day before 'now'; pino 40, PG WARNING, redis '#', klog W, kafka WARN")
    add("count", "fatal", "How many FATAL entries are there in the {pg} log?",
        scalar(sum(r["level"] == "FATAL" for r in pg)), "PostgreSQL severity FATAL")
    add("count", "jobs_window", "How many transcode jobs did {transcoder} finish between 2pm and 4pm on Wednesday?",
        scalar(len(q.sel("transcoder", q.day(WED, 14, 16), lambda r: r["msg"] == "k_done"))),
        "job-finished lines, 14:00-16:00 UTC")
    add("count", "jobs_failed", "How many jobs did {transcoder} log as failed this week?",
        scalar(sum(r["msg"] == "k_fail" for r in tc)), "the job-failed message only (not manifest/offset errors)")
    add("distinct", "ips", "How many distinct client IPs hit {nginx}?", scalar(len({r["ip"] for r in ng})),
        "remote_addr")
    add("distinct", "users_day", "How many unique users started a playback session on Saturday?",
        scalar(len({r["f"]["userId"] for r in q.sel("playback", q.day(SAT), lambda r: r["msg"] == "m_start")})),
        "distinct {k:userId} of session-started lines")
    add("distinct", "titles_done", "How many different titles did {transcoder} finish transcoding?",
        scalar(len({kv(r, "title") for r in done})), "distinct {k:title} over job-finished lines")
    add("sum", "bytes_day", "How many bytes did {nginx} send in total on Sunday?",
        scalar(sum(r["size"] for r in q.sel("nginx", q.day(SUN)))), "sum of body_bytes_sent")
    add("sum", "watched", "What's the total {k:watchedSec} across all ended playback sessions?",
        scalar(sum(r["f"]["watchedSec"] for r in ends)), "sum over session-ended lines")
    add("sum", "output_bytes", "Sum of {k:outputBytes} for the jobs finished on Monday",
        scalar(sum(kv(r, "outputBytes") for r in done if q.day(MON)[0] <= r["t"] < q.day(MON)[1])), "")
    cat = [r["rt"] for r in ng if r["path"].startswith("/api/v1/catalog")]
    add("avg", "rt_catalog", "What's the average request time of catalog API calls (/api/v1/catalog...) on {nginx}?",
        scalar(round(mean(cat), 6), 0.0005), "mean $request_time in seconds")
    ios = [r["f"]["startupMs"] for r in starts if r["f"]["device"] == "ios"]
    add("avg", "startup_ios", "What was the mean {k:startupMs} for sessions on {v:ios} devices?",
        scalar(round(mean(ios), 4), 0.01), "")
    byplan: dict[str, list] = {}
    for r in en:
        byplan.setdefault(v(r["plan"]), []).append(r["lat"])
    add("group_by", "lat_by_plan", "average {c:7} of the {entitle} checks per {c:4}",
        table([[p, round(mean(xs), 4)] for p, xs in sorted(byplan.items())], tol=0.01), "")
    add("percentile", "p95_thu", "p95 request time on {nginx} on Thursday?",
        scalar(round(pct([r["rt"] for r in q.sel("nginx", q.day(THU))], 95), 6), 0.0005), "linear percentile")
    add("percentile", "median_slow", "median duration of the slow queries {pg} logged (ms)",
        scalar(round(pct([r["dur"] for r in slow], 50), 6), 0.0005), "'duration: X ms' lines")
    stalls = [r["f"]["stallMs"] for r in pb if r["msg"] == "m_stall"]
    add("percentile", "p99_stall", "99th percentile of {k:stallMs} in {playback}", scalar(round(pct(stalls, 99), 4), 0.01), "")
    add("share", "share_404", "What fraction of {nginx} requests returned 404?",
        scalar(round(sum(_st(r) == 404 for r in ng) / len(ng), 6), 0.0001), "")
    add("share", "share_denied", "What share of the checks in {entitle} were denied?",
        scalar(round(sum(r["decision"] != "allow" for r in en) / len(en), 6), 0.0001),
        "{c:6} other than {v:allow}")
    add("share", "share_region", "What share of playback sessions started on the {v:eu-west} CDN?",
        scalar(round(sum(r["f"]["cdn"] == "eu-west" for r in starts) / len(starts), 6), 0.0001), "")
    add("top", "top_ips", "three busiest client IPs on {nginx}, with their request counts",
        table(top(Counter(r["ip"] for r in ng), 3), ordered=True), "")
    add("top", "top_titles", "top 5 titles by playback starts",
        table(top(Counter(r["f"]["titleId"] for r in starts), 5), ordered=True), "")
    add("top", "top_user", "Which user started the most playback sessions?",
        table(top(Counter(r["f"]["userId"] for r in starts), 1)), "")
    add("top", "top_device_stall", "Which device type reported the most rebuffering?",
        table([[v(k), n] for k, n in top(Counter(r["f"]["device"] for r in pb if r["msg"] == "m_stall"), 1)]), "")
    errs = Counter()
    for src, lst in q.R.items():
        for r in lst:
            if is_err(r):
                errs[rd.svc[src]] += 1
    add("group_by", "errors_by_service", "errors per service over the week",
        table(sorted([k, n] for k, n in errs.items())), "services with no severity (nginx access, CSV) have none")
    add("group_by", "status_fri", "Break down {nginx} responses by status code for Friday",
        table(sorted([k, n] for k, n in Counter(r["status"] for r in q.sel("nginx", q.day(FRI))).items())), "")
    add("group_by", "starts_per_day", "playback starts per day",
        table([[q.date(d), sum(q.day(d)[0] <= r["t"] < q.day(d)[1] for r in starts)] for d in range(q.est.days)]), "")
    wd = Counter(WEEKDAYS[int((r["t"] - q.t0) // DAY) % 7] for r in en)
    add("group_by", "checks_weekday", "{entitle} checks by weekday", table([[k, n] for k, n in wd.items()]), "")
    h5 = Counter(q.hour(r["t"]) for r in q.sel("nginx", q.day(TUE), lambda r: _st(r) >= 500))
    add("group_by", "5xx_hourly", "5xx responses by hour on Tuesday", table(sorted([k, n] for k, n in h5.items())), "")
    add("group_by", "levels", "Break down the {playback} lines by pino level number",
        table(sorted([k, n] for k, n in Counter(r["level"] for r in pb).items())), "")
    add("time", "last6h", "How many requests did {nginx} get in the last 6 hours?",
        scalar(len(q.sel("nginx", (now - 6 * 3600, now)))), "now = end of the estate")
    add("time", "early_thu", "How many errors were logged across all services in the early hours of Thursday?",
        scalar(len(q.sel("*", q.day(THU, 0, 6), is_err))), "00:00-06:00 UTC")
    add("time", "sat_afternoon", "How many slow queries did {pg} log on Saturday afternoon?",
        scalar(len(q.sel("pg", q.day(SAT, 12, 18), lambda r: r.get("kind") == "duration"))), "12:00-18:00 UTC")
    add("time", "evening_5th", "How many {entitle} denials were there on the evening of the 5th?",
        scalar(len(q.sel("entitle", q.day(FRI, 18, 24), lambda r: r["decision"] != "allow"))), "18:00-24:00 UTC")
    add("time", "busiest_hour", "Which hour saw the most traffic on {nginx}?",
        table(top(Counter(q.hour(r["t"]) for r in ng), 1)), "hour as its start instant, UTC")
    add("compare", "mon_tue", "{nginx} requests, Monday vs Tuesday",
        table([[q.date(d), len(q.sel("nginx", q.day(d)))] for d in (MON, TUE)]), "")
    fri, sat = (sum(q.day(d)[0] <= r["t"] < q.day(d)[1] for r in starts) for d in (FRI, SAT))
    assert fri > sat
    add("compare", "fri_minus_sat", "How many more playback sessions started on Friday than on Saturday?",
        scalar(fri - sat), "")
    add("compare", "tc_warn_thu_fri", "Compare the warnings from {transcoder} on Thursday and on Friday",
        table([[q.date(d), len(q.sel("transcoder", q.day(d), is_warn))] for d in (THU, FRI)]), "")
    first = min(r["t"] for r in pg if r.get("kind") == "too_many")
    add("first_last", "first_too_many", "When did {pg} first complain about too many clients?", scalar(q.iso(first)), "")
    last = max(r["t"] for r in q.R["redis"] if r["ch"] == "#")
    add("first_last", "last_bgsave_fail", "When did {redis} last fail to save in the background?", scalar(q.iso(last)), "")
    ff = min(r["t"] for r in q.sel("transcoder", q.day(FRI), lambda r: r["msg"] == "k_fail"))
    add("first_last", "first_fail_fri", "When did the first failed job show up in {transcoder} on Friday?",
        scalar(q.iso(ff)), "klog time to the microsecond; compared to the second")
    lr = max(r["t"] for r in q.R["kafka"] if r.get("kind") == "roll")
    add("first_last", "last_roll", "When did {kafka} last roll a new log segment?", scalar(q.iso(lr)), "")
    add("max", "longest_job", "What was the longest transcode job, in seconds?",
        scalar(max(float(kv(r, "elapsed")[:-1]) for r in done)), "{k:elapsed} of job-finished lines")
    add("max", "largest_body", "What's the largest response body {nginx} sent?", scalar(max(r["size"] for r in ng)), "bytes")
    add("distinct", "denied_users", "How many distinct users were denied access according to {entitle}?",
        scalar(len({r["user"] for r in en if r["decision"] != "allow"})), "")
    add("refuse", "cpu_temp", "What was the CPU temperature of the {transcoder} nodes on Friday?",
        {"type": "refuse", "value": None}, "no source logs temperatures")
    add("refuse", "revenue", "How much revenue did {v:premium} subscribers bring in last week?",
        {"type": "refuse", "value": None}, "no prices or payments are logged")
    add("refuse", "cancellations", "Which viewers cancelled their subscription on Saturday?",
        {"type": "refuse", "value": None}, "subscription changes are not logged")
    return S
