"""Pruning inside a fold: iterative estimators fitted in increments."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from sksearch import BayesSearchCV
from sksearch._increments import IncrementsError
from sksearch.distributions import Float, Int
from sksearch.pruners import BoundPruner, StepLayout, SuccessiveHalvingPruner

X, y = load_breast_cancer(return_X_y=True)
X, y = X[::2], y[::2]
X_scaled = StandardScaler().fit_transform(X)

# Estimators whose warm-started growth gives the model a plain fit gives.
GROWING = [
    (RandomForestClassifier(random_state=0, max_depth=3), {"n_estimators": [6, 10],
                                                          "max_features": [0.3, 0.8]},
     "n_estimators"),
    (HistGradientBoostingClassifier(random_state=0, early_stopping=False),
     {"max_iter": [8, 12], "learning_rate": [0.1, 0.3]}, "max_iter"),
    (GradientBoostingClassifier(random_state=0, subsample=0.7, max_depth=2),
     {"n_estimators": [5, 9]}, "n_estimators"),
]


@pytest.mark.parametrize("estimator, grid, parameter", GROWING)
def test_unpruned_increments_equal_gridsearchcv(estimator, grid, parameter):
    theirs = GridSearchCV(estimator, grid, cv=3, return_train_score=True).fit(X, y)
    ours = BayesSearchCV(estimator, grid, sampler="grid", n_iter=None, cv=3,
                         return_train_score=True, increments={parameter: 3}).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split2_test_score", "rank_test_score",
                "mean_train_score", "split1_train_score"):
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_
    # the refitted winner is a plain fit, warm_start untouched
    assert ours.best_estimator_.get_params()["warm_start"] is False
    n_candidates = len(theirs.cv_results_["params"])
    assert ours.n_fold_fits_ == n_candidates * 3
    assert ours.n_increments_ == n_candidates * 3 * 3


def test_each_increment_is_reported_at_fold_times_k_plus_i():
    search = BayesSearchCV(RandomForestClassifier(random_state=0, max_depth=2),
                           {"n_estimators": [8]}, sampler="grid", n_iter=None, cv=3,
                           increments={"n_estimators": 4}).fit(X, y)
    trial = search.study_.trials[0]
    assert sorted(trial.intermediate_values) == list(range(12))
    for fold in range(3):
        # the last increment of a fold is the fold's score in cv_results_
        assert trial.intermediate_values[fold * 4 + 3] == \
            search.cv_results_[f"split{fold}_test_score"][0]
    layout = StepLayout.of(search.study_)
    assert (layout.folds, layout.per_fold, layout.n_steps) == (True, 4, 12)


def test_intermediate_scores_are_those_of_the_smaller_models():
    search = BayesSearchCV(RandomForestClassifier(random_state=0, max_depth=2),
                           {"n_estimators": [9]}, sampler="grid", n_iter=None, cv=3,
                           increments={"n_estimators": 3}).fit(X, y)
    train, test = next(StratifiedKFold(3).split(X, y))
    values = search.study_.trials[0].intermediate_values
    for i, n_trees in enumerate([3, 6, 9]):
        model = RandomForestClassifier(random_state=0, max_depth=2, n_estimators=n_trees)
        assert values[i] == model.fit(X[train], y[train]).score(X[test], y[test])


def test_pruning_mid_fold_saves_increments_and_never_picks_a_pruned_winner():
    grid = {"max_depth": [1, 2, 3, 5, 8], "n_estimators": [8, 16]}
    search = BayesSearchCV(RandomForestClassifier(random_state=0), grid, sampler="grid",
                           n_iter=None, cv=3, increments={"n_estimators": 4},
                           pruner=SuccessiveHalvingPruner(reduction_factor=2)).fit(X, y)
    results = search.cv_results_
    n_total = len(results["params"]) * 3 * 4
    assert 0 < search.n_increments_ < 0.8 * n_total
    assert search.n_pruned_ > 0
    steps_done = [len(t.intermediate_values) for t in search.study_.trials]
    # some candidates were stopped inside a fold, not at a fold boundary
    assert any(n % 4 for n in steps_done)
    pruned = results["status"] == "pruned"
    assert results["status"][search.best_index_] == "complete"
    assert np.all(results["rank_test_score"][pruned] > results["rank_test_score"][~pruned].max())
    for index in np.flatnonzero(pruned):
        trial = search.study_.trials[index]
        finished_folds = len(trial.intermediate_values) // 4
        splits = [results[f"split{f}_test_score"][index] for f in range(3)]
        assert np.isfinite(splits[:finished_folds]).all()
        assert np.isnan(splits[finished_folds:]).all()  # a fold cut short has no score


def test_pipeline_step_parameter_grows():
    pipe = make_pipeline(StandardScaler(), RandomForestClassifier(random_state=0, max_depth=2))
    grid = {"randomforestclassifier__n_estimators": [4, 6]}
    ours = BayesSearchCV(pipe, grid, sampler="grid", n_iter=None, cv=3,
                         increments={"randomforestclassifier__n_estimators": 2}).fit(X, y)
    theirs = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"],
                                  theirs.cv_results_["mean_test_score"])


def test_partial_fit_trains_and_refits_with_the_same_passes():
    space = {"alpha": [1e-4, 1e-2]}
    estimator = SGDClassifier(random_state=0)
    search = BayesSearchCV(estimator, space, sampler="grid", n_iter=None, cv=3,
                           increments={"partial_fit": 5}).fit(X_scaled, y)
    assert search.n_increments_ == 2 * 3 * 5
    assert sorted(search.study_.trials[0].intermediate_values) == list(range(15))
    manual = clone(estimator).set_params(**search.best_params_)
    for _ in range(5):
        manual.partial_fit(X_scaled, y, classes=np.unique(y))
    np.testing.assert_allclose(search.best_estimator_.coef_, manual.coef_)


def test_partial_fit_with_pruning_stops_bad_candidates_early():
    space = {"alpha": Float(1e-6, 10.0, log=True)}
    search = BayesSearchCV(SGDClassifier(random_state=0), space, n_iter=12, cv=3,
                           sampler="random", random_state=0, increments={"partial_fit": 4},
                           pruner="median").fit(X_scaled, y)
    assert search.n_pruned_ > 0
    assert search.n_increments_ < 12 * 3 * 4


def test_parallel_increments_with_pruning_are_reproducible():
    space = {"max_depth": Int(1, 6), "n_estimators": Int(4, 12)}

    def run():
        return BayesSearchCV(RandomForestClassifier(random_state=0), space, n_iter=6, cv=3,
                             increments={"n_estimators": 2}, pruner="halving", n_jobs=2,
                             random_state=0).fit(X, y)

    first, second = run(), run()
    np.testing.assert_array_equal(first.cv_results_["mean_test_score"],
                                  second.cv_results_["mean_test_score"])
    assert list(first.cv_results_["status"]) == list(second.cv_results_["status"])


def test_bound_pruner_with_increments_counts_finished_folds_only():
    grid = {"max_depth": [1, 3, 6], "n_estimators": [6]}
    theirs = GridSearchCV(RandomForestClassifier(random_state=0), grid, cv=3).fit(X, y)
    ours = BayesSearchCV(RandomForestClassifier(random_state=0), grid, sampler="grid",
                         n_iter=None, cv=3, increments={"n_estimators": 3},
                         pruner=BoundPruner()).fit(X, y)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_
    # a partial score bounds nothing: every pruned candidate stopped at a fold's end
    for trial in ours.study_.trials:
        assert len(trial.intermediate_values) % 3 == 0


def test_failed_increment_fails_the_rest_of_the_fold():
    space = {"max_depth": [2], "min_samples_leaf": [1, -1]}  # -1 fails in fit
    with pytest.warns(Warning):
        search = BayesSearchCV(RandomForestClassifier(n_estimators=4, random_state=0), space,
                               sampler="grid", n_iter=None, cv=2,
                               increments={"n_estimators": 2}, pruner="halving").fit(X, y)
    assert list(search.cv_results_["status"]) == ["complete", "fail"]
    failed = search.study_.trials[1].intermediate_values
    # a failure ends its fold: every increment of it is reported failed, so
    # steps stay aligned with the other candidates' (fold * 2 + increment)
    assert sorted(failed) == [0, 1, 2, 3] and np.isnan(list(failed.values())).all()
    # the failed candidate fitted the first increment of each fold only
    assert search.n_fold_fits_ == 4 and search.n_increments_ == 2 * 2 + 2 * 1


class _FitCounter(RandomForestClassifier):
    fits = 0

    def fit(self, X, y, **kwargs):
        type(self).fits += 1
        return super().fit(X, y, **kwargs)


@pytest.mark.parametrize("estimator, increments, space, match", [
    (_FitCounter(), {"n_estimators": 0}, {"max_depth": [2]}, "int >= 1"),
    (_FitCounter(), {"n_estimators": 2, "max_depth": 2}, {"max_depth": [2]}, "one entry"),
    (_FitCounter(), ["n_estimators", 2], {"max_depth": [2]}, "'increments' parameter"),
    (_FitCounter(), {"n_trees": 2}, {"max_depth": [2]}, "'n_trees' is not a parameter"),
    (_FitCounter(), {"partial_fit": 2}, {"max_depth": [2]}, "needs an estimator with"),
    (_FitCounter(), {"n_estimators": 2}, {"n_estimators": Float(2.0, 9.0)},
     "must be an int >= 1"),
    (SVC(), {"max_iter": 2}, {"C": [1.0]}, "'warm_start' parameter"),
])
def test_bad_increments_raise_before_any_fit(estimator, increments, space, match):
    _FitCounter.fits = 0
    with pytest.raises(ValueError, match=match):
        BayesSearchCV(estimator, space, n_iter=1, cv=2, increments=increments).fit(X, y)
    assert _FitCounter.fits == 0


def test_parameter_that_is_not_cumulative_under_warm_start_is_refused():
    with pytest.raises(IncrementsError, match="not cumulative under warm_start"):
        BayesSearchCV(MLPClassifier(max_iter=6, hidden_layer_sizes=(4,)), {"alpha": [1e-3]},
                      sampler="grid", n_iter=None, cv=2, increments={"max_iter": 2},
                      error_score=np.nan).fit(X_scaled, y)


def test_resuming_with_other_increments_is_refused(tmp_path):
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    kwargs = dict(n_iter=2, cv=2, storage=storage, study_name="forest", random_state=0)
    space = {"max_depth": Int(1, 4), "n_estimators": [4]}
    BayesSearchCV(RandomForestClassifier(random_state=0), space,
                  increments={"n_estimators": 2}, **kwargs).fit(X, y)
    with pytest.raises(ValueError, match="increments"):
        BayesSearchCV(RandomForestClassifier(random_state=0), space,
                      increments={"n_estimators": 4}, **kwargs).fit(X, y)


def test_grown_parameter_outside_the_space_grows_to_the_estimators_value():
    grid = {"max_depth": [1, 3]}
    estimator = RandomForestClassifier(n_estimators=10, random_state=0)
    ours = BayesSearchCV(estimator, grid, sampler="grid", n_iter=None, cv=3,
                         increments={"n_estimators": 4},
                         pruner=SuccessiveHalvingPruner(min_early_stopping_rate=5)).fit(X, y)
    theirs = GridSearchCV(estimator, grid, cv=3).fit(X, y)
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"],
                                  theirs.cv_results_["mean_test_score"])


class _SlowForest(RandomForestClassifier):
    def fit(self, X, y, **kwargs):
        import time

        time.sleep(0.02)
        return super().fit(X, y, **kwargs)


def test_fold_times_add_up_over_rounds():
    search = BayesSearchCV(_SlowForest(n_estimators=3, random_state=0), {"max_depth": [2]},
                           sampler="grid", n_iter=None, cv=2, increments={"n_estimators": 3},
                           pruner="median").fit(X, y)
    # each fold ran in three rounds of one increment; its fit time is their sum
    assert search.cv_results_["mean_fit_time"][0] >= 3 * 0.02


def _fold_tasks():
    from sksearch._fold import FoldContext, FoldTask
    from sksearch._increments import Increments

    estimator = GradientBoostingClassifier(random_state=0)
    increments = Increments.from_spec({"n_estimators": 3}, estimator)
    train, test = next(StratifiedKFold(3).split(X, y))
    scorer = check_scoring(estimator)

    def context(**kwargs):
        return FoldContext(estimator=estimator, X=X, y=y, scorer=scorer, fit_params={},
                           score_params={}, return_train_score=False, error_score=np.nan,
                           increments=increments, **kwargs)

    def task(steps, previous=None):
        return FoldTask(parameters={"n_estimators": 9}, train=train, test=test,
                        steps=steps, previous=previous)

    return context, task


def test_a_partly_fitted_model_leaves_a_worker_process_pickled_once():
    import pickle

    from sksearch._fold import PackedModel, fit_fold

    context, task = _fold_tasks()
    here = fit_fold(context(), task(range(0, 1)))
    assert isinstance(here.estimator, GradientBoostingClassifier)  # in-process: as it is
    # a context built by another process: the model comes back as bytes that
    # the scheduler keeps without unpickling them
    there = fit_fold(context(origin="another process"), task(range(0, 1)))
    assert isinstance(there.estimator, PackedModel)
    assert pickle.loads(there.estimator.data).n_estimators == 3
    # continuing from either gives the same model and scores, to the end of the fold
    ends = [fit_fold(context(), task(range(1, 3), previous=first))
            for first in (here, pickle.loads(pickle.dumps(there)))]
    assert ends[0].finished and ends[1].finished
    assert ends[0].step_scores == ends[1].step_scores
    assert ends[0].record.test_scores == ends[1].record.test_scores


def test_a_model_the_standard_pickle_cannot_take_travels_as_it_is():
    from sksearch._fold import PackedModel

    class Local(GradientBoostingClassifier):  # defined in a function: no import path
        pass

    model = Local()
    assert PackedModel.of(model) is model
    packed = PackedModel.of(GradientBoostingClassifier(n_estimators=7))
    assert packed.unpack().n_estimators == 7


class _NoFitForest(RandomForestClassifier):
    def fit(self, X, y, **kwargs):
        raise AssertionError("fitted")


@pytest.mark.parametrize("n_estimators, space, where", [
    (100, {"n_estimators": Int(1, 3)}, r"which can be 1 \(searched in Int\(1, 3\)\)"),
    (100, {"n_estimators": [2, 8]}, r"which can be 2 \(searched in Categorical"),
    (3, {"max_depth": [2]}, r"which can be 3 \(the estimator's value\)"),
    (3, [{"max_depth": [2], "n_estimators": [8]}, {"max_depth": [3]}],
     r"which can be 3 \(the estimator's value\)"),
])
def test_a_grown_parameter_smaller_than_the_increments_is_refused_before_any_fit(
        n_estimators, space, where):
    with pytest.raises(ValueError, match=r"increments=\{'n_estimators': 4\} .*" + where
                       + r".* must be >= 4"):
        BayesSearchCV(_NoFitForest(n_estimators=n_estimators), space, n_iter=2, cv=2,
                      increments={"n_estimators": 4}, pruner="median").fit(X, y)


def test_a_define_by_run_candidate_too_small_for_the_increments_is_refused():
    from sksearch._increments import Increments

    increments = Increments.from_spec({"n_estimators": 4}, RandomForestClassifier())
    assert increments.schedule(RandomForestClassifier(), {"n_estimators": 4}) == [1, 2, 3, 4]
    with pytest.raises(IncrementsError, match=r"increments=\{'n_estimators': 4\} .* can be 2 "
                                              r"\(parameters \{'n_estimators': 2\}\)"):
        increments.schedule(RandomForestClassifier(), {"n_estimators": 2})
