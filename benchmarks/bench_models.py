"""Fit + predict time of rfm's purchase models against lifetimes, at 100k and 1.4M customers.

For each model (BG/NBD, MBG/NBD, Pareto/NBD) both libraries start from the same simulated
whole-day customer summary (BG/NBD process, r=0.25, alpha=30 days, a=0.8, b=2.5; tenures
1-365 days) and do the same work: fit, then P(alive) and the expected purchases over 90
days for every customer. rfm's fit also runs its diagnosis (the no-drop-out NBD
comparison), and rfm additionally predicts the probability of no purchase in 90 days
(timed apart, "rfm no-purchase"). lifetimes gets the per-customer arrays (its usual use)
and runs with BLAS limited to one thread (its idle BLAS threads otherwise busy-wait on a
shared machine). lifetimes runs at the sizes up to ``--lifetimes-max`` (default 100k;
its Pareto/NBD and MBG/NBD take minutes beyond that).

The cost of :func:`rfm.choose_purchase_model` is, per candidate, one fit and one
expected-purchases prediction on the calibration summary (plus one summarize of the
transactions, outside the models): the "rfm fit + predict" column.

A second section times :func:`rfm.choose_purchase_model` itself on simulated transactions
(tests/models/simulate.py, Pareto/NBD process) of ``--choose-customers`` customers: the
split (summarize at the calibration end, holdout counts), the three fits on its default
random subset of 200,000 customers, and the holdout forecasts.

Run: python benchmarks/bench_models.py [--sizes 100000 1400000] [--lifetimes-max 100000]
     [--choose-customers 1400000] [--only-choose]
Writes benchmarks/results/models.md (``--only-choose`` replaces just the second section).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

import rfm
from rfm.models.beta_geo import BetaGeoParams, simulate_summary

RESULTS = Path(__file__).resolve().parent / "results" / "models.md"
TRUE = BetaGeoParams(r=0.25, alpha=30.0, a=0.8, b=2.5)
HORIZON_DAYS = 90.0
MODELS = {
    "BG/NBD": (rfm.BetaGeo, "BetaGeoFitter"),
    "MBG/NBD": (rfm.ModifiedBetaGeo, "ModifiedBetaGeoFitter"),
    "Pareto/NBD": (rfm.ParetoNBD, "ParetoNBDFitter"),
}


def _timed(function: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock and process CPU seconds (all threads) of one run."""
    start, start_cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - start, time.process_time() - start_cpu, result


def _rfm(model_class: Any, summary: Any) -> tuple[Any, dict[str, float]]:
    model = model_class().fit(summary)
    model.p_alive(summary)
    model.expected_purchases(summary, HORIZON_DAYS)
    return model, model.params_.as_dict()


def _lifetimes(fitter_name: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> dict[str, float]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        import lifetimes

        fitter = getattr(lifetimes, fitter_name)().fit(x, t_x, T)
        fitter.conditional_probability_alive(x, t_x, T)
        fitter.conditional_expected_number_of_purchases_up_to_time(HORIZON_DAYS, x, t_x, T)
    return {k: float(v) for k, v in fitter.params_.items()}


CHOOSE_HEADING = "## Choosing the model: choose_purchase_model"


def _choose_section(customers: int) -> list[str]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.models.simulate import simulate_transactions

    params = {"r": 0.5, "alpha": 20.0, "s": 0.8, "beta": 60.0}
    transactions = simulate_transactions("pareto/nbd", params, customers, seed=0)
    wall, cpu, choice = _timed(
        lambda: rfm.choose_purchase_model(
            transactions, as_of="2024-01-01", calibration_end="2023-06-30"
        )
    )
    print(
        f"choose_purchase_model on {customers:,} customers ({transactions.height:,} rows): "
        f"{wall:.1f} s wall, {cpu:.1f} s CPU; winner {choice.name}",
        flush=True,
    )
    return [
        "",
        CHOOSE_HEADING,
        "",
        f"{customers:,} simulated customers (Pareto/NBD process), {transactions.height:,} "
        "transactions over two years; calibration to 2023-06-30, holdout to 2023-12-31. "
        "The call splits the transactions, fits the three candidates on its default random "
        "subset of 200,000 customers (penalizers only if needed), forecasts the holdout and "
        f"diagnoses each fit. Load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| customers | transactions | wall (s) | CPU (s) | winner | reason |",
        "|---:|---:|---:|---:|---|---|",
        f"| {customers:,} | {transactions.height:,} | {wall:.1f} | {cpu:.1f} | {choice.name} "
        f"| {choice.reason} |",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_400_000])
    parser.add_argument("--lifetimes-max", type=int, default=100_000)
    parser.add_argument("--choose-customers", type=int, default=1_400_000)
    parser.add_argument("--only-choose", action="store_true")
    args = parser.parse_args(argv)
    if args.only_choose:
        text = RESULTS.read_text()
        kept = text.split("\n" + CHOOSE_HEADING)[0].rstrip("\n")
        RESULTS.write_text(kept + "\n" + "\n".join(_choose_section(args.choose_customers)) + "\n")
        print(f"wrote {RESULTS}")
        return

    rows = []
    for size in args.sizes:
        summary = simulate_summary(TRUE, size, max_tenure_days=365, random_state=0)
        x = (summary["purchase_days"] - 1).to_numpy().astype(float)
        T = summary["tenure_days"].to_numpy().astype(float)
        t_x = T - summary["recency_days"].to_numpy().astype(float)
        for name, (model_class, fitter_name) in MODELS.items():
            ours_s, ours_cpu, (model, ours) = _timed(lambda m=model_class, s=summary: _rfm(m, s))
            none_s, _, _ = _timed(
                lambda m=model, s=summary: m.no_purchase_probability(s, HORIZON_DAYS)
            )
            theirs_s = theirs_cpu = worst = None
            if size <= args.lifetimes_max:
                with threadpool_limits(limits=1, user_api="blas"):
                    theirs_s, theirs_cpu, theirs = _timed(
                        lambda f=fitter_name, x=x, t_x=t_x, T=T: _lifetimes(f, x, t_x, T)
                    )
                worst = max(abs(ours[k] / theirs[k] - 1) for k in ours)
            rows.append(
                (name, size, ours_s, ours_cpu, none_s, theirs_s, theirs_cpu, worst,
                 model.diagnose().status)
            )  # fmt: skip
            ratio = f"{theirs_s / ours_s:.1f}x" if theirs_s else "-"
            print(
                f"{name:<11} {size:>9,}: rfm {ours_s:6.2f} s (cpu {ours_cpu:.2f}), no-purchase "
                f"{none_s:.2f} s, lifetimes {theirs_s if theirs_s is None else round(theirs_s, 2)}"
                f" s, ratio {ratio}, max parameter difference {worst}",
                flush=True,
            )

    def cell(value: float | None, fmt: str) -> str:
        return "not run" if value is None else format(value, fmt)

    lines = [
        "# Models benchmark: fit + predict per purchase model, rfm vs lifetimes",
        "",
        "Command: `python benchmarks/bench_models.py` "
        f"(sizes {', '.join(f'{s:,}' for s in args.sizes)}; lifetimes up to "
        f"{args.lifetimes_max:,} customers)",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared by several engineers: "
        f"wall-clock times are inflated, CPU times less so), Python "
        f"{platform.python_version()}; one run each.",
        "",
        "Work: fit on a simulated whole-day summary (BG/NBD process r=0.25, alpha=30 days, "
        "a=0.8, b=2.5; tenures 1-365 days), then P(alive) and expected purchases in 90 days "
        "for every customer. rfm's fit includes its diagnosis; 'rfm no-purchase' is the "
        "extra P(no purchase in 90 days). lifetimes 0.11.3 runs with BLAS limited to one "
        "thread. A choice among the three models costs one 'fit + predict' per candidate.",
        "",
        "| model | customers | rfm fit + predict wall (s) | rfm CPU (s) | rfm no-purchase wall (s) "
        "| lifetimes wall (s) | lifetimes CPU (s) | speed-up (wall) | speed-up (CPU) "
        "| max relative parameter "
        "difference | rfm diagnosis |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, size, ours_s, ours_cpu, none_s, theirs_s, theirs_cpu, worst, status in rows:
        speed = "-" if theirs_s is None else f"{theirs_s / ours_s:.1f}x"
        speed_cpu = "-" if theirs_cpu is None else f"{theirs_cpu / ours_cpu:.1f}x"
        lines.append(
            f"| {name} | {size:,} | {ours_s:.2f} | {ours_cpu:.2f} | {none_s:.2f} "
            f"| {cell(theirs_s, '.2f')} | {cell(theirs_cpu, '.2f')} | {speed} | {speed_cpu} "
            f"| {cell(worst, '.1e')} | {status} |"
        )
    lines += [
        "",
        "Parameters: the last-but-one column compares rfm's and lifetimes' estimates (both "
        "maximum likelihood; lifetimes' Pareto/NBD uses Nelder-Mead, which stops earlier). "
        "The data come from a BG/NBD process, so the MBG/NBD and Pareto/NBD are fitted to "
        "data not their own. Predictions at 1.4M customers are computed once per distinct "
        "(x, t_x, T) history (about 220k here).",
    ]
    lines += _choose_section(args.choose_customers)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
