"""sksearch demo: tune a gradient-boosting classifier on breast cancer data.

Run it with ``python -m sksearch.demo``. It compares, at the same budget of
fold fits, scikit-learn's GridSearchCV and RandomizedSearchCV with
BayesSearchCV (TPE sampler + fold-level pruning), on several outer train/test
splits, scoring each winner on data no search saw. Plots go to
``./sksearch-demo/`` when matplotlib is installed.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings

import numpy as np
from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedShuffleSplit,
)

from . import BayesSearchCV
from .distributions import Float, Int

GRID = {
    "learning_rate": [0.03, 0.1, 0.3],
    "max_leaf_nodes": [8, 31],
    "min_samples_leaf": [10, 40],
    "max_iter": [40, 120],
}
DISTRIBUTIONS = {
    "learning_rate": loguniform(0.01, 0.5),
    "max_leaf_nodes": randint(4, 64),
    "min_samples_leaf": randint(5, 80),
    "max_iter": randint(20, 150),
    "l2_regularization": loguniform(1e-4, 10),
}
SPACE = {
    "learning_rate": Float(0.01, 0.5, log=True),
    "max_leaf_nodes": Int(4, 64, log=True),
    "min_samples_leaf": Int(5, 80, log=True),
    "max_iter": Int(20, 150, log=True),
    "l2_regularization": Float(1e-4, 10, log=True),
}


class FoldBudget:
    """Stop a search once it has used ``max_fold_fits`` fold fits (a callback)."""

    def __init__(self, max_fold_fits):
        self.max_fold_fits = max_fold_fits

    def __call__(self, study, trial):
        used = sum(len(t.intermediate_values) for t in study.trials)
        if used >= self.max_fold_fits:
            study.stop()


class Progress:
    """Print one line per finished candidate (a callback)."""

    def __init__(self):
        self.best = None

    def __call__(self, study, trial):
        if trial.state.name == "COMPLETE" and (self.best is None or trial.value > self.best):
            self.best = trial.value
        folds = len(trial.intermediate_values)
        value = "   -  " if trial.value is None else f"{trial.value:.4f}"
        print(f"  candidate {trial.number + 1:>3}  {trial.state.name.lower():<8} "
              f"folds={folds}  score={value}  best={self.best:.4f}", flush=True)


def _fits_to_reach(search, target):
    """Fold fits a search had spent when a complete candidate first reached
    ``target`` (None if none did)."""
    results = search.cv_results_
    n_splits = search.n_splits_
    ran = np.column_stack([~np.isnan(results[f"split{k}_test_score"]) for k in range(n_splits)])
    spent = np.cumsum(ran.sum(axis=1))
    reached = (results["status"] == "complete") & (results["mean_test_score"] >= target)
    return int(spent[np.argmax(reached)]) if reached.any() else None


def _search_split(X_train, y_train, X_test, y_test, args, estimator, budget, n_candidates,
                  verbose):
    """The three searches on one outer split; returns rows and the BayesSearchCV."""
    common = dict(cv=args.cv, n_jobs=args.n_jobs, scoring="roc_auc")
    arms = [
        ("GridSearchCV", lambda: GridSearchCV(estimator, GRID, **common)),
        ("RandomizedSearchCV", lambda: RandomizedSearchCV(
            estimator, DISTRIBUTIONS, n_iter=n_candidates, random_state=args.random_state,
            **common)),
        (f"BayesSearchCV tpe+{args.pruner}", lambda: BayesSearchCV(
            estimator, SPACE, n_iter=4 * n_candidates, sampler="tpe", pruner=args.pruner,
            random_state=args.random_state,
            callbacks=[FoldBudget(budget)] + ([Progress()] if verbose else []), **common)),
    ]
    rows = []
    for name, make in arms:
        if verbose:
            print(f"  {name} ...", flush=True)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            search = make().fit(X_train, y_train)
        seconds = time.perf_counter() - start
        fits = getattr(search, "n_fold_fits_", budget)
        rows.append((name, fits, seconds, search.best_score_, search.score(X_test, y_test)))
    to_match = _fits_to_reach(search, rows[0][3])
    return rows, search, to_match


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sksearch.demo", description=__doc__)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--pruner", default="halving",
                        help="pruner of the BayesSearchCV arm (default: halving, the one "
                             "that saved most fits in benchmarks/pruning.py)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="outer train/test splits to average over (default: 3)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default="sksearch-demo", help="folder for the plots")
    args = parser.parse_args(argv)

    X, y = load_breast_cancer(return_X_y=True)
    n_candidates = int(np.prod([len(values) for values in GRID.values()]))
    budget = n_candidates * args.cv
    estimator = HistGradientBoostingClassifier(early_stopping=False,
                                               random_state=args.random_state)
    outer = StratifiedShuffleSplit(n_splits=args.repeats, test_size=0.25,
                                   random_state=args.random_state)
    print("sksearch demo: tuning HistGradientBoostingClassifier on breast cancer data "
          f"({len(y)} samples), {args.cv}-fold CV ROC AUC, {budget} fold fits per search,\n"
          f"repeated on {args.repeats} outer train/test splits (25% held out, never seen "
          "by the searches).\n")
    rows, matches = [], []
    for repeat, (train, test) in enumerate(outer.split(X, y)):
        verbose = repeat == 0
        print(f"Outer split {repeat + 1}/{args.repeats}" + (
            ": GridSearchCV, RandomizedSearchCV, then BayesSearchCV candidate by "
            "candidate" if verbose else " ..."), flush=True)
        split_rows, bayes, to_match = _search_split(
            X[train], y[train], X[test], y[test], args, estimator, budget, n_candidates,
            verbose)
        if verbose:
            first_bayes = bayes
        rows += split_rows
        matches.append(to_match)

    names = [name for name, *_ in rows[:3]]
    print(f"\nMean over {args.repeats} outer splits")
    print(f"{'search':<28}{'fold fits':>10}{'wall s':>9}{'best CV AUC':>13}"
          f"{'held-out AUC':>14}")
    for i, name in enumerate(names):
        mine = np.array([row[1:] for row in rows[i::3]], dtype=float)
        print(f"{name:<28}{mine[:, 0].mean():>10.0f}{mine[:, 1].mean():>9.1f}"
              f"{mine[:, 2].mean():>13.4f}{mine[:, 3].mean():>10.4f} ± {mine[:, 3].std():.3f}")
    reached = [m for m in matches if m is not None]
    print(f"\nBayesSearchCV reached GridSearchCV's best CV score in {len(reached)} of "
          f"{args.repeats} splits" + (f", after {int(np.median(reached))} fold fits (median) "
                                     f"instead of {budget}." if reached else "."))
    bayes = first_bayes
    print(f"On split 1 it tried {len(bayes.cv_results_['params'])} candidates with the fits "
          f"GridSearchCV spent on {n_candidates}; {bayes.n_pruned_} were stopped early.")
    print("Held-out differences of a few thousandths are within the noise of "
          f"{len(y) // 4} test samples.")
    print("Best parameters found on split 1:")
    for name, value in sorted(bayes.best_params_.items()):
        print(f"  {name} = {value:.4g}" if isinstance(value, float) else f"  {name} = {value}")
    _report_importances(bayes)
    _save_plots(bayes, args.out)
    return rows


def _report_importances(search):
    try:
        from .importance import param_importances
    except ImportError:
        return
    try:
        shares = param_importances(search, random_state=0)
    except ValueError as exc:
        print(f"(no parameter importances: {exc})")
        return
    print("Parameter importances (fANOVA):")
    for name, share in shares.items():
        print(f"  {name:<20} {share:6.1%}")


def _save_plots(search, folder):
    try:
        import matplotlib

        matplotlib.use("Agg")
        from . import plot
    except ImportError:
        print("(install matplotlib, `pip install sksearch[plot]`, to save plots)")
        return
    import os

    os.makedirs(folder, exist_ok=True)
    saved = []
    for name in ("plot_optimization_history", "plot_param_importances",
                 "plot_intermediate_values", "plot_slice"):
        draw = getattr(plot, name, None)
        if draw is None:
            continue
        axes = draw(search)
        figure = getattr(axes, "figure", None) or axes.flat[0].figure
        path = os.path.join(folder, name.replace("plot_", "") + ".png")
        figure.savefig(path, dpi=100, bbox_inches="tight")
        matplotlib.pyplot.close(figure)
        saved.append(path)
    if saved:
        print("Plots saved: " + ", ".join(saved))


if __name__ == "__main__":
    main()
