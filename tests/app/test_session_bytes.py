"""An upload the dataset store keeps is not held in the session's memory: its bytes are
read back from the store only when the file must be read again (new reading settings)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from rfm_app import keys, session
from tests.app.analytics_helpers import SMALL_CSV, texts
from tests.app.conftest import ENTRYPOINT, Uploader

NOT_USED = "— not used —"  # pages/data.py's choice for a column left out


def _csv(variant: int) -> bytes:
    """SMALL_CSV written a little differently (5.00, 5.000, ...): the same orders, another
    file, so no cached table of another test stands in for reading it."""
    first_price = b"5." + b"0" * (variant + 2) + b","
    return SMALL_CSV.replace(b"5.00,", first_price, 1)


def _source(at: AppTest) -> session.Source:
    source = at.session_state[keys.SOURCE]
    assert isinstance(source, session.Source)
    return source


def _read_again_without_quantity(at: AppTest) -> AppTest:
    """Apply other columns: the cleaned table no longer fits, the file is read again."""
    at.selectbox(key=f"{keys.DATA_COLUMN_PREFIX}quantity").set_value(NOT_USED)
    at.button(key=keys.DATA_APPLY).click().run()
    assert not at.exception, [e.value for e in at.exception]
    columns = dict(at.session_state[keys.SETTINGS].columns)
    assert "quantity" not in columns and columns["amount"] == "amount"
    return at


def test_a_kept_upload_is_read_back_from_the_store_not_held(app: AppTest, upload: Uploader) -> None:
    upload(app, "orders.csv", data := _csv(0))
    source = _source(app)
    assert source.held is None and source.stored is not None
    assert source.size == len(data)
    assert source.data == data  # read back from the store, as uploaded
    _read_again_without_quantity(app)
    assert not app.error, texts(app.error)
    assert any("3 customers, 5 orders" in s.value for s in app.success)
    assert _source(app).held is None


def test_a_link_reopened_does_not_hold_the_bytes_either(app: AppTest, upload: Uploader) -> None:
    upload(app, "orders.csv", _csv(1))
    teammate = AppTest.from_file(ENTRYPOINT, default_timeout=120)
    teammate.query_params[session.DATASET_PARAM] = app.query_params[session.DATASET_PARAM]
    teammate.run()
    assert not teammate.exception, [e.value for e in teammate.exception]
    assert _source(teammate).held is None
    assert any("3 customers, 5 orders" in s.value for s in teammate.success)
    _read_again_without_quantity(teammate)
    assert any("3 customers, 5 orders" in s.value for s in teammate.success)


def test_an_upload_the_store_cannot_keep_stays_in_the_session(
    app: AppTest, upload: Uploader, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RFM_STORE_MAX_BYTES", "100")  # SMALL_CSV is 226 bytes
    upload(app, "orders.csv", data := _csv(2))
    assert _source(app).held == data
    _read_again_without_quantity(app)
    assert any("3 customers, 5 orders" in s.value for s in app.success)


def test_a_file_the_store_lost_gets_a_message_when_read_again(
    app: AppTest, upload: Uploader
) -> None:
    upload(app, "orders.csv", _csv(3))
    store, token = _source(app).stored or (None, "")
    assert store is not None and store.forget(token)  # expired, or deleted elsewhere
    _read_again_without_quantity(app)
    said = " ".join(texts(app.error)).replace("\\", "")
    assert "orders.csv is no longer kept on this server" in said
    assert "Upload it again" in said
