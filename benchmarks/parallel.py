"""Does pruning save wall time with many workers? Utilisation, fold fits and wall.

Two tasks, every arm in the same run:

- ``sleep``: a classifier whose fit sleeps 0.02-0.4 s depending on ``C`` (and
  whose accuracy depends on ``C`` too), threading backend, so that 8 or 16
  workers on a 2-core machine measure the scheduling, not the CPU;
- ``cpu``: SVC on digits (real fits of tenths of a second), loky, n_jobs=2.

Arms: RandomizedSearchCV, OptunaSearchCV (TPE, its own threads) and
BayesSearchCV with the random and TPE samplers, without a pruner and with
successive halving. Utilisation = (sum of fit times / n_jobs) / wall; "vs
unpruned" is the wall of a pruned arm over the wall of the same sampler
unpruned, next to the fraction of fold fits it ran (the target: wall <= that
fraction x 1.15) and the fraction of fit seconds (pruned folds are not an even
sample: here halving drops cheap small-C and costly large-C fits alike).
Medians over seeds.

``--backend dask`` runs the arms on a dask ``LocalCluster`` of ``n_jobs``
worker processes of one thread each, on 127.0.0.1 (``--backend threading``
is the sleep task's default), and adds how many bytes of training data
reached each worker (the data are counted each time a worker unpickles
them).

    python benchmarks/parallel.py --task sleep --n-jobs 2,8,16 --seeds 3
    python benchmarks/parallel.py --task sleep --n-jobs 4 --n-iter 64,256 --backend dask
    python benchmarks/parallel.py --task cpu --n-jobs 2 --seeds 3
"""

import argparse
import statistics
import time
import warnings

import joblib
import numpy as np
from _estimators import CountedArray, SleepyClassifier, times_unpickled
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.model_selection import RandomizedSearchCV
from sklearn.svm import SVC

from sksearch import BayesSearchCV
from sksearch.distributions import Float

ARMS = ("RandomizedSearchCV", "OptunaSearchCV", "random", "random+halving", "tpe",
        "tpe+halving")


def _task(name):
    if name == "sleep":
        rng = np.random.default_rng(0)
        X = rng.normal(size=(400, 2))
        y = (X[:, 1] > 0).astype(int)
        return (SleepyClassifier(), X, y, {"C": (1e-2, 1e3)}, "threading")
    X, y = load_digits(return_X_y=True)
    return (SVC(), X, y, {"C": (1e-2, 1e3), "gamma": (1e-5, 1e-1)}, "loky")


def _run(arm, task, n_jobs, n_iter, cv, seed, backend=None, client=None):
    estimator, X, y, bounds, default_backend = _task(task)
    backend = backend or default_backend
    if client is not None:
        X = CountedArray(X)
        client.run(_reset_count)
    start = time.perf_counter()
    with joblib.parallel_config(backend=backend), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if arm == "RandomizedSearchCV":
            search = RandomizedSearchCV(
                estimator, {k: loguniform(*b) for k, b in bounds.items()}, n_iter=n_iter,
                cv=cv, n_jobs=n_jobs, random_state=seed, refit=False).fit(X, y)
            fit_sum = float(np.sum(search.cv_results_["mean_fit_time"]) * cv)
            folds = n_iter * cv
        elif arm == "OptunaSearchCV":
            import optuna
            from optuna_integration.sklearn import OptunaSearchCV

            optuna.logging.set_verbosity(optuna.logging.WARNING)
            space = {k: optuna.distributions.FloatDistribution(*b, log=True)
                     for k, b in bounds.items()}
            search = OptunaSearchCV(
                estimator, space, n_trials=n_iter, cv=cv, n_jobs=n_jobs,
                random_state=seed, refit=False).fit(X, y)
            fit_sum = float(sum(t.user_attrs["mean_fit_time"] * cv for t in search.trials_))
            folds = n_iter * cv
        else:
            sampler, _, pruner = arm.partition("+")
            search = BayesSearchCV(
                estimator, {k: Float(*b, log=True) for k, b in bounds.items()},
                n_iter=n_iter, cv=cv, sampler=sampler, pruner=pruner or None,
                n_jobs=n_jobs, random_state=seed, refit=False).fit(X, y)
            results = search.cv_results_
            ran = np.column_stack([~np.isnan(results[f"split{k}_test_score"])
                                   for k in range(cv)])
            fit_sum = float(np.nansum(results["mean_fit_time"] * ran.sum(axis=1)))
            folds = search.n_fold_fits_
    wall = time.perf_counter() - start
    sent = 0.0
    if client is not None:  # the most bytes of X any one worker received
        sent = max(client.run(times_unpickled).values()) * np.asarray(X).nbytes
    return {"folds": folds, "wall": wall, "util": fit_sum / n_jobs / wall, "fit_sum": fit_sum,
            "bytes_per_worker": sent,
            "best": float(np.max(search.cv_results_["mean_test_score"]))
            if hasattr(search, "cv_results_") else float(search.best_score_)}


def _reset_count():
    import _estimators

    _estimators._UNPICKLED[0] = 0


def _dask_client(n_workers):
    import distributed

    cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                       processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    return distributed.Client(cluster)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("sleep", "cpu"), default="sleep")
    parser.add_argument("--n-jobs", default="2,8,16")
    parser.add_argument("--n-iter", default="64", help="one or more, comma-separated")
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--backend", choices=("threading", "loky", "dask"), default=None,
                        help="the task's own by default (sleep: threading, cpu: loky)")
    args = parser.parse_args()
    arms = args.arms.split(",")
    if args.backend == "dask":
        arms = [arm for arm in arms if arm not in ("RandomizedSearchCV", "OptunaSearchCV")]
    print(f"task={args.task}, backend={args.backend or 'default'}, {args.cv} folds, medians "
          f"over {args.seeds} seeds")
    header = (f"{'n_iter':>6} {'n_jobs':>6} {'arm':<20} {'fold fits':>9} {'util':>5} "
              f"{'wall s':>7} {'vs unpruned':>11} {'fits frac':>9} {'target':>6} "
              f"{'fit-s frac':>10} {'best CV':>8}"
              + (f" {'X MB/worker':>11}" if args.backend == "dask" else ""))
    print(header)
    for n_iter in [int(v) for v in args.n_iter.split(",")]:
        for n_jobs in [int(v) for v in args.n_jobs.split(",")]:
            _report(args, arms, n_iter, n_jobs)


def _report(args, arms, n_iter, n_jobs):
    client = _dask_client(n_jobs) if args.backend == "dask" else None
    try:
        runs = {arm: [] for arm in arms}
        for seed in range(args.seeds):
            for arm in arms:
                runs[arm].append(_run(arm, args.task, n_jobs, n_iter, args.cv, seed,
                                      args.backend, client))
    finally:
        if client is not None:
            client.cluster.close()
            client.close()
    med = {arm: {key: statistics.median(r[key] for r in runs[arm])
                 for key in runs[arm][0]} for arm in arms}
    for arm in arms:
        m = med[arm]
        base = arm.partition("+")[0]
        if "+" in arm and base in med:
            ratio = m["wall"] / med[base]["wall"]
            fraction = m["folds"] / med[base]["folds"]
            ok = "met" if ratio <= fraction * 1.15 else "missed"
            seconds = m["fit_sum"] / med[base]["fit_sum"]
            extra = f"{ratio:>10.2f}x {fraction:>9.2f} {ok:>6} {seconds:>10.2f}"
        else:
            extra = f"{'':>11} {'':>9} {'':>6} {'':>10}"
        sent = f" {m['bytes_per_worker'] / 1e6:>11.3f}" if client is not None else ""
        print(f"{n_iter:>6} {n_jobs:>6} {arm:<20} {m['folds']:>9.0f} {m['util']:>5.2f} "
              f"{m['wall']:>7.2f} {extra} {m['best']:>8.4f}{sent}", flush=True)


if __name__ == "__main__":
    main()
