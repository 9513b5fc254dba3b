"""Fold-level pruning benchmark: fold fits saved and what it costs in quality.

For each task (a shipped dataset, an estimator and a space), each CV setting
and each seed, a fixed outer split is made first; then every arm searches the
training part with the same sampler, seed and n_iter, and its refitted winner is
scored on the held-out part. Arms: no pruning, each pruner, and scikit-learn's
HalvingRandomSearchCV with as many candidates. Medians over seeds.

    python benchmarks/pruning.py --seeds 5 --n-iter 30
    python benchmarks/pruning.py --grids      # bound pruner vs GridSearchCV, exact
"""

import argparse
import time
from multiprocessing import Pool

import numpy as np
from _timing import timed_fit
from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, HalvingRandomSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sksearch import BayesSearchCV
from sksearch.pruners import SuccessiveHalvingPruner

ARMS = ["none", "median", "percentile", "halving", "hyperband", "wilcoxon", "bound",
        "halving-no-repeats"]


def make_pruner(arm):
    """The arm's pruner: a name with its defaults, or halving without the
    repeat rule (to show what that rule contributes)."""
    if arm == "none":
        return None
    if arm == "halving-no-repeats":
        return SuccessiveHalvingPruner(repeat_steps=None)
    return arm


def tasks():
    X_digits, y_digits = load_digits(return_X_y=True)
    return {
        "svc-digits": (SVC(), {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1)},
                       X_digits, y_digits, "accuracy"),
        "logreg-breast_cancer": (
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
            {"logisticregression__C": loguniform(1e-4, 1e2)},
            *load_breast_cancer(return_X_y=True), "roc_auc"),
        "knn-wine": (make_pipeline(StandardScaler(), KNeighborsClassifier()),
                     {"kneighborsclassifier__n_neighbors": randint(1, 60),
                      "kneighborsclassifier__weights": ["uniform", "distance"],
                      "kneighborsclassifier__p": [1, 2]},
                     *load_wine(return_X_y=True), "accuracy"),
        "ridge-diabetes": (Ridge(), {"alpha": loguniform(1e-4, 1e4)},
                           *load_diabetes(return_X_y=True), "r2"),
    }


def run_job(job):
    task_name, cv, seed, n_iter, sampler, n_jobs = job
    estimator, space, X, y, scoring = tasks()[task_name]
    stratify = y if scoring != "r2" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=stratify)
    rows = []
    for arm in ARMS:
        search = BayesSearchCV(estimator, space, n_iter=n_iter, cv=cv, scoring=scoring,
                               sampler=sampler, pruner=make_pruner(arm),
                               random_state=seed, n_jobs=n_jobs)
        seconds = timed_fit(search, X_train, y_train)
        rows.append((task_name, cv, seed, arm, search.n_fold_fits_, seconds,
                     search.best_score_, search.score(X_test, y_test)))
    halving = HalvingRandomSearchCV(estimator, space, n_candidates=n_iter, cv=cv,
                                    scoring=scoring, random_state=seed, n_jobs=n_jobs)
    seconds = timed_fit(halving, X_train, y_train)
    rows.append((task_name, cv, seed, "HalvingRandomSearchCV",
                 int(np.sum(halving.n_candidates_)) * cv, seconds, halving.best_score_,
                 halving.score(X_test, y_test)))
    return rows


GRIDS = {
    "svc-digits": (SVC(), {"C": [0.1, 1, 10, 100], "gamma": [1e-4, 1e-3, 1e-2, 1e-1]},
                   "digits", "accuracy"),
    "logreg-breast_cancer": (make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
                             {"logisticregression__C": list(np.logspace(-4, 2, 13))},
                             "breast_cancer", "roc_auc"),
    "knn-wine": (make_pipeline(StandardScaler(), KNeighborsClassifier()),
                 {"kneighborsclassifier__n_neighbors": [1, 3, 5, 9, 15, 25, 40, 60],
                  "kneighborsclassifier__weights": ["uniform", "distance"]},
                 "wine", "accuracy"),
}


def grid_table(cvs):
    """The bound pruner against GridSearchCV on full grids: same winner, fewer fits."""
    loaders = {"digits": load_digits, "breast_cancer": load_breast_cancer, "wine": load_wine}
    print(f"{'grid':<22}{'cv':>4}{'points':>8}{'fits':>7}{'saved':>7}{'same best':>11}"
          f"{'wall ratio':>12}")
    for name, (estimator, grid, data, scoring) in GRIDS.items():
        X, y = loaders[data](return_X_y=True)
        for cv in cvs:
            start = time.perf_counter()
            theirs = GridSearchCV(estimator, grid, cv=cv, scoring=scoring).fit(X, y)
            grid_seconds = time.perf_counter() - start
            start = time.perf_counter()
            ours = BayesSearchCV(estimator, grid, sampler="grid", n_iter=None, pruner="bound",
                                 cv=cv, scoring=scoring).fit(X, y)
            seconds = time.perf_counter() - start
            n_points = len(theirs.cv_results_["params"])
            same = (ours.best_params_ == theirs.best_params_
                    and ours.best_score_ == theirs.best_score_)
            print(f"{name:<22}{cv:>4}{n_points:>8}{ours.n_fold_fits_:>7}"
                  f"{1 - ours.n_fold_fits_ / (n_points * cv):>7.0%}{str(same):>11}"
                  f"{seconds / grid_seconds:>12.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--n-iter", type=int, default=30)
    parser.add_argument("--cv", default="5,10")
    parser.add_argument("--sampler", default="tpe")
    parser.add_argument("--processes", type=int, default=2,
                        help="jobs (task, cv, seed) run at once; 1 for wall times")
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="n_jobs of every search (with --processes 1, the wall "
                             "times are those a user gets at that n_jobs)")
    parser.add_argument("--grids", action="store_true",
                        help="only the bound pruner vs GridSearchCV on full grids")
    args = parser.parse_args()
    cvs = [int(c) for c in args.cv.split(",")]
    if args.grids:
        grid_table(cvs)
        return
    jobs = [(t, cv, seed, args.n_iter, args.sampler, args.n_jobs) for t in tasks()
            for cv in cvs for seed in range(args.seeds)]
    if args.processes == 1:
        rows = [row for job in jobs for row in run_job(job)]
    else:
        with Pool(args.processes) as pool:
            rows = [row for result in pool.map(run_job, jobs, chunksize=1)
                    for row in result]

    arms = ARMS + ["HalvingRandomSearchCV"]
    print(f"n_iter={args.n_iter}, sampler={args.sampler}, n_jobs={args.n_jobs}, "
          f"{args.processes} job(s) at once, median over {args.seeds} seeds; "
          "fits = fold fits (HalvingRandomSearchCV's are on growing subsamples); "
          "test = held-out score of the refitted winner, delta in points vs no pruning")
    summary = {}
    for cv in cvs:
        print(f"\ncv={cv}")
        print(f"{'task':<22}{'arm':<23}{'fits':>7}{'saved':>7}{'wall s':>8}{'best CV':>9}"
              f"{'test':>8}{'delta':>8}")
        for task_name in tasks():
            by_arm = {arm: [r for r in rows if r[0] == task_name and r[1] == cv and r[3] == arm]
                      for arm in arms}
            base_fits = np.median([r[4] for r in by_arm["none"]])
            base_wall = np.median([r[5] for r in by_arm["none"]])
            base_test = {r[2]: r[7] for r in by_arm["none"]}
            for arm in arms:
                arm_rows = by_arm[arm]
                fits = np.median([r[4] for r in arm_rows])
                delta = np.median([100 * (r[7] - base_test[r[2]]) for r in arm_rows])
                saved = 1 - fits / base_fits
                wall_saved = 1 - np.median([r[5] for r in arm_rows]) / base_wall
                summary.setdefault((cv, arm), []).append((saved, delta, wall_saved))
                print(f"{task_name:<22}{arm:<23}{fits:>7.0f}{saved:>7.0%}"
                      f"{np.median([r[5] for r in arm_rows]):>8.2f}"
                      f"{np.median([r[6] for r in arm_rows]):>9.4f}"
                      f"{np.median([r[7] for r in arm_rows]):>8.4f}{delta:>+8.2f}")
    print("\nAcross tasks: median fold fits saved, wall time saved, held-out change (points)")
    for cv in cvs:
        for arm in arms[1:]:
            values = np.array(summary[(cv, arm)])
            print(f"  cv={cv:<3} {arm:<23} fits saved {np.median(values[:, 0]):>5.0%}   "
                  f"wall saved {np.median(values[:, 2]):>5.0%}   "
                  f"test {np.median(values[:, 1]):+.2f}")


if __name__ == "__main__":
    main()
