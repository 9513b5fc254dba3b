"""Sampler benchmark: sksearch TPE against random search and Optuna's TPE.

Three parts, each selectable:

* ``--regret``: the synthetic suite of ``problems.py``; simple regret (best value
  minus the optimum) at 50/100/200 trials, median and IQR over seeds.
* ``--overhead``: milliseconds per trial of the whole ask/tell loop on an
  instant objective over a 10-D mixed space, at 200 and 1000 trials.
* ``--tuning``: real tuning through BayesSearchCV vs RandomizedSearchCV vs
  Optuna's OptunaSearchCV on shipped datasets (``benchmarks/tuning.py``).

Optuna is a comparator only (``pip install -e ".[bench]"``).

    python benchmarks/samplers.py --regret --seeds 10
    python benchmarks/samplers.py --overhead
    python benchmarks/samplers.py --tuning --seeds 3
"""

import argparse
import os
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from problems import PROBLEMS  # noqa: E402

from sksearch import Study  # noqa: E402
from sksearch.samplers import RandomSampler, TPESampler  # noqa: E402

BUDGETS = (50, 100, 200)


def _optuna_study(seed, **tpe_kwargs):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, **tpe_kwargs)
    return optuna.create_study(direction="minimize", sampler=sampler)


def make_arm(arm, seed):
    """A fresh minimising study for ``arm`` with an ``optimize`` method."""
    if arm == "sksearch-tpe":
        return Study(direction="minimize", sampler=TPESampler(seed=seed))
    if arm == "sksearch-random":
        return Study(direction="minimize", sampler=RandomSampler(seed=seed))
    if arm == "optuna-tpe":
        return _optuna_study(seed)
    if arm == "optuna-tpe-mv":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _optuna_study(seed, multivariate=True, group=True)
    raise ValueError(arm)


def run_one(job):
    problem_name, arm, seed, n_trials = job
    problem = PROBLEMS[problem_name]
    study = make_arm(arm, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(problem.objective, n_trials=n_trials)
    values = np.array([t.value for t in study.trials], dtype=float)
    best_so_far = np.minimum.accumulate(values)
    return problem_name, arm, seed, [float(best_so_far[b - 1] - problem.optimum)
                                     for b in BUDGETS if b <= n_trials]


def regret_table(arms, seeds, processes):
    jobs = [(p, arm, seed, max(BUDGETS)) for p in PROBLEMS for arm in arms
            for seed in seeds]
    with Pool(processes) as pool:
        results = pool.map(run_one, jobs, chunksize=1)
    regrets = {}
    for problem_name, arm, _, values in results:
        regrets.setdefault((problem_name, arm), []).append(values)
    print(f"Simple regret, median [IQR] over {len(seeds)} seeds")
    header = f"{'problem':<19}{'arm':<17}" + "".join(f"{'@' + str(b):>24}" for b in BUDGETS)
    print(header)
    for problem_name in PROBLEMS:
        for arm in arms:
            values = np.array(regrets[(problem_name, arm)])
            cells = []
            for j in range(values.shape[1]):
                q1, med, q3 = np.percentile(values[:, j], [25, 50, 75])
                cells.append(f"{med:10.4g} [{q1:.3g}, {q3:.3g}]".rjust(24))
            print(f"{problem_name:<19}{arm:<17}" + "".join(cells))
    if {"sksearch-tpe", "optuna-tpe"} <= set(arms):
        print("\nAt 100 trials: median regret ratio sksearch-tpe / optuna-tpe "
              "(< 1 is better) and vs random")
        wins = 0
        for problem_name in PROBLEMS:
            ours = np.median(np.array(regrets[(problem_name, "sksearch-tpe")])[:, 1])
            theirs = np.median(np.array(regrets[(problem_name, "optuna-tpe")])[:, 1])
            ratio = (ours + 1e-9) / (theirs + 1e-9)
            wins += ours <= theirs
            line = f"  {problem_name:<19} ratio {ratio:6.2f}"
            if "sksearch-random" in arms:
                rand = np.median(np.array(regrets[(problem_name, "sksearch-random")])[:, 1])
                line += f"   vs random {(ours + 1e-9) / (rand + 1e-9):6.2f}"
            print(line)
        print(f"  no worse than Optuna TPE on {wins} of {len(PROBLEMS)} problems")


def overhead_space(trial):
    params = {f"x{i}": trial.suggest_float(f"x{i}", -5, 5) for i in range(4)}
    params.update({f"l{i}": trial.suggest_float(f"l{i}", 1e-4, 1e2, log=True)
                   for i in range(2)})
    params.update({f"n{i}": trial.suggest_int(f"n{i}", 1, 100) for i in range(2)})
    params.update({f"c{i}": trial.suggest_categorical(f"c{i}", ["a", "b", "c", "d"])
                   for i in range(2)})
    return params


def overhead_objective(trial):
    p = overhead_space(trial)
    return float(sum(p[f"x{i}"] ** 2 for i in range(4)) + np.log(p["l0"]) ** 2
                 + (p["n0"] - 50) ** 2 / 100 + (p["c0"] != "a"))


def overhead_table(counts):
    print("Whole-loop milliseconds per trial on an instant 10-D mixed objective")
    print(f"{'trials':>7}{'sksearch-tpe':>15}{'optuna-tpe':>13}{'ratio':>8}")
    for n in counts:
        times = {}
        for arm in ("sksearch-tpe", "optuna-tpe"):
            study = make_arm(arm, 0)
            start = time.perf_counter()
            study.optimize(overhead_objective, n_trials=n)
            times[arm] = 1000 * (time.perf_counter() - start) / n
        print(f"{n:>7}{times['sksearch-tpe']:>15.2f}{times['optuna-tpe']:>13.2f}"
              f"{times['sksearch-tpe'] / times['optuna-tpe']:>8.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regret", action="store_true")
    parser.add_argument("--overhead", action="store_true")
    parser.add_argument("--tuning", action="store_true")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="tune defaults on seeds >= 100, report on 0..")
    parser.add_argument("--arms", default="sksearch-tpe,sksearch-random,optuna-tpe,optuna-tpe-mv")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--overhead-trials", default="200,1000")
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if not (args.regret or args.overhead or args.tuning):
        args.regret = args.overhead = True
    if args.regret:
        regret_table(args.arms.split(","), seeds, args.processes)
    if args.overhead:
        overhead_table([int(n) for n in args.overhead_trials.split(",")])
    if args.tuning:
        from tuning import tuning_table

        tuning_table(seeds, processes=args.processes)


if __name__ == "__main__":
    main()
