"""Text encoding detection for delimited files.

Order: an explicit ``encoding=``; a byte-order mark (UTF-32, UTF-16, UTF-8);
strict UTF-8; Windows-1252. A file whose lines mix UTF-8 and Windows-1252 (two
exports pasted together) is decoded line by line and the Windows-1252 lines are
named in a warning, so nothing is silently garbled and no line is dropped.
"""

from __future__ import annotations

import codecs
import functools
import re

from rfm.errors import DataError

_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# A UTF-8 multi-byte sequence; real Windows-1252 text almost never contains one
# ("Ã©" is the classic exception), so finding one in a file that is not valid
# UTF-8 means the file mixes both encodings.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
# Physical lines with their endings: \r\n, \n or a lone \r.
LINE_BREAK = re.compile(rb"(?<=\n)|(?<=\r)(?!\n)")
_MAX_LINES_NAMED = 10


def bom_encoding(data: bytes) -> str | None:
    """Return the encoding announced by a byte-order mark, if any.

    Examples
    --------
    >>> bom_encoding(b"\\xef\\xbb\\xbfa,b")
    'utf-8-sig'
    >>> bom_encoding(b"a,b") is None
    True
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def utf16_without_bom(sample: bytes) -> str | None:
    """Guess UTF-16 without a BOM from NUL bytes in every other position.

    Examples
    --------
    >>> utf16_without_bom("id,amount\\n1,2\\n".encode("utf-16-le"))
    'utf-16-le'
    >>> utf16_without_bom(b"id,amount\\n") is None
    True
    """
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.4 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.4 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


@functools.cache
def _cp1252_table() -> dict[int, str]:
    # Python's cp1252 codec rejects the five bytes Windows leaves undefined; map
    # them to the same code points as Latin-1 (what browsers and Excel do) so
    # decoding Windows-1252 never fails.
    table: dict[int, str] = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return table


def decode_cp1252(data: bytes) -> str:
    """Decode Windows-1252, keeping the five undefined bytes as Latin-1.

    Examples
    --------
    >>> decode_cp1252(b"Jos\\xe9 \\x80 \\x93q\\x94 \\x81")
    'José € “q” \\x81'
    """
    return data.decode("latin-1").translate(_cp1252_table())


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """Decode ``data`` and return ``(text, encoding used, warnings)``.

    Parameters
    ----------
    data
        The raw file content.
    encoding
        A Python codec name to force; ``None`` detects.

    Returns
    -------
    tuple
        The text (without any byte-order mark), the encoding used
        (``"utf-8"``, ``"utf-8-sig"``, ``"utf-16"``, ``"cp1252"``, ... or
        ``"utf-8+cp1252"`` for a file mixing both) and warnings.

    Examples
    --------
    >>> decode("José;12,50\\n".encode("cp1252"))[:2]
    ('José;12,50\\n', 'cp1252')
    >>> decode(b"\\xef\\xbb\\xbfid\\n1\\n")[:2]
    ('id\\n1\\n', 'utf-8-sig')
    """
    if encoding is not None:
        return _decode_as(data, encoding), _codec_name(encoding), ()
    bom = bom_encoding(data)
    if bom is not None:
        return _decode_as(data, bom), bom, ()
    no_bom_utf16 = utf16_without_bom(data[:4096])
    if no_bom_utf16 is not None:
        return _decode_as(data, no_bom_utf16), no_bom_utf16, ()
    try:
        return data.decode("utf-8"), "utf-8", ()
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data) is None:
        return decode_cp1252(data), "cp1252", ()
    return _decode_mixed(data)


def _decode_mixed(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    parts: list[str] = []
    cp1252_lines: list[int] = []
    utf8_lines = 0
    for number, line in enumerate(LINE_BREAK.split(data), start=1):
        if line.isascii():
            parts.append(line.decode("ascii"))
            continue
        try:
            parts.append(line.decode("utf-8"))
            utf8_lines += 1
        except UnicodeDecodeError:
            parts.append(decode_cp1252(line))
            cp1252_lines.append(number)
    text = "".join(parts)
    if utf8_lines == 0:
        return text, "cp1252", ()
    named = ", ".join(str(n) for n in cp1252_lines[:_MAX_LINES_NAMED])
    more = (
        ""
        if len(cp1252_lines) <= _MAX_LINES_NAMED
        else f" and {len(cp1252_lines) - _MAX_LINES_NAMED} more"
    )
    warning = (
        f"The file mixes two text encodings: {utf8_lines} line(s) are UTF-8 and "
        f"{len(cp1252_lines)} line(s) are not; those were decoded as Windows-1252 "
        f"(line {named}{more}). Check their accented characters, or re-export the "
        "file as UTF-8."
    )
    return text, "utf-8+cp1252", (warning,)


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        msg = (
            f"Unknown text encoding {encoding!r}. Pass a Python codec name such as "
            "'utf-8', 'utf-16' or 'cp1252', or encoding=None to detect it."
        )
        raise DataError(msg) from None


def _decode_as(data: bytes, encoding: str) -> str:
    name = _codec_name(encoding)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        msg = (
            f"The file is not valid {name}: byte {error.start} "
            f"({data[error.start : error.start + 4]!r}) cannot be decoded. "
            "Pass the right encoding=..., or encoding=None to detect it."
        )
        raise DataError(msg) from None
    # Python keeps the BOM for explicit utf-8 and for utf-16-le/-be; drop it.
    return text.removeprefix("\ufeff")
