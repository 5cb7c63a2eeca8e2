"""The one atomic-write helper: write beside the target under a hidden temporary name,
fsync, rename into place, fsync the folder.

Why one helper: a file a reader may open at any moment (the miner's state, the rules, a
Parquet segment of the archive, a status snapshot) must be either the old version or the
complete new one, never half of one, and a process killed mid-write must leave nothing a
reader would mistake for data.  Temporaries are named ``.<name>.<pid>.<random>.tmp`` so
that :func:`stale_temporaries` can find those a dead process left behind.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Callable, Iterable

__all__ = ["atomic_write", "write_text", "publish", "temporary_name", "stale_temporaries", "fsync_dir"]

_TEMP = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$")


def temporary_name(path: str | os.PathLike) -> Path:
    """A hidden name beside ``path`` (same folder, so the rename stays on one file system)."""
    p = Path(path)
    return p.with_name(f".{p.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def fsync_dir(directory: str | os.PathLike) -> None:
    """Make a rename in ``directory`` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """fsync a complete ``tmp`` file, rename it to ``path`` (replacing it) and fsync the folder."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(Path(path).parent)


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` to write the whole file at a temporary path, then :func:`publish` it.

    On any error (or interrupt) the temporary is removed and ``path`` is untouched.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(p)
    try:
        write(tmp)
        publish(tmp, p)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return p


def write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Atomically replace ``path`` with ``text``."""
    def _write(tmp: Path) -> None:
        with open(tmp, "w", encoding=encoding) as fh:
            fh.write(text)

    return atomic_write(path, _write)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temporaries(roots: Iterable[str | os.PathLike], recursive: bool = True) -> list[Path]:
    """Temporaries of :func:`atomic_write` under ``roots`` whose writing process is gone."""
    out: list[Path] = []
    for root in roots:
        r = Path(root)
        if not r.is_dir():
            continue
        walk = os.walk(r) if recursive else [(str(r), [], [p.name for p in r.iterdir() if p.is_file()])]
        for dirpath, _dirs, files in walk:
            for name in files:
                m = _TEMP.match(name)
                if m and not _alive(int(m.group(1))):
                    out.append(Path(dirpath) / name)
    return sorted(set(out))
