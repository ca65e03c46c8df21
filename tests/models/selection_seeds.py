"""How often does choose_purchase_model name the model the data were simulated from?

Run: ``python -m tests.models.selection_seeds [--seeds 20] [--customers 2000]``

Transactions are simulated event by event from each model (tests/models/simulate.py):
customers acquired over 2022, observed to the end of 2023; calibration to 2023-06-30,
holdout to 2023-12-31. Prints, per simulator, how often each model won and how often the
winner was of the simulator's drop-out family (BG/NBD and MBG/NBD: drop-out after
purchases; Pareto/NBD: drop-out in continuous time).

Result (20 seeds of 2,000 customers, seeds 100-119; run on 2026-12-06):

==========  ======  =======  ==========  =============  =============
simulator   BG/NBD  MBG/NBD  Pareto/NBD  exact model    family
==========  ======  =======  ==========  =============  =============
BG/NBD      18      2        0           18/20 (90 %)   20/20 (100 %)
MBG/NBD     0       18       2           18/20 (90 %)   18/20 (90 %)
Pareto/NBD  0       1        19          19/20 (95 %)   19/20 (95 %)
==========  ======  =======  ==========  =============  =============
"""

from __future__ import annotations

import argparse
from collections import Counter

import rfm
from tests.models.simulate import simulate_transactions
from tests.models.test_selection import AS_OF, CALIBRATION_END, PARAMS

FAMILY = {"bg/nbd": "beta-geometric", "mbg/nbd": "beta-geometric", "pareto/nbd": "pareto"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()
    for key, params in PARAMS.items():
        wins: Counter[str] = Counter()
        for seed in range(args.seeds):
            transactions = simulate_transactions(key, params, args.customers, seed=100 + seed)
            choice = rfm.choose_purchase_model(
                transactions, as_of=AS_OF, calibration_end=CALIBRATION_END
            )
            wins[choice.winner] += 1
        family = sum(n for winner, n in wins.items() if FAMILY[winner] == FAMILY[key])
        print(
            f"{key:<11} wins: {dict(wins)}; exact {wins[key]}/{args.seeds}, "
            f"family {family}/{args.seeds}",
            flush=True,
        )


if __name__ == "__main__":
    main()
