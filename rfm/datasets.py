"""Synthetic and bundled transaction data.

:func:`simulate` draws a realistic retail transaction log whose purchase counts follow a
BG/NBD process (Fader, Hardie & Lee 2005) and whose spend per order follows the
Gamma-Gamma model (Fader & Hardie 2013), with known parameters, so models can be checked
against the truth. :func:`load_sample` and :func:`sample_path` give the datasets bundled in
the repository's ``sample_data/`` folder.

Run ``python -m rfm.datasets`` to regenerate ``sample_data/retail.csv`` bit for bit.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Final

import numpy as np
import polars as pl

from rfm.dates import to_date
from rfm.errors import DataError

__all__ = [
    "BG_PARAMS",
    "GG_PARAMS",
    "RETAIL_SAMPLE",
    "load_sample",
    "sample_path",
    "simulate",
]

BG_PARAMS: Final[Mapping[str, float]] = {"r": 0.9, "alpha": 60.0, "a": 1.4, "b": 5.0}
"""Default BG/NBD parameters, time in days.

The purchase rate of an alive customer is ``lambda ~ Gamma(shape=r, rate=alpha)`` (mean
0.015 a day, about 5.5 orders a year); after each repeat order the customer drops out with
probability ``p ~ Beta(a, b)`` (mean 0.22)."""

GG_PARAMS: Final[Mapping[str, float]] = {"p": 6.0, "q": 4.0, "gamma": 30.0}
"""Default Gamma-Gamma parameters, money in currency units.

Each order's value is ``z ~ Gamma(shape=p, rate=nu)`` with a per-customer
``nu ~ Gamma(shape=q, rate=gamma)``; the mean order value is ``p * gamma / (q - 1)`` = 60."""

RETAIL_SAMPLE: Final[Mapping[str, object]] = {
    "n_customers": 3000,
    "start": "2020-01-01",
    "end": "2023-12-31",
    "random_state": 2024,
}
"""The :func:`simulate` arguments that made ``sample_data/retail.csv``."""

_SAMPLES: Final[Mapping[str, str]] = {
    "retail": "retail.csv",
    "cdnow": "cdnow/CDNOW_master.txt",
    "cdnow_sample": "cdnow/CDNOW_sample.txt",
}
_SAMPLE_DIR: Final = Path(__file__).resolve().parent.parent / "sample_data"

SCHEMA: Final = pl.Schema(
    [
        ("order_id", pl.String()),
        ("customer_id", pl.String()),
        ("order_date", pl.Datetime("us")),
        ("quantity", pl.Float64()),
        ("unit_price", pl.Float64()),
        ("amount", pl.Float64()),
        ("product", pl.String()),
        ("category", pl.String()),
        ("department", pl.String()),
        ("theme", pl.String()),
        ("payment_method", pl.String()),
        ("retailer", pl.String()),
        ("country", pl.String()),
        ("city", pl.String()),
        ("gender", pl.String()),
        ("age", pl.Int64()),
        ("signup_date", pl.Date()),
        ("is_return", pl.Boolean()),
    ]
)
"""Column types of :func:`simulate` and :func:`load_sample`, as ``rfm.read_transactions``
returns them."""

# --- the world the customers live in -------------------------------------------------------
# (department, category, product, theme, list price)
_CATALOGUE: Final = (
    ("Home", "Candles", "Scented Jar Candle", "Classic", 12.5),
    ("Home", "Candles", "Tealight Set of 24", "Classic", 4.95),
    ("Home", "Candles", "Christmas Spice Candle", "Christmas", 14.0),
    ("Home", "Decor", "Rattan Storage Basket", "Boho", 24.0),
    ("Home", "Decor", "Vintage Wall Clock", "Vintage", 39.0),
    ("Home", "Decor", "Heart Hanging Decoration", "Vintage", 2.95),
    ("Home", "Decor", "Glass Star Ornament", "Christmas", 3.5),
    ("Home", "Textiles", "Linen Cushion Cover", "Boho", 18.0),
    ("Home", "Textiles", "Wool Throw Blanket", "Nordic", 49.0),
    ("Kitchen", "Tableware", "Stoneware Mug", "Nordic", 8.5),
    ("Kitchen", "Tableware", "Enamel Dinner Plate", "Vintage", 11.0),
    ("Kitchen", "Tableware", "Picnic Cutlery Set", "Summer", 22.0),
    ("Kitchen", "Cookware", "Cast Iron Skillet", "Classic", 45.0),
    ("Kitchen", "Cookware", "Bamboo Utensil Set", "Eco", 15.0),
    ("Kitchen", "Storage", "Glass Storage Jar", "Eco", 9.5),
    ("Kitchen", "Storage", "Cake Tin Retro", "Vintage", 13.5),
    ("Garden", "Plants", "Potted Olive Tree", "Summer", 35.0),
    ("Garden", "Plants", "Herb Seed Kit", "Eco", 7.5),
    ("Garden", "Outdoor Living", "Solar Lantern", "Summer", 19.0),
    ("Garden", "Outdoor Living", "Folding Bistro Chair", "Summer", 59.0),
    ("Fashion", "Accessories", "Canvas Tote Bag", "Eco", 12.0),
    ("Fashion", "Accessories", "Knitted Scarf", "Nordic", 25.0),
    ("Fashion", "Accessories", "Leather Wallet", "Classic", 39.0),
    ("Fashion", "Jewellery", "Silver Pendant", "Classic", 65.0),
    ("Toys", "Games", "Wooden Puzzle", "Kids", 16.0),
    ("Toys", "Games", "Family Board Game", "Kids", 29.0),
    ("Toys", "Plush", "Teddy Bear", "Kids", 19.5),
    ("Toys", "Plush", "Christmas Reindeer Plush", "Christmas", 17.0),
    ("Stationery", "Paper", "Gift Wrap Roll", "Christmas", 3.95),
    ("Stationery", "Paper", "Dotted Notebook", "Classic", 9.0),
    ("Stationery", "Cards", "Greeting Card Pack", "Vintage", 6.5),
    ("Electronics", "Audio", "Bluetooth Speaker", "Modern", 79.0),
    ("Electronics", "Lighting", "LED Fairy Lights", "Christmas", 11.0),
    ("Electronics", "Lighting", "Smart Bulb", "Modern", 24.0),
)
# country, weight, cities and their weights
_PLACES: Final = (
    (
        "United Kingdom",
        0.42,
        (
            ("London", 0.45),
            ("Manchester", 0.15),
            ("Birmingham", 0.14),
            ("Glasgow", 0.1),
            ("Leeds", 0.09),
            ("Bristol", 0.07),
        ),
    ),
    ("Germany", 0.16, (("Berlin", 0.35), ("Hamburg", 0.22), ("Munich", 0.22), ("Cologne", 0.21))),
    ("France", 0.13, (("Paris", 0.5), ("Lyon", 0.2), ("Marseille", 0.17), ("Toulouse", 0.13))),
    (
        "United States",
        0.1,
        (("New York", 0.4), ("Los Angeles", 0.25), ("Chicago", 0.2), ("Houston", 0.15)),
    ),
    ("Netherlands", 0.07, (("Amsterdam", 0.5), ("Rotterdam", 0.3), ("Utrecht", 0.2))),
    ("Spain", 0.06, (("Madrid", 0.5), ("Barcelona", 0.38), ("Valencia", 0.12))),
    ("Ireland", 0.04, (("Dublin", 0.75), ("Cork", 0.25))),
    ("Australia", 0.02, (("Sydney", 0.55), ("Melbourne", 0.45))),
)
_PAYMENTS: Final = (
    ("card", 0.52),
    ("paypal", 0.18),
    ("cash", 0.12),
    ("gift card", 0.06),
    ("bank transfer", 0.05),
    ("mobile wallet", 0.05),
    ("crypto", 0.02),
)
_RETAILERS: Final = (
    ("Online Store", 0.45),
    ("High Street", 0.22),
    ("Marketplace", 0.15),
    ("Outlet", 0.1),
    ("Pop-up", 0.08),
)
_GENDERS: Final = (("Female", 0.52), ("Male", 0.45), ("Other", 0.03))
# Share of orders placed in each hour of the day (shops and evening online shopping).
# fmt: off
_HOUR_WEIGHTS: Final = (
    1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 6, 7, 8, 9, 8, 7, 7, 7, 8, 9, 10, 9, 7, 4, 2,
)
# fmt: on
_EXTRA_LINES_MEAN: Final = 0.45  # extra lines per order: 1 + Poisson, so most orders have one
_RETURN_DAYS_MAX: Final = 30


def _weights(pairs: Sequence[tuple[str, float]]) -> tuple[list[str], np.ndarray]:
    names = [name for name, _ in pairs]
    w = np.array([weight for _, weight in pairs], dtype=float)
    return names, w / w.sum()


def _as_date(value: str | dt.date, name: str) -> dt.date:
    day = to_date(value)
    if day is None:
        msg = (
            f"The {name!r} parameter of simulate must be an ISO date such as '2020-01-01' or a "
            f"datetime.date. Got {value!r}."
        )
        raise DataError(msg)
    return day


def _check_params(
    given: Mapping[str, float] | None, default: Mapping[str, float], name: str
) -> dict[str, float]:
    params = dict(default) if given is None else {k: float(v) for k, v in given.items()}
    if set(params) != set(default) or not all(v > 0 for v in params.values()):
        msg = (
            f"The {name!r} parameter of simulate must map exactly {sorted(default)} to positive "
            f"numbers. Got {given!r}."
        )
        raise DataError(msg)
    return params


def _gather(names: Sequence[str], index: np.ndarray) -> pl.Series:
    return pl.Series(values=list(names), dtype=pl.String).gather(index)


def simulate(
    n_customers: int = 1000,
    *,
    start: str | dt.date = "2020-01-01",
    end: str | dt.date = "2023-12-31",
    random_state: int | None = 0,
    bg_params: Mapping[str, float] | None = None,
    gg_params: Mapping[str, float] | None = None,
    return_rate: float = 0.03,
) -> pl.DataFrame:
    """Simulate a retail transaction log with known BG/NBD and Gamma-Gamma parameters.

    Customers arrive (sign up and place their first order) uniformly over ``start`` ..
    ``end``. Customer ``i`` then orders again as a Poisson process with rate
    ``lambda_i ~ Gamma(shape=r, rate=alpha)`` per day and, after each repeat order, drops
    out for good with probability ``p_i ~ Beta(a, b)`` (BG/NBD, Fader, Hardie & Lee 2005).
    Each order's gross value is ``z ~ Gamma(shape=p, rate=nu_i)`` with
    ``nu_i ~ Gamma(shape=q, rate=gamma)`` (Gamma-Gamma, Fader & Hardie 2013), rounded to
    cents. Orders have ``1 + Poisson(0.45)`` lines (products) that split the order value;
    each line's quantity is the line value over the product's list price, rounded, at
    least 1. About ``return_rate`` of the lines are later partly or fully returned, within
    30 days and before ``end``, as separate rows with ``is_return`` true, negative quantity
    and amount and the order id prefixed with ``C`` (the UCI online-retail convention).
    Demographics (gender, age, country, city, signup date), the usual payment method and
    the usual retailer are fixed per customer; 15% of orders use another payment method
    and 30% another retailer.

    Parameters
    ----------
    n_customers
        Number of customers; the log has about 7 rows per customer with the defaults.
    start, end
        First and last calendar day of the log (inclusive), ISO strings or dates.
    random_state
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same log.
    bg_params
        BG/NBD ``{"r", "alpha", "a", "b"}`` with time in days; default :data:`BG_PARAMS`
        (``r=0.9, alpha=60, a=1.4, b=5``).
    gg_params
        Gamma-Gamma ``{"p", "q", "gamma"}``; default :data:`GG_PARAMS`
        (``p=6, q=4, gamma=30``, mean order value 60).
    return_rate
        Probability that a line is returned (returns dated after ``end`` are dropped).

    Returns
    -------
    polars.DataFrame
        One row per order line, sorted by ``order_date`` then ``order_id``, with the
        canonical columns ``order_id, customer_id, order_date, quantity, unit_price, amount,
        product, category, department, theme, payment_method, retailer, country, city,
        gender, age, signup_date, is_return`` typed as ``rfm.read_transactions`` returns them.

    Examples
    --------
    >>> import rfm.datasets
    >>> tx = rfm.datasets.simulate(200, random_state=1)
    >>> tx.columns[:6]
    ['order_id', 'customer_id', 'order_date', 'quantity', 'unit_price', 'amount']
    >>> tx["customer_id"].n_unique()
    200
    >>> tx.equals(rfm.datasets.simulate(200, random_state=1))
    True
    """
    if isinstance(n_customers, bool) or not isinstance(n_customers, int) or n_customers < 1:
        msg = f"The 'n_customers' parameter of simulate must be an int >= 1. Got {n_customers!r}."
        raise DataError(msg)
    if not 0 <= return_rate < 1:
        msg = f"The 'return_rate' parameter of simulate must be in [0, 1). Got {return_rate!r}."
        raise DataError(msg)
    first_day, last_day = _as_date(start, "start"), _as_date(end, "end")
    n_days = (last_day - first_day).days + 1
    if n_days < 1:
        msg = f"simulate needs start <= end. Got start={first_day}, end={last_day}."
        raise DataError(msg)
    bg = _check_params(bg_params, BG_PARAMS, "bg_params")
    gg = _check_params(gg_params, GG_PARAMS, "gg_params")
    rng = np.random.default_rng(random_state)
    n = n_customers

    # --- customers ------------------------------------------------------------------------
    arrival = rng.uniform(0.0, n_days, n)  # first order, in days since start
    rate = rng.gamma(bg["r"], 1.0 / bg["alpha"], n)
    dropout = rng.beta(bg["a"], bg["b"], n)
    nu = rng.gamma(gg["q"], 1.0 / gg["gamma"], n)
    window = n_days - arrival  # T: days from the first order to the end of the log

    # Repeat orders: the Poisson process would give K ~ Poisson(lambda T) orders in (0, T];
    # the customer drops out after the N-th repeat order, N ~ Geometric(p), so X = min(N, K)
    # are observed, at the first X of K sorted uniform times. Those are S_j / (S_X + G)
    # with S_j partial sums of Exp(1) and G ~ Gamma(K + 1 - X): no loop, no rejection.
    k_poisson = rng.poisson(rate * window)
    n_until_drop = rng.geometric(dropout)
    repeats = np.minimum(k_poisson, n_until_drop)
    n_rep = int(repeats.sum())
    rep_customer = np.repeat(np.arange(n), repeats)
    spacing_sum = np.cumsum(rng.exponential(1.0, n_rep))
    ends = np.cumsum(repeats)
    before = np.concatenate(([0.0], spacing_sum))[ends - repeats]  # sum before each customer
    partial = spacing_sum - np.repeat(before, repeats)
    last_sum = np.zeros(n)
    has_rep = repeats > 0
    last_sum[has_rep] = partial[ends[has_rep] - 1]
    tail = rng.standard_gamma(k_poisson + 1 - repeats).astype(float)
    rep_time = arrival[rep_customer] + (
        window[rep_customer] * partial / (last_sum + tail)[rep_customer]
    )

    # --- orders -----------------------------------------------------------------------------
    order_customer = np.concatenate((np.arange(n), rep_customer))
    order_time = np.concatenate((arrival, rep_time))
    n_orders = order_customer.size
    order_day = np.minimum(np.floor(order_time), n_days - 1).astype(np.int64)
    hours, hour_p = np.arange(24), np.array(_HOUR_WEIGHTS) / sum(_HOUR_WEIGHTS)
    second_of_day = rng.choice(hours, n_orders, p=hour_p) * 3600 + rng.integers(0, 3600, n_orders)
    order_us = (order_day * 86_400 + second_of_day) * 1_000_000
    value = np.round(rng.gamma(gg["p"], 1.0 / nu[order_customer]), 2)
    value = np.maximum(value, 0.01)

    # Customer-level choices, with per-order deviations.
    pay_names, pay_p = _weights(_PAYMENTS)
    shop_names, shop_p = _weights(_RETAILERS)
    usual_pay = rng.choice(len(pay_names), n, p=pay_p)
    usual_shop = rng.choice(len(shop_names), n, p=shop_p)
    pay = np.where(
        rng.random(n_orders) < 0.85,
        usual_pay[order_customer],
        rng.choice(len(pay_names), n_orders, p=pay_p),
    )
    shop = np.where(
        rng.random(n_orders) < 0.7,
        usual_shop[order_customer],
        rng.choice(len(shop_names), n_orders, p=shop_p),
    )

    # Chronological order ids.
    chrono = np.lexsort((order_customer, order_us))
    order_number = np.empty(n_orders, dtype=np.int64)
    order_number[chrono] = np.arange(n_orders) + 100_001

    # --- lines ------------------------------------------------------------------------------
    n_lines = 1 + rng.poisson(_EXTRA_LINES_MEAN, n_orders)
    line_order = np.repeat(np.arange(n_orders), n_lines)
    # Split each order's value across its lines with Dirichlet(1, ..., 1) weights.
    share = rng.exponential(1.0, line_order.size)
    share /= np.bincount(line_order, weights=share, minlength=n_orders)[line_order]
    line_value = value[line_order] * share
    popularity = 1.0 / np.arange(1, len(_CATALOGUE) + 1) ** 0.6
    product = rng.choice(len(_CATALOGUE), line_order.size, p=popularity / popularity.sum())
    list_price = np.array([item[4] for item in _CATALOGUE])[product]
    quantity = np.maximum(np.round(line_value / list_price), 1.0)
    unit_price = np.maximum(np.round(line_value / quantity, 2), 0.01)

    # --- returns ----------------------------------------------------------------------------
    returned = rng.random(line_order.size) < return_rate
    return_delay = rng.integers(1, _RETURN_DAYS_MAX + 1, n_orders)  # one return trip per order
    ret_lines = np.flatnonzero(returned)
    ret_order = line_order[ret_lines]
    ret_us = order_us[ret_order] + return_delay[ret_order] * 86_400_000_000
    keep = ret_us < n_days * 86_400_000_000
    ret_lines, ret_order, ret_us = ret_lines[keep], ret_order[keep], ret_us[keep]
    ret_quantity = np.ceil(rng.uniform(0.0, 1.0, ret_lines.size) * quantity[ret_lines])

    all_line = np.concatenate((np.arange(line_order.size), ret_lines))
    all_order = line_order[all_line]
    is_return = np.concatenate((np.zeros(line_order.size, bool), np.ones(ret_lines.size, bool)))
    all_us = np.concatenate((order_us[line_order], ret_us))
    all_quantity = np.concatenate((quantity, -ret_quantity))
    all_price = unit_price[all_line]
    cust = order_customer[all_order]
    prod = product[all_line]

    # --- demographics -----------------------------------------------------------------------
    gender_names, gender_p = _weights(_GENDERS)
    gender = rng.choice(len(gender_names), n, p=gender_p)
    age = np.clip(np.round(rng.normal(41.0, 13.0, n)), 18, 85).astype(np.int64)
    country_names, country_p = _weights([(c, w) for c, w, _ in _PLACES])
    country = rng.choice(len(country_names), n, p=country_p)
    city_names: list[str] = []
    city = np.empty(n, dtype=np.int64)
    for i, (_, _, cities) in enumerate(_PLACES):
        names, p = _weights(cities)
        members = np.flatnonzero(country == i)
        city[members] = len(city_names) + rng.choice(len(names), members.size, p=p)
        city_names.extend(names)
    signed_early = rng.random(n) < 0.4
    signup_lead = np.where(signed_early, np.ceil(rng.exponential(45.0, n)), 0.0)
    signup_day = np.maximum(np.floor(arrival) - signup_lead, 0).astype(np.int64)

    # --- assemble ---------------------------------------------------------------------------
    # Sort with numpy on integer keys, before any string column exists (much cheaper).
    order_no = order_number[all_order]
    perm = np.lexsort((all_line, is_return, order_no, all_us))
    cust, prod, all_order = cust[perm], prod[perm], all_order[perm]
    is_return, order_no = is_return[perm], order_no[perm]
    epoch_day = (first_day - dt.date(1970, 1, 1)).days
    id_width = max(6, len(str(n)))
    frame = pl.DataFrame(
        {
            "order_id": order_no,
            "customer_id": cust + 1,
            "order_date": pl.Series(all_us[perm] + epoch_day * 86_400_000_000).cast(
                pl.Datetime("us")
            ),
            "quantity": all_quantity[perm],
            "unit_price": all_price[perm],
            "amount": np.round(all_quantity[perm] * all_price[perm], 2),
            "product": _gather([c[2] for c in _CATALOGUE], prod),
            "category": _gather([c[1] for c in _CATALOGUE], prod),
            "department": _gather([c[0] for c in _CATALOGUE], prod),
            "theme": _gather([c[3] for c in _CATALOGUE], prod),
            "payment_method": _gather(pay_names, pay[all_order]),
            "retailer": _gather(shop_names, shop[all_order]),
            "country": _gather(country_names, country[cust]),
            "city": _gather(city_names, city[cust]),
            "gender": _gather(gender_names, gender[cust]),
            "age": age[cust],
            "signup_date": pl.Series(signup_day[cust] + epoch_day).cast(pl.Int32).cast(pl.Date),
            "is_return": is_return,
        }
    )
    order_text = pl.col("order_id").cast(pl.String)
    return frame.with_columns(
        pl.when("is_return").then(pl.lit("C") + order_text).otherwise(order_text).alias("order_id"),
        (pl.lit("C") + pl.col("customer_id").cast(pl.String).str.zfill(id_width)).alias(
            "customer_id"
        ),
    )


def sample_path(name: str = "retail") -> Path:
    """Path of a bundled sample file in the repository's ``sample_data/`` folder.

    The samples live next to the ``rfm`` package in a source checkout (and in the deployed
    app); an installed wheel does not ship them.

    Parameters
    ----------
    name
        ``"retail"``: the synthetic log made by :func:`simulate` with
        :data:`RETAIL_SAMPLE`; ``"cdnow"``: the CDNOW master file (23,570 customers,
        1997-01 to 1998-06); ``"cdnow_sample"``: its 2,357-customer sample used in the
        BG/NBD and Gamma-Gamma papers. See ``sample_data/README.md``.

    Raises
    ------
    DataError
        For an unknown name or when ``sample_data/`` is not next to the package.

    Examples
    --------
    >>> import rfm.datasets
    >>> rfm.datasets.sample_path("retail").name
    'retail.csv'
    """
    if name not in _SAMPLES:
        msg = f"Unknown sample {name!r}. Expected one of {sorted(_SAMPLES)}."
        raise DataError(msg)
    path = _SAMPLE_DIR / _SAMPLES[name]
    if not path.is_file():
        msg = (
            f"The sample file {path} was not found. Samples ship with the repository "
            "checkout (sample_data/), not with the installed package; run from a clone, or "
            "use rfm.datasets.load_sample('retail'), which regenerates the retail sample."
        )
        raise DataError(msg)
    return path


def load_sample(name: str = "retail") -> pl.DataFrame:
    """Load a bundled sample as a typed transaction frame.

    Parameters
    ----------
    name
        ``"retail"``: the synthetic retail log, with the columns and types of
        :func:`simulate`. When ``sample_data/retail.csv`` is absent (an installed wheel),
        it is regenerated from :data:`RETAIL_SAMPLE`, which gives the same frame.
        ``"cdnow"`` / ``"cdnow_sample"``: the CDNOW purchases as canonical transactions
        ``customer_id`` (the master id, e.g. ``"00001"``), ``order_date`` (midnight),
        ``quantity`` (CDs), ``amount`` (dollars), ``is_return`` (always false).

    Raises
    ------
    DataError
        For an unknown name, or a missing file that cannot be regenerated.

    Examples
    --------
    >>> import rfm.datasets
    >>> tx = rfm.datasets.load_sample("retail")
    >>> tx["customer_id"].n_unique()
    3000
    """
    if name not in _SAMPLES:
        msg = f"Unknown sample {name!r}. Expected one of {sorted(_SAMPLES)}."
        raise DataError(msg)
    if name == "retail" and not (_SAMPLE_DIR / _SAMPLES[name]).is_file():
        return simulate(**RETAIL_SAMPLE)  # type: ignore[arg-type]
    if name.startswith("cdnow"):
        return _read_cdnow(sample_path(name))
    return pl.read_csv(sample_path(name), schema=SCHEMA)


def _read_cdnow(path: Path) -> pl.DataFrame:
    # Fixed layout, fields separated by runs of spaces, CRLF line ends; the sample file
    # has a second id column (the sample's own 0001-2357) and no header.
    lines = pl.read_csv(
        path, has_header=False, separator="\x1f", new_columns=["line"], quote_char=None
    )
    pattern = r"^\s*(\d+)\s+(?:\d+\s+)?(\d{8})\s+(\S+)\s+(\S+)\s*$"
    fields = (
        lines.select(pl.col("line").str.extract_groups(pattern))
        .unnest("line")
        .drop_nulls()  # the master file's header line
    )
    return fields.select(
        pl.col("1").alias("customer_id"),
        pl.col("2").str.to_date("%Y%m%d").cast(pl.Datetime("us")).alias("order_date"),
        pl.col("3").cast(pl.Float64).alias("quantity"),
        pl.col("4").cast(pl.Float64).alias("amount"),
        pl.lit(False).alias("is_return"),
    )


def write_retail_csv(frame: pl.DataFrame, path: str | Path | IO[bytes]) -> None:
    """Write a :func:`simulate` frame as the sample CSV (integer quantities, cents, seconds).

    Examples
    --------
    >>> import io, rfm.datasets
    >>> buffer = io.BytesIO()
    >>> rfm.datasets.write_retail_csv(rfm.datasets.simulate(1, random_state=3), buffer)
    >>> buffer.getvalue().decode().splitlines()[0][:40]
    'order_id,customer_id,order_date,quantity'
    """
    frame.with_columns(pl.col("quantity").cast(pl.Int64)).write_csv(
        path, datetime_format="%Y-%m-%d %H:%M:%S", float_precision=2
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Regenerate ``sample_data/retail.csv`` (``python -m rfm.datasets``)."""
    parser = argparse.ArgumentParser(
        prog="python -m rfm.datasets",
        description="Regenerate the bundled synthetic retail sample, bit for bit.",
    )
    parser.add_argument(
        "--out", type=Path, default=_SAMPLE_DIR / "retail.csv", help="output CSV path"
    )
    args = parser.parse_args(argv)
    write_retail_csv(simulate(**RETAIL_SAMPLE), args.out)  # type: ignore[arg-type]
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
