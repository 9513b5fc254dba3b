"""``n_jobs`` is a speed knob (issue 28): the same ``cv_results_`` for every
``n_jobs`` and backend -- always for the drop-in searches and any sampler that
does not learn, with every pruner; for a learning sampler under a fixed
``window``.

The oracle is the sequential search (``n_jobs=1``): every other setting must
give exactly its table. Fit times are jittered so that tasks finish in
another order on every run.
"""

import os
import time
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sksearch import BayesSearchCV, GridSearchCV, RandomizedSearchCV
from sksearch.distributions import Float
from sksearch.pruners import BoundPruner, HyperbandPruner, WilcoxonPruner

X, y = load_breast_cancer(return_X_y=True)
X, y = X[:150, :5], y[:150]

PRUNERS = {
    "halving": lambda: "halving",
    "median": lambda: "median",
    "hyperband": lambda: HyperbandPruner(),
    "wilcoxon": lambda: WilcoxonPruner(n_startup_steps=2),
    "bound": lambda: BoundPruner(),
    "none": lambda: None,
}
SETTINGS = [("threading", 2), ("threading", 4), ("loky", 2)]


class Jittery(LogisticRegression):
    """Fit times vary from run to run (an unseeded sleep of up to 8 ms); the
    scores do not."""

    def fit(self, X, y, **kwargs):
        time.sleep(int.from_bytes(os.urandom(1), "little") / 255 * 0.008)
        return super().fit(X, y, **kwargs)


def _table(search, backend, n_jobs):
    search.set_params(n_jobs=n_jobs, refit=False)
    with joblib.parallel_config(backend=backend), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = search.fit(X, y).cv_results_
    n_splits = search.n_splits_
    return {"params": results["params"], "status": list(results["status"]),
            "splits": np.column_stack([results[f"split{k}_test_score"]
                                       for k in range(n_splits)]),
            "rank": list(results["rank_test_score"])}


def _assert_same(table, expected):
    assert table["params"] == expected["params"]
    assert table["status"] == expected["status"]
    np.testing.assert_array_equal(table["splits"], expected["splits"])  # NaN where pruned
    assert table["rank"] == expected["rank"]


def _every_setting_gives_the_sequential_table(make):
    expected = _table(make(), "threading", 1)
    for backend, n_jobs in SETTINGS:
        _assert_same(_table(make(), backend, n_jobs), expected)
    return expected


@pytest.mark.parametrize("pruner", sorted(PRUNERS))
def test_random_search_gives_the_same_results_for_every_n_jobs(pruner):
    expected = _every_setting_gives_the_sequential_table(lambda: RandomizedSearchCV(
        Jittery(max_iter=50), {"C": Float(1e-3, 1e2, log=True)}, n_iter=14, cv=4,
        pruner=PRUNERS[pruner](), random_state=0))
    if pruner not in ("none", "bound"):
        assert "pruned" in expected["status"]  # the pruner did decide something


@pytest.mark.parametrize("pruner", ["halving", "bound", "median"])
def test_grid_search_gives_the_same_results_for_every_n_jobs(pruner):
    _every_setting_gives_the_sequential_table(lambda: GridSearchCV(
        Jittery(max_iter=50), {"C": list(np.logspace(-3, 2, 10)),
                               "fit_intercept": [True, False]}, cv=4,
        pruner=PRUNERS[pruner]()))


@pytest.mark.parametrize("pruner", ["halving", "none"])
@pytest.mark.parametrize("sampler", ["tpe", "cmaes", "gp"])
def test_a_fixed_window_gives_the_same_results_for_every_n_jobs(sampler, pruner):
    _every_setting_gives_the_sequential_table(lambda: BayesSearchCV(
        Jittery(max_iter=50), {"C": Float(1e-3, 1e2, log=True),
                               "tol": Float(1e-5, 1e-2, log=True)}, n_iter=16, cv=3,
        sampler=sampler, pruner=PRUNERS[pruner](), window=4, random_state=0))


def test_without_a_window_a_learning_sampler_follows_the_workers():
    # the documented alternative: the default window is the workers', so a
    # learning sampler's results may differ between n_jobs (the same n_jobs
    # gives the same results, tests/test_scheduler.py)
    def make():
        return BayesSearchCV(Jittery(max_iter=50), {"C": Float(1e-3, 1e2, log=True)},
                             n_iter=16, cv=3, pruner="halving", random_state=0)

    one, four = _table(make(), "threading", 1), _table(make(), "threading", 4)
    assert one["params"][:1] == four["params"][:1]  # both start from the same draw
    assert one["params"] != four["params"]


def test_nested_cross_validation_scores_do_not_depend_on_n_jobs():
    # the case: cross_val_score(BayesSearchCV(...)) on wine gave
    # [1, .9661, 1] with n_jobs=None and [1, .9492, .9661] with n_jobs=2
    Xw, yw = load_wine(return_X_y=True)

    def scores(n_jobs):
        search = BayesSearchCV(
            make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)),
            {"logisticregression__C": Float(1e-3, 1e2, log=True)}, n_iter=10, cv=3,
            pruner="median", window=4, n_jobs=n_jobs, random_state=0)
        with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cross_val_score(search, Xw, yw, cv=3)

    np.testing.assert_array_equal(scores(None), scores(2))


def test_window_is_validated_before_any_fit():
    from sksearch._params import InvalidParameterError

    for bad in (0, -1, 1.5, "4"):
        search = BayesSearchCV(LogisticRegression(), {"C": Float(0.1, 1)}, window=bad)
        with pytest.raises(InvalidParameterError, match="'window' parameter"):
            search.fit(X, y)
