"""The why-questions of estate 3: three per incident, in different time styles, mostly not naming the root."""
from __future__ import annotations

# incident id -> [(style, question template, names_root_service, now or None = end of estate)]
WHY = {
    "INC-1": [("around", "Why were viewers getting 504s around 14:30 on Tuesday?", False, None),
              ("weekday", "What went wrong with playback on Tuesday?", False, None),
              ("relative", "Why did the catalog pages time out in the last hour?", False, "2026-06-02T15:00:00Z")],
    "INC-2": [("part_of_day", "Why couldn't people start streams on Wednesday evening?", False, None),
              ("range", "What caused the 503s on {nginx} between 19:30 and 20:30 on June 3rd?", False, None),
              ("date_only", "What broke on 2026-06-03?", False, None)],
    "INC-3": [("part_of_day", "Why was {playback} failing to publish view events in the early hours of Thursday?", False, None),
              ("around", "What caused the {transcoder} errors around 3am on the 4th?", False, None),
              ("relative", "Is {kafka} the reason {transcoder} kept retrying over the last 2 hours?", True,
               "2026-06-04T04:00:00Z")],
    "INC-4": [("date_only", "Why were titles failing to load on June 5th?", False, None),
              ("range", "Why did master playlists return 404 between 9am and 10am on Friday?", False, None),
              ("weekday", "Did {transcoder} cause the playback problems on Friday?", True, None)],
}


def why_specs(truth: dict) -> list[dict]:
    """The why entries (question still holding placeholders), expected answers from the ground truth."""
    end = f"{truth['start']}"
    import datetime as dt
    now_end = (dt.date.fromisoformat(end) + dt.timedelta(days=truth["days"])).isoformat() + "T00:00:00Z"
    out = []
    for inc in truth["incidents"]:
        for style, text, named, now in WHY.get(inc["id"], []):
            out.append({"question": text, "time_style": style, "names_root_service": named, "now": now or now_end,
                        "expected": {"incident": inc["id"], "root_service": inc["root_service"],
                                     "window": {"start": inc["start"], "end": inc["end"]}}})
    return out
