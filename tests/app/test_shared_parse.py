"""The same bytes are read and cleaned once for every session (issue 15, item 4).

The parse is keyed on the full SHA-256 of the bytes, so only someone holding the same
bytes can reach it; different bytes never share (see also
test_data_page.test_uploads_with_the_same_name_are_told_apart, across two sessions).
"""

from __future__ import annotations

import hashlib

import rfm
from rfm_app import pipeline
from tests.app.analytics_helpers import minimal_csv


def _transactions(data: bytes) -> rfm.ReadResult | pipeline.Failure:
    # A fresh copy of the bytes each time, as a second visitor's upload would be.
    copy = bytes(bytearray(data))
    return pipeline._transactions(hashlib.sha256(copy).hexdigest(), copy, None, None)


def test_the_same_bytes_are_cleaned_once_and_shared() -> None:
    data = minimal_csv()
    first, second = _transactions(data), _transactions(data)
    assert isinstance(first, rfm.ReadResult)
    assert second is first  # the same object: not read again, not copied


def test_other_bytes_get_their_own_result() -> None:
    data = minimal_csv()
    other = data.rstrip(b"\n").rsplit(b"\n", 1)[0] + b"\n"  # one row fewer
    first, second = _transactions(data), _transactions(other)
    assert isinstance(first, rfm.ReadResult) and isinstance(second, rfm.ReadResult)
    assert second is not first
    assert second.report.rows_read == first.report.rows_read - 1
