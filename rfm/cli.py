"""``python -m rfm``: segment a transactions file from the command line.

For scheduled jobs: read a file, write the scored and segmented customer table as CSV
or Parquet, print the quality report and the headline figures. Bad input exits with
status 1 and the same message the library raises.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rfm.columns import CANONICAL
from rfm.errors import DataError

EXIT_DATA_ERROR = 1


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
        "--streaming",
        action="store_true",
        help="for files larger than memory: summarise straight from a .parquet or .csv file "
        "on polars' streaming engine. Columns must already be canonical (or --map'ped) and "
        "typed; text dates need --date-format. No quality report: rows are not cleaned",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the pipeline for parsed arguments; returns the exit status."""
    import polars as pl

    from rfm.export import to_safe_csv
    from rfm.io import read_transactions
    from rfm.kpis import kpis
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
    if args.streaming:
        from rfm._summary_scan import scan_transactions

        scanned = scan_transactions(
            args.input, columns=_mapping(args.map), date_format=args.date_format
        )
        summary = summarize(scanned, as_of=args.as_of).collect(engine="streaming")
        customers = segment(
            score(summary, bins=args.bins),
            bins=args.bins,
            active_days=args.active_days,
            inactive_days=args.inactive_days,
        )
    else:
        options = {"sheet": args.sheet} if args.sheet else {}
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
        print(report if report is not None else "Streamed: no quality report (rows not cleaned).")
        print()
        if view is not None:
            print(view.counts)
            print()
            print(view.kpis())
        else:
            print(kpis(summary, active_days=args.active_days))
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


def _with_forecast(view: Any, customers: Any, *, days: int) -> tuple[Any, str]:
    """The customer table with forecasts over ``days``, and what to say about them."""

    from rfm.customers import customer_table
    from rfm.forecast import default_calibration_end
    from rfm.models import choose_purchase_model, horizon_warnings
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
    lines = [f"Forecast over {days} days with {choice.name}: {choice.reason}"]
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
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DATA_ERROR
