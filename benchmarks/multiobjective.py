"""Multi-objective benchmark: sksearch TPE and NSGA-II against Optuna's.

Three parts, each selectable:

* ``--hypervolume``: ZDT1 and ZDT2 (2 objectives, 6 variables), DTLZ2 (3
  objectives, 6 variables), with their Pareto sets moved off the box centre
  and edges (the distance variables are optimal at a per-variable shift, not
  at 0 or 0.5), and the constrained Binh-Korn problem; 200 trials per run;
  median [IQR] over seeds of the hypervolume of the final feasible front, for
  sksearch's TPESampler and NSGAIISampler and Optuna's TPESampler and
  NSGAIISampler (default settings all, population 50 for both NSGA-IIs).
* ``--overhead``: milliseconds per trial of the whole ask/tell loop of
  multi-objective TPE on an instant two-objective function, at 500 trials.
* ``--search``: BayesSearchCV(objectives=["accuracy", "fit_time"]) with
  HistGradientBoostingClassifier on digits: hypervolume of the front
  (accuracy up, mean fit time down) for TPE, NSGA-II and random search.

Optuna is a comparator only (``pip install -e ".[bench]"``).

    python benchmarks/multiobjective.py --seeds 7
    python benchmarks/multiobjective.py --quick
"""

import argparse
import json
import math
import os
import sys
import time
import warnings
from multiprocessing import Pool

import numpy as np

from sksearch import Study
from sksearch.multiobjective import hypervolume
from sksearch.samplers import NSGAIISampler, TPESampler

ARMS = ("sksearch-tpe", "sksearch-nsga2", "optuna-tpe", "optuna-nsga2")
N_VARIABLES = 6
# the optimal value of each distance variable: off the centre and the edges
SHIFT = np.array([0.0, 0.23, 0.71, 0.36, 0.64, 0.18])


class Problem:
    def __init__(self, name, n_objectives, reference, sample, evaluate, constraints=None):
        self.name, self.n_objectives, self.reference = name, n_objectives, np.array(reference)
        self.sample, self.evaluate, self.constraints = sample, evaluate, constraints


def _unit_box(trial):
    return np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(N_VARIABLES)])


def _zdt_g(x):
    return 1.0 + 9.0 * np.mean(np.abs(x[1:] - SHIFT[1:]) / np.maximum(SHIFT[1:],
                                                                      1 - SHIFT[1:]))


def zdt1(x):
    g = _zdt_g(x)
    return (x[0], g * (1.0 - np.sqrt(x[0] / g)))


def zdt2(x):
    g = _zdt_g(x)
    return (x[0], g * (1.0 - (x[0] / g) ** 2))


def dtlz2(x):
    g = np.sum((x[2:] - SHIFT[2:]) ** 2)
    a, b = x[0] * np.pi / 2, x[1] * np.pi / 2
    return ((1 + g) * np.cos(a) * np.cos(b), (1 + g) * np.cos(a) * np.sin(b),
            (1 + g) * np.sin(a))


def _binh_korn_box(trial):
    return np.array([trial.suggest_float("x", 0.0, 5.0), trial.suggest_float("y", 0.0, 3.0)])


def binh_korn(v):
    x, y = v
    return (4 * x ** 2 + 4 * y ** 2, (x - 5) ** 2 + (y - 5) ** 2)


def binh_korn_constraints(v):
    x, y = v
    # feasible when <= 0: (x-5)^2 + y^2 <= 25 and (x-8)^2 + (y+3)^2 >= 7.7
    return ((x - 5) ** 2 + y ** 2 - 25.0, 7.7 - (x - 8) ** 2 - (y + 3) ** 2)


PROBLEMS = {
    "ZDT1": Problem("ZDT1", 2, [1.1, 10.0], _unit_box, zdt1),
    "ZDT2": Problem("ZDT2", 2, [1.1, 10.0], _unit_box, zdt2),
    "DTLZ2": Problem("DTLZ2", 3, [2.5, 2.5, 2.5], _unit_box, dtlz2),
    "BinhKorn": Problem("BinhKorn", 2, [140.0, 50.0], _binh_korn_box, binh_korn,
                        binh_korn_constraints),
}


def linear_forgetting(n, keep=25):
    """Bad-set weights, oldest first: the ``keep`` latest weigh 1, older ones
    linearly less down to 1/n (Bergstra et al. 2013); ``--tpe-forgetting``."""
    if n < keep:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - keep), np.ones(keep)])


#: Options of sksearch's TPESampler for the settings tried on development seeds
#: (``--tpe-options``, ``--tpe-forgetting``, ``--tpe-gamma``); empty: its defaults.
TPE_OPTIONS = {}


def tpe_options(options_json, forgetting, gamma_fraction):
    options = json.loads(options_json) if options_json else {}
    if forgetting:
        options["weights"] = linear_forgetting
    if gamma_fraction is not None:
        options["gamma"] = lambda n: min(max(int(math.ceil(gamma_fraction * n)), 1), 25)
    return options


def make_study(arm, problem, seed, tpe=None):
    """A study of ``arm`` with an ``optimize(objective, n_trials)``."""
    directions = ["minimize"] * problem.n_objectives
    constraints = None
    if problem.constraints is not None:
        def constraints(frozen):
            return list(frozen.user_attrs["constraints"])
    if arm.startswith("sksearch"):
        sampler = TPESampler(seed=seed, **(tpe or {})) if arm == "sksearch-tpe" \
            else NSGAIISampler(seed=seed)
        return Study(directions=directions, sampler=sampler, constraints_func=constraints)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cls = optuna.samplers.TPESampler if arm == "optuna-tpe" else optuna.samplers.NSGAIISampler
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sampler = cls(seed=seed, constraints_func=constraints)
    return optuna.create_study(directions=directions, sampler=sampler)


def objective_of(problem):
    def objective(trial):
        x = problem.sample(trial)
        if problem.constraints is not None:
            trial.set_user_attr("constraints", [float(c) for c in problem.constraints(x)])
        return tuple(float(v) for v in problem.evaluate(x))
    return objective


def final_hypervolume(problem, trials):
    points = []
    for t in trials:
        if t.values is None or str(t.state).split(".")[-1] != "COMPLETE":
            continue
        if problem.constraints is not None and any(
                c > 0 for c in t.user_attrs["constraints"]):
            continue
        points.append(t.values)
    if not points:
        return 0.0
    return hypervolume(np.array(points), problem.reference)


def run_one(job):
    problem_name, arm, seed, n_trials = job
    problem = PROBLEMS[problem_name]
    study = make_study(arm, problem, seed, TPE_OPTIONS)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective_of(problem), n_trials=n_trials)
    wall = time.perf_counter() - start
    return problem_name, arm, seed, final_hypervolume(problem, study.trials), wall


def hypervolume_table(arms, seeds, n_trials, processes, problems=tuple(PROBLEMS)):
    jobs = [(p, arm, seed, n_trials) for p in problems for arm in arms for seed in seeds]
    with Pool(processes) as pool:
        results = pool.map(run_one, jobs, chunksize=1)
    by_cell, walls = {}, {}
    for problem_name, arm, _, hv, wall in results:
        by_cell.setdefault((problem_name, arm), []).append(hv)
        walls.setdefault((problem_name, arm), []).append(wall)
    print(f"Hypervolume of the final feasible front after {n_trials} trials, "
          f"median [IQR] over {len(seeds)} seeds (larger is better); median wall s per run")
    print(f"{'problem':<10}" + "".join(f"{arm:>30}" for arm in arms))
    for problem_name in problems:
        cells = []
        for arm in arms:
            values = np.array(by_cell[(problem_name, arm)])
            q1, med, q3 = np.percentile(values, [25, 50, 75])
            wall = np.median(walls[(problem_name, arm)])
            cells.append(f"{med:.4g} [{q1:.4g}, {q3:.4g}] {wall:5.1f}s".rjust(30))
        print(f"{problem_name:<10}" + "".join(cells))
    ours = [a for a in arms if a.startswith("sksearch")]
    theirs = [a for a in arms if a.startswith("optuna")]
    if ours and theirs:
        print("\nBetter sksearch sampler vs better Optuna sampler (medians)")
        n_more = n_lost = 0
        for problem_name in problems:
            best_ours = max(ours, key=lambda a: np.median(by_cell[(problem_name, a)]))
            best_theirs = max(theirs, key=lambda a: np.median(by_cell[(problem_name, a)]))
            a = np.median(by_cell[(problem_name, best_ours)])
            b = np.median(by_cell[(problem_name, best_theirs)])
            verdict = "more" if a > b else ("equal" if a == b else "LESS")
            n_more += a > b
            n_lost += a < b
            print(f"  {problem_name:<10} {best_ours} {a:.4g} vs {best_theirs} {b:.4g}: {verdict}")
        print(f"  more on {n_more}, less on {n_lost} of {len(problems)} problems")


def overhead_table(n_trials, repeats):
    print(f"Whole-loop milliseconds per trial of multi-objective TPE, {n_trials} trials, "
          f"instant ZDT1 (6 variables), best of {repeats}")
    problem = PROBLEMS["ZDT1"]
    times = {}
    for arm in ("sksearch-tpe", "optuna-tpe"):
        best = np.inf
        for r in range(repeats):
            study = make_study(arm, problem, r)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                study.optimize(objective_of(problem), n_trials=n_trials)
            best = min(best, time.perf_counter() - start)
        times[arm] = 1000 * best / n_trials
    ratio = times["sksearch-tpe"] / times["optuna-tpe"]
    print(f"  sksearch-tpe {times['sksearch-tpe']:.2f} ms, optuna-tpe "
          f"{times['optuna-tpe']:.2f} ms, ratio {ratio:.3f} (target <= 0.5)")


def search_table(n_iter, seeds):
    from sklearn.datasets import load_digits
    from sklearn.ensemble import HistGradientBoostingClassifier

    from sksearch import BayesSearchCV
    from sksearch.distributions import Float, Int

    X, y = load_digits(return_X_y=True)
    space = {"max_iter": Int(10, 200, log=True), "max_depth": Int(2, 10),
             "learning_rate": Float(0.01, 0.5, log=True), "max_leaf_nodes": Int(4, 64, log=True)}
    print(f"BayesSearchCV(objectives=['accuracy', 'fit_time']) on digits, "
          f"HistGradientBoosting, n_iter={n_iter}, cv=3: hypervolume of the front in "
          "(1 - accuracy, mean fit s) with reference (0.2, 2.0); median over seeds "
          f"{list(seeds)}")
    for sampler in ("tpe", "nsga2", "random"):
        hvs, sizes, walls = [], [], []
        for seed in seeds:
            chosen = NSGAIISampler(population_size=10, seed=seed) if sampler == "nsga2" \
                else sampler
            search = BayesSearchCV(HistGradientBoostingClassifier(random_state=0), space,
                                   scoring=["accuracy"], objectives=["accuracy", "fit_time"],
                                   refit="accuracy", n_iter=n_iter, cv=3, sampler=chosen,
                                   random_state=seed, n_jobs=1)
            start = time.perf_counter()
            search.fit(X, y)
            walls.append(time.perf_counter() - start)
            res = search.cv_results_
            front = search.pareto_front_
            points = np.column_stack([1 - res["mean_test_accuracy"][front],
                                      res["mean_fit_time"][front]])
            hvs.append(hypervolume(points, [0.2, 2.0]))
            sizes.append(len(front))
        print(f"  {sampler:<7} hypervolume {np.median(hvs):.4f} (each {np.round(hvs, 4)}), "
              f"front size {np.median(sizes):.0f}, wall {np.median(walls):.0f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hypervolume", action="store_true")
    parser.add_argument("--overhead", action="store_true")
    parser.add_argument("--search", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="2 seeds, 60 trials, overhead at 150 trials, small search")
    parser.add_argument("--seeds", type=int, default=7)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="choose settings on seeds >= 100, report on 0..")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--overhead-trials", type=int, default=500)
    parser.add_argument("--overhead-repeats", type=int, default=1)
    parser.add_argument("--search-iter", type=int, default=20)
    parser.add_argument("--search-seeds", type=int, default=1)
    parser.add_argument("--tpe-options", default="",
                        help='JSON keyword arguments of sksearch TPESampler, e.g. '
                             '\'{"multivariate": false, "n_ei_candidates": 48}\'')
    parser.add_argument("--tpe-forgetting", action="store_true",
                        help="sksearch TPE's bad set forgets old trials linearly")
    parser.add_argument("--tpe-gamma", type=float, default=None,
                        help="sksearch TPE's good set: ceil(fraction * n), at most 25")
    args = parser.parse_args()
    # module state, so that the worker processes (fork) see it too
    TPE_OPTIONS.update(tpe_options(args.tpe_options, args.tpe_forgetting, args.tpe_gamma))
    if args.quick:
        args.seeds, args.trials, args.overhead_trials = 2, 60, 150
        args.search_iter, args.search_seeds = 8, 1
    if not (args.hypervolume or args.overhead or args.search):
        args.hypervolume = args.overhead = args.search = True
    print(f"python {' '.join(sys.argv)}  (pid {os.getpid()})")
    if args.hypervolume:
        seeds = list(range(args.first_seed, args.first_seed + args.seeds))
        hypervolume_table(args.arms.split(","), seeds, args.trials,
                          args.processes, args.problems.split(","))
    if args.overhead:
        overhead_table(args.overhead_trials, args.overhead_repeats)
    if args.search:
        search_table(args.search_iter, range(args.search_seeds))


if __name__ == "__main__":
    main()
