"""CMA-ES benchmark: sksearch's CmaEsSampler against Optuna's CmaEsSampler, the
``cmaes`` package driven directly, and sksearch's TPE.

Continuous and integer problems of ``problems.py`` plus a 20-D ellipsoid; simple
regret at the budgets, median over seeds; then per-trial overhead of each
sampler's whole loop. Optuna and cmaes are comparators only
(``pip install -e ".[bench]"``).

    python benchmarks/samplers_cmaes.py --seeds 10 --budgets 200,500
"""

import argparse
import os
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from problems import PROBLEMS, Problem  # noqa: E402

from sksearch import Study  # noqa: E402
from sksearch.distributions import Float, Int  # noqa: E402
from sksearch.samplers import CmaEsSampler, TPESampler  # noqa: E402


def ellipsoid20(p):
    x = np.array([p[f"x{i}"] for i in range(20)])
    return float(np.sum(10 ** (6 * np.arange(20) / 19) * x**2))


def integer_quadratic(p):
    return float(sum((p[f"n{i}"] - 3 * i) ** 2 for i in range(4)) + (p["x"] - 0.3) ** 2)


EXTRA = {
    "ellipsoid20": Problem("ellipsoid20", ellipsoid20, 0.0, "continuous",
                           {f"x{i}": Float(-5, 5) for i in range(20)}),
    "integer4": Problem("integer4", integer_quadratic, 0.0, "integer",
                        {**{f"n{i}": Int(-10, 20) for i in range(4)}, "x": Float(-1, 1)}),
}
SUITE = {name: p for name, p in {**PROBLEMS, **EXTRA}.items()
         if p.kind in ("continuous", "integer")}
ARMS = ("sksearch-cmaes", "optuna-cmaes", "cmaes-package", "sksearch-tpe")


def run_cmaes_package(problem, seed, n_trials):
    """The cmaes package driven directly in the unit box, values rounded like
    the samplers' (log and step through sksearch's own distributions)."""
    from cmaes import CMA

    names = sorted(problem.space)
    dists = [problem.space[n] for n in names]
    optimizer = CMA(mean=np.full(len(names), 0.5), sigma=0.3, seed=seed,
                    bounds=np.tile([0.0, 1.0], (len(names), 1)))
    values = []
    while len(values) < n_trials:
        told = []
        for _ in range(optimizer.population_size):
            x = optimizer.ask()
            params = {n: d.to_external(float(d._from_unit(v)))
                      for n, d, v in zip(names, dists, x)}
            value = problem.fn(params)
            told.append((x, value))
            values.append(value)
        optimizer.tell(told)
        if optimizer.should_stop():
            optimizer = CMA(mean=np.random.default_rng(seed).uniform(0.1, 0.9, len(names)),
                            sigma=0.3, seed=seed + len(values),
                            bounds=np.tile([0.0, 1.0], (len(names), 1)),
                            population_size=optimizer.population_size * 2)
    return np.array(values[:n_trials])


def run_study(arm, problem, seed, n_trials):
    if arm == "optuna-cmaes":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = optuna.samplers.CmaEsSampler(seed=seed, restart_strategy="ipop",
                                               warn_independent_sampling=False)
        study = optuna.create_study(direction="minimize", sampler=sampler)
    elif arm == "sksearch-cmaes":
        study = Study(direction="minimize", sampler=CmaEsSampler(seed=seed))
    else:
        study = Study(direction="minimize", sampler=TPESampler(seed=seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(problem.objective, n_trials=n_trials)
    return np.array([t.value for t in study.trials], dtype=float)


def run_job(job):
    name, arm, seed, n_trials = job
    problem = SUITE[name]
    if arm == "cmaes-package":
        values = run_cmaes_package(problem, seed, n_trials)
    else:
        values = run_study(arm, problem, seed, n_trials)
    return name, arm, np.minimum.accumulate(values) - problem.optimum


def overhead(n_trials):
    problem = SUITE["ellipsoid20"]
    print(f"\nWhole-loop ms per trial, {n_trials} trials on the instant 20-D ellipsoid")
    for arm in ("sksearch-cmaes", "optuna-cmaes", "cmaes-package"):
        start = time.perf_counter()
        if arm == "cmaes-package":
            run_cmaes_package(problem, 0, n_trials)
        else:
            run_study(arm, problem, 0, n_trials)
        print(f"  {arm:<16}{1000 * (time.perf_counter() - start) / n_trials:8.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="200,500")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--no-overhead", action="store_true")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    jobs = [(name, arm, seed, max(budgets)) for name in SUITE for arm in ARMS
            for seed in range(args.seeds)]
    with Pool(args.processes) as pool:
        results = pool.map(run_job, jobs, chunksize=1)
    regrets = {}
    for name, arm, curve in results:
        regrets.setdefault((name, arm), []).append(curve)
    print(f"Median simple regret over {args.seeds} seeds")
    print(f"{'problem':<19}" + "".join(f"{arm + ' @' + str(b):>24}" for b in budgets
                                       for arm in ARMS))
    wins = {b: 0 for b in budgets}
    for name in SUITE:
        cells = []
        for b in budgets:
            medians = {arm: np.median([c[b - 1] for c in regrets[(name, arm)]]) for arm in ARMS}
            wins[b] += medians["sksearch-cmaes"] <= medians["optuna-cmaes"]
            cells += [f"{medians[arm]:>24.4g}" for arm in ARMS]
        print(f"{name:<19}" + "".join(cells))
    for b in budgets:
        print(f"sksearch CMA-ES no worse than Optuna's CmaEsSampler at {b} trials on "
              f"{wins[b]} of {len(SUITE)} problems")
    if not args.no_overhead:
        overhead(max(budgets))


if __name__ == "__main__":
    main()
