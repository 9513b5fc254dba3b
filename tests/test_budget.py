"""max_fold_fits: a budget of fold fits spent exactly, and the same whatever the timing."""

import os
import time
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from sksearch import BayesSearchCV
from sksearch.distributions import Float
from sksearch.trial import TrialState


class _Jittery(LogisticRegression):
    """Fit times vary from run to run (an unseeded sleep of up to 10 ms)."""

    def fit(self, X, y, **kwargs):
        time.sleep(int.from_bytes(os.urandom(1), "little") / 255 * 0.01)
        return super().fit(X, y, **kwargs)


def _data():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:150, :5], y[:150]


def _fit(pruner, n_jobs, budget, n_iter=30, backend="threading"):
    search = BayesSearchCV(
        _Jittery(max_iter=50), {"C": Float(1e-3, 1e2, log=True)}, n_iter=n_iter, cv=3,
        pruner=pruner, n_jobs=n_jobs, random_state=0, refit=False, max_fold_fits=budget)
    with joblib.parallel_config(backend=backend), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return search.fit(*_data())


def _folds_in_results(search):
    results = search.cv_results_
    return int(sum((~np.isnan(results[f"split{k}_test_score"])).sum()
                   for k in range(search.n_splits_)))


@pytest.mark.parametrize("pruner,n_jobs", [("halving", 1), ("halving", 4), ("median", 3),
                                           (None, 2)])
def test_the_budget_is_spent_exactly_and_the_same_way_every_run(pruner, n_jobs):
    first, second = _fit(pruner, n_jobs, 20), _fit(pruner, n_jobs, 20)
    for search in (first, second):
        assert search.n_fold_fits_ == 20
        assert _folds_in_results(search) == 20
    assert first.cv_results_["params"] == second.cv_results_["params"]
    assert list(first.cv_results_["status"]) == list(second.cv_results_["status"])
    for k in range(3):
        np.testing.assert_array_equal(first.cv_results_[f"split{k}_test_score"],
                                      second.cv_results_[f"split{k}_test_score"])


def test_the_candidate_that_spends_the_last_fold_is_stopped_after_it():
    # no pruner, cv=3, 10 fold fits: three full candidates and one with one fold
    search = _fit(None, 1, 10)
    assert list(search.cv_results_["status"]) == ["complete"] * 3 + ["pruned"]
    assert np.isnan(search.cv_results_["split1_test_score"][3])
    assert search.n_fold_fits_ == 10


def test_a_candidate_asked_after_the_budget_was_spent_is_no_candidate():
    search = _fit("halving", 4, 7)
    assert _folds_in_results(search) == 7
    in_results = len(search.cv_results_["params"])
    extra = [t for t in search.study_.trials if t.number >= in_results]
    assert all(t.state is TrialState.FAIL and "budget" in t.system_attrs["fail_reason"]
               for t in extra)


def test_a_budget_larger_than_n_iter_needs_changes_nothing():
    with_budget, without = _fit("median", 2, 1000, n_iter=8), _fit("median", 2, None, n_iter=8)
    assert with_budget.cv_results_["params"] == without.cv_results_["params"]
    assert with_budget.n_fold_fits_ == without.n_fold_fits_


def test_a_bad_budget_names_the_parameter():
    with pytest.raises(ValueError, match="'max_fold_fits' parameter"):
        _fit(None, 1, 0)
