"""Pruning inside folds: iterative estimators scored after each increment.

For each task (an iterative estimator on a shipped dataset) and seed, a fixed
outer split is made first; every arm then searches the training part with the
same sampler, seed, n_iter and CV, and its refitted winner is scored on the
held-out part. Arms:

- ``none``: no pruning (with increments, so the fold's model is the same one);
- ``halving/folds``: successive halving with rungs at whole folds only (1, 3,
  9 folds), the pruning BayesSearchCV does without ``increments``;
- ``halving/increments``, ``median/increments``, ``hyperband/increments``:
  the same pruners deciding after every increment, inside folds;
  ``halving-from-2/increments`` puts halving's first rung at two increments.

"work" counts increments run: a whole fold is ``k`` of them, and an increment
of a warm-started ensemble costs about 1/k of the fold's fit. Medians over seeds.

    python benchmarks/pruning_increments.py --seeds 3 --n-iter 20
"""

import argparse
import inspect
import sys
import time
from multiprocessing import Pool

import numpy as np
from _timing import timed_fit
from scipy.stats import loguniform, randint, uniform
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.ensemble import (
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sksearch import BayesSearchCV
from sksearch.pruners import HyperbandPruner, MedianPruner, SuccessiveHalvingPruner

ARMS = ["none", "halving/folds", "halving/increments", "halving-from-2/increments",
        "median/increments", "hyperband/increments"]


def tasks():
    X_digits, y_digits = load_digits(return_X_y=True)
    return {
        "forest-digits": (
            RandomForestClassifier(n_estimators=60, random_state=0),
            {"max_features": uniform(0.05, 0.9), "min_samples_leaf": randint(1, 30),
             "max_depth": randint(2, 20)},
            X_digits, y_digits, "accuracy", {"n_estimators": 4}),
        "hgb-breast_cancer": (
            HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0),
            {"learning_rate": loguniform(1e-3, 1.0), "max_leaf_nodes": randint(2, 64),
             "min_samples_leaf": randint(1, 60), "l2_regularization": loguniform(1e-6, 10)},
            *load_breast_cancer(return_X_y=True), "roc_auc", {"max_iter": 4}),
        "gbr-diabetes": (
            GradientBoostingRegressor(n_estimators=80, random_state=0),
            {"learning_rate": loguniform(1e-3, 1.0), "max_depth": randint(1, 6),
             "subsample": uniform(0.3, 0.7)},
            *load_diabetes(return_X_y=True), "r2", {"n_estimators": 4}),
        "sgd-digits": (
            SGDClassifier(random_state=0),
            {"alpha": loguniform(1e-7, 1.0), "loss": ["hinge", "log_loss", "modified_huber"],
             "penalty": ["l2", "l1", "elasticnet"]},
            X_digits / 16.0, y_digits, "accuracy", {"partial_fit": 8}),
    }


def arm_settings(arm, increments):
    """(pruner, increments) of an arm; fold-level halving on a partial_fit task
    keeps the increments (they are its training procedure) with rungs at whole
    folds."""
    k = next(iter(increments.values()))
    if arm == "none":
        return None, increments
    if arm == "halving/folds":
        if "partial_fit" in increments:
            return SuccessiveHalvingPruner(min_resource=k), increments
        return SuccessiveHalvingPruner(), None
    if arm == "halving-from-2/increments":
        return SuccessiveHalvingPruner(min_resource=2), increments
    pruner = {"halving": SuccessiveHalvingPruner, "median": MedianPruner,
              "hyperband": HyperbandPruner}[arm.split("/")[0]]()
    return pruner, increments


def run_job(job):
    # One thread per process: OpenMP estimators (HistGradientBoosting) in two
    # processes on two cores would otherwise spin against each other.
    with threadpool_limits(1):
        return _run_job(job)


def _run_job(job):
    task_name, cv, seed, n_iter = job
    started = time.perf_counter()
    estimator, space, X, y, scoring, increments = tasks()[task_name]
    k = next(iter(increments.values()))
    stratify = y if scoring != "r2" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify)
    rows = []
    for arm in ARMS:
        pruner, arm_increments = arm_settings(arm, increments)
        search = BayesSearchCV(estimator, space, n_iter=n_iter, cv=cv, scoring=scoring,
                               pruner=pruner, increments=arm_increments, random_state=seed)
        seconds = timed_fit(search, X_train, y_train)
        work = search.n_increments_ if arm_increments else search.n_fold_fits_ * k
        rows.append((task_name, seed, arm, work, seconds, search.best_score_,
                     search.score(X_test, y_test)))
    print(f"  {task_name} seed {seed}: {time.perf_counter() - started:.0f} s", file=sys.stderr,
          flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-iter", type=int, default=20)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    jobs = [(t, args.cv, seed, args.n_iter) for t in tasks() for seed in range(args.seeds)]
    with Pool(args.processes) as pool:
        rows = [row for result in pool.imap_unordered(run_job, jobs) for row in result]

    sampler = inspect.signature(BayesSearchCV).parameters["sampler"].default
    print(f"n_iter={args.n_iter}, cv={args.cv}, sampler={sampler!r} (BayesSearchCV's "
          f"default), median over {args.seeds} seeds; "
          "work = increments run (a fold = k); test = held-out score of the refitted "
          "winner, delta in points vs no pruning")
    print(f"{'task':<19}{'arm':<27}{'work':>7}{'saved':>7}{'wall s':>8}{'best CV':>9}"
          f"{'test':>8}{'delta':>8}")
    summary = {}
    for task_name in tasks():
        by_arm = {arm: [r for r in rows if r[0] == task_name and r[2] == arm] for arm in ARMS}
        base_work = np.median([r[3] for r in by_arm["none"]])
        base_test = {r[1]: r[6] for r in by_arm["none"]}
        base_wall = np.median([r[4] for r in by_arm["none"]])
        for arm in ARMS:
            arm_rows = by_arm[arm]
            work = np.median([r[3] for r in arm_rows])
            wall = np.median([r[4] for r in arm_rows])
            delta = np.median([100 * (r[6] - base_test[r[1]]) for r in arm_rows])
            summary.setdefault(arm, []).append((1 - work / base_work, wall / base_wall, delta))
            print(f"{task_name:<19}{arm:<27}{work:>7.0f}{1 - work / base_work:>7.0%}"
                  f"{wall:>8.2f}{np.median([r[5] for r in arm_rows]):>9.4f}"
                  f"{np.median([r[6] for r in arm_rows]):>8.4f}{delta:>+8.2f}")
    print("\nAcross tasks: median work saved, median wall ratio vs none, median held-out "
          "change (points)")
    for arm in ARMS[1:]:
        values = np.array(summary[arm])
        print(f"  {arm:<27} saved {np.median(values[:, 0]):>5.0%}   wall "
              f"{np.median(values[:, 1]):.2f}x   test {np.median(values[:, 2]):+.2f}")


if __name__ == "__main__":
    main()
