"""Typed conversion of text columns: missing markers, numbers, dates and ids.

Formats are decided once per column from the data (never per cell) and then
applied to the whole column with vectorised polars expressions. A value that
does not fit the chosen format becomes null *and is counted*, so the caller can
exclude its row with a reason instead of losing it silently.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from rfm.errors import AmbiguousDatesError, DataError, MixedDatesError

MISSING_VALUES: Final = ("", "null", "n/a", "na", "-", "--", "none", "nan", "#n/a", "nil")
"""Cell texts (compared case-insensitively, after trimming) that mean "no value"."""

Decimal = Literal[".", ","]

_CURRENCY = (
    r"(?i)[$€£¥₹₽₩₺¢]|\b(?:usd|eur|gbp|chf|jpy|cad|aud|nzd|sek|nok|dkk|pln|czk|inr|cny|brl|mxn)\b"
)
# Thousands separators allowed with each decimal convention; spaces include the
# no-break spaces spreadsheets write in "1 234,50".
_GROUP = {".": "[,' \u00a0\u202f]", ",": "[.' \u00a0\u202f]"}
_CORE = {
    ".": (
        r"^(?:\d{1,3}(?:" + _GROUP["."] + r"\d{3})+|\d+)(?:\.\d*)?$"
        r"|^\.\d+$|^\d+(?:\.\d+)?[eE][+-]?\d+$"
    ),
    ",": r"^(?:\d{1,3}(?:" + _GROUP[","] + r"\d{3})+|\d+)(?:,\d*)?$|^,\d+$",
}
_THOUSANDS_ONLY = r"^[-+]?\d{1,3}(?:\.\d{3})+$"
_WHOLE_ID = r"^\d+(?:\.0+)?$"
_SCIENTIFIC_ID = r"^\d(?:[.,]\d+)?[eE]\+?\d+$"


_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
"""Unicode White_Space: what ``str.strip`` and polars' ``strip_chars()`` remove."""
INVISIBLE: Final = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u180e"
"""Characters that print as nothing: zero-width space/joiners, direction marks,
word joiner, byte-order mark (a stray BOM inside a file), Mongolian vowel separator."""
TRIMMED: Final = _WHITESPACE + INVISIBLE
"""What :func:`clean_text` trims from both ends of a value: ``expr.str.strip_chars(TRIMMED)``
trims ids the same way wherever they are compared (a second table joined on them)."""


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Trim whitespace and invisible characters; missing markers (``NULL``, ``N/A``, ...) -> null.

    Invisible characters are :data:`INVISIBLE` (zero-width space, byte-order mark,
    ...): an id pasted with one is the same id.

    Examples
    --------
    >>> s = pl.Series([" a ", "NULL", "n/a", "-", "  ", None, "-5.25", "\u200b12\ufeff"])
    >>> pl.select(clean_text(pl.lit(s))).to_series().to_list()
    ['a', None, None, None, None, None, '-5.25', '12']
    """
    # Replacing every spelling is cheaper than lower-casing each cell, and than
    # when/then (which copies the column once more).
    return expr.str.strip_chars(TRIMMED).replace(_MISSING_SPELLINGS, None)


def _spellings(word: str) -> list[str]:
    out = [""]
    for ch in word:
        out = [p + c for p in out for c in {ch.lower(), ch.upper()}]
    return out


_MISSING_SPELLINGS: Final = sorted({s for word in MISSING_VALUES for s in _spellings(word)})


_FEW_DISTINCT = 1000
_CARDINALITY_SAMPLE = 10_000


def clean_columns(frame: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """:func:`clean_text` applied to the text columns ``names`` of ``frame``.

    Columns with few distinct values (categories, flags, countries) are cleaned
    through those values: one hashing pass finds them, and only the values that
    cleaning changes are replaced, usually none. That is several times cheaper
    than trimming every cell. Other columns are trimmed cell by cell. Both passes
    run over all their columns in parallel.

    Examples
    --------
    >>> frame = pl.DataFrame({"city": [" Paris", "Lyon", "NULL"], "id": ["1", " 2", "3"]})
    >>> clean_columns(frame, ["city", "id"]).rows()
    [('Paris', '1'), ('Lyon', '2'), (None, '3')]
    """
    few = []
    if frame.height > _CARDINALITY_SAMPLE:
        step = frame.height // _CARDINALITY_SAMPLE
        guesses = frame.select(pl.col(names).gather_every(step).n_unique()).row(0)
        few = [n for n, k in zip(names, guesses, strict=True) if k <= _FEW_DISTINCT]
    exprs = {n: clean_text(pl.col(n)).alias(n) for n in names if n not in few}
    if few:
        distinct = frame.select(pl.col(n).unique().implode() for n in few)
        for name in few:
            before = distinct[name].explode()
            after = pl.select(clean_text(pl.lit(before))).to_series()
            changed = before.ne_missing(after)
            exprs[name] = (
                pl.col(name).replace(before.filter(changed), after.filter(changed))
                if changed.any()
                else pl.col(name)
            )
    return frame.select(exprs[n] for n in names)


def clean_series(values: pl.Series) -> pl.Series:
    """:func:`clean_text` for a Series of any type (non-text is cast to text first)."""
    text = values if values.dtype == pl.String else values.cast(pl.String)
    return pl.select(clean_text(pl.lit(text.rechunk()))).to_series().alias(values.name)


# --------------------------------------------------------------------------- numbers

_CODE_SYMBOLS: Final = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cny": "¥", "inr": "₹"}


def detect_currency(values: pl.Series, *, sample: int = 10_000) -> str | None:
    """The currency written in a column of amounts, e.g. ``"€"`` for ``"1.234,50 €"``.

    Looks at the first ``sample`` present text values. Codes with a common symbol are
    given as that symbol (``EUR`` -> ``€``), other codes in capitals (``CHF``). None
    when the column is numeric, no value names a currency, or two currencies are
    written (the most frequent would be a guess).

    Examples
    --------
    >>> detect_currency(pl.Series(["€1.234,50", "12,00 €", None]))
    '€'
    >>> detect_currency(pl.Series(["10 CHF", "2.50 chf"]))
    'CHF'
    >>> detect_currency(pl.Series(["$5", "£5"])) is None
    True
    >>> detect_currency(pl.Series([1.5, 2.0])) is None
    True
    """
    if values.dtype != pl.String:
        return None
    found = (
        values.drop_nulls()
        .head(sample)
        .str.extract_all(_CURRENCY)
        .explode()
        .drop_nulls()
        .str.to_lowercase()
        .replace(_CODE_SYMBOLS)
        .str.to_uppercase()  # symbols are unchanged; codes read as written on invoices
        .unique()
    )
    return str(found.item()) if found.len() == 1 else None


def _number_parts(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Split a number text into its bare digits-and-separators, a sign and a conflict flag."""
    paren = expr.str.contains(r"^\(.*\)$")
    text = expr.str.replace(r"^\((.*)\)$", "$1")
    text = text.str.replace_all(_CURRENCY, "").str.strip_chars()
    minus = text.str.contains(r"^[-−]|[-−]$")
    text = text.str.replace(r"^[-−+]|[-−]$", "").str.strip_chars()
    return text, paren | minus, paren & minus


def _from_parts(text: pl.Expr, negative: pl.Expr, conflict: pl.Expr, decimal: Decimal) -> pl.Expr:
    valid = text.str.contains(_CORE[decimal]) & ~conflict
    digits = text.str.replace_all(_GROUP[decimal], "")
    if decimal == ",":
        digits = digits.str.replace(",", ".", literal=True)
    value = digits.cast(pl.Float64, strict=False)
    return pl.when(valid).then(pl.when(negative).then(-value).otherwise(value))


def parse_number(expr: pl.Expr, *, decimal: Decimal = ".") -> pl.Expr:
    """Parse cleaned number texts with one decimal convention; null where they don't fit.

    Accepts currency symbols or codes before or after the number, thousands
    separators in groups of three, a leading or trailing minus and accounting
    parentheses for negatives.

    Parameters
    ----------
    expr : pl.Expr
        String expression, already trimmed with missing markers as null.
    decimal : {".", ","}
        The decimal separator; the other one (and spaces, apostrophes) may
        separate thousands.

    Returns
    -------
    pl.Expr
        Float64; null for missing input *and* for input that does not parse.

    Examples
    --------
    >>> s = pl.Series(["$1,234.50", "(12.00)", "-5.25", "12.5.1"])
    >>> pl.select(parse_number(pl.lit(s))).to_series().to_list()
    [1234.5, -12.0, -5.25, None]
    >>> s = pl.Series(["€1.234,50", "1 234,50", "1.234,50 €", "-0,5"])
    >>> pl.select(parse_number(pl.lit(s), decimal=",")).to_series().to_list()
    [1234.5, 1234.5, 1234.5, -0.5]
    """
    return _from_parts(*_number_parts(expr), decimal)


@dataclass(frozen=True)
class NumberColumn:
    """A number column converted with one convention.

    ``values`` is Float64 with null where the input was missing or invalid;
    ``missing`` and ``invalid`` are Boolean masks telling the two apart.
    """

    values: pl.Series
    missing: pl.Series
    invalid: pl.Series
    decimal: Decimal | None
    warnings: tuple[str, ...] = ()


def convert_numbers(
    values: pl.Series, *, decimal: Decimal | None = None, cleaned: bool = False
) -> NumberColumn:
    """Convert a column to Float64, deciding the decimal separator from the data.

    Numeric columns are cast. Text columns take the convention (``"."`` or
    ``","`` as decimal separator) under which more values parse; a tie (only
    integers, or only values like ``1,234``) keeps ``"."`` and says so.

    Examples
    --------
    >>> col = convert_numbers(pl.Series("x", ["1.234,50", "12,00", "oops", None]))
    >>> col.decimal, col.values.to_list(), col.invalid.to_list()
    (',', [1234.5, 12.0, None, None], [False, False, True, False])
    """
    name = values.name
    if values.dtype.is_numeric() or values.dtype == pl.Boolean:
        floats = values.cast(pl.Float64)
        # NaN is how pandas writes "missing"; infinities are invalid amounts.
        missing = floats.is_null() | floats.is_nan().fill_null(False)
        invalid = floats.is_infinite().fill_null(False)
        floats = pl.select(pl.when(pl.lit(floats).is_finite()).then(pl.lit(floats))).to_series()
        return NumberColumn(floats.alias(name), missing, invalid, None)
    if not cleaned and values.dtype == pl.String and decimal in (None, "."):
        # Try the raw text first: a float cast rejects padding and every missing
        # marker but "nan" (not finite), so when all values cast, cleaning would
        # change nothing.
        plain = _plain_numbers(values, decimal)
        if plain is not None:
            return plain
    text = values if cleaned else clean_series(values)
    plain = _plain_numbers(text, decimal) if decimal in (None, ".") else None
    if plain is not None:
        return plain
    missing = text.is_null()
    warnings: list[str] = []
    parts = pl.select(
        *(e.alias(n) for e, n in zip(_number_parts(pl.lit(text)), ("t", "neg", "bad"), strict=True))
    )
    core = parts["t"]
    if decimal is None:
        fits = {sep: int(core.str.contains(_CORE[sep]).sum()) for sep in (".", ",")}
        decimal = "," if fits[","] > fits["."] else "."
        grouped = core.str.contains(r"^\d{1,3}(?:[.,]\d{3})+$")
        if fits[","] == fits["."] and grouped.any():
            warnings.append(
                f"Column {name!r}: values like {text.filter(grouped).item(0)!r} read with '.' "
                "as the decimal separator; pass decimal=',' if ',' is the decimal separator."
            )
    parsed = (
        parts.select(_from_parts(pl.col("t"), pl.col("neg"), pl.col("bad"), decimal))
        .to_series()
        .alias(name)
    )
    invalid = parsed.is_null() & ~missing
    return NumberColumn(parsed, missing, invalid, decimal, tuple(warnings))


def _plain_numbers(text: pl.Series, decimal: Decimal | None) -> NumberColumn | None:
    """Plain numbers ("-5.25", "1e3") need no convention: cast, or None if any does not."""
    name = text.name
    fast = text.cast(pl.Float64, strict=False)
    if fast.null_count() == text.null_count() and fast.is_finite().all():
        no = pl.repeat(False, len(text), eager=True)
        head = text.drop_nulls().head(1000)
        dotted = head.filter(head.str.contains(".", literal=True))
        notes: tuple[str, ...] = ()
        if decimal is None and dotted.len() and dotted.str.contains(_THOUSANDS_ONLY).all():
            notes = (
                f"Column {name!r}: values like {dotted.item(0)!r} read with '.' as the "
                "decimal separator; pass decimal=',' if '.' separates thousands.",
            )
        return NumberColumn(fast.alias(name), text.is_null(), no, ".", notes)
    return None


# --------------------------------------------------------------------------- dates

# Whole-second variants come before "%.f" ones: polars parses them on a fast path
# (about 2x), and the greedy cover below only adds "%.f" when fractions occur.
_ISO_TIMES: Final = (
    "",
    " %H:%M",
    " %H:%M:%S",
    " %H:%M:%S%.f",
    "T%H:%M",
    "T%H:%M:%S",
    "T%H:%M:%S%.f",
    "T%H:%M:%S%.fZ",
    "T%H:%M:%S%.f%z",
    " %H:%M:%S%.f%z",
)
_TIMES: Final = ("", " %H:%M", " %H:%M:%S", " %H:%M:%S%.f", " %I:%M %p", " %I:%M:%S %p")

# (date part, its day/month mirror or None, time suffixes)
_DATE_PARTS: Final[tuple[tuple[str, str | None, tuple[str, ...]], ...]] = (
    ("%Y-%m-%d", None, _ISO_TIMES),
    ("%Y/%m/%d", None, _TIMES),
    ("%Y%m%d", None, ("",)),
    ("%d/%m/%Y", "%m/%d/%Y", _TIMES),
    ("%m/%d/%Y", "%d/%m/%Y", _TIMES),
    ("%d.%m.%Y", "%m.%d.%Y", _TIMES),
    ("%m.%d.%Y", "%d.%m.%Y", _TIMES),
    ("%d-%m-%Y", "%m-%d-%Y", _TIMES),
    ("%m-%d-%Y", "%d-%m-%Y", _TIMES),
    ("%d/%m/%y", "%m/%d/%y", _TIMES),
    ("%m/%d/%y", "%d/%m/%y", _TIMES),
    ("%d.%m.%y", "%m.%d.%y", _TIMES),
    ("%m.%d.%y", "%d.%m.%y", _TIMES),
    ("%d %b %Y", None, _TIMES),
    ("%d-%b-%Y", None, _TIMES),
    ("%d-%b-%y", None, _TIMES),
    ("%b %d, %Y", None, _TIMES),
    ("%d %B %Y", None, _TIMES),
    ("%B %d, %Y", None, _TIMES),
)
EXCEL_SERIAL: Final = "excel serial"
"""Pseudo-format for spreadsheet day numbers (days since 1899-12-30)."""

_SAMPLE_SIZE: Final = 2000
_RANK_SIZE: Final = 300
# Outside this range a "date" is a misread (``1/2/10`` as year 10), not a date.
_FIRST: Final = dt.datetime(1900, 1, 1)
_LAST: Final = dt.datetime(2100, 12, 31, 23, 59, 59, 999999)
_EXCEL_EPOCH: Final = dt.datetime(1899, 12, 30)
_OFFSET: Final = r"\s*[+-]\d{2}(?::?\d{2})?$"  # a trailing UTC offset: -0500, +05:30, +01


def strptime(expr: pl.Expr, format: str, *, check_years: bool = True) -> pl.Expr:
    """Parse text with one explicit format to ``Datetime("us")``; null where it doesn't fit.

    A UTC offset (``%z``) must be present and valid, but the time kept is the local
    one written before it: an order at 21:00 -0500 was placed on the customer's
    calendar day, not the next UTC day (time-zone-aware columns keep their local
    times the same way). Years outside 1900-2100 count as not fitting (``1/2/10``
    must not become year 10).

    Examples
    --------
    >>> s = pl.Series(["12/1/2010 8:26", "13/1/2010 8:26"])
    >>> pl.select(strptime(pl.lit(s), "%m/%d/%Y %H:%M")).to_series().to_list()
    [datetime.datetime(2010, 12, 1, 8, 26), None]
    >>> s = pl.Series(["2024-03-09 21:00:00 -0500", "2024-03-09 21:00:00"])
    >>> pl.select(strptime(pl.lit(s), "%Y-%m-%d %H:%M:%S%.f%z")).to_series().to_list()
    [datetime.datetime(2024, 3, 9, 21, 0), None]
    """
    if format == EXCEL_SERIAL:
        days = expr.cast(pl.Float64, strict=False)
        days = pl.when(days.is_between(1, 2_958_465)).then(days)
        out = pl.lit(_EXCEL_EPOCH, dtype=pl.Datetime("us")) + pl.duration(
            microseconds=(days * 86_400_000_000).round(0).cast(pl.Int64)
        )
    else:
        out = expr.str.strptime(pl.Datetime("us"), format, strict=False, exact=True)
        if "%z" in format:
            # Parsing with the offset checks it and yields UTC; the local time is the
            # text without it, parsed where the whole value fitted.
            local = expr.str.replace(_OFFSET, "").str.strptime(
                pl.Datetime("us"), format.replace("%z", ""), strict=False, exact=True
            )
            out = pl.when(out.is_not_null()).then(local)
    return pl.when(out.is_between(_FIRST, _LAST)).then(out) if check_years else out


def _parse_series(text: pl.Series, formats: tuple[str, ...]) -> pl.Series:
    exprs = [strptime(pl.lit(text), fmt, check_years=False) for fmt in formats]
    parsed = pl.select(pl.coalesce(exprs) if len(exprs) > 1 else exprs[0]).to_series()
    # The year check costs more than the parse; skip it when min and max pass.
    low, high = parsed.min(), parsed.max()
    if low is None or (low >= _FIRST and high <= _LAST):  # type: ignore[operator]
        return parsed
    return pl.select(
        pl.when(pl.lit(parsed).is_between(_FIRST, _LAST)).then(pl.lit(parsed))
    ).to_series()


@dataclass(frozen=True)
class DateColumn:
    """A date column converted with explicit formats.

    ``formats`` were tried in order (the first is the main one, reported);
    ``missing`` marks empty input, ``invalid`` input that fit no format.
    """

    values: pl.Series
    missing: pl.Series
    invalid: pl.Series
    formats: tuple[str, ...]
    ambiguous: bool
    day_first: bool | None
    warnings: tuple[str, ...] = ()

    @property
    def format(self) -> str | None:
        """The main format, or None when the source was already a date type."""
        return self.formats[0] if self.formats else None


def _sample(text: pl.Series) -> pl.Series:
    present = text.drop_nulls()
    if present.len() > _SAMPLE_SIZE:
        present = present.gather_every(present.len() // _SAMPLE_SIZE)
    return present.unique(maintain_order=True)


def _time_variants(date_part: str) -> tuple[str, ...]:
    for part, _, times in _DATE_PARTS:
        if part == date_part:
            return tuple(part + t for t in times)
    return ()


def _split_format(format: str) -> tuple[str, str]:
    # Longest known date part that prefixes the format.
    best = ""
    for part, _, _ in _DATE_PARTS:
        if format.startswith(part) and len(part) > len(best):
            best = part
    return best, format[len(best) :]


def _rank_formats(sample: pl.Series) -> list[tuple[str, list[tuple[str, int]], int]]:
    """For each date part: the variants that fit some sample value, and total coverage."""
    ranked = []
    has = {sep: bool(sample.str.contains(sep, literal=True).any()) for sep in "/.-: "}
    for part, _, times in _DATE_PARTS:
        if any(sep in part and not has[sep] for sep in "/.-"):
            continue
        variants = [part + t for t in times if not (":" in t and not has[":"])]
        frame = sample.to_frame("value").select(_fits(f) for f in variants)
        masks = [frame[f] for f in variants]
        covered = int(frame.select(pl.any_horizontal(pl.all()).sum()).item())
        if covered:
            ranked.append((part, _cover(variants, masks), covered))
    if sample.str.contains(r"^\d{5}(?:\.\d+)?$").all():
        serial = sample.cast(pl.Float64, strict=False)
        if serial.is_between(20_000, 80_000).all():
            ranked.append((EXCEL_SERIAL, [(EXCEL_SERIAL, sample.len())], sample.len()))
    ranked.sort(key=lambda r: -r[2])
    return ranked


@functools.cache
def _fits(format: str) -> pl.Expr:
    # Cached: building the expression costs more than running it on a sample.
    return strptime(pl.col("value"), format).is_not_null().alias(format)


def _cover(variants: list[str], masks: list[pl.Series]) -> list[tuple[str, int]]:
    """Greedy set cover: the fewest variants that read every value some variant reads.

    Each extra variant costs a full parse of the column, so a variant is kept only
    for values no kept one reads. Ties go to the table's order (row order cannot
    matter).
    """
    used: list[tuple[str, int]] = []
    left = pl.repeat(True, masks[0].len(), eager=True) if masks else pl.Series([], dtype=pl.Boolean)
    while masks:
        gains = [int((m & left).sum()) for m in masks]
        best = max(range(len(masks)), key=lambda i: (gains[i], -i))
        if gains[best] == 0:
            break
        used.append((variants[best], gains[best]))
        left = left & ~masks[best]
    return used


def _day_month_evidence(text: pl.Series, date_part: str) -> tuple[pl.Series, pl.Series]:
    """Values only a day-first reading fits, and values only a month-first reading fits."""
    sep = next(c for c in date_part if c in "/.-")
    sep = re.escape(sep)
    fields = text.str.extract_groups(rf"^(\d{{1,2}}){sep}(\d{{1,2}}){sep}")
    first = fields.struct.field("1").cast(pl.Int32)
    second = fields.struct.field("2").cast(pl.Int32)
    day_first_only = ((first > 12) & (second <= 12)).fill_null(False)
    month_first_only = ((second > 12) & (first <= 12)).fill_null(False)
    return day_first_only, month_first_only


def _is_day_first(date_part: str) -> bool:
    return date_part.index("%d") < date_part.index("%m")


def detect_date_format(
    values: pl.Series,
    *,
    date_format: str | None = None,
    day_first: bool | None = None,
    cleaned: bool = False,
) -> DateColumn:
    """Convert a date column, deciding its format from the data.

    Parameters
    ----------
    values : pl.Series
        The source column (text, a date type, or numbers: ``yyyymmdd`` integers
        or spreadsheet serials).
    date_format : str, optional
        An explicit strftime format; date-only formats also accept the usual
        time suffixes (``" %H:%M"``, ...).
    day_first : bool, optional
        Resolve an all-ambiguous column this way (used for secondary date
        columns, following the order dates). Without it an ambiguous column
        raises :class:`rfm.AmbiguousDatesError`.
    cleaned : bool, default False
        Text values are already trimmed with missing markers as null
        (:func:`clean_text`), so the pass is not repeated.

    Raises
    ------
    AmbiguousDatesError
        Every value reads both day-first and month-first and nothing says which.
    DataError
        The column mixes values only day-first fits with values only month-first fits,
        or no known format fits the values.

    Examples
    --------
    >>> col = detect_date_format(pl.Series("d", ["13/1/2010 8:26", "1/2/2010 9:00"]))
    >>> col.format, col.values.to_list()[1]
    ('%d/%m/%Y %H:%M', datetime.datetime(2010, 2, 1, 9, 0))
    """
    name = values.name
    if values.dtype == pl.Date or isinstance(values.dtype, pl.Datetime):
        converted = values.cast(pl.Datetime("us"))
        warnings: tuple[str, ...] = ()
        if isinstance(values.dtype, pl.Datetime) and values.dtype.time_zone is not None:
            converted = values.dt.replace_time_zone(None).cast(pl.Datetime("us"))
            warnings = (
                f"Column {name!r}: time zone {values.dtype.time_zone} dropped (local times kept).",
            )
        missing = values.is_null()
        invalid = pl.repeat(False, len(values), eager=True)
        return DateColumn(converted.alias(name), missing, invalid, (), False, None, warnings)
    if values.dtype.is_float():
        text = clean_series(values.cast(pl.Float64).fill_nan(None))
    elif values.dtype.is_integer():
        text = values.cast(pl.String)
    else:
        if not cleaned and values.dtype == pl.String:
            raw = _read_raw(values, date_format=date_format, day_first=day_first)
            if raw is not None:
                return raw
        text = values if cleaned else clean_series(values)
    missing = text.is_null()
    present = int((~missing).sum())
    ambiguous = False
    if date_format is not None:
        date_part, _ = _split_format(date_format)
        # Time variants of a date-only format are added by _finish only where
        # some value needs them, so the report lists the formats really used.
        formats: tuple[str, ...] = (date_format,)
        mirror = _mirror(date_part)
        if mirror is not None and present:
            day_only, month_only = _day_month_evidence(text, date_part)
            ambiguous = not day_only.any() and not month_only.any()
        return _finish(text, missing, formats, ambiguous, None, ())
    if present == 0:
        return DateColumn(
            pl.Series(name, [None] * len(text), dtype=pl.Datetime("us")),
            missing,
            ~missing,
            (),
            False,
            None,
        )
    sample = _sample(text)
    # Ranking tries dozens of formats: a few hundred values suffice (the rows the
    # chosen formats miss get a second look in _finish).
    ranked = _rank_formats(sample.head(_RANK_SIZE))
    if not ranked:
        examples = ", ".join(repr(v) for v in sample.head(3).to_list())
        msg = (
            f"Column {name!r} does not look like dates: no known date format fits values such "
            f"as {examples}. Pass date_format='...' (a strftime format like '%d/%m/%Y') or map "
            f"another column with columns={{'order_date': ...}}."
        )
        raise DataError(msg, column=name, expected="dates", found=f"values such as {examples}")
    part, used, _ = ranked[0]
    formats = tuple(f for f, _ in used)
    chosen_day_first: bool | None = None
    mirror = _mirror(part)
    if mirror is None:
        return _finish(text, missing, formats, ambiguous, None, ())
    time_part = _split_format(formats[0])[1]
    day_part, month_part = (part, mirror) if _is_day_first(part) else (mirror, part)
    sample_day, sample_month = _day_month_evidence(sample, part)
    if sample_day.any() != sample_month.any():
        # The sample decides; values it skipped are checked below, on the rows the
        # chosen format cannot read (cheap: usually none).
        chosen_day_first = bool(sample_day.any())
    else:
        day_only, month_only = _day_month_evidence(text, part)
        n_day, n_month = int(day_only.sum()), int(month_only.sum())
        if n_day and n_month:
            raise _mixed_error(name, text, day_part, month_part, time_part)
        if not n_day and not n_month:
            if day_first is None:
                raise _ambiguous_error(name, sample.item(0), day_part, month_part, time_part)
            ambiguous = True
            chosen_day_first = day_first
        else:
            chosen_day_first = n_day > 0
    chosen = day_part if chosen_day_first else month_part
    if chosen != part:
        formats = tuple(chosen + _split_format(f)[1] for f in formats)
    col = _finish(text, missing, formats, ambiguous, chosen_day_first, ())
    if col.invalid.any():
        day_only, month_only = _day_month_evidence(text.filter(col.invalid), part)
        if (month_only if chosen_day_first else day_only).any():
            raise _mixed_error(name, text, day_part, month_part, time_part)
    return col


def _read_raw(
    values: pl.Series, *, date_format: str | None, day_first: bool | None
) -> DateColumn | None:
    """The column read without cleaning, or None when cleaning could change the result.

    Cleaning costs more than parsing. It changes nothing when no value starts with
    whitespace (checked by comparing: such values sort before "!" or after
    U+0080) and every present value parses: a missing marker or trailing
    whitespace never fits an exact format.
    """
    padded = ((values < "!") & (values != "")) | (values >= "\u0080")
    if padded.any():
        return None
    try:
        col = detect_date_format(values, date_format=date_format, day_first=day_first, cleaned=True)
    except DataError:  # also AmbiguousDatesError: let the cleaned text decide
        return None
    return None if col.invalid.any() else col


def _mixed_error(
    name: str, text: pl.Series, day_part: str, month_part: str, time_part: str
) -> MixedDatesError:
    day_only, month_only = _day_month_evidence(text, day_part)
    n_day, n_month = int(day_only.sum()), int(month_only.sum())
    ex_day = text.filter(day_only).item(0)
    ex_month = text.filter(month_only).item(0)
    msg = (
        f"Column {name!r} mixes day-first and month-first dates: {n_day:,} values "
        f"such as {ex_day!r} only read day-first ({day_part}) and {n_month:,} such "
        f"as {ex_month!r} only month-first ({month_part}). Fix the export so one "
        f"convention is used, or pass date_format='{day_part}{time_part}' or "
        f"date_format='{month_part}{time_part}' to exclude the rows that do not fit."
    )
    return MixedDatesError(
        msg,
        column=name,
        expected="one date format in the column",
        found=f"{n_day:,} dates only day-first and {n_month:,} only month-first",
        choices=(day_part + time_part, month_part + time_part),
    )


def _ambiguous_error(
    name: str, example: str, day_part: str, month_part: str, time_part: str
) -> AmbiguousDatesError:
    candidates = (day_part + time_part, month_part + time_part)
    readings = [_parse_series(pl.Series([example]), (f,)).item(0) for f in candidates]
    said = " or ".join(f"{d:%d %B %Y}" for d in readings if d is not None)
    msg = (
        f"Column {name!r}: every date reads both day-first and month-first "
        f"(e.g. {example!r} is {said}), so the format cannot be told from the data. "
        f"Pass date_format='{candidates[0]}' (day first) or "
        f"date_format='{candidates[1]}' (month first)."
    )
    return AmbiguousDatesError(msg, column=name, candidates=candidates)


def other_order(date_format: str) -> str | None:
    """The same format with day and month swapped; None when the order is not ambiguous.

    Examples
    --------
    >>> other_order("%d/%m/%Y %H:%M"), other_order("%Y-%m-%d")
    ('%m/%d/%Y %H:%M', None)
    """
    date_part, time_part = _split_format(date_format)
    mirror = _mirror(date_part) if date_part else None
    return None if mirror is None else mirror + time_part


def _mirror(date_part: str) -> str | None:
    for part, mirror, _ in _DATE_PARTS:
        if part == date_part:
            return mirror
    return None


def _finish(
    text: pl.Series,
    missing: pl.Series,
    formats: tuple[str, ...],
    ambiguous: bool,
    day_first: bool | None,
    warnings: tuple[str, ...],
) -> DateColumn:
    parsed = _parse_series(text, formats)
    failed = parsed.is_null() & ~missing
    if failed.any():
        # Second chance for time variants the sample missed (same date part only).
        date_part = _split_format(formats[0])[0]
        extra = tuple(f for f in _time_variants(date_part) if f not in formats)
        rest = text.filter(failed).unique().head(_SAMPLE_SIZE)
        useful = tuple(
            f for f in extra if pl.select(strptime(pl.lit(rest), f).is_not_null().any()).item()
        )
        if useful:
            formats += useful
            parsed = _parse_series(text, formats)
            failed = parsed.is_null() & ~missing
    if day_first is None:
        part = _split_format(formats[0])[0]
        day_first = _is_day_first(part) if part and _mirror(part) else None
    return DateColumn(
        parsed.alias(text.name), missing, failed, formats, ambiguous, day_first, warnings
    )


# --------------------------------------------------------------------------- ids


def convert_ids(values: pl.Series, *, cleaned: bool = False) -> tuple[pl.Series, tuple[str, ...]]:
    """Ids as text, exactly as written (``00123`` stays ``00123``).

    Integer-valued floats (a pandas column holding ``12346.0``) become ``"12346"``;
    ids in scientific notation (``1.23457E+11``) are kept but flagged: a
    spreadsheet has rounded them and the originals cannot be recovered.

    Examples
    --------
    >>> ids, notes = convert_ids(pl.Series("id", [12346.0, 12347.0, None]))
    >>> ids.to_list(), len(notes)
    (['12346', '12347', None], 1)
    """
    name = values.name
    warnings: list[str] = []
    if values.dtype.is_float():
        finite = values.fill_nan(None)
        whole = (finite.drop_nulls() == finite.drop_nulls().round(0)).all()
        if (
            whole
            and finite.drop_nulls().abs().max() is not None
            and float(
                finite.drop_nulls().abs().max()  # type: ignore[arg-type]
            )
            < 2**53
        ):
            text = finite.cast(pl.Int64).cast(pl.String)
            example = finite.drop_nulls().item(0)
            warnings.append(
                f"Column {name!r} held ids as floating-point numbers (e.g. {example!r}); "
                f"read as whole-number text (e.g. {text.drop_nulls().item(0)!r})."
            )
        else:
            text = finite.cast(pl.String)
            if finite.drop_nulls().len():
                warnings.append(
                    f"Column {name!r} held ids as floating-point numbers with fractions; "
                    "kept as text, but check the export."
                )
        return text.alias(name), tuple(warnings)
    text = values if cleaned else clean_series(values)
    # Cheap looks first (the head, a sample spread over the column, any "+" at all):
    # most id columns are neither decimals nor in scientific notation, and copying
    # the present values costs. Whole numbers with and without '.0' in one column
    # (exports appended from a spreadsheet and from pandas) are one customer each:
    # '12346' and '12346.0'.
    if (
        text.null_count() < len(text)
        and text.head(1000).drop_nulls().head(100).str.contains(_WHOLE_ID).all()
        and text.gather_every(max(1, len(text) // 10_000)).str.contains(".", literal=True).any()
        and text.drop_nulls().str.contains(_WHOLE_ID).all()
    ):
        example = text.filter(text.str.contains(r"\.0+$")).item(0)
        text = text.str.replace(r"\.0+$", "")
        warnings.append(
            f"Column {name!r} held ids written as decimals (e.g. {example!r}); "
            "the trailing '.0' was dropped."
        )
    if text.str.contains("+", literal=True).any():
        present = text.drop_nulls()
        exponent = present.str.contains("E+", literal=True) | present.str.contains(
            "e+", literal=True
        )
        lossy = present.filter(exponent).str.contains(_SCIENTIFIC_ID)
        if lossy.any():
            present = present.filter(exponent)
            warnings.append(
                f"Column {name!r}: {int(lossy.sum()):,} ids look like numbers in scientific "
                f"notation (e.g. {present.filter(lossy).item(0)!r}), a lossy spreadsheet "
                "export: different customers may now share one id. Re-export the ids as text."
            )
    return text.alias(name), tuple(warnings)
