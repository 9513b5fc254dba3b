"""Real tuning: BayesSearchCV against RandomizedSearchCV and Optuna's
OptunaSearchCV on shipped datasets, at the same number of candidates.

For each task and seed a 25% test split is made first; every search tunes on the
rest (5-fold CV) and its refitted winner is scored on the test split. Medians
over seeds. OptunaSearchCV (``optuna-integration``) is a comparator only; it
cannot express the conditional pipeline (a choice among estimators), so that
row has no Optuna entry.

    python benchmarks/tuning.py --seeds 3 --budgets 30,60
    python benchmarks/tuning.py --seeds 20 --tasks pipeline-choice-breast_cancer

Besides the medians, each row's per-seed comparison of BayesSearchCV's best CV
score with RandomizedSearchCV's (wins / ties / losses) is printed, since a
median over a few seeds of scores that move by one sample hides as much as
it shows.
"""

import argparse
import os

# One thread per fit: the two worker processes would otherwise oversubscribe
# the cores with HistGradientBoosting's OpenMP threads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

from multiprocessing import Pool  # noqa: E402

import numpy as np  # noqa: E402
from _timing import timed_fit  # noqa: E402
from scipy.stats import loguniform, randint  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import RandomizedSearchCV, train_test_split  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from sksearch import BayesSearchCV  # noqa: E402
from sksearch.distributions import Float, Int  # noqa: E402

ARMS = ("BayesSearchCV", "RandomizedSearchCV", "OptunaSearchCV")


def _optuna(kind, low, high, log=False):
    from optuna.distributions import FloatDistribution, IntDistribution

    return (FloatDistribution if kind == "float" else IntDistribution)(low, high, log=log)


def tasks():
    """name -> (estimator, data loader, sksearch space, scipy space, optuna space maker)."""
    return {
        "svc-digits": (
            SVC(), load_digits,
            {"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-5, 1e-1, log=True)},
            {"C": loguniform(1e-2, 1e3), "gamma": loguniform(1e-5, 1e-1)},
            lambda: {"C": _optuna("float", 1e-2, 1e3, log=True),
                     "gamma": _optuna("float", 1e-5, 1e-1, log=True)}),
        "hgb-breast_cancer": (
            HistGradientBoostingClassifier(early_stopping=False, random_state=0),
            load_breast_cancer,
            {"learning_rate": Float(0.01, 0.5, log=True), "max_leaf_nodes": Int(4, 64, log=True),
             "min_samples_leaf": Int(5, 80, log=True), "max_iter": Int(20, 150, log=True),
             "l2_regularization": Float(1e-4, 10, log=True)},
            {"learning_rate": loguniform(0.01, 0.5), "max_leaf_nodes": randint(4, 65),
             "min_samples_leaf": randint(5, 81), "max_iter": randint(20, 151),
             "l2_regularization": loguniform(1e-4, 10)},
            lambda: {"learning_rate": _optuna("float", 0.01, 0.5, log=True),
                     "max_leaf_nodes": _optuna("int", 4, 64, log=True),
                     "min_samples_leaf": _optuna("int", 5, 80, log=True),
                     "max_iter": _optuna("int", 20, 150, log=True),
                     "l2_regularization": _optuna("float", 1e-4, 10, log=True)}),
        "pipeline-choice-breast_cancer": (
            Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]),
            load_breast_cancer,
            [{"clf": [LogisticRegression(max_iter=2000)], "clf__C": Float(1e-4, 1e2, log=True)},
             {"clf": [SVC()], "clf__C": Float(1e-2, 1e3, log=True),
              "clf__gamma": Float(1e-5, 1e-1, log=True)},
             {"clf": [KNeighborsClassifier()], "clf__n_neighbors": Int(1, 60)}],
            [{"clf": [LogisticRegression(max_iter=2000)], "clf__C": loguniform(1e-4, 1e2)},
             {"clf": [SVC()], "clf__C": loguniform(1e-2, 1e3),
              "clf__gamma": loguniform(1e-5, 1e-1)},
             {"clf": [KNeighborsClassifier()], "clf__n_neighbors": randint(1, 61)}],
            None),
    }


def run_job(job):
    name, arm, seed, n_iter = job
    estimator, load, space, scipy_space, optuna_space = tasks()[name]
    if arm == "OptunaSearchCV" and optuna_space is None:
        return name, arm, seed, n_iter, None
    X, y = load(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=seed)
    if arm == "BayesSearchCV":
        search = BayesSearchCV(estimator, space, n_iter=n_iter, cv=5, random_state=seed)
    elif arm == "RandomizedSearchCV":
        search = RandomizedSearchCV(estimator, scipy_space, n_iter=n_iter, cv=5,
                                    random_state=seed)
    else:
        import optuna
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        search = OptunaSearchCV(estimator, optuna_space(), n_trials=n_iter, cv=5,
                                random_state=seed)
    seconds = timed_fit(search, X_train, y_train)
    return name, arm, seed, n_iter, (search.best_score_, search.score(X_test, y_test), seconds)


def tuning_table(seeds, budgets=(30, 60), processes=2, names=None):
    names = list(tasks()) if names is None else list(names)
    jobs = [(name, arm, seed, n_iter) for name in names for arm in ARMS
            for n_iter in budgets for seed in seeds]
    with Pool(processes) as pool:
        results = pool.map(run_job, jobs, chunksize=1)
    print(f"5-fold CV accuracy of the best candidate and held-out accuracy of the refitted "
          f"winner, median over {len(seeds)} seeds")
    print(f"{'task':<31}{'n_iter':>7}  " + "".join(f"{arm:>30}" for arm in ARMS))
    print(" " * 40 + "".join(f"{'best CV / held-out / s':>30}" for _ in ARMS))
    for name in names:
        for n_iter in budgets:
            cells = []
            for arm in ARMS:
                rows = [r[4] for r in results if r[:2] == (name, arm) and r[3] == n_iter
                        and r[4] is not None]
                if not rows:
                    cells.append(f"{'n/a':>30}")
                    continue
                cv, test, seconds = np.median(np.array(rows), axis=0)
                cells.append(f"{cv:.4f} / {test:.4f} / {seconds:5.1f}".rjust(30))
            print(f"{name:<31}{n_iter:>7}  " + "".join(cells))
    print("\nPer seed, BayesSearchCV's best CV score against RandomizedSearchCV's")
    for name in names:
        for n_iter in budgets:
            ours = {r[2]: r[4][0] for r in results
                    if r[:2] == (name, "BayesSearchCV") and r[3] == n_iter}
            theirs = {r[2]: r[4][0] for r in results
                      if r[:2] == (name, "RandomizedSearchCV") and r[3] == n_iter}
            diff = np.array([ours[s] - theirs[s] for s in seeds])
            print(f"{name:<31}{n_iter:>7}  wins {np.sum(diff > 1e-9)} / ties "
                  f"{np.sum(np.abs(diff) <= 1e-9)} / losses {np.sum(diff < -1e-9)}, "
                  f"mean difference {diff.mean():+.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budgets", default="30,60")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="tune defaults on seeds >= 100, report on 0..")
    parser.add_argument("--tasks", default=None,
                        help="comma-separated task names (default: all)")
    args = parser.parse_args()
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    tuning_table(seeds, [int(b) for b in args.budgets.split(",")], args.processes,
                 None if args.tasks is None else args.tasks.split(","))


if __name__ == "__main__":
    main()
