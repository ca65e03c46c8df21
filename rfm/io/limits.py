"""Size limits that keep :func:`rfm.read_table` safe on untrusted uploads."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Limits:
    """Upper bounds checked *before* a file is parsed.

    Every limit protects the process (memory, CPU) against files that are
    malformed or hostile; exceeding one raises :class:`rfm.DataError` naming the
    limit, so a caller that trusts the file can raise it.

    Parameters
    ----------
    max_bytes
        Largest input accepted, in bytes (the file as stored, compressed or not).
    max_rows
        Largest number of data rows (physical lines for text files, the declared
        sheet extent for Excel, the metadata row count for Parquet).
    max_line_chars
        Longest physical line of a text file, in UTF-8 bytes.
    max_columns
        Largest number of columns.
    max_uncompressed_bytes
        Largest total uncompressed size of the entries of an Excel (zip) archive.
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
    """

    max_bytes: int = 200 * 2**20
    max_rows: int = 5_000_000
    max_line_chars: int = 100_000
    max_columns: int = 2_000
    max_uncompressed_bytes: int = 2 * 2**30
    max_zip_entries: int = 10_000
    max_compression_ratio: float = 200.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                msg = (
                    f"The {field.name!r} parameter of Limits must be a positive number. "
                    f"Got {value!r}."
                )
                raise ValueError(msg)
