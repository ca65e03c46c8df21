"""Which source column holds which canonical field: by header, then by content."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Final

import polars as pl

from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
from rfm.io.shops import detect_layout

# Exact header synonyms after normalisation (lower case, letters and digits only),
# best first. A canonical field takes the best-ranked header present.
SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    CUSTOMER_ID: (
        "customerid",
        "customer",
        "customerno",
        "customernumber",
        "customernr",
        "customercode",
        "customerkey",
        "customerref",
        "custid",
        "custno",
        "custnumber",
        "cust",
        "clientid",
        "client",
        "clientno",
        "clientnumber",
        "buyerid",
        "buyer",
        "shopperid",
        "memberid",
        "userid",
        "accountid",
        "consumerid",
        "kunde",
        "kundennummer",
        "kundenid",
        "kundenr",
        "idcliente",
        "cliente",
        "clientecod",
        "email",
        "customeremail",
        "emailaddress",
        "billingemail",
    ),
    "order_id": (
        "invoiceno",
        "invoice",
        "invoiceid",
        "invoicenumber",
        "invoicenr",
        "orderid",
        "order",
        "orderno",
        "ordernumber",
        "ordernr",
        "transactionid",
        "transaction",
        "transid",
        "txnid",
        "receiptid",
        "receipt",
        "receiptno",
        "billno",
        "billid",
        "basketid",
        "ticketid",
        "salesorder",
        "salesorderid",
        "documentno",
        "rechnungsnummer",
        "bestellnummer",
    ),
    ORDER_DATE: (
        "invoicedate",
        "orderdate",
        "transactiondate",
        "purchasedate",
        "saledate",
        "salesdate",
        "date",
        "orderdatetime",
        "invoicedatetime",
        "transactiondatetime",
        "purchasedatetime",
        "datetime",
        "timestamp",
        "ordertimestamp",
        "createdat",
        "orderedat",
        "purchasedat",
        "purchasetime",
        "transactiontime",
        "ordertime",
        "invoicetime",
        "dateofpurchase",
        "paidat",
        "datum",
        "rechnungsdatum",
        "bestelldatum",
        "fecha",
        "day",
        "dt",
    ),
    AMOUNT: (
        "amount",
        "sales",
        "revenue",
        "total",
        "totalprice",
        "totalamount",
        "linetotal",
        "lineamount",
        "lineitemtotal",
        "itemtotal",
        "netamount",
        "netsales",
        "saleamount",
        "salesamount",
        "ordervalue",
        "value",
        "spend",
        "totalspend",
        "purchaseamount",
        "purchaseamountusd",
        "transactionamount",
        "totalsales",
        "subtotal",
        "turnover",
        "monetary",
        "paymentvalue",
        "ordertotal",
        "invoicetotal",
        "dollarvalue",
        "dollaramount",
        "dollars",
        "umsatz",
        "betrag",
        "importe",
        "montant",
    ),
    "quantity": (
        "quantity",
        "qty",
        "lineitemquantity",
        "itemquantity",
        "units",
        "unitssold",
        "quantityordered",
        "qtyordered",
        "numberofitems",
        "items",
        "itemcount",
        "pieces",
        "numberofcds",
        "numberofunits",
        "menge",
        "anzahl",
        "cantidad",
    ),
    "unit_price": (
        "unitprice",
        "price",
        "lineitemprice",
        "priceeach",
        "itemprice",
        "priceperunit",
        "unitcost",
        "sellingprice",
        "saleprice",
        "preis",
        "precio",
        "prix",
    ),
    "product": (
        "description",
        "productname",
        "product",
        "lineitemname",
        "itemname",
        "item",
        "itemdescription",
        "article",
        "stockcode",
        "sku",
        "productid",
        "productcode",
        "itemid",
        "itemcode",
        "lineitemsku",
        "itemsku",
        "artikel",
    ),
    "category": (
        "category",
        "productcategory",
        "categoryname",
        "productline",
        "producttype",
        "kategorie",
        "warengruppe",
        "produktkategorie",
        "categoria",
        "categorie",
    ),
    "subcategory": (
        "subcategory",
        "productsubcategory",
        "subcategoryname",
        "subcat",
        "categorydetail",
    ),
    "department": ("department", "dept", "departmentname", "abteilung", "departamento"),
    "theme": ("theme",),
    "payment_method": (
        "paymentmethod",
        "payment",
        "paymenttype",
        "paymentmode",
        "tender",
        "paidby",
        "paymentchannel",
    ),
    "ship_mode": (
        "shipmode",
        "shippingmode",
        "shipmethod",
        "shippingmethod",
        "shippingtype",
        "shipvia",
        "deliverymethod",
        "deliverymode",
        "deliverytype",
    ),
    "country": (
        "country",
        "countryname",
        "countrycode",
        "nation",
        "land",
        "pais",
        "billingcountry",
        "shippingcountry",
    ),
    "region": ("region", "salesregion", "regionname", "territory", "county"),
    "state": (
        "state",
        "province",
        "stateprovince",
        "stateorprovince",
        "provincestate",
        "statename",
        "statecode",
        "provincename",
        "bundesland",
        "provincia",
        "estado",
        "billingprovince",
        "billingprovincename",
        "billingstate",
        "shippingprovince",
        "shippingprovincename",
        "shippingstate",
    ),
    "city": ("city", "town", "stadt", "ort", "ciudad", "ville", "billingcity", "shippingcity"),
    "retailer": (
        "retailer",
        "store",
        "storename",
        "shop",
        "shopname",
        "merchant",
        "seller",
        "vendor",
        "outlet",
    ),
    "customer_type": (
        "segment",
        "customersegment",
        "customertype",
        "customergroup",
        "customerclass",
        "clienttype",
        "clientsegment",
        "accounttype",
        "businesssegment",
        "marketsegment",
    ),
    "gender": ("gender", "sex", "geschlecht", "sexo", "genero", "sexe"),
    "age": ("age", "customerage", "alter"),
    "birth_date": ("birthdate", "dateofbirth", "dob", "birthday", "geburtsdatum"),
    "signup_date": (
        "signupdate",
        "registrationdate",
        "registereddate",
        "joindate",
        "joineddate",
        "customersince",
        "membersince",
        "accountcreated",
        "createddate",
        "firstseen",
    ),
    "is_return": (
        "isreturn",
        "return",
        "returned",
        "returnflag",
        "isreturned",
        "refund",
        "refunded",
        "isrefund",
    ),
}

# Looser patterns (searched in the normalised header) for headers no synonym covers,
# e.g. "billing_customer_id" or "Client Reference".
_PATTERNS: Final[dict[str, str]] = {
    CUSTOMER_ID: r"(customer|cust|client|buyer|shopper|member)(id|no|num|number|code|key|ref)?",
    "order_id": r"(invoice|order|transaction|receipt)(id|no|num|number|code|key|ref)",
    ORDER_DATE: r"(order|invoice|transaction|purchase|sale)s?(date|time)",
    AMOUNT: r"(amount|revenue|sales|total)",
    "quantity": r"(quantity|qty)",
    "unit_price": r"(unitprice|price)",
}

# Headers a loose pattern must not claim: "Customer type" is not an id, "Salesperson"
# is not an amount.
_NOT: Final[dict[str, str]] = {
    CUSTOMER_ID: r"type|segment|group|class|categ|since|age|gender|sex|city|country|region",
    AMOUNT: r"person|rep|channel|count|qty|quantity|id$|no$|number|date|tax|rate|pct|percent",
    ORDER_DATE: r"ship|deliver|birth|due",
}

_PRIORITY: Final = (CUSTOMER_ID, ORDER_DATE, AMOUNT, "order_id", "quantity", "unit_price")


def normalise_header(name: str) -> str:
    """Lower-case a header and keep only its letters and digits.

    Examples
    --------
    >>> normalise_header(" Customer_ID ")
    'customerid'
    >>> normalise_header("Purchase Amount (USD)")
    'purchaseamountusd'
    """
    folded = unicodedata.normalize("NFKD", name).casefold()
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))


def detect_columns(names: Sequence[str], sample: pl.DataFrame | None = None) -> dict[str, str]:
    """Map canonical fields to source columns, by header and, failing that, by content.

    Parameters
    ----------
    names : sequence of str
        The source column names.
    sample : pl.DataFrame, optional
        Some rows of the source (text or typed). Used to find the customer id,
        order date and amount when no header names them.

    Returns
    -------
    dict
        Canonical field -> source column; each source column is used at most once.
        A shop platform's order export (Shopify, WooCommerce; see
        :mod:`rfm.io.shops`) is mapped the way the platform documents it: order id
        <- ``Name``, amount <- quantity x line price, never the order ``Total``.

    Examples
    --------
    >>> detect_columns(["InvoiceNo", "StockCode", "Quantity", "InvoiceDate",
    ...                 "UnitPrice", "CustomerID", "Country"])  # doctest: +NORMALIZE_WHITESPACE
    {'customer_id': 'CustomerID', 'order_date': 'InvoiceDate', 'order_id': 'InvoiceNo',
     'quantity': 'Quantity', 'unit_price': 'UnitPrice', 'product': 'StockCode',
     'country': 'Country'}
    """
    layout = detect_layout(names)
    mapping: dict[str, str] = {}
    reserved: set[str] = set()
    if layout is not None:
        # A shop export's own columns are read the way the platform documents them;
        # synonyms would take its order Total for the amount and its Id for an id.
        mapping = layout.columns(names)
        reserved = layout.reserved(names) | set(mapping.values())
    line_priced = layout is not None and AMOUNT not in mapping
    rest = [n for n in names if n not in reserved]
    for canon, name in _detect_by_header(rest).items():
        # A column the platform does not document ("Total Weight") is never the
        # amount of a layout whose amount is quantity x line price.
        if not (line_priced and canon == AMOUNT):
            mapping.setdefault(canon, name)
    if sample is not None:
        found = dict(mapping)
        if line_priced:
            found.setdefault(AMOUNT, "")  # the amount is quantity x price, not a column
        used = set(mapping.values())
        mapping.update(_detect_by_content(sample, [n for n in rest if n not in used], found))
    order = list(_PRIORITY) + [c for c in SYNONYMS if c not in _PRIORITY]
    return {c: mapping[c] for c in order if c in mapping}


def _detect_by_header(names: Sequence[str]) -> dict[str, str]:
    normal = [normalise_header(n) for n in names]
    candidates: list[tuple[int, int, int, str, str]] = []  # (tier, rank, position, canon, name)
    order = list(_PRIORITY) + [c for c in SYNONYMS if c not in _PRIORITY]
    for canon in order:
        synonyms = SYNONYMS[canon]
        for pos, (name, norm) in enumerate(zip(names, normal, strict=True)):
            if norm in synonyms:
                candidates.append((0, synonyms.index(norm), pos, canon, name))
            elif (
                canon in _PATTERNS
                and re.search(_PATTERNS[canon], norm)
                and not (canon in _NOT and re.search(_NOT[canon], norm))
            ):
                candidates.append((1, 0, pos, canon, name))
    mapping: dict[str, str] = {}
    used: set[str] = set()
    # Exact synonyms beat patterns; then the better-ranked synonym, then the leftmost column.
    for tier, _, _, canon, name in sorted(
        candidates, key=lambda c: (c[0], order.index(c[3]), c[1], c[2])
    ):
        if canon in mapping or name in used:
            continue
        if tier == 1 and canon not in (CUSTOMER_ID, ORDER_DATE, AMOUNT, "order_id"):
            continue
        mapping[canon] = name
        used.add(name)
    return mapping


def _detect_by_content(
    sample: pl.DataFrame, free: list[str], found: dict[str, str]
) -> dict[str, str]:
    # Imported here: parse needs nothing from this module, but keep the graph acyclic.
    from rfm.io.parse import EXCEL_SERIAL, _rank_formats, clean_series, convert_numbers

    out: dict[str, str] = {}
    free = [n for n in free if n in sample.columns]
    cleaned = {n: clean_series(sample[n]) for n in free}
    if ORDER_DATE not in found:
        for name in free:
            col = sample[name]
            text = cleaned[name].drop_nulls()
            if col.dtype in (pl.Date,) or isinstance(col.dtype, pl.Datetime):
                out[ORDER_DATE] = name
                break
            if text.is_empty() or col.dtype.is_float():
                continue
            distinct = text.unique(maintain_order=True).head(500)
            ranked = _rank_formats(distinct)
            if ranked and ranked[0][0] != EXCEL_SERIAL and ranked[0][2] >= 0.95 * distinct.len():
                out[ORDER_DATE] = name
                break
    free = [n for n in free if n not in out.values()]
    if AMOUNT not in found:
        best: tuple[int, str] | None = None
        for name in free:
            numbers = convert_numbers(sample[name])
            present = int((~numbers.missing).sum())
            if not present or int(numbers.invalid.sum()) > 0.05 * present:
                continue
            values = numbers.values.drop_nulls()
            fractional = int((values != values.round(0)).sum())
            money = sample[name].dtype == pl.String and bool(
                cleaned[name].drop_nulls().str.contains(r"[$€£¥]|\d[.,]\d{2}$").any()
            )
            score = 2 * money + (fractional > 0)
            if score and (best is None or score > best[0]):
                best = (score, name)
        if best is not None:
            out[AMOUNT] = best[1]
    free = [n for n in free if n not in out.values()]
    if CUSTOMER_ID not in found:
        for name in free:
            col = sample[name]
            if col.dtype.is_float() or col.dtype == pl.Boolean:
                continue
            text = cleaned[name].drop_nulls()
            # An id repeats (customers buy again) and is not free text.
            longest = int(text.str.len_chars().max() or 0)  # type: ignore[arg-type]
            if text.len() >= 2 and text.n_unique() < text.len() and longest <= 40:
                out[CUSTOMER_ID] = name
                break
    return out
