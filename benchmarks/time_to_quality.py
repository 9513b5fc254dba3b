"""How soon does BayesSearchCV reach what RandomizedSearchCV(n_iter=60) finds?

For each task (shipped datasets) and seed, in the same run:

1. RandomizedSearchCV(n_iter=60, cv=5, n_jobs=2): its best CV score (the
   *target*), its whole wall time (search and refit) and its held-out score;
2. BayesSearchCV (default sampler, halving pruner, the same space, n_iter=60,
   cv=5, n_jobs=2) with a callback that notes the wall time at which the best
   complete candidate first reaches the target exactly, and stops the search
   there; its held-out score is that of the refitted best candidate.

Reported: time to the target (plus BayesSearchCV's refit) as a fraction of
RandomizedSearchCV's wall, whether it was reached at all (else the whole
search's time counts), and held-out scores. Medians over tasks and seeds.

    python benchmarks/time_to_quality.py --seeds 2
"""

import argparse
import inspect
import statistics
import time
import warnings

import numpy as np
from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sksearch import BayesSearchCV


def _tasks():
    digits = load_digits(return_X_y=True)
    cancer = load_breast_cancer(return_X_y=True)
    wine = load_wine(return_X_y=True)
    return {
        "svc-digits": (digits, SVC(), {"C": loguniform(1e-2, 1e3),
                                       "gamma": loguniform(1e-5, 1e-1)}),
        "hgb-cancer": (cancer, HistGradientBoostingClassifier(early_stopping=False,
                                                              random_state=0),
                       {"learning_rate": loguniform(0.01, 0.5),
                        "max_leaf_nodes": randint(4, 64),
                        "min_samples_leaf": randint(5, 80),
                        "max_iter": randint(20, 150),
                        "l2_regularization": loguniform(1e-4, 10)}),
        "forest-wine": (wine, RandomForestClassifier(random_state=0),
                        {"n_estimators": randint(10, 200), "max_depth": randint(1, 12),
                         "min_samples_leaf": randint(1, 10),
                         "max_features": loguniform(0.1, 1.0)}),
        "logreg-digits": (digits, make_pipeline(StandardScaler(),
                                                LogisticRegression(max_iter=300)),
                          {"logisticregression__C": loguniform(1e-4, 1e2)}),
    }


class _Reached:
    """Callback: note when the best complete candidate reaches ``target``."""

    def __init__(self, target, start):
        self.target, self.start, self.when = target, start, None

    def __call__(self, study, trial):
        if (self.when is None and trial.state.name == "COMPLETE"
                and trial.value >= self.target):
            self.when = time.perf_counter() - self.start
            study.stop()


def run(task, seed, n_jobs, sampler=None):
    (X, y), estimator, space = _tasks()[task]
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        random = RandomizedSearchCV(estimator, space, n_iter=60, cv=5, n_jobs=n_jobs,
                                    random_state=seed).fit(X_train, y_train)
        random_wall = time.perf_counter() - start
        target = random.best_score_
        start = time.perf_counter()
        reached = _Reached(target, start)
        options = {} if sampler is None else {"sampler": sampler}
        bayes = BayesSearchCV(estimator, space, n_iter=60, cv=5, n_jobs=n_jobs,
                              pruner="halving", random_state=seed,
                              callbacks=[reached], **options).fit(X_train, y_train)
        bayes_wall = time.perf_counter() - start
    to_target = (reached.when + bayes.refit_time_) if reached.when is not None else bayes_wall
    return {"fraction": to_target / random_wall, "reached": reached.when is not None,
            "random_wall": random_wall, "bayes_wall": bayes_wall,
            "random_test": random.score(X_test, y_test),
            "bayes_test": bayes.score(X_test, y_test),
            "bayes_fits": bayes.n_fold_fits_, "target": target,
            "bayes_best": bayes.best_score_}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--tasks", default=",".join(_tasks()))
    parser.add_argument("--sampler", default=None,
                        help="BayesSearchCV's sampler (default: its default, 'auto')")
    args = parser.parse_args()
    sampler = args.sampler or inspect.signature(BayesSearchCV).parameters["sampler"].default
    print(f"n_jobs={args.n_jobs}, RandomizedSearchCV(n_iter=60) vs BayesSearchCV({sampler}, "
          "halving, n_iter=60, stopped at the target), cv=5")
    print(f"{'task':<14} {'seed':>4} {'target':>7} {'random s':>8} {'to target':>9} "
          f"{'reached':>7} {'bayes fits':>10} {'held-out random':>15} {'bayes':>6}")
    rows = []
    for task in args.tasks.split(","):
        for seed in range(args.seeds):
            r = run(task, seed, args.n_jobs, args.sampler)
            rows.append(r)
            print(f"{task:<14} {seed:>4} {r['target']:>7.4f} {r['random_wall']:>8.1f} "
                  f"{r['fraction']:>8.2f}x {str(r['reached']):>7} {r['bayes_fits']:>10} "
                  f"{r['random_test']:>15.4f} {r['bayes_test']:>6.4f}", flush=True)
    fractions = [r["fraction"] for r in rows]
    diffs = [r["bayes_test"] - r["random_test"] for r in rows]
    print(f"median time to RandomizedSearchCV's best CV score: "
          f"{statistics.median(fractions):.2f}x its wall; reached in "
          f"{sum(r['reached'] for r in rows)}/{len(rows)} runs; median held-out "
          f"difference (bayes - random): {statistics.median(diffs):+.4f}; "
          f"mean {np.mean(diffs):+.4f}")


if __name__ == "__main__":
    main()
