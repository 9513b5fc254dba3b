"""CMA-ES benchmark: sksearch's CmaEsSampler against Optuna's CmaEsSampler, the
``cmaes`` package driven directly, and sksearch's TPE.

Continuous and integer problems of ``problems.py`` plus a 20-D ellipsoid; simple
regret at the budgets, median over seeds. ``sksearch-cmaes`` is the default
sampler (lq surrogate); ``sksearch-plain`` is plain CMA-ES (``surrogate=None``),
and ``sksearch-bipop`` / ``sksearch-lra`` are plain CMA-ES with BIPOP restarts
or learning-rate adaptation (not in the default arms); then a noisy problem,
scored by the true value of the best observed trial (what ``best_params``
returns); then per-trial overhead of each sampler's whole loop (``--overhead`` runs
only that: the 20-D ellipsoid and a 10-D mixed space with a categorical, at
each budget, repeated and interleaved so that every arm meets the same load).
Optuna and cmaes are comparators only (``pip install -e ".[bench]"``).

Comparison rule: two medians that are both below ``TIE`` are a tie (both solved
the problem to a precision no hyperparameter needs); otherwise the lower median
wins, and a two-sided Mann-Whitney U p-value over the seeds says whether the
difference is more than seed noise.

    python benchmarks/samplers_cmaes.py --seeds 10 --budgets 200,500

Other seeds, problems and arms, and which two arms the last column compares,
e.g. an option against the default on the seeds reserved for choosing options
(100 and up; the reported tables use 0-9):

    python benchmarks/samplers_cmaes.py --first-seed 100 --seeds 20 --problems continuous
        --arms sksearch-cmaes,sksearch-bipop --compare sksearch-bipop,sksearch-cmaes
        --no-overhead

Per-trial cost only (ms per trial, median of 3 interleaved repeats):

    python benchmarks/samplers_cmaes.py --overhead --budgets 200,500 --repeats 3
"""

import argparse
import os
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from problems import NOISY, PROBLEMS, Problem  # noqa: E402
from scipy.stats import mannwhitneyu  # noqa: E402

from sksearch import Study  # noqa: E402
from sksearch._box import value_at  # noqa: E402
from sksearch.distributions import Categorical, Float, Int  # noqa: E402
from sksearch.samplers import CmaEsSampler, TPESampler  # noqa: E402


def ellipsoid20(p):
    x = np.array([p[f"x{i}"] for i in range(20)])
    return float(np.sum(10 ** (6 * np.arange(20) / 19) * x**2))


def integer_quadratic(p):
    return float(sum((p[f"n{i}"] - 3 * i) ** 2 for i in range(4)) + (p["x"] - 0.3) ** 2)


_KIND_OFFSET = {"a": 0.0, "b": 0.7, "c": 1.5}


def mixed10(p):
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(np.sum((x - 1.0) ** 2) + (np.log10(p["lr"]) + 2) ** 2 + (p["n"] - 7) ** 2 / 10
                 + (p["s"] - 35) ** 2 / 400 + _KIND_OFFSET[p["kind"]])


# The overhead's mixed space: six floats, a log float, an int, a stepped int and
# a three-way categorical (which CMA-ES hands to its independent sampler: TPE
# in sksearch, random sampling in Optuna). Not in the regret suite.
MIXED10 = Problem("mixed10", mixed10, 0.0, "mixed", {
    **{f"x{i}": Float(-5, 5) for i in range(6)}, "lr": Float(1e-4, 1.0, log=True),
    "n": Int(0, 20), "s": Int(0, 100, step=5), "kind": Categorical(["a", "b", "c"])})

EXTRA = {
    "ellipsoid20": Problem("ellipsoid20", ellipsoid20, 0.0, "continuous",
                           {f"x{i}": Float(-5, 5) for i in range(20)}),
    "integer4": Problem("integer4", integer_quadratic, 0.0, "integer",
                        {**{f"n{i}": Int(-10, 20) for i in range(4)}, "x": Float(-1, 1)}),
}
SUITE = {name: p for name, p in {**PROBLEMS, **EXTRA}.items()
         if p.kind in ("continuous", "integer")}
ALL = {**SUITE, **NOISY}
ARMS = ("sksearch-cmaes", "sksearch-plain", "optuna-cmaes", "cmaes-package", "sksearch-tpe")
NOISY_ARMS = ("sksearch-cmaes", "sksearch-plain", "optuna-cmaes", "sksearch-tpe")
TIE = 1e-6


def run_cmaes_package(problem, seed, n_trials):
    """The cmaes package driven directly in the unit box, values rounded like
    the samplers' (log and step through sksearch's own distributions)."""
    from cmaes import CMA

    names = sorted(problem.space)
    dists = [problem.space[n] for n in names]
    optimizer = CMA(mean=np.full(len(names), 0.5), sigma=0.3, seed=seed,
                    bounds=np.tile([0.0, 1.0], (len(names), 1)))
    values, points = [], []
    while len(values) < n_trials:
        told = []
        for _ in range(optimizer.population_size):
            x = optimizer.ask()
            params = {n: d.to_external(float(value_at(d, v)))
                      for n, d, v in zip(names, dists, x)}
            value = problem.fn(params)
            told.append((x, value))
            values.append(value)
            points.append(params)
        optimizer.tell(told)
        if optimizer.should_stop():
            optimizer = CMA(mean=np.random.default_rng(seed).uniform(0.1, 0.9, len(names)),
                            sigma=0.3, seed=seed + len(values),
                            bounds=np.tile([0.0, 1.0], (len(names), 1)),
                            population_size=optimizer.population_size * 2)
    return np.array(values[:n_trials]), points[:n_trials]


SKSEARCH_ARMS = {"sksearch-cmaes": {}, "sksearch-plain": {"surrogate": None},
                 "sksearch-bipop": {"restart_strategy": "bipop", "surrogate": None},
                 "sksearch-lra": {"lr_adapt": True, "surrogate": None}}


def run_study(arm, problem, seed, n_trials, batch=1):
    """One study; with ``batch > 1``, trials are asked ``batch`` at a time and
    told together, as ``BayesSearchCV(n_jobs=batch)`` runs candidates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if arm in ("optuna-cmaes", "optuna-lra"):
            import optuna

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            # Optuna 5 ignores restart_strategy (deprecated): its CMA-ES never
            # restarts; its categoricals go to its default independent sampler
            sampler = optuna.samplers.CmaEsSampler(seed=seed, restart_strategy="ipop",
                                                   lr_adapt=arm == "optuna-lra",
                                                   warn_independent_sampling=False)
            study = optuna.create_study(direction="minimize", sampler=sampler)
        elif arm in SKSEARCH_ARMS:
            study = Study(direction="minimize",
                          sampler=CmaEsSampler(seed=seed, **SKSEARCH_ARMS[arm]))
        else:
            study = Study(direction="minimize", sampler=TPESampler(
                seed=seed, multivariate=arm != "sksearch-tpe-indep"))
        if batch == 1:
            study.optimize(problem.objective, n_trials=n_trials)
        while len(study.trials) < n_trials:
            trials = [study.ask() for _ in range(min(batch, n_trials - len(study.trials)))]
            for trial, value in [(t, problem.objective(t)) for t in trials]:
                study.tell(trial, value)
    return (np.array([t.value for t in study.trials], dtype=float),
            [t.params for t in study.trials])


def run_job(job):
    """Regret curve of one run: best value so far, or for a noisy problem the
    true value of the best observed trial so far (and of each trial)."""
    name, arm, seed, n_trials, batch = job
    problem = ALL[name]
    if arm == "cmaes-package":
        values, params = run_cmaes_package(problem, seed, n_trials)
    else:
        values, params = run_study(arm, problem, seed, n_trials, batch)
    true_fn = getattr(problem, "true_fn", None)
    if true_fn is None:
        return name, arm, np.minimum.accumulate(values) - problem.optimum, None
    true = np.array([true_fn(p) for p in params]) - problem.optimum
    best = np.array([np.argmin(values[: i + 1]) for i in range(len(values))])
    return name, arm, true[best], true


def compare(ours, theirs):
    """'tie', 'win' or 'loss' of one arm's median against another's (by default
    sksearch's against Optuna's), and the Mann-Whitney p-value of the
    difference."""
    a, b = np.median(ours), np.median(theirs)
    p = mannwhitneyu(ours, theirs, alternative="two-sided").pvalue
    if a < TIE and b < TIE:
        return "tie", p
    return ("win" if a <= b else "loss"), p


# the last arm is TPE sampling each parameter on its own (multivariate=False),
# the path CmaEsSampler's categoricals take
OVERHEAD_ARMS = ("sksearch-cmaes", "sksearch-plain", "optuna-cmaes", "cmaes-package",
                 "sksearch-tpe-indep")


def overhead(budgets, repeats=3):
    """Whole-loop ms per trial (instant objectives, seed 0, one process) on the
    20-D ellipsoid and the 10-D mixed space, at each budget: the median of
    ``repeats`` runs, the arms interleaved within each repeat so that a busy
    machine slows them alike. The last column is sksearch's default over
    Optuna's CMA-ES. The ``cmaes`` package has no categorical, so it runs on
    the continuous problem only; ``sksearch-tpe-indep`` is
    ``TPESampler(multivariate=False)``, the independent sampling that
    CmaEsSampler hands its categoricals to."""
    problems = (SUITE["ellipsoid20"], MIXED10)
    for arm in OVERHEAD_ARMS[:3]:  # imports and first-call set-ups are not timed
        run_study(arm, MIXED10, 0, 30)
    times = {}
    for _ in range(repeats):
        for problem in problems:
            for n_trials in budgets:
                for arm in OVERHEAD_ARMS:
                    if arm == "cmaes-package" and problem.kind != "continuous":
                        continue
                    start = time.perf_counter()
                    if arm == "cmaes-package":
                        run_cmaes_package(problem, 0, n_trials)
                    else:
                        run_study(arm, problem, 0, n_trials)
                    times.setdefault((problem.name, n_trials, arm), []).append(
                        1000 * (time.perf_counter() - start) / n_trials)
    print(f"\nWhole-loop ms per trial, instant objective, seed 0; median of {repeats}")
    print(f"{'problem':<13}{'trials':>7}" + "".join(f"{arm:>19}" for arm in OVERHEAD_ARMS)
          + f"{'cmaes/optuna':>14}")
    for problem in problems:
        for n_trials in budgets:
            cells = {arm: np.median(times[(problem.name, n_trials, arm)])
                     for arm in OVERHEAD_ARMS if (problem.name, n_trials, arm) in times}
            print(f"{problem.name:<13}{n_trials:>7}"
                  + "".join(f"{cells[arm]:>19.2f}" if arm in cells else f"{'-':>19}"
                            for arm in OVERHEAD_ARMS)
                  + f"{cells['sksearch-cmaes'] / cells['optuna-cmaes']:>14.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budgets", default="200,500")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--no-overhead", action="store_true")
    parser.add_argument("--overhead", action="store_true",
                        help="only the per-trial cost table (ellipsoid20 and mixed10)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="runs per cell of the per-trial cost table (median)")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds are first-seed, ..., first-seed + seeds - 1")
    parser.add_argument("--problems", default="all",
                        help="comma-separated names, 'continuous' (SUITE only) or 'all'")
    parser.add_argument("--arms", default=",".join(ARMS),
                        help=f"comma-separated, of {', '.join(ARMS)}")
    parser.add_argument("--batch", type=int, default=1,
                        help="trials asked and told together (parallel candidates)")
    parser.add_argument("--compare", default="sksearch-cmaes,optuna-cmaes",
                        help="the two arms of the W/T/L column")
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    if args.overhead:
        overhead(budgets, args.repeats)
        return
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    wanted = {"all": list(ALL), "continuous": list(SUITE)}.get(
        args.problems, args.problems.split(","))
    suite = [name for name in SUITE if name in wanted]
    noisy = [name for name in NOISY if name in wanted]
    arms = tuple(args.arms.split(","))
    ours, theirs = args.compare.split(",")
    noisy_arms = NOISY_ARMS if args.arms == ",".join(ARMS) else arms
    jobs = [(name, arm, seed, max(budgets), args.batch) for name in suite for arm in arms
            for seed in seeds]
    jobs += [(name, arm, seed, max(budgets), args.batch) for name in noisy
             for arm in noisy_arms for seed in seeds]
    with Pool(args.processes) as pool:
        results = pool.map(run_job, jobs, chunksize=1)
    regrets, trues = {}, {}
    for name, arm, curve, true in results:
        regrets.setdefault((name, arm), []).append(curve)
        trues.setdefault((name, arm), []).append(true)
    print(f"Median simple regret over seeds {seeds.start}-{seeds.stop - 1}; {ours} vs "
          f"{theirs}: W/T/L (tie: both < {TIE:g}) and Mann-Whitney p")
    for b in budgets:
        print(f"\n@{b} trials")
        print(f"{'problem':<19}" + "".join(f"{arm:>18}" for arm in arms) + f"   vs {theirs}")
        tally = {}
        for name in suite:
            at = {arm: [c[b - 1] for c in regrets[(name, arm)]] for arm in arms}
            outcome, p = compare(at[ours], at[theirs])
            tally[outcome] = tally.get(outcome, 0) + 1
            print(f"{name:<19}" + "".join(f"{np.median(at[arm]):>18.3g}" for arm in arms)
                  + f"   {outcome} p={p:.2f}")
        print(f"{ours} vs {theirs} at {b} trials: "
              f"{tally.get('win', 0)} wins, {tally.get('tie', 0)} ties, "
              f"{tally.get('loss', 0)} losses of {len(suite)} problems")
    for name in noisy:
        print(f"\n{name}: true regret of the best observed trial (best_params), and "
              f"median true regret of the last 10% of trials (where the search is)")
        print(f"{'arm':<19}" + "".join(f"{'best @' + str(b):>14}{'last @' + str(b):>14}"
                                       for b in budgets))
        for arm in noisy_arms:
            cells = ""
            for b in budgets:
                last = [np.median(t[b - b // 10: b]) for t in trues[(name, arm)]]
                cells += (f"{np.median([c[b - 1] for c in regrets[(name, arm)]]):>14.3g}"
                          f"{np.median(last):>14.3g}")
            print(f"{arm:<19}" + cells)
    if not args.no_overhead:
        overhead(budgets, args.repeats)


if __name__ == "__main__":
    main()
