"""``python -m rfm``: segment a transactions file from the command line.

For scheduled jobs: read a file, write the scored and segmented customer table as CSV
or Parquet, print the quality report and the headline figures. Bad input exits with
status 1 and the same message the library raises.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from rfm.columns import CANONICAL
from rfm.errors import DataError

if TYPE_CHECKING:
    import polars as pl

    from rfm.kpis import Kpis
    from rfm.view import CustomerCounts

EXIT_DATA_ERROR = 1

_UNITS: Final = {
    "": 1,
    "b": 1,
    "k": 2**10,
    "kib": 2**10,
    "kb": 10**3,
    "m": 2**20,
    "mib": 2**20,
    "mb": 10**6,
    "g": 2**30,
    "gib": 2**30,
    "gb": 10**9,
    "t": 2**40,
    "tib": 2**40,
    "tb": 10**12,
}

_BUDGET_LIMITS: Final = ("max_bytes", "max_rows", "max_table_bytes", "max_uncompressed_bytes")
"""The rfm.Limits that scale with the memory budget (the others are fixed)."""


def byte_size(text: str) -> int:
    """A memory size such as ``4GiB``, ``512MiB``, ``1.5GB`` or ``2147483648``, in bytes.

    ``KiB``, ``MiB``, ``GiB``, ``TiB`` (and bare ``K``, ``M``, ``G``, ``T``) are powers of
    1024; ``KB``, ``MB``, ``GB``, ``TB`` powers of 1000; a bare number is bytes.

    Examples
    --------
    >>> byte_size("4GiB"), byte_size("1.5 GB"), byte_size("512m"), byte_size("2048")
    (4294967296, 1500000000, 536870912, 2048)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS or float(match.group(1)) <= 0:
        msg = f"expected a memory size such as 4GiB, 512MiB or 2000000000 (bytes). Got {text!r}."
        raise argparse.ArgumentTypeError(msg)
    return int(float(match.group(1)) * _UNITS[unit])


def _mapping(items: Sequence[str]) -> dict[str, str]:
    columns: dict[str, str] = {}
    for item in items:
        canonical, sep, source = item.partition("=")
        if not sep or not source:
            msg = (
                f"--map takes CANONICAL=SOURCE, e.g. --map customer_id='Customer ID'. Got {item!r}."
            )
            raise DataError(msg)
        if canonical not in CANONICAL:
            msg = f"--map names unknown column {canonical!r}. Known: {', '.join(CANONICAL)}."
            raise DataError(msg)
        columns[canonical] = source
    return columns


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="python -m rfm",
        description=(
            "Read a customer-transaction file (CSV, TSV, Excel .xlsx or Parquet), summarise it per "
            "customer, score R, F and M, name the segments, write the customer table and print the "
            "quality report and headline figures."
        ),
        epilog="Example: python -m rfm orders.csv -o customers.parquet --as-of 2023-12-31",
    )
    parser.add_argument(
        "input", type=Path, help="transactions file: .csv/.tsv/.txt, .xlsx or .parquet"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to write the customer table; .csv or .parquet (default: print no table)",
    )
    parser.add_argument(
        "--format",
        choices=("csv", "parquet"),
        help="output format (default: from the output file's extension)",
    )
    parser.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="measure recency and tenure at this date; later transactions are ignored "
        "(default: the day after the last transaction)",
    )
    parser.add_argument(
        "--compare-to",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="also segment the customers as of this earlier date and add previous_segment "
        "('New in period' for customers who started later) and segment_since (this date when "
        "the segment is unchanged, else the as-of date) to the table",
    )
    parser.add_argument(
        "--forecast",
        type=int,
        metavar="DAYS",
        help="add churn risk and the expected purchases, revenue, units and CLV over DAYS "
        "days to the table, from the purchase model that forecasts a holdout period best "
        "(and Gamma-Gamma for spend); the choice and what the data can tell are printed",
    )
    parser.add_argument(
        "--bins", type=int, default=5, help="score levels for R, F and M, 2..10 (default: 5)"
    )
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="CANONICAL=SOURCE",
        help="map a canonical column to a column of the file, e.g. --map customer_id=Kunde "
        "(repeatable; overrides detection)",
    )
    parser.add_argument(
        "--date-format",
        metavar="FMT",
        help="strftime format of the date column, e.g. %%d/%%m/%%Y; needed when dates are ambiguous",
    )
    parser.add_argument("--sheet", help="Excel sheet to read (default: the first)")
    parser.add_argument(
        "--active-days",
        type=int,
        default=90,
        help="Active if bought within this many days (default: 90)",
    )
    parser.add_argument(
        "--inactive-days",
        type=int,
        default=365,
        help="Inactive if bought within this many days, otherwise Museum (default: 365)",
    )
    parser.add_argument(
        "--memory-budget",
        type=byte_size,
        metavar="SIZE",
        help="memory one file may take to read and analyse, e.g. 4GiB or 512MiB; the "
        "limits on file size, rows and table size scale with it (rfm.Limits.memory_budget; "
        "default: 1GiB). Raise it on a larger machine when a file is refused as too large. "
        "Not used with --streaming, which reads in bounded memory",
    )
    parser.add_argument(
        "--streaming",
        action="store_true",
        help="for files larger than memory: summarise straight from a .parquet or .csv file "
        "on polars' streaming engine. Columns must already be canonical (or --map'ped) and "
        "typed; text dates need --date-format. No quality report: rows are not cleaned "
        "(rows without a customer id or date are counted and left out). The customers and "
        "headline figures are those of the in-memory path",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the pipeline for parsed arguments; returns the exit status."""
    import polars as pl

    from rfm.export import to_safe_csv
    from rfm.io import read_transactions
    from rfm.movement import segment_migration
    from rfm.scoring import score
    from rfm.segments import segment
    from rfm.summary import summarize
    from rfm.view import analysis_view

    if not args.input.exists():
        msg = f"Input file not found: {args.input}. Check the path."
        raise DataError(msg)
    fmt = args.format or (args.output.suffix.lower().lstrip(".") if args.output else None)
    if args.output is not None and fmt not in ("csv", "parquet"):
        msg = f"Output must be .csv or .parquet (or pass --format). Got {args.output.name!r}."
        raise DataError(msg)
    if args.forecast is not None and (args.streaming or args.forecast < 1):
        msg = (
            "--forecast DAYS needs a whole number of days >= 1 and the transactions in "
            f"memory (not --streaming). Got {args.forecast}."
        )
        raise DataError(msg)
    if args.compare_to is not None and args.streaming:
        msg = (
            "--compare-to segments the customers at two dates from the transactions in "
            "memory; drop --streaming to use it."
        )
        raise DataError(msg)
    report = None
    view = None
    unusable = 0
    streamed_counts: CustomerCounts | None = None
    streamed_kpis: Kpis | None = None
    if args.streaming:
        from rfm._summary_scan import scan_transactions

        try:
            scanned = scan_transactions(
                args.input, columns=_mapping(args.map), date_format=args.date_format
            )
            summary = summarize(scanned, as_of=args.as_of).collect(engine="streaming")
            streamed_counts, streamed_kpis, unusable = _streamed_accounts(
                scanned, summary, as_of=args.as_of, active_days=args.active_days
            )
        except pl.exceptions.PolarsError as error:
            # polars' own message is a query plan; say what the streaming path expects.
            first = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            msg = (
                f"--streaming could not read {args.input.name}: {first}. It reads "
                "comma-separated .csv (tab-separated .tsv) or .parquet files whose columns "
                "are canonical or --map'ped, with numeric amounts. Drop --streaming to "
                "read other files (semicolons, decimal commas, currency signs) in memory."
            )
            raise DataError(msg) from error
        customers = segment(
            score(summary, bins=args.bins),
            bins=args.bins,
            active_days=args.active_days,
            inactive_days=args.inactive_days,
        )
    else:
        options: dict[str, Any] = {"sheet": args.sheet} if args.sheet else {}
        if args.memory_budget is not None:
            from rfm.io.limits import Limits

            options["limits"] = Limits(memory_budget=args.memory_budget)
        result = read_transactions(
            args.input, columns=_mapping(args.map) or None, date_format=args.date_format, **options
        )
        report = result.report
        # The same analysis view the app draws from, so the figures agree with it.
        view = analysis_view(
            result.transactions,
            as_of=args.as_of,
            bins=args.bins,
            active_days=args.active_days,
            inactive_days=args.inactive_days,
        )
        customers = view.customers
    moved = None
    if args.compare_to is not None and view is not None:
        moved = segment_migration(
            view.transactions, earlier=args.compare_to, later=view.as_of, bins=args.bins
        )
        customers = customers.join(
            moved.customers.select("customer_id", "previous_segment", "segment_since"),
            on="customer_id",
            how="left",
            maintain_order="left",
        )
    forecast_note = None
    if args.forecast is not None and view is not None:
        customers, forecast_note = _with_forecast(view, customers, days=args.forecast)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            customers.write_parquet(args.output)
        else:
            args.output.write_bytes(to_safe_csv(customers))
    if not args.quiet:
        if report is not None:
            print(report)
        else:
            print("Streamed: no quality report (rows not cleaned).")
            if unusable:
                print(f"{unusable:,} rows without a customer id or date are not counted.")
        print()
        print(view.counts if view is not None else streamed_counts)
        print()
        print(view.kpis() if view is not None else streamed_kpis)
        print()
        counts = (
            customers.group_by("segment")
            .agg(pl.len().alias("customers"))
            .sort("customers", descending=True)
        )
        for name, n in counts.iter_rows():
            print(f"{name:<22}{n:>10,}")
        if moved is not None:
            changes = dict(moved.customers.group_by("change").agg(pl.len()).iter_rows())
            moves = ", ".join(f"{changes.get(c, 0):,} {c}" for c in ("up", "same", "down", "new"))
            print(f"\nSince {moved.earlier.isoformat()}: {moves}")
        if forecast_note is not None:
            print(f"\n{forecast_note}")
        if args.output is not None:
            print(f"\nWrote {customers.height:,} customers to {args.output}")
    return 0


def _streamed_accounts(
    scanned: pl.LazyFrame, summary: pl.DataFrame, *, as_of: dt.date | None, active_days: int
) -> tuple[CustomerCounts, Kpis, int]:
    """What the in-memory path prints from its analysis view, for a streamed file.

    One more streaming pass, grouped by customer, accounts for every customer seen as
    the view does (scored + only returns + only after the as-of date) and gives the
    headline figures over the lines on or before the as-of date with
    :mod:`rfm.measures` (revenue and quantity include the customers with only
    returns). Also returns the number of rows without a customer id or a date, which
    neither path can count anywhere.
    """
    import polars as pl

    from rfm import measures
    from rfm.columns import AMOUNT, CUSTOMER_ID, ORDER_DATE
    from rfm.kpis import Kpis, kpis
    from rfm.view import CustomerCounts

    columns = scanned.collect_schema().names()
    day = pl.col(ORDER_DATE).cast(pl.Date)
    usable = pl.col(CUSTOMER_ID).is_not_null() & day.is_not_null()
    rows = scanned.select(
        pl.col(CUSTOMER_ID).cast(pl.String),
        day.alias("__day"),
        pl.col(AMOUNT).cast(pl.Float64),
        measures.is_purchase(columns).alias("__buy"),
        *([pl.col("quantity").cast(pl.Float64)] if "quantity" in columns else []),
        usable.alias("__usable"),
    )
    # Rows without a date or customer id are only counted; a customer whose every row
    # lacks a date is not seen (the reader excludes such rows in memory too).
    usable = pl.col("__usable")
    in_window = usable if as_of is None else usable & (pl.col("__day") <= as_of)
    grouped = (
        rows.group_by(CUSTOMER_ID)
        .agg(
            (~usable).sum().alias("unusable"),
            usable.any().alias("seen"),
            in_window.any().alias("in_window"),
            (in_window & pl.col("__buy")).any().alias("bought"),
            pl.col(AMOUNT).filter(in_window).sum().alias("revenue"),
            (usable & ~in_window).sum().alias("rows_after"),
            *(
                [pl.col("quantity").filter(in_window).sum().alias("quantity")]
                if "quantity" in columns
                else []
            ),
        )
        .collect(engine="streaming")
    )
    unusable = int(grouped["unusable"].sum() or 0)
    per_customer = grouped.filter(pl.col("seen"))
    returns_only = per_customer.filter(pl.col("in_window") & ~pl.col("bought"))
    window = per_customer.filter(pl.col("in_window"))
    counts = CustomerCounts(
        seen=per_customer.height,
        scored=summary.height,
        returns_only=returns_only.height,
        returns_only_revenue=float(returns_only["revenue"].sum() or 0.0),
        after_as_of_only=per_customer.height - window.height,
        outside_segments=0,
        rows_after_as_of=int(per_customer["rows_after"].sum() or 0),
    )
    from_summary = kpis(summary, active_days=active_days)
    revenue = float(window["revenue"].sum() or 0.0)
    orders = from_summary.orders  # purchase orders per customer, as rfm.measures counts
    headline = Kpis(
        customers=from_summary.customers,
        orders=orders,
        revenue=revenue,
        quantity=float(window["quantity"].sum() or 0.0) if "quantity" in columns else None,
        avg_order_value=revenue / orders if orders else 0.0,
        orders_per_customer=from_summary.orders_per_customer,
        share_active=from_summary.share_active,
        active_days=active_days,
        returns_only_customers=counts.returns_only,
        returns_only_revenue=counts.returns_only_revenue,
    )
    return counts, headline, unusable


def _with_forecast(view: Any, customers: Any, *, days: int) -> tuple[Any, str]:
    """The customer table with forecasts over ``days``, and what to say about them."""

    from rfm.customers import customer_table
    from rfm.forecast import default_calibration_end
    from rfm.models import choose_purchase_model, horizon_warnings
    from rfm.models.diagnosis import history_phrase
    from rfm.models.gamma_gamma import fit_spend_model

    choice = choose_purchase_model(
        view.transactions,
        as_of=view.as_of,
        calibration_end=default_calibration_end(view.transactions),
        holdout_end=view.last_day,
    )
    purchase = choice.fit(view.customers)
    spend = fit_spend_model(view.customers)
    table = customer_table(view, purchase_model=purchase, spend_model=spend, horizon_days=days)
    extra = [c for c in customers.columns if c not in table.columns]
    if extra:  # e.g. previous_segment, segment_since from --compare-to
        table = table.join(customers.select("customer_id", *extra), on="customer_id", how="left")

    def stretch(first: dt.date, last: dt.date) -> str:
        return f"{history_phrase((last - first).days + 1)} ({first} to {last})"

    split = choice.split
    lines = [
        f"Forecast over the {days} days after {view.as_of} with {choice.name}, fitted on "
        f"{stretch(view.first_day, view.last_day)} of orders.",
        # The reason speaks of the check's own fit and holdout: name them.
        f"Model check, fitted on {stretch(view.first_day, split.calibration_end)} and checked "
        f"on the next {stretch(split.calibration_end + dt.timedelta(days=1), split.holdout_end)}: "
        f"{choice.reason}",
    ]
    diagnosis = purchase.diagnose()
    if not diagnosis.churn_estimable:
        lines.append(f"Churn is not estimable here: {diagnosis.message}")
    lines += horizon_warnings(
        history_days=max((view.as_of - view.first_day).days, 1),
        horizon_days=days,
        holdout_days=choice.split.holdout_days,
    )
    return table, "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m rfm`` and the ``rfm`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DataError as exc:
        hint = ""
        if getattr(exc, "limit", None) in _BUDGET_LIMITS:
            hint = " From the command line: --memory-budget SIZE, e.g. --memory-budget 4GiB."
        print(f"error: {exc}{hint}", file=sys.stderr)
        return EXIT_DATA_ERROR
