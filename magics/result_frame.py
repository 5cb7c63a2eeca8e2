"""The DataFrame ``%%logsql`` returns: one page displayed, every row kept.

Its own module because it subclasses ``pandas.DataFrame``: ``magics.logsql`` imports it on
the first result, so registering the magics does not import pandas (issue 16: start-up).
"""

from __future__ import annotations

import html

import pandas as pd


class ResultFrame(pd.DataFrame):
    """A DataFrame that displays one page (``page_size`` rows) instead of every row.

    Derived frames are plain DataFrames; ``page(k)`` returns page ``k`` (1-based).
    """

    _metadata = ["page_size"]

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def page(self, k: int = 1) -> pd.DataFrame:
        size = getattr(self, "page_size", 50) or 50
        return pd.DataFrame(self).iloc[(k - 1) * size: k * size]

    def _footer(self) -> str:
        size = getattr(self, "page_size", 50) or 50
        if len(self) <= size:
            return ""
        pages = -(-len(self) // size)
        return (f"rows 1-{size} of {len(self):,} (page 1 of {pages}); "
                f"use .page(k) for page k, or the variable for all rows")

    def _repr_html_(self) -> str:
        foot = self._footer()
        body = self.page(1)._repr_html_() or ""
        return body + (f"<small>{html.escape(foot)}</small>" if foot else "")

    def __repr__(self) -> str:
        foot = self._footer()
        return repr(self.page(1)) + (f"\n{foot}" if foot else "")
