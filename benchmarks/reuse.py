"""Shared Pipeline prefixes (issue #29): wall time next to scikit-learn's GridSearchCV.

Four arms on the same grid and splits, interleaved repeat by repeat (the
order rotates) so that a loaded machine slows them alike:

- ``sksearch``: ``sksearch.GridSearchCV`` (``reuse=True``, the default);
- ``sksearch reuse=False``: the same search fitting every candidate whole;
- ``sklearn``: ``sklearn.model_selection.GridSearchCV``;
- ``sklearn memory``: the same with ``Pipeline(memory=<fresh temporary dir>)``.

Problems (no downloads):

(a) ``text``: ``TfidfVectorizer`` -> ``LinearSVC`` on documents made of tokens
    of quantised ``make_classification`` features; grid ``clf__C`` (5) x
    ``vect__ngram_range`` (2);
(b) ``pca``: ``StandardScaler`` -> ``PCA`` -> ``SVC`` on digits; grid
    ``pca__n_components`` [10, 20, 30] x ``svc__C`` (2) x ``svc__gamma`` (2);
(c) ``forest``: ``RandomForestClassifier(random_state=0)`` on digits; grid
    ``max_features`` ["sqrt", 0.3] x ``n_estimators`` [25, 50, 75, 100]: each
    fold fits the largest value's trees once (grown, not refitted), at best
    100 / (25 + 50 + 75 + 100) = 0.4x of the trees; a bare estimator, so
    the ``sklearn memory`` arm does not apply;
(d) ``cheap``: ``StandardScaler`` -> ``LogisticRegression`` on digits; grid
    ``lr__C`` (5): the reuse must cost nothing measurable.

Reported: median wall over the repeats, its ratio to the sklearn arms, the
fits of each step (counted by each step's class in a file, so that the fits
of loky's worker processes count too), the cache's peak bytes (n_jobs=1, the
caller's process) and whether every ``split*_test_score``, rank and
``best_params_`` equals scikit-learn's.

    PYTHONPATH=. python benchmarks/reuse.py                 # 3 repeats, n_jobs 1 and 2
    PYTHONPATH=. python benchmarks/reuse.py --repeats 5 --problems text pca
    PYTHONPATH=. python benchmarks/reuse.py --problems forest --n-jobs 2 --backend threading
"""

import argparse
import contextlib
import os
import statistics
import tempfile
import time
import warnings
from collections import Counter

import numpy as np
from _counted import COUNTS, LinSvc, LogReg, Pca, Scaler, Svc, Tfidf  # noqa: E402
from joblib import parallel_config
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV as SkGridSearchCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline

import sksearch
from sksearch import GridSearchCV, _reuse


def _text():
    # ~150 tokens a document: feature j at level v is the word "fjqv",
    # repeated more often the higher the level
    X, y = make_classification(n_samples=1500, n_features=60, n_informative=12,
                               random_state=0)
    levels = np.digitize(X, np.linspace(-2, 2, 7))
    docs = [" ".join(f"f{j}q{v}" for j, v in enumerate(row) for _ in range(1 + v // 2))
            for row in levels]
    return np.array(docs, dtype=object), y


def problems():
    digits = load_digits(return_X_y=True)
    return {
        "text": (Pipeline([("vect", Tfidf()), ("clf", LinSvc(random_state=0))]),
                 {"clf__C": [0.01, 0.1, 1.0, 10.0, 100.0],
                  "vect__ngram_range": [(1, 1), (1, 2)]}, _text()),
        "pca": (Pipeline([("sc", Scaler()), ("pca", Pca(random_state=0)), ("svc", Svc())]),
                {"pca__n_components": [10, 20, 30], "svc__C": [1.0, 10.0],
                 "svc__gamma": [0.001, 0.01]}, digits),
        "forest": (RandomForestClassifier(random_state=0),
                   {"max_features": ["sqrt", 0.3], "n_estimators": [25, 50, 75, 100]},
                   digits),
        "cheap": (Pipeline([("sc", Scaler()), ("lr", LogReg(max_iter=300))]),
                  {"lr__C": [0.01, 0.1, 1.0, 10.0, 100.0]}, digits),
    }


ARMS = ["sksearch", "sksearch reuse=False", "sklearn", "sklearn memory"]


def _search(arm, pipe, grid, n_jobs, cv, tmp):
    if arm == "sksearch":
        return GridSearchCV(pipe, grid, cv=cv, n_jobs=n_jobs)
    if arm == "sksearch reuse=False":
        return GridSearchCV(pipe, grid, cv=cv, n_jobs=n_jobs, reuse=False)
    if arm == "sklearn":
        return SkGridSearchCV(pipe, grid, cv=cv, n_jobs=n_jobs)
    return SkGridSearchCV(Pipeline(pipe.steps, memory=tmp), grid, cv=cv, n_jobs=n_jobs)


def _arms(pipe):
    """The arms that apply: ``Pipeline(memory=...)`` needs a Pipeline."""
    return ARMS if isinstance(pipe, Pipeline) else ARMS[:3]


def _run(arm, pipe, grid, X, y, n_jobs, cv):
    open(COUNTS, "w").close()
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = _search(arm, pipe, grid, n_jobs, cv, tmp)
        _reuse.LAST_STATS.clear()
        start = time.perf_counter()
        search.fit(X, y)
        wall = time.perf_counter() - start
    with open(COUNTS) as f:
        fits = Counter(line.strip() for line in f if line.strip())
    return wall, search, fits, dict(_reuse.LAST_STATS)


def _same_scores(ours, theirs):
    keys = [k for k in theirs.cv_results_ if k.endswith("test_score")]
    same = all(np.array_equal(ours.cv_results_[k], theirs.cv_results_[k]) for k in keys)
    return same and ours.best_params_ == theirs.best_params_


def bench(name, problem, n_jobs, repeats, cv):
    pipe, grid, (X, y) = problem
    arms = _arms(pipe)
    walls = {arm: [] for arm in arms}
    last = {}
    for rep in range(repeats):
        order = arms[rep % len(arms):] + arms[:rep % len(arms)]
        for arm in order:
            wall, search, fits, stats = _run(arm, pipe, grid, X, y, n_jobs, cv)
            walls[arm].append(wall)
            last[arm] = (search, fits, stats)
    median = {arm: statistics.median(w) for arm, w in walls.items()}
    same = _same_scores(last["sksearch"][0], last["sklearn"][0])
    rows = []
    for arm in arms:
        _, fits, stats = last[arm]
        peak = stats.get("peak_nbytes")
        cache = "-" if peak is None else f"{peak / 1e6:.1f} MB"
        if stats.get("grown"):
            cache += f", {stats['grown']} grown"
        memory = median.get("sklearn memory")
        rows.append((name, n_jobs, arm, median[arm], median[arm] / median["sklearn"],
                     "-" if memory is None else f"{median[arm] / memory:.2f}x",
                     ", ".join(f"{k} {v}" for k, v in sorted(fits.items())) or "-",
                     cache))
    return rows, same


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backend", default=None,
                        help="joblib backend of every arm (default: loky at n_jobs > 1)")
    parser.add_argument("--problems", nargs="+",
                        default=["text", "pca", "forest", "cheap"])
    args = parser.parse_args()
    print(f"sksearch from {sksearch.__file__}; {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f}; cv={args.cv}, repeats={args.repeats}, "
          f"backend={args.backend or 'default'}")
    cv = StratifiedKFold(args.cv)
    every = problems()
    # start loky's workers before any timed run
    SkGridSearchCV(LogisticRegression(max_iter=1000), {"C": [1.0, 2.0]},
                   n_jobs=max(args.n_jobs)).fit(*load_digits(return_X_y=True))
    print("| problem | n_jobs | arm | wall (s, median) | / sklearn | / sklearn memory "
          "| fits of each step | cache peak |")
    print("|---|---|---|---|---|---|---|---|")
    identical = {}
    for name in args.problems:
        for n_jobs in args.n_jobs:
            with (parallel_config(backend=args.backend) if args.backend
                  else contextlib.nullcontext()):
                rows, same = bench(name, every[name], n_jobs, args.repeats, cv)
            identical[(name, n_jobs)] = same
            for row in rows:
                print(f"| {row[0]} | {row[1]} | {row[2]} | {row[3]:.2f} | {row[4]:.2f}x "
                      f"| {row[5]} | {row[6]} | {row[7]} |", flush=True)
    for (name, n_jobs), same in identical.items():
        print(f"{name}, n_jobs={n_jobs}: every split*_test_score, mean, rank and "
              f"best_params_ {'identical to' if same else 'DIFFERENT from'} sklearn's")


if __name__ == "__main__":
    main()
