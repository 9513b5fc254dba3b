"""sksearch demo: tune a gradient-boosting classifier on breast cancer data.

Run it with ``python -m sksearch.demo``. It compares, at the same budget of
fold fits, scikit-learn's GridSearchCV and RandomizedSearchCV with
BayesSearchCV (TPE sampler + fold-level pruning), scoring each winner on a
held-out test set made before any search. Plots go to ``./sksearch-demo/`` when
matplotlib is installed.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings

from scipy.stats import loguniform, randint
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, train_test_split

from . import BayesSearchCV
from .distributions import Float, Int

GRID = {
    "learning_rate": [0.03, 0.1, 0.3],
    "max_leaf_nodes": [8, 31],
    "min_samples_leaf": [10, 40],
    "max_iter": [50, 150],
}
DISTRIBUTIONS = {
    "learning_rate": loguniform(0.01, 0.5),
    "max_leaf_nodes": randint(4, 64),
    "min_samples_leaf": randint(5, 80),
    "max_iter": randint(30, 200),
    "l2_regularization": loguniform(1e-4, 10),
}
SPACE = {
    "learning_rate": Float(0.01, 0.5, log=True),
    "max_leaf_nodes": Int(4, 64, log=True),
    "min_samples_leaf": Int(5, 80, log=True),
    "max_iter": Int(30, 200, log=True),
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


def _row(name, search, fold_fits, seconds, X_test, y_test):
    return (name, fold_fits, seconds, search.best_score_, search.score(X_test, y_test))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sksearch.demo", description=__doc__)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--pruner", default="median",
                        help="pruner of the BayesSearchCV arm (default: median)")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default="sksearch-demo", help="folder for the plots")
    args = parser.parse_args(argv)

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=args.random_state)
    n_candidates = 1
    for values in GRID.values():
        n_candidates *= len(values)
    budget = n_candidates * args.cv
    estimator = HistGradientBoostingClassifier(early_stopping=False,
                                               random_state=args.random_state)
    common = dict(cv=args.cv, n_jobs=args.n_jobs, scoring="roc_auc")
    print("sksearch demo: HistGradientBoostingClassifier on breast cancer "
          f"({len(y_train)} training and {len(y_test)} held-out samples), "
          f"{args.cv}-fold CV, ROC AUC, a budget of {budget} fold fits per search.\n")

    rows = []
    print(f"[1/3] GridSearchCV over {n_candidates} grid points ...", flush=True)
    start = time.perf_counter()
    grid = GridSearchCV(estimator, GRID, **common).fit(X_train, y_train)
    rows.append(_row("GridSearchCV", grid, budget, time.perf_counter() - start, X_test, y_test))

    print(f"[2/3] RandomizedSearchCV, {n_candidates} candidates ...", flush=True)
    start = time.perf_counter()
    rand = RandomizedSearchCV(estimator, DISTRIBUTIONS, n_iter=n_candidates,
                              random_state=args.random_state, **common).fit(X_train, y_train)
    rows.append(_row("RandomizedSearchCV", rand, budget, time.perf_counter() - start,
                     X_test, y_test))

    print(f"[3/3] BayesSearchCV (TPE + {args.pruner} pruning), until {budget} fold "
          "fits are used ...", flush=True)
    start = time.perf_counter()
    bayes = BayesSearchCV(estimator, SPACE, n_iter=4 * n_candidates, sampler="tpe",
                          pruner=args.pruner, random_state=args.random_state,
                          callbacks=[FoldBudget(budget), Progress()], **common)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        bayes.fit(X_train, y_train)
    rows.append(_row(f"BayesSearchCV tpe+{args.pruner}", bayes, bayes.n_fold_fits_,
                     time.perf_counter() - start, X_test, y_test))

    print(f"\n{'search':<28}{'fold fits':>10}{'wall s':>9}{'best CV AUC':>13}"
          f"{'test AUC':>10}")
    for name, fits, seconds, cv_score, test_score in rows:
        print(f"{name:<28}{fits:>10}{seconds:>9.1f}{cv_score:>13.4f}{test_score:>10.4f}")
    n_trials = len(bayes.cv_results_["params"])
    print(f"\nBayesSearchCV tried {n_trials} candidates with the fits GridSearchCV spent on "
          f"{n_candidates}; {bayes.n_pruned_} were stopped early by the pruner.")
    print("Best parameters found:")
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
