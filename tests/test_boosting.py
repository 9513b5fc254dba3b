"""Increments of LightGBM, XGBoost and CatBoost models: continued training
scored after each increment, tested with the real libraries (each test skips
when its library is not installed: ``pip install sksearch[boosting]``)."""

import importlib.util

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sksearch import BayesSearchCV
from sksearch._boosting import boosting_growth
from sksearch._increments import Increments, IncrementsError
from sksearch.distributions import Float, Int
from sksearch.pruners import SuccessiveHalvingPruner


def _needs(library):
    return pytest.mark.skipif(importlib.util.find_spec(library) is None,
                              reason=f"{library} is not installed "
                                     "(pip install sksearch[boosting])")


# One thread per model everywhere: n_jobs of the search is the parallelism.
def lgbm_classifier(**kw):
    import lightgbm

    return lightgbm.LGBMClassifier(n_jobs=1, verbose=-1, random_state=0, min_child_samples=5,
                                   **kw)


def lgbm_regressor(**kw):
    import lightgbm

    return lightgbm.LGBMRegressor(n_jobs=1, verbose=-1, random_state=0, min_child_samples=5,
                                  **kw)


def xgb_classifier(**kw):
    import xgboost

    return xgboost.XGBClassifier(n_jobs=1, random_state=0, max_depth=3, **kw)


def xgb_regressor(**kw):
    import xgboost

    return xgboost.XGBRegressor(n_jobs=1, random_state=0, max_depth=3, **kw)


def catboost_classifier(**kw):
    import catboost

    kw.setdefault("learning_rate", 0.2)
    return catboost.CatBoostClassifier(thread_count=1, random_seed=0, depth=3, verbose=0,
                                       allow_writing_files=False, **kw)


def catboost_regressor(**kw):
    import catboost

    kw.setdefault("learning_rate", 0.2)
    return catboost.CatBoostRegressor(thread_count=1, random_seed=0, depth=3, verbose=0,
                                      allow_writing_files=False, **kw)


X_clf, y_clf = make_classification(n_samples=240, n_features=8, n_informative=5,
                                   random_state=0)
X_reg, y_reg = make_regression(n_samples=240, n_features=8, noise=5.0, random_state=0)

# Continued training that gives exactly the plain fit's model: LightGBM and
# XGBoost without subsampling, CatBoost with its default (random) subsampling.
EXACT = [
    pytest.param(lgbm_classifier, {"n_estimators": [6, 10], "learning_rate": [0.1, 0.3]},
                 "clf", marks=_needs("lightgbm"), id="lightgbm-classifier"),
    pytest.param(lgbm_regressor, {"n_estimators": [7], "num_leaves": [4, 8]},
                 "reg", marks=_needs("lightgbm"), id="lightgbm-regressor"),
    pytest.param(xgb_classifier, {"n_estimators": [6, 10], "learning_rate": [0.1, 0.3]},
                 "clf", marks=_needs("xgboost"), id="xgboost-classifier"),
    pytest.param(xgb_regressor, {"n_estimators": [7], "min_child_weight": [1.0, 4.0]},
                 "reg", marks=_needs("xgboost"), id="xgboost-regressor"),
    pytest.param(catboost_classifier, {"n_estimators": [6, 10], "l2_leaf_reg": [1.0, 5.0]},
                 "clf", marks=_needs("catboost"), id="catboost-classifier"),
    pytest.param(catboost_regressor, {"n_estimators": [7], "subsample": [0.5, 0.9]},
                 "reg", marks=_needs("catboost"), id="catboost-regressor"),
]


def _data(task):
    return (X_clf, y_clf, "roc_auc") if task == "clf" else (X_reg, y_reg, "r2")


@pytest.mark.parametrize("make, grid, task", EXACT)
def test_unpruned_increments_equal_gridsearchcv(make, grid, task):
    X, y, scoring = _data(task)
    theirs = GridSearchCV(make(), grid, cv=3, scoring=scoring,
                          return_train_score=True).fit(X, y)
    ours = BayesSearchCV(make(), grid, sampler="grid", n_iter=None, cv=3, scoring=scoring,
                         return_train_score=True, increments={"n_estimators": 3}).fit(X, y)
    for key in ("mean_test_score", "split0_test_score", "split2_test_score",
                "rank_test_score", "mean_train_score", "split1_train_score"):
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.best_params_ == theirs.best_params_
    n_candidates = len(theirs.cv_results_["params"])
    assert ours.n_fold_fits_ == n_candidates * 3
    assert ours.n_increments_ == n_candidates * 3 * 3


@pytest.mark.parametrize("make", [
    pytest.param(lgbm_classifier, marks=_needs("lightgbm"), id="lightgbm"),
    pytest.param(xgb_classifier, marks=_needs("xgboost"), id="xgboost"),
    pytest.param(catboost_classifier, marks=_needs("catboost"), id="catboost"),
])
def test_each_increment_scores_the_model_of_that_many_rounds(make):
    search = BayesSearchCV(make(), {"n_estimators": [9]}, sampler="grid", n_iter=None,
                           cv=3, scoring="roc_auc", increments={"n_estimators": 3}).fit(
        X_clf, y_clf)
    values = search.study_.trials[0].intermediate_values
    train, test = next(StratifiedKFold(3).split(X_clf, y_clf))
    for i, n_rounds in enumerate([3, 6, 9]):
        model = make(n_estimators=n_rounds).fit(X_clf[train], y_clf[train])
        assert values[i] == get_scorer("roc_auc")(model, X_clf[test], y_clf[test])


@pytest.mark.parametrize("make", [
    pytest.param(lgbm_classifier, marks=_needs("lightgbm"), id="lightgbm"),
    pytest.param(xgb_classifier, marks=_needs("xgboost"), id="xgboost"),
    pytest.param(catboost_classifier, marks=_needs("catboost"), id="catboost"),
])
@pytest.mark.parametrize("scoring", [None, ["roc_auc", "neg_log_loss"]], ids=["score", "multi"])
def test_a_fold_fitted_whole_scores_each_increment_by_its_first_rounds(make, scoring):
    # no pruner reads the increments, so each fold is one plain fit of the
    # last step of a Pipeline, scored after each increment by its first
    # rounds: what a plain fit of that many rounds scores
    def pipe(**kw):
        return Pipeline([("scale", StandardScaler()), ("model", make(**kw))])

    search = BayesSearchCV(pipe(), {"model__n_estimators": [9]}, sampler="grid", n_iter=None,
                           cv=3, scoring=scoring, refit="roc_auc" if scoring else True,
                           increments={"model__n_estimators": 3}).fit(X_clf, y_clf)
    assert search.n_increments_ == 3 * 3
    values = search.study_.trials[0].intermediate_values
    scorer = get_scorer("accuracy" if scoring is None else "roc_auc")
    for fold, (train, test) in enumerate(StratifiedKFold(3).split(X_clf, y_clf)):
        for i, n_rounds in enumerate([3, 6, 9]):
            model = pipe(n_estimators=n_rounds).fit(X_clf[train], y_clf[train])
            assert values[fold * 3 + i] == pytest.approx(
                scorer(model, X_clf[test], y_clf[test]), rel=1e-12, abs=1e-12)


@_needs("lightgbm")
def test_increments_between_the_pruners_decisions_run_as_one_fit():
    import lightgbm

    fits = []

    class Counted(lightgbm.LGBMClassifier):
        def fit(self, X, y, init_model=None, **kwargs):
            fits.append(self.n_estimators)
            return super().fit(X, y, init_model=init_model, **kwargs)

    class EveryIncrement(SuccessiveHalvingPruner):
        def decision_steps(self, layout):
            return None

    def search(pruner):
        fits.clear()
        # cv=3, 5 increments: halving's rungs are steps 0, 2 and 8 of 15
        return BayesSearchCV(Counted(n_jobs=1, verbose=-1, min_child_samples=5),
                             {"n_estimators": [30], "num_leaves": [4, 7]}, sampler="grid",
                             n_iter=None, cv=3, scoring="roc_auc", pruner=pruner,
                             increments={"n_estimators": 5}).fit(X_clf, y_clf)

    grouped = search(SuccessiveHalvingPruner())
    grouped_fits = list(fits)
    one_by_one = search(EveryIncrement())
    assert fits[:15] == [6] * 15  # a continued fit per increment
    # the first candidate runs all its folds (nothing to lose to yet): fold 0
    # to the rungs at steps 0 and 2 and to its end, fold 1 to the rung at step
    # 8 and its end, fold 2 whole; a fit's rounds are the ones it adds
    assert grouped_fits[:6] == [6, 12, 12, 24, 6, 30]
    assert len(grouped_fits) < len(fits)
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_array_equal(grouped.cv_results_[key], one_by_one.cv_results_[key])
    for a, b in zip(grouped.study_.trials, one_by_one.study_.trials):
        assert a.state == b.state
        assert a.intermediate_values == pytest.approx(b.intermediate_values, abs=1e-12)
    assert grouped.n_increments_ == one_by_one.n_increments_


@pytest.mark.parametrize("make", [
    pytest.param(lgbm_regressor, marks=_needs("lightgbm"), id="lightgbm"),
    pytest.param(catboost_regressor, marks=_needs("catboost"), id="catboost"),
])
def test_last_step_of_a_pipeline_grows(make):
    pipe = Pipeline([("scale", StandardScaler()), ("model", make())])
    grid = {"model__n_estimators": [5, 8]}
    theirs = GridSearchCV(pipe, grid, cv=3, scoring="r2").fit(X_reg, y_reg)
    ours = BayesSearchCV(pipe, grid, sampler="grid", n_iter=None, cv=3, scoring="r2",
                         increments={"model__n_estimators": 4}).fit(X_reg, y_reg)
    np.testing.assert_array_equal(ours.cv_results_["split1_test_score"],
                                  theirs.cv_results_["split1_test_score"])
    assert ours.n_increments_ == 2 * 3 * 4


@_needs("lightgbm")
def test_sample_weight_reaches_every_increment():
    weights = np.linspace(0.2, 2.0, len(y_clf))
    grid = {"n_estimators": [8]}
    theirs = GridSearchCV(lgbm_classifier(), grid, cv=3).fit(X_clf, y_clf,
                                                             sample_weight=weights)
    ours = BayesSearchCV(lgbm_classifier(), grid, sampler="grid", n_iter=None, cv=3,
                         increments={"n_estimators": 4}).fit(X_clf, y_clf,
                                                             sample_weight=weights)
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"],
                                  theirs.cv_results_["mean_test_score"])


@_needs("xgboost")
def test_pruning_stops_candidates_inside_their_folds():
    space = {"n_estimators": [12], "learning_rate": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
             "max_depth": [1, 3]}
    search = BayesSearchCV(xgb_classifier(), space, sampler="grid", n_iter=None, cv=3,
                           scoring="roc_auc", increments={"n_estimators": 4},
                           pruner=SuccessiveHalvingPruner(min_resource=1,
                                                          reduction_factor=3)).fit(X_clf, y_clf)
    full = 12 * 3 * 4
    assert search.n_increments_ < full
    states = [t.state.name for t in search.study_.trials]
    assert "PRUNED" in states
    pruned = [t for t in search.study_.trials if t.state.name == "PRUNED"]
    # some candidate was stopped before the end of its first fold
    assert min(len(t.intermediate_values) for t in pruned) < 4
    assert search.best_params_ in [t.params for t in search.study_.trials
                                   if t.state.name == "COMPLETE"]


@pytest.mark.parametrize("make", [
    pytest.param(lgbm_regressor, marks=_needs("lightgbm"), id="lightgbm"),
    pytest.param(xgb_regressor, marks=_needs("xgboost"), id="xgboost"),
    pytest.param(catboost_regressor, marks=_needs("catboost"), id="catboost"),
])
def test_a_pickled_model_continues_as_the_plain_fit(make):
    # between increments the fold's model may go to another process
    import pickle

    from sksearch._increments import fit_increment

    estimator = make()
    increments = Increments.from_spec({"n_estimators": 2}, estimator)
    schedule = increments.schedule(estimator, {"n_estimators": 8})
    estimator, _ = fit_increment(estimator, X_reg, y_reg, {}, increments, schedule, 0)
    estimator = pickle.loads(pickle.dumps(estimator))
    estimator, _ = fit_increment(estimator, X_reg, y_reg, {}, increments, schedule, 1)
    np.testing.assert_array_equal(estimator.predict(X_reg),
                                  make(n_estimators=8).fit(X_reg, y_reg).predict(X_reg))


@pytest.mark.slow  # ~25 s: two loky processes importing LightGBM
@_needs("lightgbm")
def test_parallel_workers_continue_each_others_models():
    # the fold's model travels between processes from one increment to the next
    grid = {"n_estimators": [6, 9], "num_leaves": [3, 7]}
    kwargs = dict(sampler="grid", n_iter=None, cv=3, increments={"n_estimators": 3})
    one = BayesSearchCV(lgbm_classifier(), grid, n_jobs=1, **kwargs).fit(X_clf, y_clf)
    two = BayesSearchCV(lgbm_classifier(), grid, n_jobs=2, **kwargs).fit(X_clf, y_clf)
    np.testing.assert_array_equal(one.cv_results_["mean_test_score"],
                                  two.cv_results_["mean_test_score"])


# models of each library that draw rows and columns
SUBSAMPLED = [
    pytest.param(lgbm_classifier, dict(subsample=0.6, subsample_freq=1, colsample_bytree=0.6),
                 marks=_needs("lightgbm"), id="lightgbm"),
    pytest.param(xgb_classifier, dict(subsample=0.6, colsample_bytree=0.6),
                 marks=_needs("xgboost"), id="xgboost"),
]


@pytest.mark.parametrize("make, kwargs", SUBSAMPLED)
def test_subsampled_models_grow_to_the_candidates_rounds(make, kwargs):
    # continued training redraws the subsamples (not the plain fit's model),
    # but the fold's model has the candidate's rounds in all
    estimator = make(**kwargs)
    increments = Increments.from_spec({"n_estimators": 3}, estimator)
    from sksearch._increments import fit_increment

    schedule = increments.schedule(estimator, {"n_estimators": 10})
    assert schedule == [4, 7, 10]
    for index in range(3):
        estimator, refitted = fit_increment(estimator, X_clf, y_clf, {}, increments,
                                            schedule, index)
        assert refitted
    booster = estimator.booster_ if hasattr(estimator, "booster_") else estimator.get_booster()
    n_trees = (booster.num_trees() if hasattr(booster, "num_trees")
               else booster.num_boosted_rounds())
    assert n_trees == 10


@_needs("lightgbm")
def test_lightgbm_increments_draw_fresh_subsamples_reproducibly():
    # LightGBM restarts its bagging and feature-fraction generators at every
    # continued fit: with the same seeds each increment would redraw the first
    # increment's subsamples. Each continuation gets seeds derived from the
    # model's random_state and the rounds so far: fresh, and the same on a rerun.
    from sksearch._increments import fit_increment

    def grown(**kwargs):
        estimator = lgbm_classifier(**kwargs)
        increments = Increments.from_spec({"n_estimators": 3}, estimator)
        schedule = increments.schedule(estimator, {"n_estimators": 9})
        seeds = []
        for index in range(3):
            estimator, _ = fit_increment(estimator, X_clf, y_clf, {}, increments,
                                         schedule, index)
            params = estimator.get_params()
            seeds.append((params.get("bagging_seed"), params.get("feature_fraction_seed")))
        return estimator, seeds

    model, seeds = grown(subsample=0.6, subsample_freq=1, colsample_bytree=0.6)
    assert seeds[0] == (None, None)  # the first increment is the plain fit's start
    assert seeds[1] != seeds[2] and all(s is not None for s in seeds[1] + seeds[2])
    again, seeds_again = grown(subsample=0.6, subsample_freq=1, colsample_bytree=0.6)
    assert seeds_again == seeds
    np.testing.assert_array_equal(model.predict_proba(X_clf), again.predict_proba(X_clf))
    other_seed = lgbm_classifier(subsample=0.6, subsample_freq=1).set_params(random_state=1)
    assert growth_seeds(other_seed) != growth_seeds(lgbm_classifier(
        subsample=0.6, subsample_freq=1))
    # a model that draws nothing is continued exactly as it was (the parity
    # with GridSearchCV above depends on it)
    _, plain_seeds = grown()
    assert plain_seeds == [(None, None)] * 3


@_needs("xgboost")
def test_xgboost_increments_are_the_same_whatever_the_process_fitted_before():
    # XGBoost does not reseed a continued model whose seed is unchanged: its
    # subsamples then came from wherever earlier fits left the generator, and
    # the same search gave other scores on a second run. Each continuation
    # now gets its own seed.
    from sksearch._increments import fit_increment

    def grown():
        estimator = xgb_classifier(subsample=0.6, colsample_bytree=0.6, colsample_bynode=0.7)
        increments = Increments.from_spec({"n_estimators": 3}, estimator)
        schedule = increments.schedule(estimator, {"n_estimators": 12})
        seeds = []
        for index in range(3):
            # what other candidates fitted meanwhile in this worker
            xgb_classifier(subsample=0.5, n_estimators=3).set_params(
                random_state=index + 7).fit(X_clf, y_clf)
            estimator, _ = fit_increment(estimator, X_clf, y_clf, {}, increments,
                                         schedule, index)
            seeds.append(estimator.get_params()["random_state"])
        return estimator, seeds

    (first, seeds), (second, again) = grown(), grown()
    assert seeds[0] == 0 and len(set(seeds)) == 3 and again == seeds
    np.testing.assert_array_equal(first.predict_proba(X_clf), second.predict_proba(X_clf))
    # a model that draws nothing keeps its seed (and its parity with one fit)
    plain = xgb_classifier().set_params(n_estimators=2).fit(X_clf, y_clf)
    assert boosting_growth(plain)._reseeded(plain) == {}


@pytest.mark.parametrize("make, kwargs", SUBSAMPLED)
def test_subsampled_searches_in_increments_are_reproducible(make, kwargs):
    import joblib

    def run():
        search = BayesSearchCV(make(**kwargs), {"n_estimators": Int(4, 16),
                                                 "learning_rate": Float(0.05, 0.5, log=True)},
                               n_iter=8, cv=3, increments={"n_estimators": 4},
                               pruner="halving", n_jobs=2, random_state=0, refit=False)
        with joblib.parallel_config(backend="threading"):
            return search.fit(X_clf, y_clf).cv_results_

    first, second = run(), run()
    assert first["params"] == second["params"]
    for k in range(3):
        np.testing.assert_array_equal(first[f"split{k}_test_score"],
                                      second[f"split{k}_test_score"])


def growth_seeds(estimator):
    fitted = estimator.set_params(n_estimators=2).fit(X_clf, y_clf)
    return boosting_growth(fitted)._reseeded(fitted)


@_needs("xgboost")
def test_unset_rounds_grow_to_the_librarys_default():
    import xgboost

    estimator = xgboost.XGBRegressor()
    assert estimator.get_params()["n_estimators"] is None
    increments = Increments.from_spec({"n_estimators": 3}, estimator)
    assert increments.schedule(estimator, {}) == [34, 67, 100]


@_needs("catboost")
def test_catboost_rounds_under_any_alias():
    estimator = catboost_classifier(iterations=20)
    increments = Increments.from_spec({"iterations": 2}, estimator)
    assert increments.schedule(estimator, {}) == [10, 20]
    increments = Increments.from_spec({"n_estimators": 4}, estimator)
    assert increments.schedule(estimator, {}) == [5, 10, 15, 20]
    search = BayesSearchCV(estimator, {"depth": [2]}, sampler="grid", n_iter=None, cv=2,
                           increments={"n_estimators": 2}).fit(X_clf, y_clf)
    assert search.n_increments_ == 4
    assert search.best_estimator_.tree_count_ == 20


@pytest.mark.parametrize("make, increments, space, match", [
    pytest.param(lgbm_classifier, {"num_leaves": 2}, {"learning_rate": [0.1]},
                 "grows by its boosting rounds, 'n_estimators'", marks=_needs("lightgbm"),
                 id="lightgbm-other-parameter"),
    pytest.param(lgbm_classifier, {"n_estimators": 2}, {"boosting_type": ["gbdt", "rf"]},
                 "random forest mode", marks=_needs("lightgbm"), id="lightgbm-rf"),
    pytest.param(lambda: __import__("xgboost").XGBRFClassifier(n_jobs=1),
                 {"n_estimators": 2}, {"max_depth": [2]}, "one boosting round",
                 marks=_needs("xgboost"), id="xgboost-rf"),
    pytest.param(lambda: catboost_classifier(learning_rate=None), {"n_estimators": 2},
                 {"depth": [2]}, "set learning_rate", marks=_needs("catboost"),
                 id="catboost-learning-rate-unset"),
])
def test_what_cannot_grow_is_refused_before_any_fit(make, increments, space, match):
    search = BayesSearchCV(make(), space, sampler="grid", n_iter=None, cv=2,
                           increments=increments)
    with pytest.raises(IncrementsError, match=match):
        search.fit(X_clf, y_clf)
    assert not hasattr(search, "cv_results_")


@_needs("lightgbm")
def test_a_boosting_model_inside_another_estimator_is_refused():
    from sklearn.ensemble import BaggingClassifier

    bagging = BaggingClassifier(lgbm_classifier(), n_estimators=2)
    with pytest.raises(IncrementsError, match="last step of a Pipeline"):
        BayesSearchCV(bagging, {"max_samples": [0.5]}, sampler="grid", n_iter=None, cv=2,
                      increments={"estimator__n_estimators": 2}).fit(X_clf, y_clf)


def test_estimators_of_no_boosting_library_are_not_recognised():
    from sklearn.ensemble import HistGradientBoostingClassifier

    assert boosting_growth(HistGradientBoostingClassifier()) is None
    assert boosting_growth(KFold()) is None


@_needs("catboost")
def test_catboost_cannot_continue_an_unpickled_model_with_a_bias():
    # Why the CatBoost growth refits an unpickled model with a bias from the
    # start: continued from it, CatBoost 1.2 does not give the plain fit's
    # model (from the model in memory it does). When this fails, CatBoost
    # fixed it and the fallback in sksearch/_boosting.py can go.
    import pickle

    from sklearn.base import clone

    model = catboost_regressor(iterations=4).fit(X_reg, y_reg)
    assert model.get_scale_and_bias()[1] != 0
    plain = catboost_regressor(iterations=8).fit(X_reg, y_reg).predict(X_reg)
    for init_model, exact in [(model, True), (pickle.loads(pickle.dumps(model)), False)]:
        grown = clone(model).set_params(iterations=4)
        grown.fit(X_reg, y_reg, init_model=init_model)
        assert np.array_equal(grown.predict(X_reg), plain) is exact
