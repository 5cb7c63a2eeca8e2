"""Argument parsing for magics: errors become IPython ``UsageError`` instead of exiting.

argparse calls ``sys.exit`` on bad input, which in a kernel would look like a crash; a
``UsageError`` is shown by IPython as one line with no traceback.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any, NoReturn

from IPython.core.error import UsageError

from ..cli_args import offsets_are_values


class MagicArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises :class:`UsageError` rather than exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offsets_are_values(self)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        # --help prints and "exits": stop the magic quietly instead of killing the cell.
        raise UsageError(message or self.format_help())


def split_line(line: str) -> list[str]:
    """Shell-like split that reports an unbalanced quote as a usage error."""
    try:
        return shlex.split(line, posix=True)
    except ValueError as exc:
        raise UsageError(f"cannot parse arguments: {exc}") from None
