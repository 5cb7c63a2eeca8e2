"""The one place LogPilot's settings are defined, read and validated.

Settings come, in increasing precedence, from the trait defaults, a workspace's
``logpilot.toml`` (or ``[tool.logpilot]`` in a ``pyproject.toml`` there), environment
variables ``LOGPILOT_<NAME>``, and finally ``%config LogPilot.<name> = ...`` in a kernel.
They are traitlets so IPython's ``%config`` works unchanged; unknown keys and bad values
fail with one line naming the key and what is accepted.
"""

from __future__ import annotations

import difflib
import logging
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from traitlets import Bool, Enum, Int, TraitError, Unicode, observe
from traitlets.config import Configurable

from .errors import ConfigError

ENV_PREFIX = "LOGPILOT_"
DEFAULT_HOME = "logpilot-workspace"


class LogPilot(Configurable):
    """LogPilot settings (``%config LogPilot`` lists them in a kernel)."""

    home = Unicode(
        "", help="Workspace folder; empty means $LOGPILOT_HOME or ./logpilot-workspace."
    ).tag(config=True)
    embedding = Unicode(
        "minilm", help="Template embedding provider: minilm | chroma:NAME | python:module:attr."
    ).tag(config=True)
    llm = Unicode(
        "", help="LangChain init_chat_model string (e.g. openai:gpt-4o-mini); empty = no model."
    ).tag(config=True)
    llm_base_url = Unicode(
        "", help="Base URL of an OpenAI-compatible server (llama.cpp, vLLM) for the llm."
    ).tag(config=True)
    llm_timeout = Int(60, help="Seconds before a model call is abandoned.").tag(config=True)
    sql_repair_attempts = Int(2, help="Times generated SQL is repaired from its error.").tag(config=True)
    chunk_records = Int(200_000, help="Records per ingestion chunk (bounds memory).").tag(config=True)
    parquet_archive = Bool(True, help="Write the Parquet archive during bulk ingestion.").tag(config=True)
    read_only_sql = Bool(True, help="Refuse writing SQL in %%logsql unless --write.").tag(config=True)
    display_rows = Int(50, help="Rows shown per page of a result.").tag(config=True)
    memory_limit = Unicode(
        "2GB", help="DuckDB memory limit of a workspace (e.g. 2GB, 8GB); bulk loads and "
        "large queries spill to disk beyond it, so memory stays flat on any archive size."
    ).tag(config=True)
    log_level = Enum(
        ["DEBUG", "INFO", "WARNING", "ERROR"], "INFO",
        help="Level of LogPilot's own logs (the 'logpilot' logger): set when the extension loads, "
        "on %config, and as logpilot worker's default --log-level."
    ).tag(config=True)

    @observe("log_level")
    def _log_level_changed(self, change: Any) -> None:
        if self.parent is not None:  # the kernel's own settings: %config takes effect at once
            apply_log_level(self)


def apply_log_level(settings: LogPilot) -> None:
    """Set the ``logpilot`` logger (the root of every LogPilot logger) to ``settings.log_level``.

    Why a call and not a side effect of loading settings: settings are loaded for every
    workspace handle, and the level belongs to the session (the kernel extension, the
    worker), which calls this once and again when ``%config`` changes it.
    """
    logging.getLogger("logpilot").setLevel(settings.log_level)


@dataclass(frozen=True)
class StreamDefaults:
    """Every default of the Kafka stream, in one place.

    Why: ``logpilot worker``, ``%logpilot stream start``, ``pilot.stream.start`` and
    :class:`~logpilot_kernel.ingest.stream_parts.StreamOptions` each repeated them (four
    copies that could drift: a batch size changed in one face but not the others). They
    all read :data:`STREAM_DEFAULTS`; ``tests/test_stream_defaults.py`` checks it.
    """

    bootstrap_servers: str = "127.0.0.1:9092"  # the kernel's and the magic's broker
    kernel_group: str = "logpilot-kernel"      # the kernel thread's consumer group
    batch_size: int = 10000                    # flush at this many messages (bigger: cheaper per row) ...
    batch_ms: int = 500                        # ... or when the oldest pending one is this old
    max_record_bytes: int = 1 << 20            # larger messages are quarantined
    start: str = "handover"                    # with no stored position: one of ``starts``
    starts: tuple[str, ...] = ("handover", "earliest", "latest")
    session_timeout_ms: int = 6000
    heartbeat_interval_ms: int = 1000
    # How long a rebalance waits for a member to rejoin; a member killed with -9 holds its
    # partitions this long (the broker waits for it), so keep it short: the loop polls
    # every few hundred ms and a batch takes well under a second.
    max_poll_interval_ms: int = 30000
    connect_timeout_ms: int = 3000             # bootstrap and offset probes; bounds stop() latency
    backoff_initial: float = 0.5               # seconds before the first reconnect ...
    backoff_max: float = 15.0                  # ... doubling up to this
    lag_interval: float = 2.0                  # seconds between end-offset probes (lag + liveness)
    poll_max_ms: int = 200                     # longest poll while idle (bounds stop() and batch_ms)
    poll_busy_ms: int = 20                     # ... while a batch is being written (collect it soon)
    poll_min_ms: int = 10
    pending_batches: int = 4                   # fetching pauses once this many batches wait
    stop_timeout: float = 30.0                 # seconds ``stop`` waits for the last flush


#: The one instance every stream face reads (see :class:`StreamDefaults`).
STREAM_DEFAULTS = StreamDefaults()


def keys() -> list[str]:
    """The configurable setting names."""
    return sorted(LogPilot.class_own_traits(config=True))


def _check_key(key: str) -> str:
    if key not in keys():
        raise ConfigError(key, "unknown setting", difflib.get_close_matches(key, keys(), n=3))
    return key


def _coerce(key: str, value: Any) -> Any:
    trait = LogPilot.class_traits()[key]
    if isinstance(value, str):
        if isinstance(trait, Bool):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ConfigError(key, f"{value!r} is not a boolean (accepted: true, false)")
        if isinstance(trait, Int):
            try:
                return int(value)
            except ValueError as exc:
                raise ConfigError(key, f"{value!r} is not an integer") from exc
    return value


def _describe(trait: Any) -> str:
    if isinstance(trait, Enum):
        return "accepted: " + ", ".join(map(str, trait.values or []))
    return f"accepted: {trait.info()}"


def load_settings(workspace: str | os.PathLike | None = None,
                  overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> LogPilot:
    """Merge file, environment and explicit overrides into a validated :class:`LogPilot`.

    Raises :class:`ConfigError` for an unknown key or a value its trait refuses, so a typo
    in ``logpilot.toml`` or ``LOGPILOT_LLM_MODLE`` is reported instead of ignored.
    """
    env = os.environ if environ is None else environ
    merged: dict[str, tuple[Any, str]] = {}
    if workspace is not None:
        for key, value in _file_settings(Path(workspace)).items():
            merged[key] = (value, "file")
    for name, value in env.items():
        if name.startswith(ENV_PREFIX) and name != ENV_PREFIX + "HOME":
            merged[name[len(ENV_PREFIX):].lower()] = (value, "env")
    if env.get(ENV_PREFIX + "HOME"):
        merged["home"] = (env[ENV_PREFIX + "HOME"], "env")
    for key, value in (overrides or {}).items():
        merged[key] = (value, "argument")
    settings = LogPilot()
    for key, (value, origin) in merged.items():
        if origin == "env" and key not in keys():
            # Other LOGPILOT_* variables may belong to tools around us; only typos of
            # known keys are worth an error.
            if difflib.get_close_matches(key, keys(), n=1, cutoff=0.8):
                _check_key(key)
            continue
        set_value(settings, key, value)
    return settings


def set_value(settings: LogPilot, key: str, value: Any) -> None:
    """Set one validated value, translating trait errors into one-line ConfigErrors."""
    _check_key(key)
    try:
        setattr(settings, key, _coerce(key, value))
    except TraitError as exc:
        trait = LogPilot.class_traits()[key]
        raise ConfigError(key, f"{value!r} not accepted; {_describe(trait)}") from exc


def _file_settings(workspace: Path) -> dict[str, Any]:
    for name, section in (("logpilot.toml", None), ("pyproject.toml", ("tool", "logpilot"))):
        path = workspace / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), f"not valid TOML: {exc}") from exc
        if section:
            for part in section:
                data = data.get(part, {}) if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            raise ConfigError(str(path), "expected a table of settings")
        return data
    return {}


def resolve_home(settings: LogPilot | None = None) -> Path:
    """The workspace folder a bare ``Workspace()`` opens."""
    if settings is not None and settings.home:
        return Path(settings.home).expanduser()
    env = os.environ.get(ENV_PREFIX + "HOME")
    return Path(env).expanduser() if env else Path(DEFAULT_HOME)
