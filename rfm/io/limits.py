"""Size limits that keep :func:`rfm.read_table` safe on untrusted uploads."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

from rfm._numbers import size as human_size
from rfm.errors import DataError

DEFAULT_MEMORY_BUDGET: Final = 2**30
"""1 GiB: what one Streamlit Community Cloud container can spare for one upload."""

TEXT_VALUE_BYTES: Final = 16
"""Memory a polars String value takes besides its text (the view: length, prefix, offset)."""


@dataclass(frozen=True, init=False)
class Limits:
    """Upper bounds checked *before* a file is parsed.

    Every limit protects the process (memory, CPU) against files that are
    malformed or hostile; exceeding one raises :class:`rfm.DataError` naming the
    limit, so a caller that trusts the file can raise it.

    The limits on size follow from one memory budget: by default
    ``max_bytes``, ``max_rows``, ``max_table_bytes`` and ``max_uncompressed_bytes``
    are the values below for a 1 GiB budget, scaled in proportion to
    ``memory_budget``. Any of them given explicitly is used as given. (The
    values are fixed when the object is made: ``dataclasses.replace(limits,
    memory_budget=...)`` keeps the other limits; build a new ``Limits`` instead.)

    Parameters
    ----------
    memory_budget
        Memory, in bytes, one file may take to read and analyse; 1 GiB by
        default, which fits a Streamlit Community Cloud container (1 GB and up)
        serving one upload at a time. Raise it on a larger machine.
    max_bytes
        Largest input accepted, in bytes (the file as stored, compressed or not);
        200 MiB per GiB of budget.
    max_rows
        Largest number of data rows (physical lines for text files, the declared
        sheet extent for Excel, the row groups' row counts for Parquet);
        5,000,000 per GiB of budget.
    max_table_bytes
        Largest projected size in memory of the table read as text: every value's
        text plus 16 bytes per value (a polars string view); half the budget, the
        other half being for cleaning and analysis. Projected from the file's
        size and shape before reading (text and Excel), from the metadata and then
        measured while reading (Parquet).
    max_line_chars
        Longest physical line of a text file, in UTF-8 bytes.
    max_columns
        Largest number of columns.
    max_uncompressed_bytes
        Largest total uncompressed size of the entries of an Excel (zip) archive;
        2 GiB per GiB of budget.
    max_zip_entries
        Largest number of entries in an Excel archive.
    max_compression_ratio
        Largest uncompressed/compressed ratio of any Excel archive entry larger
        than 1 MiB uncompressed (zip bombs reach ratios in the thousands).

    Examples
    --------
    >>> import rfm
    >>> rfm.Limits(max_bytes=10 * 2**20).max_bytes
    10485760
    >>> limits = rfm.Limits(memory_budget=4 * 2**30)
    >>> limits.max_rows, limits.max_table_bytes // 2**20, limits.max_bytes // 2**20
    (20000000, 2048, 800)
    """

    memory_budget: int
    max_bytes: int
    max_rows: int
    max_table_bytes: int
    max_line_chars: int
    max_columns: int
    max_uncompressed_bytes: int
    max_zip_entries: int
    max_compression_ratio: float

    def __init__(
        self,
        *,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
        max_bytes: int | None = None,
        max_rows: int | None = None,
        max_table_bytes: int | None = None,
        max_line_chars: int = 100_000,
        max_columns: int = 2_000,
        max_uncompressed_bytes: int | None = None,
        max_zip_entries: int = 10_000,
        max_compression_ratio: float = 200.0,
    ) -> None:
        if isinstance(memory_budget, bool) or not isinstance(memory_budget, int):
            msg = (
                "The 'memory_budget' parameter of Limits must be a whole number of bytes. "
                f"Got {memory_budget!r}."
            )
            raise ValueError(msg)
        _check_positive("memory_budget", memory_budget)

        def scaled(per_gib: int) -> int:
            return max(1, per_gib * memory_budget // DEFAULT_MEMORY_BUDGET)

        values = {
            "memory_budget": memory_budget,
            "max_bytes": scaled(200 * 2**20) if max_bytes is None else max_bytes,
            "max_rows": scaled(5_000_000) if max_rows is None else max_rows,
            "max_table_bytes": scaled(2**29) if max_table_bytes is None else max_table_bytes,
            "max_line_chars": max_line_chars,
            "max_columns": max_columns,
            "max_uncompressed_bytes": (
                scaled(2 * 2**30) if max_uncompressed_bytes is None else max_uncompressed_bytes
            ),
            "max_zip_entries": max_zip_entries,
            "max_compression_ratio": max_compression_ratio,
        }
        for field in fields(self):
            _check_positive(field.name, values[field.name])
            object.__setattr__(self, field.name, values[field.name])


def _check_positive(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        msg = f"The {name!r} parameter of Limits must be a positive number. Got {value!r}."
        raise ValueError(msg)


def check_table_size(projected: int, *, what: str, limits: Limits) -> None:
    """Refuse a table whose projected size in memory exceeds ``limits.max_table_bytes``.

    ``what`` says where the figure comes from, e.g. ``"its 1,000,000 lines x 8
    columns"``; it completes the sentence "... but the table, from {what}, would
    take ...".

    Examples
    --------
    >>> check_table_size(10, what="3 rows", limits=Limits(max_table_bytes=100))
    >>> try:
    ...     check_table_size(10**9, what="3 rows", limits=Limits())
    ... except DataError as error:
    ...     print(str(error).split(" (")[0])
    Expected a table that fits in 512 MiB of memory
    """
    if projected <= limits.max_table_bytes:
        return
    msg = (
        f"Expected a table that fits in {human_size(limits.max_table_bytes)} of memory "
        f"(Limits.max_table_bytes) but this one, from {what}, would take about "
        f"{human_size(projected)} once read. Upload fewer rows (a shorter period) or "
        "drop the columns the analysis does not need, or raise Limits.memory_budget."
    )
    raise DataError(
        msg,
        expected=f"at most {human_size(limits.max_table_bytes)} in memory",
        found=f"about {human_size(projected)}, from {what}",
        limit="max_table_bytes",
    )


def reraise_unless_library_error(error: BaseException) -> None:
    """Re-raise ``error`` unless it is an ordinary exception or a Rust panic.

    polars and fastexcel report panics as ``pyo3_runtime.PanicException``, a
    ``BaseException`` (one class per extension module), so ``except Exception``
    would let a malformed upload end the process. KeyboardInterrupt and
    SystemExit still propagate.
    """
    if isinstance(error, Exception) or type(error).__name__ == "PanicException":
        return
    raise error
