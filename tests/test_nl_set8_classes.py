"""The classes of the eighth blind question set's misses, over an invented estate (issue 15).

Service "gatehouse" turns badges away: a constant template for the one named account
("Rejected badge for warden from <ip> door <n>") beside a template whose account is a
parameter ("Rejected badge for unknown user <name> from <ip> door <n>"), and lets guests
in (those rows carry a ``uid`` field). Service "kiln" aborts firings with a categorical
``cause``. Services "till" and "bank" log a sale's ``price`` when it opens, clears and
closes, under one ``ticket_id``; some sales fail. None of these words is the demo's. Each
test checks one capability against Python over the same rows: the bottom value of a
categorical field ("the least common kiln abort cause"); the distinct accounts spread
over a constant template and a template with the account as a parameter, not a field
linked by its abbreviation that those rows never carry ("how many different usernames
were rejected"); "revenue" as each sale's price once, over the sales that did not fail.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask

START = dt.datetime(2023, 9, 11)  # a Monday
NOW = START + dt.timedelta(days=2, hours=10)
N = 2 * 24 * 12  # every 5 minutes over two days
GUESTS = ["mallory", "trudy", "oscar", "victor", "peggy", "sybil", "wendy", "heidi", "ivan"]
HOSTS = ["ana", "bert", "cleo"]
CAUSES = ["crack"] * 6 + ["overheat"] * 3 + ["power"]


def _at(i: int) -> dt.datetime:
    return START + dt.timedelta(minutes=5 * i)


def _rows(i: int) -> list[tuple[str, dict]]:
    """(service, record) of step ``i``."""
    ip = f"192.0.2.{10 + i % 37}"
    out: list[tuple[str, dict]] = []
    if i % 4 == 0:
        out.append(("gatehouse", dict(level="warn", msg=f"Rejected badge for warden from {ip} door {i % 5}")))
    elif i % 4 == 1:
        out.append(("gatehouse", dict(level="warn", msg=f"Rejected badge for unknown user "
                                      f"{GUESTS[(i * 7) % len(GUESTS)]} from {ip} door {i % 5}")))
    else:
        out.append(("gatehouse", dict(level="info", msg=f"Opened door for {HOSTS[i % 3]} from {ip}",
                                      uid=1000 + i % 3)))
    if i % 3 == 0:
        out.append(("kiln", dict(level="warn", msg="firing aborted", cause=CAUSES[(i // 3) % len(CAUSES)])))
    else:
        out.append(("kiln", dict(level="info", msg=f"firing done in {40 + i % 11} min")))
    if i % 2 == 0:  # a sale: its charge logged when opened, cleared and closed
        sale = dict(ticket_id=f"T-{i}", price=round(5 + (i * 13) % 40 + 0.25, 2))
        out.append(("till", dict(level="info", msg="sale opened", clerk_id=f"C-{i % 4}", **sale)))
        if i % 10 == 0:
            out.append(("bank", dict(level="warn", msg="charge bounced", ticket_id=sale["ticket_id"])))
            out.append(("till", dict(level="warn", msg="sale failed", ticket_id=sale["ticket_id"])))
        else:
            out.append(("bank", dict(level="info", msg="charge cleared", **sale)))
            if i % 14 == 0:
                out.append(("till", dict(level="error", msg="ledger locked, sale not kept",
                                         ticket_id=sale["ticket_id"])))
            else:
                out.append(("till", dict(level="info", msg="sale closed", **sale)))
    return out


def _all() -> list[tuple[int, str, dict]]:
    return [(i, svc, rec) for i in range(N) for svc, rec in _rows(i)]


def _stamp(i: int, k: int) -> dt.datetime:
    """The time of the ``k``-th record of step ``i`` (a sale's steps 20 s apart)."""
    return _at(i) + dt.timedelta(seconds=i % 7 + 20 * k)


SERVICES = ("gatehouse", "kiln", "till", "bank")


def _build(root: Path) -> Workspace:
    lines: dict[str, list[str]] = {s: [] for s in SERVICES}
    for i in range(N):
        for k, (svc, rec) in enumerate(_rows(i)):
            lines[svc].append(json.dumps({"ts": _stamp(i, k).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                          "service": svc, **rec}))
    for svc in SERVICES:
        (root / "in" / svc).mkdir(parents=True)
        (root / "in" / svc / "app.jsonl").write_text("\n".join(lines[svc]) + "\n")
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in" / s) for s in SERVICES], progress=False, parquet=False)
    return w


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    w = _build(tmp_path_factory.mktemp("set8"))
    yield w
    w.close()


def test_the_least_common_value_of_a_categorical_field(ws) -> None:
    causes = collections.Counter(r["cause"] for _i, _s, r in _all() if "cause" in r)
    for q, want in (("least common kiln abort cause", min(causes, key=causes.get)),
                    ("the most common cause of aborted firings", max(causes, key=causes.get))):
        res = ask(ws, q, now=NOW, model=None)
        assert res.frame.shape[0] == 1, q
        assert list(res.frame.iloc[0]) == [want, causes[want]], q


def _day(i: int) -> dt.date:
    return _at(i).date()


def test_distinct_values_over_a_constant_template_and_its_parameter(ws) -> None:
    want = len({r["msg"].split(" from ")[0].split()[-1] for _i, s, r in _all()
                if s == "gatehouse" and r["msg"].startswith("Rejected")})
    assert want == len(GUESTS) + 1
    for q in ("how many different usernames were rejected at the gatehouse?",
              "number of distinct users rejected"):
        res = ask(ws, q, now=NOW, model=None)
        assert res.frame.iloc[0, -1] == want, q
    # the field stays when the question's words are the rows that carry it
    res = ask(ws, "how many distinct users opened the door", now=NOW, model=None)
    assert res.frame.iloc[0, -1] == len(HOSTS) and "uid" in res.sql
    res = ask(ws, "top 2 users rejected", now=NOW, model=None)
    assert list(res.frame.iloc[0]) == ["warden", N // 4]
    res = ask(ws, "which user was rejected most at the gatehouse?", now=NOW, model=None)
    assert list(res.frame.iloc[0]) == ["warden", N // 4]
    # the words the constant template lacks are asked for: its value is not one of them
    res = ask(ws, "how many different unknown usernames were rejected?", now=NOW, model=None)
    assert res.frame.iloc[0, -1] == len(GUESTS)


def _revenue(day: dt.date) -> float:
    return sum(r["price"] for i, s, r in _all() if s == "till" and r["msg"] == "sale closed"
               and _day(i) == day)


def test_revenue_counts_each_sale_once_and_not_the_failed_ones(ws) -> None:
    mon, tue = START.date(), START.date() + dt.timedelta(days=1)
    res = ask(ws, "revenue on Tuesday", now=NOW, model=None)
    assert res.frame.iloc[0, -1] == pytest.approx(_revenue(tue))
    res = ask(ws, "revenue difference Tuesday vs Monday", now=NOW, model=None)
    assert res.frame.iloc[0, -1] == pytest.approx(_revenue(tue) - _revenue(mon))
    # a sum asked for in words stays the plain sum of every row with the field
    res = ask(ws, "total price on Tuesday", now=NOW, model=None)
    assert res.frame.iloc[0, -1] == pytest.approx(sum(
        r["price"] for i, _s, r in _all() if "price" in r and _day(i) == tue))
