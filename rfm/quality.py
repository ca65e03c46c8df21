"""The quality report: what reading a transaction log kept, excluded and assumed.

Every input row is accounted for: ``rows_read == rows_kept + sum(excluded.values())``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class QualityReport:
    """What :func:`rfm.read_transactions` did with each input row.

    Parameters
    ----------
    rows_read : int
        Data rows seen in the input, including rows the table reader had to set
        aside (malformed rows). Blank lines are not rows; they show in ``warnings``.
    rows_kept : int
        Rows in the returned transactions.
    excluded : Mapping[str, int]
        Reason -> number of rows excluded for it, e.g. ``"missing customer id"``,
        ``"missing date"``, ``"unparseable date"``, ``"missing amount"``,
        ``"invalid amount"``, ``"exact duplicate"``, ``"malformed row"``, and
        ``"date not in the chosen format"`` when ``date_format=`` was given.
        Each excluded row is counted once, under the first reason that applies.
    returns : int
        Kept rows that are returns (``is_return``); returns are never dropped.
    rows_added : int
        Lines the reader added that are not input rows: one return line per
        partially refunded order of a shop export (:mod:`rfm.io.shops`). The
        transactions hold ``rows_kept + rows_added`` lines.
    columns : Mapping[str, str]
        Canonical column -> source column it was read from.
    date_format : str or None
        The strftime format the order dates were read with (``None`` when the
        source column was already a date type).
    date_ambiguous : bool
        True when every date also read the other way round (day-first vs
        month-first) and the format was chosen by the caller.
    encoding, delimiter : str or None
        What the table reader detected (``None`` for in-memory frames).
    currency : str or None
        The one currency written in the amounts (or unit prices), as a symbol
        (``"€"``) or a code (``"CHF"``); ``None`` when the amounts are plain numbers
        or name more than one currency.
    ids_merged : int
        Customer id spellings that became another id once surrounding spaces
        and invisible characters were trimmed (``' 12346'`` -> ``'12346'``);
        they are counted as one customer, and a warning gives an example.
    warnings : tuple of str
        Everything else worth knowing: derived columns, converted ids, ...

    Examples
    --------
    >>> report = QualityReport(rows_read=5, rows_kept=3,
    ...                        excluded={"missing customer id": 2})
    >>> report.reconciles()
    True
    >>> report.to_frame().rows()
    [('missing customer id', 2)]
    """

    rows_read: int
    rows_kept: int
    excluded: Mapping[str, int] = field(default_factory=dict)
    returns: int = 0
    rows_added: int = 0
    columns: Mapping[str, str] = field(default_factory=dict)
    date_format: str | None = None
    date_ambiguous: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    currency: str | None = None
    ids_merged: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def rows_excluded(self) -> int:
        """Total rows excluded, over all reasons."""
        return sum(self.excluded.values())

    def reconciles(self) -> bool:
        """Whether ``rows_read == rows_kept + sum(excluded.values())``."""
        return self.rows_read == self.rows_kept + self.rows_excluded

    def to_frame(self) -> pl.DataFrame:
        """The excluded rows by reason, largest first (empty when every row was kept).

        Returns
        -------
        pl.DataFrame
            Columns ``reason`` (String) and ``rows`` (Int64).
        """
        ranked = sorted(self.excluded.items(), key=lambda item: -item[1])
        return pl.DataFrame(
            {"reason": [r for r, _ in ranked], "rows": [n for _, n in ranked]},
            schema={"reason": pl.String, "rows": pl.Int64},
        )

    def __str__(self) -> str:
        lines = [
            f"Rows read: {self.rows_read:,}",
            f"Rows kept: {self.rows_kept:,} (of which returns: {self.returns:,})",
        ]
        if self.rows_added:
            lines.append(f"Refund lines added: {self.rows_added:,} (returns; not input rows)")
        if self.excluded:
            lines.append(f"Rows excluded: {self.rows_excluded:,}")
            lines += [f"  {reason}: {rows:,}" for reason, rows in self.excluded.items()]
        else:
            lines.append("Rows excluded: 0")
        if self.columns:
            lines.append("Columns:")
            lines += [f"  {canon} <- {source!r}" for canon, source in self.columns.items()]
        if self.date_format is not None:
            note = " (ambiguous: chosen by the caller)" if self.date_ambiguous else ""
            lines.append(f"Date format: {self.date_format}{note}")
        if self.encoding is not None:
            lines.append(f"Encoding: {self.encoding}")
        if self.delimiter is not None:
            lines.append(f"Delimiter: {self.delimiter!r}")
        if self.currency is not None:
            lines.append(f"Currency: {self.currency}")
        if self.warnings:
            lines.append("Warnings:")
            lines += [f"  - {warning}" for warning in self.warnings]
        return "\n".join(lines)
