"""Does a warm start from a study on a subsample reach the cold search's best sooner?

For each task and seed:

1. *prior*: BayesSearchCV (TPE) on a random 25% of the training data, ``n_iter``
   candidates; its study is the warm start (its cost is reported too);
2. *cold*: BayesSearchCV (TPE) on all the training data, ``n_iter`` candidates;
   its best CV score is the *target*;
3. *warm*: the same search with ``warm_start_from=`` the prior study.

All at ``n_jobs=1`` (sequential: fold fits and wall times in trial order).
Reported, medians over seeds: fold fits (and wall seconds, from the search's
start to the end of the candidate) until a candidate first reaches the
target -- the cold search's own, and the warm one's (a warm search that never
reaches it counts its whole budget) -- and how often the warm one reached it.

    python benchmarks/warm_start.py            # 5 seeds, n_iter=30, cv=5
    python benchmarks/warm_start.py --quick    # 2 seeds, n_iter=12, cv=3
    python benchmarks/warm_start.py --task SVC/digits --seeds 5 --n-iter 20 --cv 3
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.svm import SVC

from sksearch import BayesSearchCV
from sksearch.distributions import Float, Int


def _tasks():
    digits = load_digits(return_X_y=True)
    cancer = load_breast_cancer(return_X_y=True)
    return {
        "SVC/digits": (digits, SVC(), {"C": Float(1e-2, 1e3, log=True),
                                       "gamma": Float(1e-5, 1e-1, log=True)}),
        "HGB/cancer": (cancer, HistGradientBoostingClassifier(early_stopping=False,
                                                              random_state=0),
                       {"learning_rate": Float(0.01, 0.5, log=True),
                        "max_leaf_nodes": Int(4, 64, log=True),
                        "min_samples_leaf": Int(5, 80, log=True),
                        "max_iter": Int(20, 150, log=True)}),
    }


def _reach(search, started, target):
    """(fold fits, wall seconds) when a candidate of ``search`` first reached
    ``target``, in trial order; ``None`` if none did."""
    results = search.cv_results_
    spent = np.cumsum([np.sum(~np.isnan([results[f"split{k}_test_score"][i]
                                         for k in range(search.n_splits_)]))
                       for i in range(len(results["params"]))])
    reached = np.flatnonzero(results["mean_test_score"] >= target - 1e-12)
    if not len(reached):
        return None
    first = int(reached[0])
    candidates = [t for t in search.study_.trials if "sksearch:folds" in t.system_attrs]
    wall = candidates[first].datetime_complete.timestamp() - started
    return int(spent[first]), wall


def _fit(search, X, y):
    started = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    return search, started, time.time() - started


def run(task, seed, n_iter, cv):
    (X, y), estimator, space = _tasks()[task]
    rng = np.random.default_rng(seed)
    subsample = rng.choice(len(y), size=len(y) // 4, replace=False)

    def search(**kwargs):
        return BayesSearchCV(estimator, space, n_iter=n_iter, cv=cv, random_state=seed,
                             refit=False, n_jobs=1, **kwargs)

    prior, _, prior_wall = _fit(search(), X[subsample], y[subsample])
    cold, cold_start, cold_wall = _fit(search(), X, y)
    warm, warm_start, warm_wall = _fit(search(warm_start_from=prior), X, y)
    target = cold.best_score_
    cold_fits, cold_seconds = _reach(cold, cold_start, target)
    reached = _reach(warm, warm_start, target)
    return {"prior_fits": prior.n_fold_fits_, "prior_wall": prior_wall,
            "cold_fits": cold_fits, "cold_wall": cold_seconds,
            "warm_fits": reached[0] if reached else warm.n_fold_fits_,
            "warm_wall": reached[1] if reached else warm_wall,
            "reached": reached is not None, "cold_best": target,
            "warm_best": warm.best_score_, "budget": cold.n_fold_fits_}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 seeds, n_iter=12, cv=3")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--n-iter", type=int, default=None)
    parser.add_argument("--cv", type=int, default=None)
    parser.add_argument("--task", choices=sorted(_tasks()), action="append",
                        help="run only this task (repeatable; default: all)")
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    n_iter = args.n_iter or (12 if args.quick else 30)
    cv = args.cv or (3 if args.quick else 5)
    print(f"{seeds} seeds, n_iter={n_iter}, cv={cv}, n_jobs=1; the prior study: the same "
          "search on 25% of the data\n")
    header = (f"{'task':<12}{'cold fits':>10}{'warm fits':>10}{'cold s':>8}{'warm s':>8}"
              f"{'reached':>9}{'cold best':>11}{'warm best':>11}{'prior fits':>11}"
              f"{'prior s':>9}")
    print(header)
    summary = []
    for task in args.task or list(_tasks()):
        rows = [run(task, seed, n_iter, cv) for seed in range(seeds)]
        for seed, row in enumerate(rows):
            print(f"  seed {seed}: cold reached its best after {row['cold_fits']} fold fits "
                  f"({row['cold_wall']:.1f} s); warm after {row['warm_fits']} "
                  f"({row['warm_wall']:.1f} s){'' if row['reached'] else ' (never)'}",
                  flush=True)

        def med(key, rows=rows):
            return statistics.median(row[key] for row in rows)

        line = (f"{task:<12}{med('cold_fits'):>10.0f}{med('warm_fits'):>10.0f}"
                f"{med('cold_wall'):>8.1f}{med('warm_wall'):>8.1f}"
                f"{sum(r['reached'] for r in rows):>6}/{len(rows):<2}"
                f"{med('cold_best'):>11.4f}{med('warm_best'):>11.4f}"
                f"{med('prior_fits'):>11.0f}{med('prior_wall'):>9.1f}")
        summary.append(line)
        print(line, flush=True)
    print("\n" + header + "\n" + "\n".join(summary))
    print("(medians over seeds; a warm search that never reached the target counts its "
          "whole budget and wall)")


if __name__ == "__main__":
    main()
