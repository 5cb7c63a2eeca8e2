"""What every ``logpilot`` sub-command shares: one-line errors, value validators, options.

Why: a bad value must end in one line that names the option and the accepted form, with
exit status 2, before any work starts, never in a traceback from deep inside the library.
So every option that takes a value has a ``type=`` validator from here (the CLI test runs
each sub-command with a bad value of each option, reading the options from the parser,
and fails on an option without one), and ``--workspace``, ``--format`` and ``--now`` are
declared once (:func:`add_workspace`, :func:`add_format`, :func:`add_now`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from typing import Any, Callable, NoReturn, Sequence

from .errors import LogPilotError
from .isotime import ACCEPTED as ISO_ACCEPTED
from .isotime import to_utc

WORKSPACE_HELP = "workspace folder (default: $LOGPILOT_HOME or ./logpilot-workspace)"
NOW_HELP = ("ISO time that relative times ('yesterday', 'last 24 hours') refer to; an offset is "
            "converted to UTC (default: the real clock, UTC)")


class UsageError(LogPilotError):
    """A command line that cannot run as given (``main`` prints it as one line, exit 2)."""


def offsets_are_values(parser: argparse.ArgumentParser) -> None:
    """"--timezone -05:00": an offset west of UTC is a value, as a negative number is;
    argparse would take it for an unknown option (no option of ours looks like one). The
    CLI's and the magics' parsers share this."""
    parser._negative_number_matcher = re.compile(  # type: ignore[attr-defined]
        r"^-\d+$|^-\d*\.\d+$|^-\d{1,2}:?\d{2}$")


class CliParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line (no usage block), exit status 2.

    Sub-parsers inherit the class, so every sub-command behaves the same.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offsets_are_values(self)

    def error(self, message: str) -> NoReturn:
        one_line = " ".join(str(message).split())
        self.exit(2, f"{self.prog}: error: {one_line} (see {self.prog} --help)\n")


def _validator(name: str, accepted: str) -> Callable[[Callable[[str], Any]], Callable[[str], Any]]:
    """Name a converter (argparse shows ``__name__``) and turn its ValueError into the
    accepted form, so the message reads ``argument --now: 'x' is not ...; expected ...``."""
    def wrap(fn: Callable[[str], Any]) -> Callable[[str], Any]:
        def convert(text: str) -> Any:
            try:
                return fn(text)
            except (ValueError, TypeError, OverflowError) as exc:
                why = str(exc)
                noise = isinstance(exc, LogPilotError) or "invalid literal" in why or "isoformat" in why
                detail = f" ({why})" if why and not noise else ""
                raise argparse.ArgumentTypeError(f"{text!r} is not {accepted}{detail}") from None
        convert.__name__ = name
        convert.__doc__ = f"argparse type: {accepted}."
        convert.accepted = accepted  # type: ignore[attr-defined]
        return convert
    return wrap


@_validator("iso_time", ISO_ACCEPTED)
def iso_time(text: str) -> dt.datetime:
    """An ISO time as naive UTC (the offset converted, never dropped)."""
    value = to_utc(text)
    if value is None:
        raise ValueError("empty")
    return value


@_validator("iso_date", "a calendar date YYYY-MM-DD, e.g. 2024-06-01")
def iso_date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$", re.I)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


@_validator("duration_ms", "a duration: a number of milliseconds or one with a unit, e.g. 500, 500ms, 2s, 5m, 1h")
def duration_ms(text: str) -> int:
    m = _DURATION.match(text)
    if not m:
        raise ValueError("")
    ms = round(float(m[1]) * _UNIT_MS[(m[2] or "ms").lower()])
    if ms < 1:
        raise ValueError("")
    return ms


def _int_at_least(low: int, name: str) -> Callable[[str], int]:
    @_validator(name, f"a whole number >= {low}")
    def convert(text: str) -> int:
        n = int(text.strip())
        if n < low:
            raise ValueError("")
        return n
    return convert


positive_int = _int_at_least(1, "positive_int")
count_int = _int_at_least(0, "count_int")


@_validator("any_int", "a whole number, e.g. 7")
def any_int(text: str) -> int:
    return int(text.strip())


@_validator("port", "a TCP port number 1..65535")
def port(text: str) -> int:
    n = int(text.strip())
    if not 1 <= n <= 65535:
        raise ValueError("")
    return n


@_validator("text", "a non-empty text")
def text(value: str) -> str:
    if not value.strip() or "\x00" in value:
        raise ValueError("")
    return value


@_validator("names", "a comma-separated list of names, e.g. json_lines,syslog")
def names(value: str) -> str:
    if not [n for n in value.replace(",", " ").split() if n]:
        raise ValueError("")
    return value


@_validator("zone", "an IANA zone name (e.g. Europe/Berlin, America/New_York, UTC) or an offset ±HH:MM (e.g. +05:30)")
def zone(value: str) -> str:
    """A zone for times written without one (``ingest --timezone``), checked up front so
    a typo never loads a file with every time shifted."""
    from .zones import normalize_zone

    return normalize_zone(value)


def _path(value: str) -> str:
    if not value.strip() or "\x00" in value:
        raise ValueError("")
    return value


@_validator("folder", "a folder path (an existing file is not a folder)")
def folder(value: str) -> str:
    """A folder that may not exist yet (it is created), but is not a file."""
    _path(value)
    if os.path.exists(value) and not os.path.isdir(value):
        raise ValueError("it is a file")
    return value


@_validator("out_file", "a file path to write (not an existing folder)")
def out_file(value: str) -> str:
    _path(value)
    if os.path.isdir(value):
        raise ValueError("it is a folder")
    return value


@_validator("in_file", "a file path to read")
def in_file(value: str) -> str:
    """Syntax only: whether the file exists is checked when the command runs
    (:func:`require_file`), so a documented command line parses anywhere."""
    return _path(value)


def require_file(path: str, what: str) -> None:
    """Refuse a missing input file with one line naming the argument (exit 2 via ``main``)."""
    if not os.path.isfile(path):
        why = "not a file" if os.path.exists(path) else "no such file"
        raise UsageError(f"{what} {path!r}: {why} (accepted: an existing file)")


@_validator("in_path", "an existing file, folder or glob pattern")
def in_path(value: str) -> str:
    return _path(value)


# --------------------------------------------------------------- shared options
def add_workspace(p: argparse.ArgumentParser, help: str = WORKSPACE_HELP) -> None:
    """``--workspace/-w FOLDER`` (a file given as the workspace is refused up front)."""
    p.add_argument("--workspace", "-w", default=None, type=folder, metavar="FOLDER", help=help)


def add_format(p: argparse.ArgumentParser, choices: Sequence[str] = ("text", "json"),
               default: str | None = None) -> None:
    """``--format`` of what is printed (``text`` or ``table`` first, then machine forms)."""
    p.add_argument("--format", choices=list(choices), default=default or choices[0],
                   help="output form: " + ", ".join(choices))


def add_now(p: argparse.ArgumentParser) -> None:
    """``--now ISO`` as naive UTC (an offset is converted)."""
    p.add_argument("--now", default=None, type=iso_time, metavar="ISO", help=NOW_HELP)


__all__ = ["CliParser", "UsageError", "offsets_are_values", "add_format", "add_now", "add_workspace", "any_int", "count_int",
           "duration_ms", "folder", "in_file", "in_path", "iso_date", "iso_time", "names", "out_file",
           "port", "positive_int", "require_file", "text", "zone"]
