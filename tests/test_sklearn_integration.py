"""Integration with scikit-learn's machinery: metadata routing and the 1.9
callback API."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold

from sksearch import BayesSearchCV
from sksearch.distributions import Float

X, y = load_iris(return_X_y=True)


class WeightRecordingLR(LogisticRegression):
    """Records the sample weights each fit receives (metadata routing target)."""

    def fit(self, X, y, sample_weight=None):
        self.seen_weight_sum_ = None if sample_weight is None else float(np.sum(sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


def test_metadata_routing_matches_gridsearchcv():
    weights = np.random.default_rng(0).uniform(0.5, 1.5, len(y))
    groups = np.arange(len(y)) % 5
    with sklearn.config_context(enable_metadata_routing=True):
        est = WeightRecordingLR(max_iter=300).set_fit_request(sample_weight=True)
        grid = {"C": [0.1, 1.0]}
        scorer = make_scorer(accuracy_score).set_score_request(sample_weight=True)
        common = dict(cv=GroupKFold(5), scoring=scorer)
        theirs = GridSearchCV(est, grid, **common).fit(X, y, sample_weight=weights,
                                                       groups=groups)
        ours = BayesSearchCV(est, grid, sampler="grid", n_iter=None, **common).fit(
            X, y, sample_weight=weights, groups=groups)
        np.testing.assert_array_equal(ours.cv_results_["mean_test_score"],
                                      theirs.cv_results_["mean_test_score"])
        assert ours.best_estimator_.seen_weight_sum_ == pytest.approx(weights.sum())
        with pytest.raises(Exception, match="sample_weight"):
            # routing is on and the estimator did not request it: sklearn's error
            BayesSearchCV(LogisticRegression(), grid, sampler="grid", n_iter=None).fit(
                X, y, sample_weight=weights)
        router = ours.get_metadata_routing()
        assert "splitter" in str(router) and "scorer" in str(router)


callback_mod = pytest.importorskip("sklearn.callback", reason="scikit-learn < 1.9")


class RecordingCallback:
    """Counts the task begin/end events of a fit."""

    def __init__(self):
        self.begins, self.ends = [], []

    def setup(self, estimator, context):
        self.setup_called = True

    def on_fit_task_begin(self, estimator, context):
        self.begins.append(context.task_name)

    def on_fit_task_end(self, estimator, context):
        self.ends.append(context.task_name)

    def teardown(self, estimator, context):
        self.teardown_called = True


def test_set_callbacks_sees_every_fold_and_the_refit():
    callback = RecordingCallback()
    search = BayesSearchCV(LogisticRegression(max_iter=300), {"C": Float(0.1, 10)},
                           n_iter=3, cv=3, random_state=0)
    search.set_callbacks(callback)
    search.fit(X, y)
    assert callback.setup_called and callback.teardown_called
    assert callback.begins.count("candidate-split-evaluation") == 9
    assert callback.begins.count("search") == 1
    assert callback.begins.count("refit-with-best-params") == 1
    assert sorted(callback.begins) == sorted(callback.ends)


def test_progress_bar_runs():
    pytest.importorskip("rich")
    search = BayesSearchCV(LogisticRegression(max_iter=300), {"C": Float(0.1, 10)},
                           n_iter=2, cv=2, random_state=0)
    search.set_callbacks(callback_mod.ProgressBar())
    assert search.fit(X, y).best_params_


def test_callbacks_see_each_increment_when_pruning_inside_folds():
    from sklearn.ensemble import RandomForestClassifier

    callback = RecordingCallback()
    search = BayesSearchCV(RandomForestClassifier(random_state=0), {"max_depth": [1, 2, 4],
                                                                    "n_estimators": [4]},
                           sampler="grid", n_iter=None, cv=2, increments={"n_estimators": 2},
                           pruner="halving")
    search.set_callbacks(callback)
    search.fit(X, y)
    # one task per increment run, each begun and ended
    assert callback.begins.count("candidate-split-evaluation") == search.n_increments_
    assert sorted(callback.begins) == sorted(callback.ends)


def test_progress_bar_runs_with_increments():
    pytest.importorskip("rich")
    from sklearn.ensemble import RandomForestClassifier

    search = BayesSearchCV(RandomForestClassifier(random_state=0), {"max_depth": [1, 3]},
                           sampler="grid", n_iter=None, cv=2, increments={"n_estimators": 2},
                           pruner="median")
    search.set_callbacks(callback_mod.ProgressBar())
    assert search.fit(X, y).best_params_
