"""TPE with ``cost``: expected improvement per second (Snoek et al., 2012)."""

import math
import time

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier

from sksearch import BayesSearchCV, Study, TrialPruned
from sksearch.distributions import Categorical, Float
from sksearch.samplers import TPESampler
from sksearch.samplers._cost import LogCostModel, log_expected_improvement
from sksearch.trial import COST_KEY, measured_cost


def test_log_cost_model_recovers_a_log_quadratic_cost_with_choices():
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.random(60), rng.random(60), rng.integers(0, 3, 60)])
    effect = np.array([0.0, 1.0, -1.0])

    def log_cost(p):
        return 0.5 + 2 * p[:, 0] - p[:, 1] ** 2 + effect[p[:, 2].astype(int)]

    model = LogCostModel(points, log_cost(points), [None, None, 3], ridge=1e-10)
    new = np.column_stack([rng.random(20), rng.random(20), rng.integers(0, 3, 20)])
    np.testing.assert_allclose(model.predict(new), log_cost(new), atol=1e-6)
    assert model.n_samples == 60


def test_log_cost_model_leaves_out_unknown_rows_and_shrinks_to_the_mean():
    points = np.array([[0.1], [0.9], [np.nan], [0.5]])
    log_costs = np.array([1.0, 3.0, 100.0, np.nan])
    model = LogCostModel(points, log_costs, [None])
    assert model.n_samples == 2
    # two rows, ridge 1: between the mean and the fitted line, ordered as the data
    low, high = model.predict(np.array([[0.1], [0.9]]))
    assert 1.0 < low < 2.0 < high < 3.0
    empty = LogCostModel(np.empty((0, 1)), np.empty(0), [None])
    assert empty.n_samples == 0 and np.all(empty.predict(np.array([[0.3]])) == 0.0)


def test_log_expected_improvement_is_tpes_closed_form():
    gamma, ratio = 0.1, np.array([-5.0, 0.0, 2.0, 50.0])
    expected = -np.log(gamma + (1 - gamma) * np.exp(-ratio))
    np.testing.assert_allclose(log_expected_improvement(ratio, gamma), expected, atol=1e-12)
    # bounded by the improvement of a point surely in the good set
    assert log_expected_improvement(1e6, gamma) == pytest.approx(-math.log(gamma))
    assert np.all(np.diff(log_expected_improvement(ratio, gamma)) > 0)


def _study(cost, seed):
    # the objective ignores y, the cost grows 100-fold with it
    study = Study(direction="minimize", sampler=TPESampler(cost=cost, seed=seed))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.5) ** 2
                   + 0 * t.suggest_float("y", 0, 1), n_trials=50)
    return study


def _cost_of_y(trial):
    return 10 ** (2 * trial.params["y"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cost_steers_the_search_to_the_cheap_region_at_the_same_quality(seed):
    costed, plain = _study(_cost_of_y, seed), _study(None, seed)
    late = slice(20, None)
    cost_of = [_cost_of_y(t) for t in costed.trials[late]]
    plain_cost_of = [_cost_of_y(t) for t in plain.trials[late]]
    assert np.median(cost_of) < 3.0  # y below 0.24
    assert sum(cost_of) < 0.5 * sum(plain_cost_of)
    assert costed.best_value < 1e-3


def test_a_cost_of_the_parameters_keeps_proposals_reproducible():
    first, second = _study(_cost_of_y, 3), _study(_cost_of_y, 3)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]
    assert [t.params for t in first.trials] != [t.params for t in _study(None, 3).trials]


def test_each_finished_trial_is_measured_once_and_unknown_costs_are_ignored():
    measured = []

    def cost(trial):
        measured.append(trial.number)
        return None if trial.number % 2 else 1.0 + trial.params["x"]

    study = Study(direction="minimize", sampler=TPESampler(cost=cost, seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=30)
    assert len(measured) == len(set(measured)) >= 25


@pytest.mark.parametrize("cost", ["time", 1.0, ("fit_time",)])
def test_cost_must_be_none_fit_time_or_a_callable(cost):
    with pytest.raises(ValueError, match="'cost' parameter of TPESampler must be None or "
                                         "'fit_time' or a callable"):
        TPESampler(cost=cost)


def test_search_trials_cost_their_mean_fold_fit_time():
    X, y = make_classification(n_samples=60, random_state=0)
    search = BayesSearchCV(DummyClassifier(), {"strategy": ["prior", "stratified"]},
                           n_iter=2, cv=3, sampler="grid", random_state=0).fit(X, y)
    for trial, mean in zip(search.study_.trials, search.cv_results_["mean_fit_time"]):
        assert measured_cost(trial) == pytest.approx(mean, rel=1e-12)


def test_plain_study_trials_cost_the_duration_of_complete_ones():
    study = Study(direction="minimize")

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        time.sleep(0.01)
        if trial.number == 1:
            raise TrialPruned()
        return x

    study.optimize(objective, n_trials=2)
    complete, pruned = study.trials
    assert measured_cost(complete) == pytest.approx(complete.duration.total_seconds())
    assert measured_cost(complete) >= 0.01
    assert measured_cost(pruned) is None


class SlowWhenAsked(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; ``slow=True`` only makes ``fit`` slower."""

    def __init__(self, slow=False, c=1.0):
        self.slow = slow
        self.c = c

    def fit(self, X, y):
        if self.slow:
            time.sleep(0.03)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


def test_search_with_measured_fit_time_stops_proposing_the_slow_models():
    X, y = make_classification(n_samples=40, random_state=0)
    space = {"slow": Categorical([False, True]), "c": Float(0.1, 10, log=True)}

    def slow_late(sampler):
        search = BayesSearchCV(SlowWhenAsked(), space, n_iter=24, cv=2, sampler=sampler,
                               random_state=0).fit(X, y)
        return sum(p["slow"] for p in search.cv_results_["params"][12:])

    assert slow_late(TPESampler(cost="fit_time", n_startup_trials=6)) <= 2
    assert slow_late(TPESampler(n_startup_trials=6)) >= 4


@pytest.mark.parametrize("stored", [-1.0, float("nan"), "3 s", True])
def test_a_stored_cost_is_checked_when_read(stored):
    study = Study(direction="minimize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.set_trial_system_attr(study.trials[0], COST_KEY, stored)
    with pytest.raises(ValueError, match="Trial 0 stores a cost"):
        measured_cost(study.trials[0])
