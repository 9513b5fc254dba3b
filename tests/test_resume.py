"""Resuming a search from its storage: completed trials are reused, never refit,
and trials of other data or another space are never mixed in."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from sksearch import BayesSearchCV, TrialState
from sksearch.distributions import Float
from sksearch.storage import InMemoryStorage

X, y = load_iris(return_X_y=True)
SPACE = {"C": Float(0.01, 10, log=True), "fit_intercept": [True, False]}


def make_search(storage, **kwargs):
    params = dict(n_iter=4, cv=3, random_state=0, storage=storage, sampler="random")
    params.update(kwargs)
    return BayesSearchCV(LogisticRegression(max_iter=300), SPACE, **params)


def test_refit_with_larger_n_iter_reuses_trials():
    storage = InMemoryStorage()
    first = make_search(storage).fit(X, y)
    first_params = first.cv_results_["params"]
    assert first.n_fold_fits_ == 12
    resumed = make_search(storage, n_iter=7).fit(X, y)
    assert resumed.n_fold_fits_ == 9  # only the 3 new candidates were fitted
    assert resumed.cv_results_["params"][:4] == first_params
    np.testing.assert_array_equal(resumed.cv_results_["mean_test_score"][:4],
                                  first.cv_results_["mean_test_score"])
    assert len(set(map(repr, resumed.cv_results_["params"]))) == 7
    best = max(resumed.study_.get_trials((TrialState.COMPLETE,)), key=lambda t: t.value)
    assert resumed.best_score_ == best.value
    again = make_search(storage, n_iter=7).fit(X, y)
    assert again.n_fold_fits_ == 0


def test_other_data_gets_its_own_study_or_an_error():
    storage = InMemoryStorage()
    a = make_search(storage).fit(X, y)
    b = make_search(storage).fit(X[:120], y[:120])
    assert a.study_.study_name != b.study_.study_name  # nested CV folds never mix
    with pytest.raises(ValueError, match="other data or other CV splits"):
        make_search(storage, study_name=a.study_.study_name).fit(X[:120], y[:120])


def test_other_space_on_named_study_raises():
    storage = InMemoryStorage()
    make_search(storage, study_name="s").fit(X, y)
    other = BayesSearchCV(LogisticRegression(max_iter=300), {"C": Float(0.1, 1)}, n_iter=2,
                          cv=3, storage=storage, study_name="s")
    with pytest.raises(ValueError, match="another estimator or search space"):
        other.fit(X, y)


def test_interrupt_keeps_completed_trials_on_study_():
    calls = []

    def interrupt_on_third(study, trial):
        calls.append(trial.number)
        if len(calls) == 3:
            raise KeyboardInterrupt

    search = make_search(InMemoryStorage(), n_iter=10, callbacks=[interrupt_on_third])
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    completed = search.study_.get_trials((TrialState.COMPLETE,))
    assert [t.number for t in completed] == [0, 1, 2]
    assert not search.study_.get_trials((TrialState.RUNNING,))
    resumed = make_search(search.study_._storage, n_iter=5).fit(X, y)
    assert resumed.n_fold_fits_ == 2 * 3
