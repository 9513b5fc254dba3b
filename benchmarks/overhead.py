"""Wall time of BayesSearchCV(sampler="grid") against GridSearchCV on the same grid.

The estimator is near-instant, so the ratio measures what sksearch adds around the
fits: the study, the sampler, storage of fold results and building cv_results_.
Both arms run interleaved in one process, repeated, and the median is reported.

    python benchmarks/overhead.py --repeats 5 --n-points 100
    python benchmarks/overhead.py --repeats 3 --n-points 36 --n-jobs 2 --n-samples 20000

With ``--n-jobs 2`` (loky) and ``--n-samples 20000`` (20 features, 3.2 MB,
above joblib's 1 MB memory-mapping threshold) it measures what a process
backend costs per task on data that joblib memory-maps.
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from _estimators import MajorityClassifier
from sklearn.model_selection import GridSearchCV

from sksearch import BayesSearchCV


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-points", type=int, default=100,
                        help="grid size (a square number: n x n values)")
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--n-samples", type=int, default=200)
    parser.add_argument("--n-features", type=int, default=5)
    args = parser.parse_args()

    side = int(round(args.n_points ** 0.5))
    grid = {"alpha": list(np.linspace(0.1, 1, side)), "beta": list(np.linspace(1, 2, side))}
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n_samples, args.n_features))
    y = rng.integers(0, 2, size=args.n_samples)

    def run_grid():
        GridSearchCV(MajorityClassifier(), grid, cv=args.cv, n_jobs=args.n_jobs).fit(X, y)

    def run_bayes():
        BayesSearchCV(MajorityClassifier(), grid, sampler="grid", n_iter=None, cv=args.cv,
                      n_jobs=args.n_jobs).fit(X, y)

    times = {"GridSearchCV": [], "BayesSearchCV(grid)": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_grid(), run_bayes()  # warm-up: imports, joblib pools
        for _ in range(args.repeats):
            for name, run in (("GridSearchCV", run_grid), ("BayesSearchCV(grid)", run_bayes)):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)

    grid_median = statistics.median(times["GridSearchCV"])
    print(f"{side * side} candidates x {args.cv} folds, n_jobs={args.n_jobs}, "
          f"X {X.shape[0]} x {X.shape[1]} ({X.nbytes / 1e6:.1f} MB), median of {args.repeats}")
    print(f"{'search':<22}{'median s':>10}{'ratio':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<22}{median:>10.3f}{median / grid_median:>8.2f}")


if __name__ == "__main__":
    main()
