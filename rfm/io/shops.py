"""Order exports of shop platforms (Shopify, WooCommerce): one row per line item.

A shop's "Export orders" file is not a plain transaction log. It has one row per line
item, but the order-level fields (payment status, totals, the billing address, ...)
are written on the order's first line only, and its totals include shipping and
taxes. Read with header synonyms alone, the order ``Total`` becomes the amount of the
first line and every other line is lost as "missing amount". A :class:`ShopLayout`
names the columns of one platform's export so that :func:`rfm.read_transactions` can

- map the line-level columns (quantity, price, product, vendor) and never the
  order-level money (``Total``, ``Subtotal``, ``Shipping``, ...);
- fill the order-level descriptions (email, date, billing country and city, payment
  status) from the order's first line to its other lines, within one order id;
- set aside orders that were never paid or fully refunded (they are not orders), and
  add one return line per partially refunded order;
- say how far the line amounts are from the order totals (shipping, taxes and
  order-level discounts are not in line amounts).

The layouts follow the platforms' documented column sets: Shopify's orders export
(``Name``, ``Email``, ``Financial Status``, ... ``Lineitem quantity``, ``Lineitem
name``, ``Lineitem price``, ... ``Refunded Amount``, ``Vendor``, ``Id``, ...) and the
WooCommerce Customer/Order CSV Export in its one-row-per-item format (``order_id``,
``order_number``, ``date``, ``status``, ... ``order_total``, ``refunded_total``, ...
``billing_email``, ... ``item_name``, ``item_sku``, ``item_quantity``, ``item_total``, ...),
and the default columns of the "Advanced Order Export For WooCommerce" plugin
(``Order Number``, ``Order Status``, ``Order Date``, ... ``Email (Billing)``, ... ``Item
Name``, ``Quantity``, ``Item Cost``, ... ``Order Refund Amount``, ``Order Total Amount``),
both with the order-level fields repeated on every line.

Conventions (the quality report repeats them for each file):

- A fully refunded order (Shopify ``refunded``, WooCommerce ``refunded``) and an order
  never paid (Shopify ``voided``/``expired``; WooCommerce ``cancelled``, ``failed`` and
  ``pending`` payment, which WooCommerce Analytics leaves out of sales too) are set aside with all their lines, each counted under its reason (``"refunded order"``,
  ``"voided order"``, ...): such an order is neither an order nor revenue, and a
  customer whose only orders they were is not a customer.
- Any other order with a refunded amount (Shopify ``partially_refunded``) gets one
  added return line: minus the refunded amount, capped at the order's line amounts,
  dated at the order's date, with its order id, customer and order-level fields.
  Added lines are counted apart from the input rows (``QualityReport.rows_added``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
from rfm.io.parse import clean_text, convert_numbers

__all__ = ["SHOPIFY", "WOOCOMMERCE", "WOOCOMMERCE_ADVANCED", "ShopLayout", "detect_layout"]

ORDER_ID: Final = "order_id"
FULLY_REFUNDED: Final = "refunded order"
"""Exclusion reason of the lines of a fully refunded order."""

# Fields that describe a line item; a refund line added for an order leaves them empty.
_LINE_FIELDS: Final = (
    "quantity",
    "unit_price",
    "product",
    "category",
    "subcategory",
    "department",
    "theme",
    "retailer",
)


def _normal(name: str) -> str:
    # Imported here: detect imports this module for its layouts.
    from rfm.io.detect import normalise_header

    return normalise_header(name)


@dataclass(frozen=True)
class ShopLayout:
    """The columns of one shop platform's order export (one row per line item).

    Headers are given normalised (lower case, letters and digits only, as
    :func:`rfm.io.detect.normalise_header` makes them), best candidate first.

    Parameters
    ----------
    name : str
        What the analyst calls the file, e.g. ``"Shopify orders export"``.
    signature : frozenset of str
        Headers that all appear in this export and together in no ordinary log.
    fields : mapping
        Canonical field -> candidate headers. ``order_id``, ``customer_id`` and
        ``order_date`` are required; the amount is ``amount`` or, without it,
        ``quantity`` x ``unit_price``.
    order_fields : tuple of str
        Canonical fields written on an order's first line only: filled from there
        to the order's other lines.
    status, refunded, total, subtotal : tuple of str
        Candidate headers of the order's payment status, the amount refunded on
        it, its total (shipping and taxes included) and its subtotal (items after
        discounts, before shipping and taxes).
    charges : mapping
        What the total holds beyond the line amounts -> candidate headers
        (shipping, taxes, discounts), for the note comparing the two.
    unpaid : tuple of str
        Payment statuses of orders no money was taken for (set aside).
    fully_refunded : tuple of str
        Payment statuses of fully refunded orders (set aside).
    documented : frozenset of str
        Every header the platform documents: none of them is read by generic
        synonyms (Shopify's ``Total`` is not the line amount, its ``Id`` no customer).
    left_out : str
        What the order total holds that the line amounts leave out (for the report).
    subtotal_means : str
        What the order subtotal is (for the report).
    """

    name: str
    signature: frozenset[str]
    fields: Mapping[str, tuple[str, ...]]
    order_fields: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    refunded: tuple[str, ...] = ()
    total: tuple[str, ...] = ()
    subtotal: tuple[str, ...] = ()
    charges: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unpaid: tuple[str, ...] = ()
    fully_refunded: tuple[str, ...] = ("refunded",)
    documented: frozenset[str] = frozenset()
    left_out: str = "shipping, taxes and order-level discounts"
    subtotal_means: str = "items after discounts"

    def matches(self, names: Sequence[str]) -> bool:
        """Whether ``names`` (a file's headers) are this export's.

        Examples
        --------
        >>> SHOPIFY.matches(["Name", "Email", "Created at", "Lineitem quantity",
        ...                  "Lineitem price", "Total"])
        True
        >>> SHOPIFY.matches(["Name", "Email", "Created at", "Total"])
        False
        """
        normal = {_normal(n) for n in names}
        if not self.signature <= normal:
            return False
        return all(
            any(c in normal for c in self.fields.get(canon, ()))
            for canon in (ORDER_ID, CUSTOMER_ID, ORDER_DATE)
        )

    def columns(self, names: Sequence[str]) -> dict[str, str]:
        """Canonical field -> source column, for the fields of this layout found in ``names``.

        Examples
        --------
        >>> SHOPIFY.columns(["Name", "Email", "Created at", "Lineitem quantity",
        ...                  "Lineitem price", "Total"])  # doctest: +NORMALIZE_WHITESPACE
        {'order_id': 'Name', 'customer_id': 'Email', 'order_date': 'Created at',
         'quantity': 'Lineitem quantity', 'unit_price': 'Lineitem price'}
        """
        out: dict[str, str] = {}
        for canon, candidates in self.fields.items():
            found = self._find(names, candidates)
            if found is not None:
                out[canon] = found
        return out

    def reserved(self, names: Sequence[str]) -> set[str]:
        """The source columns this layout documents (not for generic detection)."""
        return {n for n in names if _normal(n) in self.documented}

    def column(self, names: Sequence[str], role: str) -> str | None:
        """The source column of ``role`` (``"status"``, ``"refunded"``, ``"total"``, ...)."""
        candidates: tuple[str, ...] = getattr(self, role)
        return self._find(names, candidates)

    @staticmethod
    def _find(names: Sequence[str], candidates: Sequence[str]) -> str | None:
        normal = [_normal(n) for n in names]
        for candidate in candidates:
            if candidate in normal:
                return names[normal.index(candidate)]
        return None


_SHOPIFY_DOCUMENTED = [
    "name",
    "email",
    "financialstatus",
    "paidat",
    "fulfillmentstatus",
    "fulfilledat",
    "acceptsmarketing",
    "currency",
    "subtotal",
    "shipping",
    "taxes",
    "total",
    "discountcode",
    "discountamount",
    "shippingmethod",
    "createdat",
    "lineitemquantity",
    "lineitemname",
    "lineitemprice",
    "lineitemcompareatprice",
    "lineitemsku",
    "lineitemrequiresshipping",
    "lineitemtaxable",
    "lineitemfulfillmentstatus",
    "billingname",
    "billingstreet",
    "billingaddress1",
    "billingaddress2",
    "billingcompany",
    "billingcity",
    "billingzip",
    "billingprovince",
    "billingcountry",
    "billingphone",
    "shippingname",
    "shippingstreet",
    "shippingaddress1",
    "shippingaddress2",
    "shippingcompany",
    "shippingcity",
    "shippingzip",
    "shippingprovince",
    "shippingcountry",
    "shippingphone",
    "notes",
    "noteattributes",
    "cancelledat",
    "paymentmethod",
    "paymentreference",
    "refundedamount",
    "vendor",
    "outstandingbalance",
    "employee",
    "location",
    "deviceid",
    "id",
    "tags",
    "risklevel",
    "source",
    "lineitemdiscount",
    "tax1name",
    "tax1value",
    "tax2name",
    "tax2value",
    "tax3name",
    "tax3value",
    "tax4name",
    "tax4value",
    "tax5name",
    "tax5value",
    "phone",
    "receiptnumber",
    "duties",
    "billingprovincename",
    "shippingprovincename",
    "paymentid",
    "paymenttermsname",
    "nextpaymentdueat",
    "paymentreferences",
    "customerid",
]

_ORDER_FIELDS: Final = (
    CUSTOMER_ID,
    ORDER_DATE,
    "payment_method",
    "ship_mode",
    "country",
    "state",
    "city",
)
"""Fields these exports write on an order's first line only (filled within the order)."""
_WOO_UNPAID: Final = ("cancelled", "failed", "pending", "pending_payment")
"""What WooCommerce Analytics leaves out of sales by default: never paid."""

SHOPIFY: Final = ShopLayout(
    name="Shopify orders export",
    signature=frozenset({"name", "createdat", "lineitemquantity", "lineitemprice"}),
    fields={
        ORDER_ID: ("name",),
        # The export itself has no customer id; apps such as Matrixify add one.
        CUSTOMER_ID: ("customerid", "email"),
        ORDER_DATE: ("createdat",),
        "quantity": ("lineitemquantity",),
        "unit_price": ("lineitemprice",),
        "product": ("lineitemname", "lineitemsku"),
        "payment_method": ("paymentmethod",),
        "ship_mode": ("shippingmethod",),
        "country": ("billingcountry", "shippingcountry"),
        "state": ("billingprovincename", "billingprovince", "shippingprovince"),
        "city": ("billingcity", "shippingcity"),
        "retailer": ("vendor",),
    },
    order_fields=_ORDER_FIELDS,
    status=("financialstatus",),
    refunded=("refundedamount",),
    total=("total",),
    subtotal=("subtotal",),
    charges={
        "shipping": ("shipping",),
        "taxes": ("taxes",),
        "order-level discounts": ("discountamount",),
        "line discounts": ("lineitemdiscount",),
    },
    # Documented payment statuses: pending, authorized, partially_paid, paid,
    # partially_refunded, refunded, voided (and expired, an authorization that lapsed).
    unpaid=("voided", "expired"),
    fully_refunded=("refunded",),
    documented=frozenset(_SHOPIFY_DOCUMENTED),
)
"""Shopify's orders export (Orders > Export, "Plain CSV file"): one row per line item."""

_WOO_DOCUMENTED = [
    "orderid",
    "ordernumber",
    "date",
    "ordernumberformatted",
    "orderdate",
    "status",
    "shippingtotal",
    "shippingtaxtotal",
    "feetotal",
    "feetaxtotal",
    "taxtotal",
    "cartdiscount",
    "orderdiscount",
    "discounttotal",
    "ordertotal",
    "refundedtotal",
    "ordercurrency",
    "paymentmethod",
    "shippingmethod",
    "customerid",
    "billingfirstname",
    "billinglastname",
    "billingfullname",
    "billingcompany",
    "billingemail",
    "billingphone",
    "billingaddress1",
    "billingaddress2",
    "billingpostcode",
    "billingcity",
    "billingstate",
    "billingstatecode",
    "billingcountry",
    "shippingfirstname",
    "shippinglastname",
    "shippingfullname",
    "shippingaddress1",
    "shippingaddress2",
    "shippingpostcode",
    "shippingcity",
    "shippingstate",
    "shippingstatecode",
    "shippingcountry",
    "shippingcompany",
    "customernote",
    "itemid",
    "itemproductid",
    "itemname",
    "itemsku",
    "itemquantity",
    "itemsubtotal",
    "itemsubtotaltax",
    "itemtotal",
    "itemtotaltax",
    "itemtax",
    "itemrefunded",
    "itemrefundedqty",
    "itemrefundedquantity",
    "itemmeta",
    "itemprice",
    "lineitems",
    "shippingitems",
    "feeitems",
    "taxitems",
    "couponitems",
    "coupons",
    "refunds",
    "ordernotes",
    "downloadpermissions",
    "downloadpermissionsgranted",
]

WOOCOMMERCE: Final = ShopLayout(
    name="WooCommerce orders export (one row per item)",
    signature=frozenset({"itemquantity", "itemtotal", "ordertotal", "billingemail"}),
    fields={
        ORDER_ID: ("ordernumber", "orderid"),
        # customer_id is 0 for every guest checkout: the billing email tells people apart.
        CUSTOMER_ID: ("billingemail",),
        # The generator titles the order_date column "date".
        ORDER_DATE: ("orderdate", "date"),
        # item_total is the line after its discounts, before tax.
        AMOUNT: ("itemtotal",),
        "quantity": ("itemquantity",),
        "unit_price": ("itemprice",),
        "product": ("itemname", "itemsku"),
        "payment_method": ("paymentmethod",),
        "ship_mode": ("shippingmethod",),
        "country": ("billingcountry", "shippingcountry"),
        "state": ("billingstate", "shippingstate"),
        "city": ("billingcity", "shippingcity"),
    },
    order_fields=_ORDER_FIELDS,
    status=("status",),
    refunded=("refundedtotal",),
    total=("ordertotal",),
    charges={
        "shipping": ("shippingtotal",),
        "taxes": ("taxtotal",),
        "fees": ("feetotal",),
    },
    unpaid=_WOO_UNPAID,
    fully_refunded=("refunded",),
    documented=frozenset(_WOO_DOCUMENTED),
    left_out="shipping, fees and taxes",
)
"""WooCommerce Customer/Order CSV Export, "one row per item" format (column keys or titles)."""

_AOE_DOCUMENTED = frozenset(
    {
        "linenumber", "orderid", "ordernumber", "orderstatus", "orderdate", "modificationdate",
        "transactionid", "currency", "completeddate", "paiddate", "dateoffirstrefund",
        "customernote", "ordernotes", "customeripaddress", "customeruserid",
        "customerusername", "userwebsite", "customeruseremail", "customerrole",
        "customertotalorders", "firstnamebilling", "lastnamebilling", "fullnamebilling",
        "companybilling", "address12billing", "address1billing", "address2billing",
        "citybilling", "statecodebilling", "citystatezipbilling", "statenamebilling",
        "postcodebilling", "countrycodebilling", "countrynamebilling", "emailbilling",
        "phonebilling", "firstnameshipping", "lastnameshipping", "fullnameshipping",
        "companyshipping", "address12shipping", "address1shipping", "address2shipping",
        "cityshipping", "statecodeshipping", "citystatezipshipping", "statenameshipping",
        "postcodeshipping", "countrycodeshipping", "countrynameshipping", "products",
        "itemid", "item", "sku", "itemname", "name", "productid", "productname",
        "variationid", "productvariation", "itemseller", "quantity", "quantityrefund",
        "itemcost", "productcurrentprice", "orderlinewotax", "orderlinetax",
        "orderlinetaxrefunded", "orderlinetaxrefund", "orderlinesubtotal",
        "orderlinesubtotaltax", "orderlinetotal", "orderlinetotalincludetax",
        "orderlinetotalrefunded", "orderlinetotalrefund", "itemdiscountamount", "itemtaxrate",
        "type", "category", "tags", "width", "length", "height", "weight", "producturl",
        "downloadurl", "imageurl", "productshippingclass", "description", "shortdescription",
        "fullnamesforcategories", "coupons", "couponcode", "discountamount",
        "discountamounttax", "coupondescription", "coupontype",
        "couponamount", "shippingmethodtitle", "shippingmethod", "paymentmethodtitle",
        "paymentmethod", "couponsused", "cartdiscountamount", "cartdiscountamounttax",
        "ordersubtotalamount", "ordersubtotalcartdiscount", "ordersubtotalamountrefunded",
        "ordersubtotalamountrefund", "ordertaxamount", "ordershippingamount",
        "ordershippingtaxamount", "ordershippingamountrefunded", "ordershippingamountrefund",
        "ordershippingtaxrefunded", "ordershippingtaxamountrefund", "ordertotalfee",
        "orderrefundamount", "ordertotalamountrefund", "ordertotalamount",
        "ordertotalamountwithouttax", "ordertotaltaxamount", "ordertotaltaxamountrefunded",
        "ordertotaltaxamountrefund", "totalweight", "totalitems", "exporteditems",
        "totalproducts", "summaryreporttotalquantity", "summaryreporttotalamount",
    }
)  # fmt: skip

WOOCOMMERCE_ADVANCED: Final = ShopLayout(
    name="WooCommerce orders export (Advanced Order Export)",
    signature=frozenset({"ordernumber", "orderdate", "emailbilling", "quantity", "itemcost"}),
    fields={
        ORDER_ID: ("ordernumber", "orderid"),
        CUSTOMER_ID: ("emailbilling", "customeruseremail"),
        ORDER_DATE: ("orderdate",),
        # The line after its discounts, before tax, when that column is exported;
        # else Quantity x Item Cost (the item's price after discounts).
        AMOUNT: ("orderlinetotal",),
        "quantity": ("quantity",),
        "unit_price": ("itemcost",),
        "product": ("itemname", "productname", "name", "sku"),
        "category": ("category",),
        "payment_method": ("paymentmethodtitle", "paymentmethod"),
        "ship_mode": ("shippingmethodtitle", "shippingmethod"),
        "country": ("countrycodebilling", "countrynamebilling", "countrycodeshipping"),
        "state": ("statecodebilling", "statenamebilling", "statecodeshipping"),
        "city": ("citybilling", "cityshipping"),
    },
    order_fields=_ORDER_FIELDS,
    status=("orderstatus",),
    refunded=("orderrefundamount",),
    total=("ordertotalamount",),
    subtotal=("ordersubtotalamount",),
    charges={
        "shipping": ("ordershippingamount",),
        "taxes": ("ordertotaltaxamount",),
        "cart discounts": ("cartdiscountamount",),
    },
    unpaid=_WOO_UNPAID,
    fully_refunded=("refunded",),
    documented=_AOE_DOCUMENTED,
    left_out="shipping and taxes",
    subtotal_means="items before discounts",
)
"""The "Advanced Order Export For WooCommerce" plugin's default export: products as rows."""

LAYOUTS: Final = (SHOPIFY, WOOCOMMERCE, WOOCOMMERCE_ADVANCED)


def detect_layout(names: Sequence[str]) -> ShopLayout | None:
    """The shop export layout whose columns ``names`` are, or None.

    Examples
    --------
    >>> detect_layout(["Name", "Email", "Financial Status", "Created at",
    ...                "Lineitem quantity", "Lineitem name", "Lineitem price"]).name
    'Shopify orders export'
    >>> detect_layout(["Name", "Date", "Amount"]) is None
    True
    """
    return next((layout for layout in LAYOUTS if layout.matches(names)), None)


def _present(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return clean_text(expr).is_not_null()
    return expr.is_not_null()


def fill_orders(frame: pl.DataFrame, layout: ShopLayout) -> tuple[pl.DataFrame, list[str]]:
    """Fill the order-level columns of each order's other lines from the line that has them.

    Only within one order id (never across orders), only cells that are empty, and
    only descriptive columns: the money columns (totals, refunds) stay on one line.

    Examples
    --------
    >>> frame = pl.DataFrame({
    ...     "Name": ["#1", "#1", "#2"], "Email": ["a@x", "a@x", "b@x"],
    ...     "Created at": ["2024-01-02 10:00:00 -0500"] * 3,
    ...     "Lineitem quantity": ["1", "2", "1"], "Lineitem price": ["5", "6", "7"],
    ...     "Billing Country": ["US", "", ""]})
    >>> fill_orders(frame, SHOPIFY)[0]["Billing Country"].to_list()
    ['US', 'US', '']
    """
    names = frame.columns
    order = layout.columns(names).get(ORDER_ID)
    if order is None:
        return frame, []
    targets: list[str] = []
    for canon in layout.order_fields:
        targets += [n for n in names if _normal(n) in layout.fields.get(canon, ())]
    status = layout.column(names, "status")
    if status is not None:
        targets.append(status)
    targets = [n for n in dict.fromkeys(targets) if n != order]
    if not targets:
        return frame, []
    # The order key and the "has a value" masks are computed once, as columns: a
    # window over an expression would evaluate it again for every target.
    flags = [f"__present_{i}" for i in range(len(targets))]
    work = frame.select(
        clean_text(pl.col(order).cast(pl.String)).alias("__order"),
        *[
            _present(pl.col(n), frame.schema[n]).alias(f)
            for n, f in zip(targets, flags, strict=True)
        ],
    )
    fill = (~work[f] & work["__order"].is_not_null() for f in flags)
    wanted = [(n, f) for n, f, gap in zip(targets, flags, fill, strict=True) if gap.any()]
    if not wanted:
        return frame, []
    work = work.with_columns(frame.select(n for n, _ in wanted))
    # Each order's first value, joined back (cheaper than a window inside when/then);
    # a null order id joins nothing, so its rows keep their own cells, as does a
    # row whose order has no value at all.
    firsts = work.group_by("__order").agg(
        pl.col(n).filter(pl.col(f)).first().alias(f"__first{f}") for n, f in wanted
    )
    joined = work.join(firsts, on="__order", how="left", maintain_order="left")
    filled_columns = joined.select(
        pl.when(~pl.col(f) & pl.col(f"__first{f}").is_not_null())
        .then(pl.col(f"__first{f}"))
        .otherwise(pl.col(n))
        .alias(n)
        for n, f in wanted
    )
    done = {n: int((~work[f] & filled_columns[n].ne_missing(frame[n])).sum()) for n, f in wanted}
    done = {n: k for n, k in done.items() if k}
    filled = frame.with_columns(filled_columns)
    notes = []
    if done:
        listed = ", ".join(f"{n!r} ({k:,})" for n, k in done.items())
        notes.append(
            f"{layout.name}: order-level fields are written on each order's first line only; "
            f"filled from it to the order's other lines (within the same {order!r}): {listed}."
        )
    return filled, notes


def _status(frame: pl.DataFrame, column: str) -> pl.Series:
    """Payment statuses, spelled one way: "Partially refunded", "wc-refunded" -> ..."""
    text = frame[column].cast(pl.String)
    return pl.select(
        clean_text(pl.lit(text))
        .str.to_lowercase()
        .str.replace(r"^wc-", "")
        .str.replace_all(r"[\s-]+", "_")
    ).to_series()


def set_aside(frame: pl.DataFrame, layout: ShopLayout) -> tuple[pl.Series | None, list[str]]:
    """Per row, why its order is not a sale (never paid, fully refunded), or null.

    Examples
    --------
    >>> frame = pl.DataFrame({"Name": ["#1", "#2"], "Financial Status": ["paid", "refunded"]})
    >>> set_aside(frame, SHOPIFY)[0].to_list()
    [None, 'refunded order']
    """
    status = layout.column(frame.columns, "status")
    if status is None:
        return None, []
    values = _status(frame, status)
    reason = pl.select(
        pl.when(pl.lit(values).is_in(list(layout.fully_refunded)))
        .then(pl.lit(FULLY_REFUNDED))
        .when(pl.lit(values).is_in(list(layout.unpaid)))
        .then(pl.format("{} order", pl.lit(values).str.replace_all("_", " ")))
        .otherwise(None)
    ).to_series()
    notes = []
    if reason.is_not_null().any():
        refunded = "/".join(repr(s) for s in layout.fully_refunded)
        unpaid = "/".join(repr(s) for s in layout.unpaid)
        notes.append(
            f"{layout.name}: orders whose {status!r} is {refunded} (fully refunded) or "
            f"{unpaid} (never paid) are set aside with all their lines: such an order is "
            "neither an order nor revenue (see the excluded rows)."
        )
    return reason, notes


def customers_without_sales(
    customer_ids: pl.Series, set_aside: pl.Series, kept: pl.Series
) -> list[str]:
    """Say how many customers had only orders that were set aside (refunded or unpaid).

    They are not customers of the analysis (they bought nothing that was kept), so
    the report counts them instead of letting them vanish.

    Examples
    --------
    >>> ids = pl.Series(["a", "b", "b", "c"])
    >>> why = pl.Series([None, "refunded order", None, "refunded order"])
    >>> customers_without_sales(ids, why, pl.Series(["a", "b"]))[0].endswith("e.g. 'c'.")
    True
    """
    gone = customer_ids.filter(set_aside.is_not_null()).drop_nulls().unique(maintain_order=True)
    gone = gone.filter(~gone.is_in(kept.unique().implode()))
    if gone.is_empty():
        return []
    return [
        f"{gone.len():,} customers had only refunded or unpaid orders and are not customers "
        f"of the analysis (nothing they bought was kept), e.g. {gone.item(0)!r}."
    ]


def _per_order(
    frame: pl.DataFrame, order_ids: pl.Series, columns: Mapping[str, str]
) -> pl.DataFrame:
    """One row per order id: the first value of each money column (written on one line)."""
    data = {"order_id": order_ids}
    for role, name in columns.items():
        data[role] = convert_numbers(frame[name]).values
    lines = pl.DataFrame(data)
    return (
        lines.filter(pl.col("order_id").is_not_null())
        .group_by("order_id", maintain_order=True)
        .agg(pl.col(r).drop_nulls().first() for r in columns)
    )


def refund_lines(
    transactions: pl.DataFrame,
    frame: pl.DataFrame,
    order_ids: pl.Series,
    layout: ShopLayout,
) -> tuple[pl.DataFrame, list[str]]:
    """One return line per partially refunded order still in ``transactions``.

    The line carries the refunded amount, capped at the order's line amounts (a
    refund of shipping or tax is not in them), negative, dated at the order's date,
    with the order's id, customer and order-level fields; line fields left empty.
    ``order_ids`` are the converted order ids of ``frame``'s rows.
    """
    names = frame.columns
    refunded = layout.column(names, "refunded")
    empty = transactions.clear()
    if refunded is None or ORDER_ID not in transactions.columns:
        return empty, []
    orders = _per_order(frame, order_ids, {"refunded": refunded}).filter(pl.col("refunded") > 0)
    if orders.is_empty():
        return empty, []
    purchases = transactions.filter(~pl.col("is_return"))
    firsts = (
        purchases.join(orders, on=ORDER_ID, how="semi")
        .group_by(ORDER_ID, maintain_order=True)
        .agg(pl.all().first(), pl.col(AMOUNT).sum().alias("__lines"))
        .join(orders, on=ORDER_ID)
        .filter(pl.col("__lines") > 0)  # nothing bought to give back (free items only)
    )
    if firsts.is_empty():
        return empty, []
    capped = int((firsts["refunded"] > firsts["__lines"]).sum())
    lines = firsts.with_columns(
        (-pl.min_horizontal("refunded", "__lines")).alias(AMOUNT),
        pl.lit(value=True).alias("is_return"),
        *[
            pl.lit(None, dtype=transactions.schema[c]).alias(c)
            for c in _LINE_FIELDS
            if c in transactions.columns
        ],
    ).select(transactions.columns)
    value = -float(lines[AMOUNT].sum())
    note = (
        f"{layout.name}: partially refunded orders: {lines.height:,}, each given one return "
        f"line of its {refunded!r} ({value:,.2f} in all), dated at the order's date with its "
        "order id (lines added, not input rows)"
    )
    if capped:
        note += (
            f"; {capped:,} refunds were larger than the order's line amounts (shipping or "
            "tax refunded too) and were capped at them"
        )
    return lines, [note + "."]


def totals_note(
    transactions: pl.DataFrame,
    frame: pl.DataFrame,
    order_ids: pl.Series,
    layout: ShopLayout,
    line_amount: str,
) -> list[str]:
    """How far the kept line amounts are from the order totals, and why."""
    names = frame.columns
    total = layout.column(names, "total")
    if total is None or ORDER_ID not in transactions.columns:
        return []
    money = {"total": total}
    subtotal = layout.column(names, "subtotal")
    if subtotal is not None:
        money["subtotal"] = subtotal
    for what, candidates in layout.charges.items():
        found = layout._find(names, candidates)
        if found is not None:
            money[what] = found
    kept = transactions.filter(~pl.col("is_return"))
    per_order = _per_order(frame, order_ids, money).join(
        kept.select(ORDER_ID).unique(), on=ORDER_ID, how="semi"
    )
    lines = float(kept[AMOUNT].sum())
    totals = per_order.select(pl.col(c).sum() for c in money).row(0, named=True)
    parts = ", ".join(
        f"{what} {float(totals[what] or 0):,.2f}"
        for what in money
        if what not in ("total", "subtotal")
    )
    order_total = float(totals["total"] or 0)
    items = (
        f" (order {subtotal!r}, {layout.subtotal_means}: {float(totals['subtotal'] or 0):,.2f})"
        if subtotal is not None
        else ""
    )
    return [
        f"{layout.name}: amounts are line amounts ({line_amount}); {layout.left_out} are "
        f"not in them. Over the {per_order.height:,} orders kept: "
        f"line amounts {lines:,.2f}{items}, order {total!r} {order_total:,.2f}, difference "
        f"{order_total - lines:,.2f}" + (f" (the orders' {parts})" if parts else "") + "."
    ]


def order_currency(frame: pl.DataFrame, layout: ShopLayout) -> tuple[str | None, list[str]]:
    """The one currency code of the orders (``Currency`` / ``order_currency``), or None.

    Orders in several currencies get a note: their amounts are added as written.

    Examples
    --------
    >>> order_currency(pl.DataFrame({"Currency": ["EUR", "", "EUR"]}), SHOPIFY)
    ('EUR', [])
    """
    found = layout._find(frame.columns, ("currency", "ordercurrency"))
    if found is None:
        return None, []
    codes = pl.select(clean_text(pl.lit(frame[found].cast(pl.String)))).to_series().drop_nulls()
    distinct = codes.unique().sort()
    if distinct.len() == 1:
        return str(distinct.item()), []
    if distinct.is_empty():
        return None, []
    listed = ", ".join(distinct.head(5).to_list())
    note = (
        f"{layout.name}: orders in {distinct.len()} currencies ({listed}) in {found!r}; "
        "amounts are added as written, without conversion. Filter the file to one currency "
        "for comparable figures."
    )
    return None, [note]
