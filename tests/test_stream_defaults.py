"""One source of stream defaults (issue 17 item 8): ``logpilot worker``, ``%logpilot stream``,
``pilot.stream.start`` and :class:`StreamOptions` all read ``config.STREAM_DEFAULTS``.

Two checks: today's values agree everywhere (help text included), and - the one that
catches a new literal copy - a fresh interpreter that swaps ``STREAM_DEFAULTS`` for other
values before the stream modules load sees the new values in every face.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys

from logpilot_kernel.config import STREAM_DEFAULTS, StreamDefaults


def _worker_parser():  # noqa: ANN202
    import argparse

    from logpilot_kernel.ingest.worker import add_subcommands

    parser = argparse.ArgumentParser(prog="logpilot")
    add_subcommands(parser.add_subparsers(dest="command"))
    return parser._subparsers._group_actions[0].choices["worker"]


def _magic_start_parser():  # noqa: ANN202
    from logpilot_kernel.magics.stream import _parser

    return _parser()._subparsers._group_actions[0].choices["start"]


def _faces() -> dict[str, dict[str, object]]:
    """What each face takes when nothing is given, keyed like StreamDefaults."""
    from logpilot_kernel.ingest.stream_kernel import StreamController
    from logpilot_kernel.ingest.stream_parts import StreamOptions

    w = _worker_parser().parse_args(["--bootstrap-servers", "h:1", "--topic", "t", "--group", "g"])
    m = _magic_start_parser().parse_args(["t"])
    sig = inspect.signature(StreamController.start).parameters
    opts = StreamOptions(bootstrap_servers="h:1", topics=["t"], group="g")
    stop = inspect.signature(StreamController.stop).parameters["timeout"].default
    return {
        "worker": {k: getattr(w, k) for k in ("batch_size", "batch_ms", "max_record_bytes", "start",
                                              "max_poll_interval_ms")},
        "magic": {"bootstrap_servers": m.bootstrap_servers, "kernel_group": m.group, "batch_size": m.batch_size,
                  "batch_ms": m.batch_ms, "max_record_bytes": m.max_record_bytes, "start": m.start},
        "kernel": {"bootstrap_servers": sig["bootstrap_servers"].default, "kernel_group": sig["group"].default,
                   "batch_size": sig["batch_size"].default, "batch_ms": sig["batch_ms"].default,
                   "start": sig["start"].default, "stop_timeout": stop},
        "options": {f.name: getattr(opts, f.name) for f in dataclasses.fields(StreamOptions)
                    if f.name in {g.name for g in dataclasses.fields(StreamDefaults)} - {"bootstrap_servers"}},
    }


def test_every_face_takes_its_defaults_from_stream_defaults() -> None:
    faces = _faces()
    assert set(faces["options"]) >= {"batch_size", "batch_ms", "max_record_bytes", "start", "session_timeout_ms",
                                     "heartbeat_interval_ms", "max_poll_interval_ms", "connect_timeout_ms",
                                     "backoff_initial", "backoff_max", "lag_interval"}
    for face, values in faces.items():
        for key, value in values.items():
            assert value == getattr(STREAM_DEFAULTS, key), (face, key, value)
    assert _magic_start_parser()._option_string_actions["--start"].choices == STREAM_DEFAULTS.starts
    assert _worker_parser()._option_string_actions["--start"].choices == STREAM_DEFAULTS.starts


def test_help_texts_show_the_shared_defaults() -> None:
    worker = " ".join(_worker_parser().format_help().split())
    magic = " ".join(_magic_start_parser().format_help().split())
    for text in (worker, magic):
        assert f"default: {STREAM_DEFAULTS.batch_size})" in text
        assert f"default: {STREAM_DEFAULTS.batch_ms} ms" in text
        assert f"default: {STREAM_DEFAULTS.max_record_bytes})" in text
        assert f"default: {STREAM_DEFAULTS.start})" in text


def test_changing_the_one_object_changes_every_face() -> None:
    """In a fresh interpreter: other values in, the same other values out of each face."""
    changed = {"bootstrap_servers": "10.9.9.9:19092", "kernel_group": "other-group", "batch_size": 777,
               "batch_ms": 333, "max_record_bytes": 4096, "start": "earliest", "session_timeout_ms": 7001,
               "heartbeat_interval_ms": 1001, "max_poll_interval_ms": 45001, "connect_timeout_ms": 2001,
               "backoff_initial": 0.25, "backoff_max": 9.0, "lag_interval": 3.5, "stop_timeout": 12.0}
    code = (
        "import dataclasses, json, sys\n"
        "import logpilot_kernel.config as config\n"
        f"config.STREAM_DEFAULTS = dataclasses.replace(config.STREAM_DEFAULTS, **{changed!r})\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "import test_stream_defaults as t\n"
        "print(json.dumps(t._faces()))\n"
    )
    import pathlib

    here = str(pathlib.Path(__file__).parent)
    proc = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    faces = json.loads(proc.stdout.strip().splitlines()[-1])
    seen = 0
    for face, values in faces.items():
        for key, value in values.items():
            assert value == changed.get(key, getattr(STREAM_DEFAULTS, key)), (face, key, value)
            seen += key in changed
    assert seen >= 20, "each face reported the changed values"
