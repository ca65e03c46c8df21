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


def test_an_upload_is_read_once_for_the_data_page_and_the_analysis(monkeypatch) -> None:
    # The sidebar cleans the file first and the text table is then dropped; the Data
    # page's profile of that table (columns, detected mapping, raw preview) must come
    # from the same reading, not from reading the whole file a second time.
    from streamlit.testing.v1 import AppTest

    from rfm_app import keys
    from tests.app.conftest import ENTRYPOINT, UPLOAD

    reads = []
    read_table = rfm.read_table

    def counted(source, *args, **kwargs):
        reads.append(source)
        return read_table(source, *args, **kwargs)

    monkeypatch.setattr(rfm, "read_table", counted)
    data = minimal_csv() + b"\n"  # bytes no other test has had read in this process
    app = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    app.run()
    app.radio(key=keys.DATA_SOURCE_KIND).set_value(UPLOAD).run()
    app.file_uploader(key=keys.DATA_UPLOAD).upload("once.csv", data, "text/csv").run()
    assert not app.exception, [e.value for e in app.exception]
    profile = pipeline.table_profile(hashlib.sha256(data).hexdigest(), None)
    assert isinstance(profile, pipeline.TableProfile)
    assert profile.rows == minimal_csv().count(b"\n") - 1  # the whole file was profiled
    assert [source == data for source in reads].count(True) == 1
