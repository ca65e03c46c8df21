"""Dialect and header detection for delimited text, and a record reader that
keeps the damage of a malformed row (a stray quote) to that row.

The delimiter is chosen by how consistently each candidate splits the sample's
lines into the same number of fields; the header is the first line with that
field count and most of its fields filled (title rows like ``Report,,,,`` above
it are skipped). This beats :class:`csv.Sniffer`, which guesses from character
frequencies and is thrown off by decimal commas and title rows.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

CANDIDATE_DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
_SEP_HINT = re.compile(r'^\ufeff?\s*"?sep=(.)"?\s*$', re.IGNORECASE)
_LINE_BREAK = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")


@dataclass(frozen=True)
class Dialect:
    """How fields are separated and quoted.

    Examples
    --------
    >>> Dialect(";").delimiter
    ';'
    """

    delimiter: str
    quotechar: str | None = '"'
    escapechar: str | None = None

    def reader_options(self) -> dict[str, Any]:
        """Keyword arguments for :func:`csv.reader`."""
        return {
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
            "escapechar": self.escapechar,
            "doublequote": True,
            "strict": False,
            "quoting": csv.QUOTE_MINIMAL if self.quotechar else csv.QUOTE_NONE,
        }


@dataclass(frozen=True)
class Layout:
    """Where the table starts in a text file.

    ``header_line`` is the 0-based index of the header's first physical line;
    ``sep_hint`` tells whether a ``sep=`` line was found (and skipped).
    """

    dialect: Dialect
    header_line: int
    sep_hint: bool = False


class Record(NamedTuple):
    """One parsed record: 0-based first physical line, lines spanned, fields or an error."""

    line: int
    n_lines: int
    fields: list[str] | None
    error: str | None


def split_lines(text: str) -> list[str]:
    r"""Split into physical lines keeping their endings (``\r\n``, ``\n`` or a lone ``\r``).

    Unlike :meth:`str.splitlines`, form feeds and Unicode separators inside values
    are not line breaks.

    Examples
    --------
    >>> split_lines("a\r\nb\rc\nd")
    ['a\r\n', 'b\r', 'c\n', 'd']
    >>> split_lines("")
    []
    """
    if not text:
        return []
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class _LineFeed:
    """Iterator over ``lines[pos:]`` that remembers how far :mod:`csv` has read."""

    def __init__(self, lines: Sequence[str], pos: int) -> None:
        self.lines = lines
        self.pos = pos

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        if self.pos >= len(self.lines):
            raise StopIteration
        line = self.lines[self.pos]
        self.pos += 1
        return line


def iter_records(
    lines: Sequence[str], dialect: Dialect, *, start: int = 0, ncols: int | None = None
) -> Iterator[Record]:
    """Yield the records of ``lines[start:]``.

    With ``ncols`` given, a record spanning several lines whose field count is
    not ``ncols`` is taken to be an unbalanced (stray) quote: only its first
    line is reported, as an error, and reading restarts on the next line.

    Examples
    --------
    >>> lines = split_lines('a,b,c\\n1,"x,3\\n2,y,z\\n')
    >>> [r.fields or r.error for r in iter_records(lines, Dialect(","), ncols=3)]
    [['a', 'b', 'c'], 'unbalanced quote', ['2', 'y', 'z']]
    """
    pos = start
    options = dialect.reader_options()
    while pos < len(lines):
        feed = _LineFeed(lines, pos)
        reader = csv.reader(feed, **options)
        while True:
            begin = feed.pos
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield Record(begin, 1, None, f"unreadable row ({error})")
                pos = begin + 1
                break
            spanned = feed.pos - begin
            if ncols is not None and spanned > 1 and len(fields) != ncols:
                yield Record(begin, 1, None, "unbalanced quote")
                pos = begin + 1
                break
            yield Record(begin, spanned, fields, None)


class _Shape(NamedTuple):
    line: int  # 0-based physical line where the record starts
    fields: int  # number of fields, -1 when unreadable
    filled: int  # number of non-blank fields


def _shapes(lines: Sequence[str], dialect: Dialect) -> list[_Shape]:
    """Field counts of the non-blank records of a sample (quoted line breaks respected)."""
    shapes = []
    for record in iter_records(lines, dialect):
        if record.fields is None:
            shapes.append(_Shape(record.line, -1, 0))
            continue
        filled = sum(1 for f in record.fields if f.strip())
        if filled:
            shapes.append(_Shape(record.line, len(record.fields), filled))
    return shapes


def _score(shapes: Sequence[_Shape]) -> tuple[float, int]:
    """Coverage (share of records with the modal field count) and that count."""
    if not shapes:
        return 0.0, 0
    tally = Counter(shape.fields for shape in shapes)
    modal = max(tally, key=lambda c: (tally[c], c))
    return tally[modal] / len(shapes), modal


def sniff(
    lines: Sequence[str], *, delimiter: str | None = None, header_row: int | None = None
) -> Layout:
    """Detect the dialect and the header line of a sample of physical lines.

    Parameters
    ----------
    lines
        The first physical lines of the file (with their endings).
    delimiter
        Force the delimiter instead of detecting it.
    header_row
        Force the header's 1-based physical line instead of detecting it.

    Examples
    --------
    >>> layout = sniff(split_lines("sep=;\\nid;amount\\n1;1.234,50\\n2;3,10\\n"))
    >>> layout.dialect.delimiter, layout.header_line, layout.sep_hint
    (';', 1, True)
    >>> sniff(split_lines("Sales report,,\\n,,\\nid,day,amount\\n1,2,3\\n4,5,6\\n")).header_line
    2
    """
    start = 0
    sep_hint = False
    if lines and (hint := _SEP_HINT.match(lines[0].rstrip("\r\n"))):
        sep_hint = True
        start = 1
        if delimiter is None:
            delimiter = hint.group(1)
    if header_row is not None:
        start = max(start, header_row - 1)
    body = lines[start:]
    candidates = [delimiter] if delimiter is not None else list(CANDIDATE_DELIMITERS)
    escapes: list[str | None] = [None]
    if any('\\"' in line for line in body):
        escapes.append("\\")
    best: tuple[float, int] = (-1.0, -1)
    chosen: tuple[Dialect, list[_Shape], int] | None = None
    for candidate in candidates:
        for escape in escapes:
            dialect = Dialect(candidate, '"', escape)
            shapes = _shapes(body, dialect)
            coverage, modal = _score(shapes)
            if modal < 2 and delimiter is None:
                continue
            if (coverage, modal) > best:
                best, chosen = (coverage, modal), (dialect, shapes, modal)
    if chosen is None:
        # Nothing splits the records: a single-column file.
        dialect = Dialect(candidates[0])
        shapes = _shapes(body, dialect)
        chosen = (dialect, shapes, _score(shapes)[1])
    dialect, shapes, modal = chosen
    if header_row is not None:
        return Layout(dialect, header_row - 1, sep_hint)
    return Layout(dialect, start + _header_index(shapes, modal), sep_hint)


def _header_index(shapes: Sequence[_Shape], modal: int) -> int:
    """The first record with the modal field count and most of its fields filled."""
    typical = [shape for shape in shapes if shape.fields == modal]
    if not typical:
        return shapes[0].line if shapes else 0
    needed = max(1, math.ceil(max(shape.filled for shape in typical) / 2))
    return next(shape.line for shape in typical if shape.filled >= needed)


def unique_names(raw: Sequence[str]) -> tuple[list[str], list[str]]:
    """Make column names non-blank and unique; return the names and warnings.

    Blank names become ``column_<position>``; repeats get ``_2``, ``_3``, ...

    Examples
    --------
    >>> unique_names(["id", " ", "id", "amount"])[0]
    ['id', 'column_2', 'id_2', 'amount']
    """
    stripped = [name.strip().lstrip("\ufeff").strip() for name in raw]
    taken = set(stripped)
    names: list[str] = []
    seen: set[str] = set()
    blanks: list[str] = []
    renamed: list[str] = []
    for position, name in enumerate(stripped, start=1):
        new = name
        if not name:
            new = f"column_{position}"
            suffix = 2
            while new in taken or new in seen:
                new = f"column_{position}_{suffix}"
                suffix += 1
            blanks.append(new)
        elif name in seen:
            suffix = 2
            while f"{name}_{suffix}" in taken or f"{name}_{suffix}" in seen:
                suffix += 1
            new = f"{name}_{suffix}"
            renamed.append(f"{name!r} -> {new!r}")
        seen.add(new)
        names.append(new)
    warnings = []
    if blanks:
        warnings.append(f"{len(blanks)} column(s) had no name and were named {', '.join(blanks)}.")
    if renamed:
        warnings.append(f"Repeated column names were made unique: {', '.join(renamed)}.")
    return names, warnings
