"""sksearch demo: four searches with exactly the same budget of fold fits.

Run it with ``python -m sksearch.demo`` (about a minute on 2 busy cores;
``--full`` for 5 outer splits and 5-fold CV). The task: an RBF support vector
classifier on the digits data shipped with scikit-learn, tuning ``C`` and
``gamma``. On each outer train/test split it runs scikit-learn's GridSearchCV
(a grid of decades and half-decades) and RandomizedSearchCV (log-uniform
distributions) and sksearch's BayesSearchCV twice, with the same
distributions: TPE alone, and TPE with fold-level pruning. Every one is
stopped at the same number of fold fits, and each winner is scored on the
held-out part no search saw. The headline is that held-out score and the
wall time; the best CV score, which is optimistic, comes next to them.

Then it says where the time went, from its own measurements: at equal fold
fits, a search's fitting time is its fold fits times its mean fold-fit
seconds, so TPE alone against RandomizedSearchCV shows what the sampler's
choice of (cheaper) candidates saved, and TPE with a pruner against TPE
alone what pruning did: the fold fits it did not run on the candidates it
stopped, and the further candidates it spent them on. Parameter importances
are printed with their spread over the searches and the forest's seeds, to
the precision that spread supports. Plots go to ``./sksearch-demo/`` when
matplotlib is installed.
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


#: Seconds between two progress lines of a scikit-learn search (which
#: reports none of its own while it runs).
HEARTBEAT_S = 2.0


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


class Heartbeat:
    """While a scikit-learn search runs, print the seconds it has taken every
    :data:`HEARTBEAT_S` (it has no callback to count its fits with)."""

    def __init__(self, total):
        import threading

        self.total = total
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        started = time.perf_counter()
        while not self.stop.wait(HEARTBEAT_S):
            print(f"      ... running, {time.perf_counter() - started:.0f} s "
                  f"(of {self.total} fold fits; scikit-learn counts none as it goes)",
                  flush=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


TPE = "BayesSearchCV tpe"


def _arms(args, estimator, budget, n_candidates):
    common = dict(cv=args.cv, n_jobs=args.n_jobs, scoring=SCORING)

    def bayes(pruner):
        # n_iter=budget: a pruned search may try up to one candidate per fold
        # fit; max_fold_fits stops both at exactly the budget
        return BayesSearchCV(estimator, SPACE, n_iter=budget, sampler="tpe", pruner=pruner,
                             max_fold_fits=budget, random_state=args.random_state,
                             callbacks=[Progress(every=max(1, budget // 8))], **common)

    return [
        ("GridSearchCV", lambda: GridSearchCV(estimator, GRID, **common)),
        ("RandomizedSearchCV", lambda: RandomizedSearchCV(
            estimator, DISTRIBUTIONS, n_iter=n_candidates, random_state=args.random_state,
            **common)),
        (TPE, lambda: bayes(None)),
        (f"{TPE}+{args.pruner}", lambda: bayes(args.pruner)),
    ]


def _fold_fits(search):
    """Fold fits a search used: sksearch counts them; scikit-learn's fit every
    fold of every candidate."""
    if hasattr(search, "n_fold_fits_"):
        return search.n_fold_fits_
    return len(search.cv_results_["params"]) * search.n_splits_


def fit_profile(search):
    """``(candidates, candidates stopped early, fold fits run, mean fold-fit
    seconds, folds not run, their seconds)`` of a fitted search, from its
    ``cv_results_``: each candidate's mean fit time counts once per fold it
    ran (a stopped candidate's later folds have no score); a fold not run is
    costed at its own candidate's mean fold fit (what finishing it would
    have taken)."""
    results = search.cv_results_
    scores = np.column_stack([results[f"split{k}_test_score"]
                              for k in range(search.n_splits_)])
    folds = np.isfinite(scores).sum(axis=1)
    per_fold = np.asarray(results["mean_fit_time"], dtype=float)
    stopped = np.asarray(results.get("status", np.full(len(folds), "")), dtype=str) == "pruned"
    not_run = np.where(stopped, search.n_splits_ - folds, 0)
    n_run = max(int(folds.sum()), 1)
    return (len(folds), int(stopped.sum()), int(folds.sum()),
            float(np.sum(per_fold * folds)) / n_run, int(not_run.sum()),
            float(np.sum(per_fold * not_run)))


def _run_split(number, X_train, y_train, X_test, y_test, args, estimator, budget,
               n_candidates):
    rows, searches = [], {}
    for name, make in _arms(args, estimator, budget, n_candidates):
        print(f"  split {number}: {name} ...", flush=True)
        search = make()
        start = time.perf_counter()
        ours = type(search).__module__.startswith("sksearch")  # a Progress callback
        with warnings.catch_warnings(), (_Nothing() if ours else Heartbeat(budget)):
            warnings.simplefilter("ignore", UserWarning)
            search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        held_out = search.score(X_test, y_test)
        candidates, stopped, _, mean_fit, not_run, not_run_s = fit_profile(search)
        row = (name, _fold_fits(search), seconds, search.best_score_, held_out, mean_fit,
               candidates, stopped, not_run, not_run_s)
        print(f"    {_fold_fits(search)} fold fits of {candidates} candidates"
              + (f" ({stopped} stopped early)" if stopped else "")
              + f", mean fold fit {mean_fit:.3f} s, {seconds:.1f} s, best CV {SCORING} "
              f"{search.best_score_:.4f}, held-out {held_out:.4f}", flush=True)
        rows.append(row)
        searches[name] = search
    return rows, searches


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


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
    held-out, mean fold-fit s, candidates, candidates stopped early, folds
    not run, their seconds)``, one per search and outer split."""
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
    rows, tpe_searches, first_pruned = [], [], None
    for repeat, (train, test) in enumerate(outer.split(X, y)):
        split_rows, searches = _run_split(repeat + 1, X[train], y[train], X[test], y[test],
                                          args, estimator, budget, n_candidates)
        rows += split_rows
        tpe_searches += [searches[name] for name in searches if name.startswith(TPE)]
        first_pruned = first_pruned or searches[split_rows[-1][0]]
    _summary(rows, args, n_test)
    _report_importances(tpe_searches)
    _save_plots(first_pruned, args.out)
    return rows


def _summary(rows, args, n_test):
    names = list(dict.fromkeys(row[0] for row in rows))
    table = {name: np.array([row[1:] for row in rows if row[0] == name], dtype=float)
             for name in names}
    spread = args.repeats > 1
    print(f"\n{'search':<28}{'held-out ' + SCORING:>18}{'wall s':>9}{'best CV':>10}"
          f"{'fold fits':>11}{'fit s/fold':>12}{'candidates':>12}")
    for name in names:
        fits, wall, cv, held, mean_fit, candidates = table[name].T[:6]
        shown = f"{held.mean():.4f}" + (f" ± {held.std(ddof=1):.4f}" if spread else "")
        print(f"{name:<28}{shown:>18}{wall.mean():>9.1f}{cv.mean():>10.4f}{fits.mean():>11.0f}"
              f"{mean_fit.mean():>12.3f}{candidates.mean():>12.1f}")
    print(f"(means over {args.repeats} outer split{'s' * spread}"
          + ("; ± is the standard deviation across them" if spread else "") + ")")
    for sentence in conclusions(names, table, n_test):
        print(sentence)
    print("\nWhere the time went (at equal fold fits, fitting time = fold fits x mean "
          "fold-fit seconds):")
    for sentence in attribution(names, table):
        print(sentence)


def conclusions(names, table, n_test):
    """What the numbers show, in sentences: held-out score and wall time of
    the BayesSearchCV arm against the better of the other two, split by
    split, with no claim the numbers do not make."""
    bayes, others = names[-1], names[:2]
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


def attribution(names, table):
    """Where the time went, in sentences, from the measured rows: the
    sampler's choices (TPE alone against RandomizedSearchCV: the same fold
    fits at another mean fold-fit time) apart from pruning (TPE with a pruner
    against TPE alone: the folds it did not run on the candidates it stopped,
    costed at those candidates' own fold-fit time, and the candidates the
    budget went to instead). ``table[name]`` columns: fold fits, wall s, best
    CV, held-out, mean fold-fit s, candidates, candidates stopped early,
    folds not run, their seconds; means over the outer splits."""
    random, tpe, pruned = names[1], names[2], names[3]
    mean = {n: table[n].mean(axis=0) for n in names}
    fits, wall, mean_fit, candidates = ({n: mean[n][k] for n in names} for k in (0, 1, 4, 5))
    stopped, not_run, not_run_s = mean[pruned][6:9]
    by_choice = fits[tpe] * (mean_fit[tpe] - mean_fit[random])
    return [
        f"Sampler: {tpe} (no pruner) fitted {fits[tpe]:.0f} folds at a mean "
        f"{mean_fit[tpe]:.3f} s against {random}'s {mean_fit[random]:.3f} s: its choice of "
        f"candidates changed the fitting time by {by_choice:+.1f} s ({fits[tpe]:.0f} x "
        f"{mean_fit[tpe] - mean_fit[random]:+.3f} s); wall {wall[tpe]:.1f} s against "
        f"{wall[random]:.1f} s.",
        f"Pruning: {pruned} stopped {stopped:.1f} of its {candidates[pruned]:.1f} candidates "
        f"early; the {not_run:.0f} folds it did not run on them would have taken "
        f"{not_run_s:.1f} s at those candidates' own fold-fit times, and the budget went to "
        f"{candidates[pruned] - candidates[tpe]:+.1f} candidates against {tpe} at the same "
        f"{fits[pruned]:.0f} fold fits. Wall {wall[pruned]:.1f} s against {wall[tpe]:.1f} s "
        f"({wall[pruned] - wall[tpe]:+.1f} s): its mean fold fit, {mean_fit[pruned]:.3f} s "
        f"against {mean_fit[tpe]:.3f} s, accounts for "
        f"{fits[pruned] * (mean_fit[pruned] - mean_fit[tpe]):+.1f} s of it "
        f"({fits[pruned]:.0f} x {mean_fit[pruned] - mean_fit[tpe]:+.3f} s).",
    ]


def importance_summary(searches, seeds=(0, 1, 2)):
    """Each parameter's fANOVA share over ``searches`` and the forest's
    ``seeds``: ``{name: (median, low, high, step)}``, rounded to ``step``
    (1, 5 or 10 points) by how far apart the fits put it: one search's
    importances can move by tens of points with its trials, and printing
    them to 0.1% claimed a precision they lack."""
    from .importance import param_importances

    shares = []
    for search in searches:
        for seed in seeds:
            try:
                shares.append(param_importances(search, random_state=seed))
            except ValueError:
                continue
    if not shares:
        return {}
    summary = {}
    for name in shares[0]:
        values = np.array([s.get(name, 0.0) for s in shares])
        low, high = float(values.min()), float(values.max())
        step = 0.01 if high - low < 0.02 else 0.05 if high - low < 0.10 else 0.10
        summary[name] = tuple(round(v / step) * step for v in (
            float(np.median(values)), low, high)) + (step,)
    return summary


def _report_importances(searches, seeds=(0, 1, 2)):
    summary = importance_summary(searches, seeds)
    if not summary:
        print("(no parameter importances: no search had varied complete trials)")
        return
    print(f"\nParameter importances (fANOVA) over the {len(searches)} BayesSearchCV searches x "
          f"{len(seeds)} forest seeds: median, rounded to what their spread supports, "
          "and the range:")
    for name, (median, low, high, step) in summary.items():
        print(f"  {name:<20} about {median:.0%}  (from {low:.0%} to {high:.0%}; "
              f"shown to {step:.0%})")


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
