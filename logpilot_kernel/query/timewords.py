"""Word tables of the time-phrase reader: months, weekdays, parts of day, time zones.

Kept as data apart from :mod:`timephrase` so a new spelling or a new zone is a table row,
not a new pattern. Parts of day are documented bounds in local minutes after midnight
(an end past 1440 runs into the next day): the same question must mean the same hours
in ``%%logsql``, ``%%logwhy``, the pilot and the dashboard.
"""

from __future__ import annotations

MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
               "september", "october", "november", "december"]

#: Month words -> month number (full names, three-letter forms, "sept").
MONTHS: dict[str, int] = {m: i + 1 for i, m in enumerate(MONTH_NAMES)}
MONTHS.update({m[:3]: i + 1 for i, m in enumerate(MONTH_NAMES)})
MONTHS["sept"] = 9

WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

#: Weekday words -> ``date.weekday()``. Short forms ("tue", "fri") are everyday words or
#: parts of words too, so the reader accepts them only after "on" or "last".
WEEKDAYS: dict[str, int] = {d: i for i, d in enumerate(WEEKDAY_NAMES)}
WEEKDAYS_SHORT: dict[str, int] = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3,
                                  "thurs": 3, "fri": 4, "sat": 5, "sun": 6}

#: Parts of the day: phrase -> (name, start minute, end minute). Early hours 00-06,
#: morning 06-12, afternoon 12-18, evening 18-24, night 22-06 (across midnight, so it shares
#: 22-24 with the evening: the words overlap in use too).
PARTS_OF_DAY: dict[str, tuple[str, int, int]] = {
    "early hours": ("early hours", 0, 360),
    "small hours": ("early hours", 0, 360),
    "wee hours": ("early hours", 0, 360),
    "early morning": ("early hours", 0, 360),
    "morning": ("morning", 360, 720),
    "forenoon": ("morning", 360, 720),
    "afternoon": ("afternoon", 720, 1080),
    "evening": ("evening", 1080, 1440),
    "night": ("night", 1320, 1800),
    "overnight": ("night", 1320, 1800),
    "nighttime": ("night", 1320, 1800),
}

#: Named instants of the day (minutes after midnight).
NAMED_TIMES: dict[str, int] = {"noon": 720, "midday": 720, "midnight": 0}

#: Ordinal words for days of the month ("the second of July").
ORDINAL_WORDS: dict[str, int] = {
    w: i + 1 for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
        "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
        "twentieth".split())
}
ORDINAL_WORDS.update({f"twenty-{w}": 20 + n for w, n in list(ORDINAL_WORDS.items())[:9]})
ORDINAL_WORDS.update({"thirtieth": 30, "thirty-first": 31})

#: Time-zone abbreviations -> offset from UTC in minutes (the common unambiguous ones;
#: a question naming none is read in UTC).
ZONES: dict[str, int] = {
    "utc": 0, "gmt": 0, "z": 0, "wet": 0, "west": 60, "bst": 60, "cet": 60, "cest": 120,
    "met": 60, "mest": 120, "eet": 120, "eest": 180, "msk": 180, "est": -300, "edt": -240,
    "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
    "akst": -540, "akdt": -480, "hst": -600, "jst": 540, "kst": 540, "aest": 600,
    "aedt": 660, "acst": 570, "awst": 480, "nzst": 720, "nzdt": 780, "sgt": 480,
}

#: Relative units -> minutes (months and years are calendar arithmetic instead).
UNIT_MINUTES: dict[str, int] = {"minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440,
                                "week": 10080}

#: Cardinal words 1..99 ("three", "seventeen", "seventy-two", "seventy two"): built from
#: the ones, teens and tens so every spelling an analyst types is a number, not an unknown word.
_ONES = "one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
CARDINALS: dict[str, int] = {x: i + 1 for i, x in enumerate(_ONES)}
CARDINALS.update({x: i + 10 for i, x in enumerate(_TEENS)})
for _i, _t in enumerate(_TENS):
    CARDINALS[_t] = 20 + 10 * _i
    for _j, _o in enumerate(_ONES):
        CARDINALS[f"{_t}-{_o}"] = CARDINALS[f"{_t} {_o}"] = 20 + 10 * _i + _j + 1
CARDINALS.update({"hundred": 100, "a hundred": 100, "one hundred": 100})

#: Number words a relative phrase may use ("the last two hours", "past seventy-two hours").
NUMBER_WORDS: dict[str, int] = {**CARDINALS, "a": 1, "an": 1, "couple of": 2, "a couple of": 2,
                                "few": 3, "a few": 3}

#: Minutes either side of "around 14:30" / "at 14:30".
AROUND_MINUTES = 15
