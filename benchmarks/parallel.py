"""Throughput of BayesSearchCV with n_jobs=2 against n_jobs=1 on ~0.2 s fits.

The estimator sleeps for a fixed time in fit (a stand-in for a real 0.2 s fit
that releases the GIL, as numpy/BLAS and tree code do), so the ratio measures the
search's parallel efficiency rather than the machine's load. Both arms run the
same seeded search, interleaved, and their cv_results_ must be identical.

    python benchmarks/parallel.py --fit-seconds 0.2 --n-iter 12 --repeats 3
"""

import argparse
import statistics
import time

import numpy as np
from _estimators import MajorityClassifier

from sksearch import BayesSearchCV
from sksearch.distributions import Float


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit-seconds", type=float, default=0.2)
    parser.add_argument("--n-iter", type=int, default=12)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sampler", default="tpe")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(100, 3)), rng.integers(0, 2, size=100)

    def run(n_jobs):
        search = BayesSearchCV(MajorityClassifier(fit_seconds=args.fit_seconds),
                               {"alpha": Float(0.1, 10, log=True)}, n_iter=args.n_iter,
                               cv=args.cv, n_jobs=n_jobs, sampler=args.sampler,
                               random_state=0)
        start = time.perf_counter()
        search.fit(X, y)
        return time.perf_counter() - start, search.cv_results_["params"]

    times = {1: [], 2: []}
    params = {}
    run(2)  # warm-up: start the worker pool
    for _ in range(args.repeats):
        for n_jobs in (1, 2):
            seconds, params[n_jobs] = run(n_jobs)
            times[n_jobs].append(seconds)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print(f"{args.n_iter} candidates x {args.cv} folds, {args.fit_seconds} s per fit, "
          f"sampler={args.sampler}, median of {args.repeats}")
    print(f"n_jobs=1: {one:.2f} s   n_jobs=2: {two:.2f} s   speed-up: {one / two:.2f}x")
    print(f"same candidates with n_jobs=2 run to run: {params[2] == run(2)[1]}")


if __name__ == "__main__":
    main()
