"""The Data page on a Shopify orders export: the documented mapping, no errors, hand counts."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from rfm_app import keys
from tests.io.test_shops import SHOPIFY_CSV


def _column(app: AppTest, name: str) -> str:
    return str(app.selectbox(key=f"{keys.DATA_COLUMN_PREFIX}{name}").value)


def test_data_page_maps_a_shopify_export(
    app: AppTest, upload: Callable[..., AppTest], read_metrics: Callable[..., dict[str, str]]
) -> None:
    upload(app, "orders_export_1.csv", SHOPIFY_CSV)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert _column(app, "order_id") == "Name"
    assert _column(app, "customer_id") == "Email"
    assert _column(app, "quantity") == "Lineitem quantity"
    assert _column(app, "unit_price") == "Lineitem price"
    assert _column(app, "country") == "Billing Country"
    assert _column(app, "amount") == "— not used —"  # quantity x price, never the order Total
    shown = read_metrics(app)
    assert (shown["Rows read"], shown["Rows kept"], shown["Rows excluded"]) == ("9", "6", "3")
    assert shown["Returns kept"] == "1"  # none in the file; #1004's partial refund is added
    assert any("not in them" in w.value for w in app.warning)  # the gap to order totals

    # Applying the pre-filled mapping reads the file the same way.
    app.button(key=keys.DATA_APPLY).click().run()
    assert not app.exception
    app.switch_page("pages/overview.py").run()
    assert not app.exception
    assert not app.error
    kpis = read_metrics(app)
    assert (kpis["Customers"], kpis["Orders"], kpis["Revenue"]) == ("3", "3", "$95.50")
