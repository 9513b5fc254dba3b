"""What a fixed window costs a sequential search: TPE proposing each trial
without the results of the ``K - 1`` before it (``BayesSearchCV(window=K)``).

A window of ``K`` is what makes a learning sampler's results the same for
every ``n_jobs`` (docs/design.md); here it runs on one worker, so only its
cost to sample efficiency shows. Each arm keeps ``K`` trials pending through
the ask/tell interface (TPE's constant liar sees them as running), exactly as
the scheduler's window does. Simple regret (best value minus the optimum) on
the synthetic suite of ``problems.py`` at 30, 60 and 100 trials, median over
seeds, and each window's median regret over the sequential one's (K=1),
with its geometric mean over the problems.

    python benchmarks/window.py --seeds 10
"""

import argparse
import collections
import math
import os
import statistics
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from problems import PROBLEMS  # noqa: E402

from sksearch import Study  # noqa: E402
from sksearch.samplers import TPESampler  # noqa: E402

BUDGETS = (30, 60, 100)
WINDOWS = (1, 2, 4, 8)


def run(problem, window, seed, n_trials):
    """The best value after each trial, with ``window`` trials pending."""
    study = Study(direction="minimize", sampler=TPESampler(seed=seed))
    pending = collections.deque()
    best, curve = math.inf, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while len(curve) < n_trials:
            while len(pending) < window and len(curve) + len(pending) < n_trials:
                trial = study.ask()
                pending.append((trial, problem.objective(trial)))
            trial, value = pending.popleft()
            study.tell(trial, value)
            best = min(best, value)
            curve.append(best - problem.optimum)
    return curve


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--windows", default=",".join(map(str, WINDOWS)))
    args = parser.parse_args()
    windows = [int(w) for w in args.windows.split(",")]
    regret = {}  # (problem, window, budget) -> median regret
    for name, problem in PROBLEMS.items():
        for window in windows:
            curves = [run(problem, window, seed, max(BUDGETS)) for seed in range(args.seeds)]
            for budget in BUDGETS:
                regret[name, window, budget] = statistics.median(c[budget - 1] for c in curves)
    print(f"TPE, median simple regret over {args.seeds} seeds; ratio = window K / sequential")
    print(f"{'problem':<18} {'K':>2} " + " ".join(f"{f'@{b}':>10} {'ratio':>6}" for b in BUDGETS))
    for name in PROBLEMS:
        for window in windows:
            cells = []
            for budget in BUDGETS:
                value, base = regret[name, window, budget], regret[name, windows[0], budget]
                cells.append(f"{value:>10.4g} {_ratio(value, base):>6.2f}")
            print(f"{name:<18} {window:>2} " + " ".join(cells))
    print("geometric mean of the ratios over the problems:")
    for window in windows[1:]:
        means = []
        for budget in BUDGETS:
            logs = [math.log(max(_ratio(regret[n, window, budget], regret[n, windows[0], budget]),
                                 1e-12)) for n in PROBLEMS]
            means.append(f"@{budget}: {math.exp(sum(logs) / len(logs)):.2f}")
        print(f"  K={window}: " + ", ".join(means))


def _ratio(value, base):
    # regrets of 0 (an optimum hit exactly) count as 1e-12
    return max(value, 1e-12) / max(base, 1e-12)


if __name__ == "__main__":
    main()
