"""sksearch demo: three searches with exactly the same budget of fold fits.

Run it with ``python -m sksearch.demo`` (well under a minute on 2 quiet cores;
``--full`` for 5 outer splits and 5-fold CV). The task: an RBF support vector
classifier on the digits data shipped with scikit-learn, tuning ``C`` and
``gamma``. On each outer train/test split it runs scikit-learn's GridSearchCV
(a grid of decades and half-decades) and RandomizedSearchCV (log-uniform
distributions) and sksearch's BayesSearchCV (TPE sampler, fold-level
pruning, the same distributions), every one stopped at the same number of
fold fits, and scores each winner on the held-out part no search saw. The
headline is that held-out score and the wall time; the best CV score, which
is optimistic, comes next to them. The closing lines say only
what the numbers show. Plots go to ``./sksearch-demo/`` when matplotlib is
installed.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time
import warnings

import numpy as np
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedShuffleSplit
from sklearn.svm import SVC

from . import BayesSearchCV
from .distributions import Float

GRID = {"C": [0.1, 1, 10, 100], "gamma": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]}
DISTRIBUTIONS = {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1)}
SPACE = {"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-5, 1e-1, log=True)}
SCORING = "accuracy"
#: The plots saved of split 1's BayesSearchCV (those sksearch.plot has).
PLOTS = ("plot_optimization_history", "plot_param_importances", "plot_intermediate_values",
         "plot_slice", "plot_timeline")


class Progress:
    """Print a line every ``every`` candidates of a BayesSearchCV (a callback)."""

    def __init__(self, every=10):
        self.every = every
        self.best = None
        self.n = 0
        self.folds = 0
        self.started = time.perf_counter()

    def __call__(self, study, trial):
        self.n += 1
        self.folds += len(trial.intermediate_values)
        if trial.state.name == "COMPLETE" and (self.best is None or trial.value > self.best):
            self.best = trial.value
        if self.n % self.every == 0:
            best = "-" if self.best is None else f"{self.best:.4f}"
            print(f"      ... {self.n} candidates, {self.folds} fold fits, best CV {best}, "
                  f"{time.perf_counter() - self.started:.0f} s", flush=True)


def _arms(args, estimator, budget, n_candidates):
    common = dict(cv=args.cv, n_jobs=args.n_jobs, scoring=SCORING)
    return [
        ("GridSearchCV", lambda: GridSearchCV(estimator, GRID, **common)),
        ("RandomizedSearchCV", lambda: RandomizedSearchCV(
            estimator, DISTRIBUTIONS, n_iter=n_candidates, random_state=args.random_state,
            **common)),
        (f"BayesSearchCV tpe+{args.pruner}", lambda: BayesSearchCV(
            estimator, SPACE, n_iter=budget, sampler="tpe", pruner=args.pruner,
            max_fold_fits=budget, random_state=args.random_state,
            callbacks=[Progress(every=max(1, budget // 8))], **common)),
    ]


def _fold_fits(search):
    """Fold fits a search used: sksearch counts them; scikit-learn's fit every
    fold of every candidate."""
    if hasattr(search, "n_fold_fits_"):
        return search.n_fold_fits_
    return len(search.cv_results_["params"]) * search.n_splits_


def _run_split(number, X_train, y_train, X_test, y_test, args, estimator, budget,
               n_candidates):
    rows, bayes = [], None
    for name, make in _arms(args, estimator, budget, n_candidates):
        print(f"  split {number}: {name} ...", flush=True)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            search = make().fit(X_train, y_train)
        seconds = time.perf_counter() - start
        held_out = search.score(X_test, y_test)
        row = (name, _fold_fits(search), seconds, search.best_score_, held_out)
        print(f"    {_fold_fits(search)} fold fits, {seconds:.1f} s, best CV {SCORING} "
              f"{search.best_score_:.4f}, held-out {held_out:.4f}", flush=True)
        rows.append(row)
        bayes = search
    return rows, bayes


def _parse(argv):
    parser = argparse.ArgumentParser(prog="python -m sksearch.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true",
                        help="5 outer splits and 5-fold CV (several minutes) instead of "
                             "2 outer splits and 3-fold CV")
    parser.add_argument("--cv", type=int, default=None, help="CV folds (default 3; 5 --full)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="outer train/test splits (default 2; 5 with --full)")
    parser.add_argument("--pruner", default="halving",
                        help="pruner of the BayesSearchCV arm (default: halving)")
    parser.add_argument("--n-jobs", type=int, default=-1, help="default -1: every core")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default="sksearch-demo", help="folder for the plots")
    args = parser.parse_args(argv)
    if args.cv is None:
        args.cv = 5 if args.full else 3
    if args.repeats is None:
        args.repeats = 5 if args.full else 2
    return args


def main(argv=None):
    """Run the demo; return its rows ``(search, fold fits, wall s, best CV,
    held-out)``, one per search and outer split."""
    args = _parse(argv)
    X, y = load_digits(return_X_y=True)
    n_candidates = int(np.prod([len(values) for values in GRID.values()]))
    budget = n_candidates * args.cv
    estimator = SVC()
    outer = StratifiedShuffleSplit(n_splits=args.repeats, test_size=0.25,
                                   random_state=args.random_state)
    n_test = int(round(0.25 * len(y)))
    print("sksearch demo: SVC(kernel='rbf') on the digits data "
          f"({len(y)} samples, 10 classes), C and gamma, {args.cv}-fold CV {SCORING},\n"
          f"exactly {budget} fold fits per search ({n_candidates} grid points x {args.cv} "
          f"folds), n_jobs={args.n_jobs}, on "
          f"{args.repeats} outer splits ({n_test} samples held out, never seen by a search).\n",
          flush=True)
    rows, first_bayes = [], None
    for repeat, (train, test) in enumerate(outer.split(X, y)):
        split_rows, bayes = _run_split(repeat + 1, X[train], y[train], X[test], y[test], args,
                                       estimator, budget, n_candidates)
        rows += split_rows
        first_bayes = first_bayes or bayes
    _summary(rows, args, n_test)
    _report_importances(first_bayes)
    _save_plots(first_bayes, args.out)
    return rows


def _summary(rows, args, n_test):
    names = [name for name, *_ in rows[:3]]
    table = {name: np.array([row[1:] for row in rows if row[0] == name], dtype=float)
             for name in names}
    spread = args.repeats > 1
    print(f"\n{'search':<28}{'held-out ' + SCORING:>18}{'wall s':>9}{'best CV':>10}"
          f"{'fold fits':>11}")
    for name in names:
        fits, wall, cv, held = table[name].T
        shown = f"{held.mean():.4f}" + (f" ± {held.std(ddof=1):.4f}" if spread else "")
        print(f"{name:<28}{shown:>18}{wall.mean():>9.1f}{cv.mean():>10.4f}{fits.mean():>11.0f}")
    print(f"(means over {args.repeats} outer split{'s' * spread}"
          + ("; ± is the standard deviation across them" if spread else "") + ")")
    for sentence in conclusions(names, table, n_test):
        print(sentence)


def conclusions(names, table, n_test):
    """What the numbers show, in sentences: held-out score and wall time of
    the BayesSearchCV arm against the better of the other two, split by
    split, with no claim the numbers do not make."""
    bayes, others = names[2], names[:2]
    held = {name: table[name][:, 3] for name in names}
    wall = {name: table[name][:, 1] for name in names}
    rival = max(others, key=lambda name: held[name].mean())
    fastest = min(others, key=lambda name: wall[name].mean())
    diff = held[bayes] - held[rival]
    wins, n = int((diff > 0).sum()), len(diff)
    ties = int((diff == 0).sum())
    sentences = []
    if diff.mean() > 0:
        verdict = "higher than"
    elif diff.mean() < 0:
        verdict = "lower than"
    else:
        verdict = "the same as"
    sentences.append(
        f"Held-out: {bayes} scored {held[bayes].mean():.4f}, {verdict} {rival}'s "
        f"{held[rival].mean():.4f} (the better of the other two) by "
        f"{abs(diff.mean()):.4f} on average; higher on {wins} of {n} splits"
        + (f", equal on {ties}" if ties else "") + ".")
    ratio = wall[bayes].mean() / wall[fastest].mean()
    faster = "less" if ratio < 1 else "more"
    sentences.append(
        f"Wall time: {wall[bayes].mean():.1f} s against {fastest}'s "
        f"{wall[fastest].mean():.1f} s (the faster of the other two), "
        f"{abs(1 - ratio):.0%} {faster}, for the same number of fold fits.")
    sentences.append(
        f"Held-out differences of a few thousandths are within the noise of {n_test} test "
        "samples; best CV scores are optimistic (the winner is picked on the same folds).")
    return sentences


def _report_importances(search):
    from .importance import param_importances

    try:
        shares = param_importances(search, random_state=0)
    except ValueError as exc:
        print(f"(no parameter importances: {exc})")
        return
    print("\nParameter importances of split 1's BayesSearchCV (fANOVA):")
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
    for name in PLOTS:
        draw = getattr(plot, name, None)
        if draw is None:
            continue
        axes = draw(search)
        figure = getattr(axes, "figure", None) or np.ravel(axes)[0].figure
        path = os.path.join(folder, name.replace("plot_", "") + ".png")
        figure.savefig(path, dpi=100, bbox_inches="tight")
        matplotlib.pyplot.close(figure)
        saved.append(path)
    if saved:
        print("Plots saved: " + ", ".join(saved))


if __name__ == "__main__":
    main()
