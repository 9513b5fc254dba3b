"""Grids along a parameter a model grows by (issue #29, part 3): each fold
fits the smallest value once and grows it to the next; the scores are
scikit-learn's, key by key."""

import warnings

import numpy as np
import pytest
import sklearn.model_selection as skms
from _trees import CountingTree, trees_fitted
from joblib import parallel_config
from sklearn.datasets import load_digits, make_regression
from sklearn.ensemble import (
    BaggingClassifier,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import FitFailedWarning
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from test_reuse import _assert_same_results

from sksearch import BayesSearchCV, GridSearchCV, RandomizedSearchCV, _reuse
from sksearch._grow import grown_parameter

X, y = load_digits(return_X_y=True)
X, y = X[:240], y[:240]
X_reg, y_reg = make_regression(n_samples=150, n_features=8, noise=5.0, random_state=0)

#: (estimator, grid, X, y): each grid varies the grown parameter fastest
CASES = {
    "forest": (RandomForestClassifier(random_state=0),
               {"max_features": ["sqrt", 0.5], "n_estimators": [3, 7, 15]}, X, y),
    "extra_trees": (ExtraTreesClassifier(random_state=1, bootstrap=True),
                    {"max_depth": [4, None], "n_estimators": [2, 5, 9]}, X, y),
    "forest_regressor": (RandomForestRegressor(random_state=0, max_samples=0.7),
                         {"n_estimators": [4, 8, 12]}, X_reg, y_reg),
    "extra_trees_regressor": (ExtraTreesRegressor(random_state=0),
                              {"n_estimators": [4, 8]}, X_reg, y_reg),
    "gradient_boosting": (GradientBoostingClassifier(random_state=0, subsample=0.8,
                                                     max_features=0.5, max_depth=2),
                          {"learning_rate": [0.1, 0.3], "n_estimators": [3, 6, 10]}, X, y),
    "gradient_boosting_regressor": (GradientBoostingRegressor(random_state=3, subsample=0.7),
                                    {"n_estimators": [5, 10, 20]}, X_reg, y_reg),
    "hist_gradient_boosting": (HistGradientBoostingClassifier(random_state=0, max_depth=3,
                                                              max_features=0.5),
                               {"max_iter": [3, 6, 12]}, X, y),
    "bagging": (BaggingClassifier(CountingTree(max_depth=4), random_state=0),
                {"max_samples": [0.5, 1.0], "n_estimators": [2, 4, 8]}, X, y),
    "pipeline": (Pipeline([("sc", StandardScaler()),
                           ("rf", RandomForestClassifier(random_state=0))]),
                 {"rf__max_features": ["sqrt", 0.5], "rf__n_estimators": [3, 7, 15]}, X, y),
}


def _sklearn(estimator, grid, X, y, **kw):
    return skms.GridSearchCV(estimator, grid, cv=3, **kw).fit(X, y)


def _grow_search(estimator, grid, X, y, **kw):
    """sksearch's GridSearchCV and the cache's statistics in this process."""
    _reuse.LAST_STATS.clear()
    search = GridSearchCV(estimator, grid, cv=3, **kw).fit(X, y)
    return search, dict(_reuse.LAST_STATS)


def _counting_bagging(log, **params):
    return BaggingClassifier(CountingTree(max_depth=3, log=str(log)), random_state=0,
                             **params)


COUNT_GRID = {"max_features": [0.5, 1.0], "n_estimators": [2, 5, 9]}
#: trees a search fits when each fold grows each family to its largest value
#: (3 folds x 2 max_features x 9), and when every candidate is fitted whole
GROWN_TREES, WHOLE_TREES = 3 * 2 * 9, 3 * 2 * (2 + 5 + 9)


# -- the same scores as scikit-learn ---------------------------------------------------------

@pytest.mark.parametrize("case", sorted(CASES))
def test_grid_grown_equals_scikit_learn(case):
    estimator, grid, X_, y_ = CASES[case]
    ours, stats = _grow_search(estimator, grid, X_, y_)
    theirs = _sklearn(estimator, grid, X_, y_)
    _assert_same_results(ours, theirs)
    # every value after a family's smallest one was grown, on each of 3 folds
    values = next(v for k, v in grid.items() if k.endswith(("n_estimators", "max_iter")))
    n_families = len(ours.cv_results_["params"]) // len(values)
    assert stats["grown"] == 3 * n_families * (len(values) - 1)


@pytest.mark.parametrize("n_jobs, backend", [(2, "threading"), (2, "loky")])
@pytest.mark.parametrize("case", ["forest", "pipeline", "hist_gradient_boosting"])
def test_grid_grown_equals_scikit_learn_in_parallel(case, n_jobs, backend):
    estimator, grid, X_, y_ = CASES[case]
    with parallel_config(backend=backend):
        ours = GridSearchCV(estimator, grid, cv=3, n_jobs=n_jobs).fit(X_, y_)
        theirs = _sklearn(estimator, grid, X_, y_, n_jobs=n_jobs)
    _assert_same_results(ours, theirs)


def test_train_scores_and_multimetric_of_grown_models_equal_scikit_learn():
    estimator, grid, X_, y_ = CASES["pipeline"]
    kw = dict(cv=3, scoring=["accuracy", "f1_macro"], refit="f1_macro",
              return_train_score=True)
    ours = GridSearchCV(estimator, grid, **kw).fit(X_, y_)
    theirs = skms.GridSearchCV(estimator, grid, **kw).fit(X_, y_)
    for key in theirs.cv_results_:
        if key.endswith(("test_accuracy", "test_f1_macro", "train_accuracy",
                         "train_f1_macro")):
            np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key],
                                          err_msg=key)
    assert ours.best_params_ == theirs.best_params_


def test_random_search_grown_equals_scikit_learn_on_its_candidates():
    estimator = RandomForestClassifier(random_state=0)
    space = {"n_estimators": list(range(2, 20)), "max_features": ["sqrt", 0.5]}
    _reuse.LAST_STATS.clear()
    ours = RandomizedSearchCV(estimator, space, n_iter=12, cv=3, random_state=0).fit(X, y)
    stats = dict(_reuse.LAST_STATS)
    # the same candidates, in the same order, each fitted whole by scikit-learn
    points = [{k: [v] for k, v in p.items()} for p in ours.cv_results_["params"]]
    theirs = _sklearn(estimator, points, X, y)
    _assert_same_results(ours, theirs)
    assert stats["grown"] > 0
    whole = RandomizedSearchCV(estimator, space, n_iter=12, cv=3, random_state=0,
                               reuse=False).fit(X, y)
    _assert_same_results(ours, whole)


# -- growth happened ---------------------------------------------------------------------------

def test_each_fold_fits_the_largest_value_once(tmp_path):
    log = tmp_path / "trees"
    ours, stats = _grow_search(_counting_bagging(log), COUNT_GRID, X, y, refit=False)
    assert trees_fitted(log) == GROWN_TREES
    assert stats["grown"] == 3 * 2 * 2
    theirs = _sklearn(_counting_bagging(tmp_path / "theirs"), COUNT_GRID, X, y, refit=False)
    assert trees_fitted(tmp_path / "theirs") == WHOLE_TREES
    _assert_same_results(ours, theirs)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_growth_with_two_workers(tmp_path, backend):
    log = tmp_path / "trees"
    with parallel_config(backend=backend):
        ours = GridSearchCV(_counting_bagging(log), COUNT_GRID, cv=3, n_jobs=2,
                            refit=False).fit(X, y)
    # a candidate that starts before its smaller neighbour has finished, or
    # lands in the other worker process, fits from scratch (or from a smaller
    # model): fewer trees than fitting each whole, never fewer than the ideal
    assert GROWN_TREES <= trees_fitted(log) < WHOLE_TREES
    theirs = _sklearn(_counting_bagging(tmp_path / "theirs"), COUNT_GRID, X, y, refit=False)
    _assert_same_results(ours, theirs)


def test_reuse_false_fits_every_candidate_whole(tmp_path):
    log = tmp_path / "trees"
    GridSearchCV(_counting_bagging(log), COUNT_GRID, cv=3, refit=False,
                 reuse=False).fit(X, y)
    assert trees_fitted(log) == WHOLE_TREES


@pytest.mark.parametrize("bound", [1, "1KB"])
def test_tiny_bound_grows_nothing_and_scores_the_same(tmp_path, bound):
    log = tmp_path / "trees"
    ours, stats = _grow_search(_counting_bagging(log), COUNT_GRID, X, y, refit=False,
                               reuse=bound)
    assert trees_fitted(log) == WHOLE_TREES
    assert stats["grown"] == 0 and stats["peak_nbytes"] <= _reuse.reuse_bytes(bound)
    theirs = _sklearn(_counting_bagging(tmp_path / "theirs"), COUNT_GRID, X, y, refit=False)
    _assert_same_results(ours, theirs)


def test_bound_respected_while_growing(tmp_path):
    bound = 40_000  # about two families' models of a fold: older ones evicted
    log = tmp_path / "trees"
    ours, stats = _grow_search(_counting_bagging(log), COUNT_GRID, X, y, refit=False,
                               reuse=bound)
    assert stats["peak_nbytes"] <= bound
    assert GROWN_TREES <= trees_fitted(log) <= WHOLE_TREES
    theirs = _sklearn(_counting_bagging(tmp_path / "theirs"), COUNT_GRID, X, y, refit=False)
    _assert_same_results(ours, theirs)


# -- where growth is not exact, it is not done --------------------------------------------------

@pytest.mark.parametrize("estimator, n_train, expected", [
    (RandomForestClassifier(random_state=0), 100, "n_estimators"),
    (RandomForestClassifier(), 100, None),  # unseeded: differs fit to fit
    (RandomForestClassifier(random_state=np.random.RandomState(0)), 100, None),
    (GradientBoostingClassifier(random_state=0), 100, "n_estimators"),
    (GradientBoostingClassifier(random_state=0, n_iter_no_change=3), 100, None),
    (HistGradientBoostingClassifier(random_state=0), 100, "max_iter"),
    (HistGradientBoostingClassifier(random_state=0), 20_000, None),  # "auto" stops early
    (HistGradientBoostingClassifier(random_state=0, early_stopping=True), 100, None),
    (HistGradientBoostingClassifier(random_state=0, early_stopping=False), 20_000,
     "max_iter"),
    (CountingTree(random_state=0), 100, None),
])
def test_grown_parameter_only_where_exact(estimator, n_train, expected):
    assert grown_parameter(estimator, n_train) == expected


def test_early_stopping_gradient_boosting_is_fitted_whole():
    estimator = GradientBoostingClassifier(random_state=0, n_iter_no_change=2, max_depth=2)
    grid = {"n_estimators": [5, 20, 40]}
    ours, stats = _grow_search(estimator, grid, X, y)
    assert stats.get("grown", 0) == 0
    _assert_same_results(ours, _sklearn(estimator, grid, X, y))


def test_unseeded_forest_is_fitted_whole(tmp_path):
    log = tmp_path / "trees"
    estimator = BaggingClassifier(CountingTree(max_depth=3, log=str(log)))
    GridSearchCV(estimator, COUNT_GRID, cv=3, refit=False).fit(X, y)
    assert trees_fitted(log) == WHOLE_TREES


def test_sample_weight_to_the_grown_step_is_fitted_whole(tmp_path):
    weights = np.linspace(0.5, 1.5, len(y))
    log = tmp_path / "trees"
    ours = GridSearchCV(_counting_bagging(log), COUNT_GRID, cv=3, refit=False).fit(
        X, y, sample_weight=weights)
    assert trees_fitted(log) == WHOLE_TREES
    theirs = skms.GridSearchCV(_counting_bagging(tmp_path / "theirs"), COUNT_GRID, cv=3,
                               refit=False).fit(X, y, sample_weight=weights)
    _assert_same_results(ours, theirs)
    # in a Pipeline: weights for the final step stop its growth, not the prefix
    pipe = Pipeline([("sc", StandardScaler()), ("bag", _counting_bagging(log))])
    grid = {f"bag__{k}": v for k, v in COUNT_GRID.items()}
    log.unlink()
    ours = GridSearchCV(pipe, grid, cv=3, refit=False).fit(X, y, bag__sample_weight=weights)
    assert trees_fitted(log) == WHOLE_TREES


def test_increments_grow_within_a_fold_not_across_candidates():
    # increments already grow each candidate's model inside its fold, for the
    # pruner; the cache is then not used (nothing shared, nothing grown)
    estimator = RandomForestClassifier(random_state=0)
    space = {"n_estimators": [4, 8, 12], "max_features": ["sqrt", 0.5]}
    kw = dict(n_iter=4, cv=3, random_state=0, increments={"n_estimators": 2})
    _reuse.LAST_STATS.clear()
    ours = BayesSearchCV(estimator, space, **kw).fit(X, y)
    assert _reuse.LAST_STATS == {}
    whole = BayesSearchCV(estimator, space, reuse=False, **kw).fit(X, y)
    assert list(ours.cv_results_["params"]) == list(whole.cv_results_["params"])
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"],
                                  whole.cv_results_["mean_test_score"])


# -- failures and timing -------------------------------------------------------------------

def test_failing_family_reported_like_scikit_learn():
    estimator = RandomForestClassifier(random_state=0)
    grid = {"max_depth": [3, -1], "n_estimators": [2, 4, 8]}

    def run(cls):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            search = cls(estimator, grid, cv=3, error_score=np.nan).fit(X, y)
        return search, [str(w.message) for w in caught
                        if issubclass(w.category, FitFailedWarning)]

    ours, our_warnings = run(GridSearchCV)
    theirs, their_warnings = run(skms.GridSearchCV)
    _assert_same_results(ours, theirs)
    assert np.isnan(ours.cv_results_["mean_test_score"][3:]).all()
    assert len(our_warnings) == len(their_warnings) == 1
    assert "9 fits failed out of a total of 18" in our_warnings[0]
    with pytest.raises(ValueError, match="max_depth"):
        GridSearchCV(estimator, grid, cv=3, error_score="raise").fit(X, y)


def test_fit_time_of_a_grown_candidate_counts_the_model_it_grew_from():
    # as a shared prefix's: the column is what fitting the candidate costs,
    # whichever candidate fitted the smaller model
    estimator = RandomForestClassifier(random_state=0)
    ours = GridSearchCV(estimator, {"n_estimators": [10, 20, 40]}, cv=3).fit(X, y)
    fit_time = ours.cv_results_["mean_fit_time"]
    assert fit_time[0] < fit_time[1] < fit_time[2]


# -- LightGBM and XGBoost ------------------------------------------------------------------------

@pytest.mark.parametrize("library", ["lightgbm", "xgboost"])
def test_boosting_rounds_grown_equal_scikit_learn(library):
    module = pytest.importorskip(library, reason=f"{library} grows by continued training")
    if library == "lightgbm":
        estimator = module.LGBMClassifier(max_depth=3, num_leaves=7, verbose=-1,
                                          random_state=0, n_jobs=1)
    else:
        estimator = module.XGBClassifier(max_depth=3, random_state=0, n_jobs=1)
    grid = {"learning_rate": [0.1, 0.3], "n_estimators": [3, 6, 12]}
    ours, stats = _grow_search(estimator, grid, X, y)
    assert stats["grown"] == 3 * 2 * 2
    _assert_same_results(ours, _sklearn(estimator, grid, X, y))
    # subsampling: a continued model is not the plain fit's, so not grown
    estimator.set_params(subsample=0.7, **({"subsample_freq": 1} if library == "lightgbm"
                                           else {}))
    ours, stats = _grow_search(estimator, grid, X, y)
    assert stats.get("grown", 0) == 0
    _assert_same_results(ours, _sklearn(estimator, grid, X, y))
