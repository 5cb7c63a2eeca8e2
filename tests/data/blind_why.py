"""Why-questions of the blind set: every incident, one phrasing per time style.

The symptom descriptions are what a user who only sees the symptom would say; they do not
name the root service, except one phrasing per incident that does. Expected answers are
the incident's ground truth (root service and template, window).
"""

from __future__ import annotations

import datetime as dt

from blind_estate import PARTS, UTC

#: How a user who sees only the symptom describes each incident (not naming the root
#: service), and one description that does name it.
SYMPTOMS = {
    "firewall_block": (["why was {svc:checkout} timing out",
                        "what caused the 504 errors on /api/{svc:checkout}",
                        "why couldn't customers complete their {word:orders}"],
                       "did the {svc:firewall} cause the {svc:checkout} timeouts"),
    "tls_expired": (["why did customers get 502 errors when paying",
                     "what made /api/{svc:checkout} return 502",
                     "why were so many {word:orders} failing"],
                    "why did {svc:checkout} fail its handshakes with the {text:payment provider}"),
    "pool_exhaustion": (["why were customers getting 503 on {svc:checkout}",
                         "why did {word:orders} fail",
                         "what explains the spike of 503s at the {svc:gateway}"],
                        "what went wrong in {svc:payment}"),
    "disk_full": (["why did {svc:checkout} return 500 errors",
                   "why were {word:orders} failing to save",
                   "what caused the thumbnail cache write failures"],
                  "what happened to {svc:postgres}"),
    "bad_deploy": (["why were product pages failing",
                    "why did /api/products return 500",
                    "what is behind the errors on product requests"],
                   "why did {svc:catalog} start throwing exceptions"),
    "stock_feed_outage": (["why couldn't customers add products to their cart",
                           "why were there so many 409 responses",
                           "what explains the add-to-cart failures"],
                          "what broke in {svc:inventory}"),
    "db_lock": (["why were checkouts timing out",
                 "what is behind the 504s on /api/{svc:checkout}",
                 "why did {word:orders} fail with timeouts"],
                "why was {svc:postgres} refusing locks"),
    "heap_pressure": (["why were product pages timing out",
                       "why did the {svc:gateway} return 504 for products",
                       "what made product pages slow"],
                      "what was wrong with {svc:catalog}"),
}


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _date_styles(d: dt.date) -> list[str]:
    month = d.strftime("%B")
    return [f"{month} {_ordinal(d.day)}", f"{d.day} {month}", f"the {_ordinal(d.day)} of {month}",
            d.isoformat(), f"{d.month}/{d.day}"]


def _part(hour: int) -> str:
    return next(p for p, (lo, hi) in PARTS.items() if lo <= hour < hi)


def _part_of_date(part: str, date: str) -> str:
    return {"early hours": f"in the early hours of {date}", "morning": f"on the morning of {date}",
            "afternoon": f"on the afternoon of {date}",
            "evening": f"in the evening of {date}"}[part]


def why_questions(truth: dict) -> list[dict]:
    """4-5 phrasings per incident, one per time style; expected answers from ground truth."""
    incs = truth["incidents"]
    spans = [(dt.datetime.fromisoformat(i["start"].replace("Z", "+00:00")),
              dt.datetime.fromisoformat(i["end"].replace("Z", "+00:00"))) for i in incs]

    def alone(lo: dt.datetime, hi: dt.datetime, me: int) -> bool:
        """True when the range [lo, hi) overlaps incident ``me`` and no other."""
        hit = [k for k, (s, e) in enumerate(spans) if s < hi and e >= lo]
        return hit == [me]

    out = []
    for k, inc in enumerate(incs):
        start, end = spans[k]
        d = start.date()
        dates = _date_styles(d)
        plain, named = SYMPTOMS[inc["kind"]]
        mid = start + (end - start) / 2
        mid = mid.replace(minute=5 * round(mid.minute / 5) % 60, second=0, microsecond=0) + \
            dt.timedelta(hours=1 if round(mid.minute / 5) == 12 else 0)
        part = _part(start.hour)
        day0 = dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
        plo, phi = (day0 + dt.timedelta(hours=h) for h in PARTS[part])
        lo_h, hi_h = start.hour, min(24, end.hour + 2)
        assert alone(day0 + dt.timedelta(hours=lo_h), day0 + dt.timedelta(hours=hi_h), k), inc
        assert alone(plo, phi, k), (inc["id"], part)
        now = day0 + dt.timedelta(days=1, hours=8, minutes=15)
        weekday = d.strftime("%A")
        yesterday = {"early hours": "yesterday in the early hours", "morning": "yesterday morning",
                     "afternoon": "yesterday afternoon", "evening": "yesterday evening"}[part]
        styles = [
            ("around", f"{plain[0]} around {mid:%H:%M} UTC on {dates[k % 5]}?", None),
            ("part_of_day", f"{plain[1]} {_part_of_date(part, dates[(k + 1) % 4])}?", None),
            ("between", f"{plain[2]} between {lo_h:02d}:00 and {hi_h:02d}:00 on "
                        f"{dates[(k + 2) % 4]}?", None),
            ("weekday", f"{named} on {weekday} {part if part != 'early hours' else 'night'}?"
             if part != "early hours" else f"{named} in the early hours of {weekday}?", None),
            ("relative", f"{plain[0]} {yesterday}?", now.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ]
        rc = inc["root_cause"]
        expected = {"incident": inc["id"], "kind": inc["kind"],
                    "root_service": "{svc:%s}" % rc["service"],
                    "root_template": "{text:%s}" % rc["template"],
                    "window": {"start": inc["start"], "end": inc["end"]}}
        if "symptom_service" in inc:
            expected["symptom_service"] = "{svc:%s}" % inc["symptom_service"]
        for n, (style, text, now_s) in enumerate(styles, 1):
            item = {"id": f"{inc['id']}-{n}", "question": text, "time_style": style,
                    "names_root_service": "{svc:%s}" % rc["service"] in text,
                    "expected": expected}
            if now_s:
                item["now"] = now_s
            out.append(item)
    return out
