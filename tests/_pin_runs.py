"""Seeded sequential searches whose results are pinned in data/sequential_pins.json.

The scheduler must leave n_jobs=1 searches exactly as they were before it
(proposals, pruning decisions, every split score), so that the sequential
figures in docs/benchmarks.md still stand. ``python tests/_pin_runs.py`` prints
the JSON (it was generated on the code before the scheduler, at 1b32a90).
"""

import json
import sys
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sksearch import BayesSearchCV
from sksearch.distributions import Float, Int
from sksearch.pruners import HyperbandPruner, WilcoxonPruner


def _data(name):
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return X[:300], y[:300]
    X, y = load_breast_cancer(return_X_y=True)
    return X[:200], y[:200]


CONFIGS = {
    "svc-tpe-median": dict(
        data="digits", estimator=lambda: SVC(),
        space={"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-5, 1e-1, log=True)},
        kwargs=dict(n_iter=14, cv=3, sampler="tpe", pruner="median")),
    "logreg-tpe-halving": dict(
        data="cancer", estimator=lambda: make_pipeline(StandardScaler(),
                                                       LogisticRegression(max_iter=200)),
        space={"logisticregression__C": Float(1e-3, 1e2, log=True)},
        kwargs=dict(n_iter=14, cv=5, sampler="tpe", pruner="halving")),
    "svc-cmaes": dict(
        data="digits", estimator=lambda: SVC(),
        space={"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-5, 1e-1, log=True)},
        kwargs=dict(n_iter=12, cv=3, sampler="cmaes")),
    "svc-random-wilcoxon": dict(
        data="digits", estimator=lambda: SVC(),
        space={"C": Float(1e-2, 1e3, log=True), "gamma": Float(1e-5, 1e-1, log=True)},
        kwargs=dict(n_iter=12, cv=4, sampler="random",
                    pruner=WilcoxonPruner(n_startup_steps=2, shuffle_folds=True))),
    "forest-tpe-hyperband-increments": dict(
        data="cancer", estimator=lambda: RandomForestClassifier(random_state=0),
        space={"n_estimators": Int(4, 24), "max_depth": Int(1, 6)},
        kwargs=dict(n_iter=10, cv=3, sampler="tpe", pruner=HyperbandPruner(),
                    increments={"n_estimators": 3})),
    "sgd-tpe-percentile-partial-fit": dict(
        data="digits", estimator=lambda: SGDClassifier(random_state=0),
        space={"alpha": Float(1e-6, 1e-1, log=True)},
        kwargs=dict(n_iter=10, cv=3, sampler="tpe", pruner="percentile",
                    increments={"partial_fit": 3})),
}


def run(name, **overrides):
    config = CONFIGS[name]
    X, y = _data(config["data"])
    kwargs = dict(config["kwargs"], random_state=0, refit=False)
    kwargs.update(overrides)
    if kwargs.get("pruner") == "percentile":
        from sksearch.pruners import PercentilePruner
        kwargs["pruner"] = PercentilePruner(25.0, n_startup_trials=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = BayesSearchCV(config["estimator"](), config["space"], **kwargs).fit(X, y)
    return summary(search)


def summary(search):
    """Every candidate's params, status and split scores (NaN as None), as
    plain Python values for ``_pinning.assert_close``."""
    results = search.cv_results_
    n_splits = search.n_splits_
    splits = [[None if np.isnan(v) else float(v)
               for v in (results[f"split{k}_test_score"][i] for k in range(n_splits))]
              for i in range(len(results["params"]))]
    params = [{k: (float(v) if isinstance(v, float) else v)
               for k, v in sorted(p.items())} for p in results["params"]]
    return {"params": params, "status": [str(s) for s in results["status"]],
            "splits": splits}


if __name__ == "__main__":
    json.dump({name: run(name) for name in CONFIGS}, sys.stdout, indent=None)
