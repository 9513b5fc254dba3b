"""The scheduler: sequential searches unchanged, parallel ones reproducible."""

import json
import os
import pathlib
import time
import warnings

import joblib
import numpy as np
import pytest
from _pin_runs import CONFIGS, run
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from sksearch import BayesSearchCV
from sksearch.distributions import Float

PINS = json.loads((pathlib.Path(__file__).parent / "data" / "sequential_pins.json").read_text())


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_sequential_searches_are_exactly_what_they_were(name):
    # generated at 1b32a90, before the scheduler: proposals, pruning decisions
    # and every split score of a seeded n_jobs=1 search must not move
    assert run(name) == PINS[name]


class Jittery(LogisticRegression):
    """Fit times vary from run to run (an unseeded sleep of up to 10 ms); the
    scores do not."""

    def fit(self, X, y, **kwargs):
        time.sleep(int.from_bytes(os.urandom(1), "little") / 255 * 0.01)
        return super().fit(X, y, **kwargs)


@pytest.mark.parametrize("backend,n_jobs", [("threading", 2), ("threading", 4),
                                            ("loky", 2), ("loky", 4)])
@pytest.mark.parametrize("sampler,pruner", [("tpe", "halving"), ("random", "median"),
                                            ("tpe", None)])
def test_same_seed_and_n_jobs_give_the_same_results_whatever_the_timing(
        backend, n_jobs, sampler, pruner):
    if backend == "loky" and (sampler, pruner) != ("tpe", "halving"):
        pytest.skip("one loky configuration per n_jobs is enough (slow start-up)")
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:150, :5], y[:150]

    def fit():
        search = BayesSearchCV(
            Jittery(max_iter=50), {"C": Float(1e-3, 1e2, log=True)}, n_iter=14, cv=3,
            sampler=sampler, pruner=pruner, n_jobs=n_jobs, random_state=0, refit=False)
        with joblib.parallel_config(backend=backend), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
        return search.cv_results_

    first, second = fit(), fit()
    assert first["params"] == second["params"]
    assert list(first["status"]) == list(second["status"])
    for k in range(3):
        np.testing.assert_array_equal(first[f"split{k}_test_score"],
                                      second[f"split{k}_test_score"])
