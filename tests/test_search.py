"""BayesSearchCV behaviour: spaces, samplers, errors, reproducibility, nesting."""

import pickle
import re
import warnings

import numpy as np
import pytest
from scipy.stats import expon, loguniform, randint, uniform
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sksearch import BayesSearchCV, Study, TrialState
from sksearch.distributions import Categorical, Float, Int
from sksearch.samplers import RandomSampler

X, y = load_iris(return_X_y=True)
FAST_LR = LogisticRegression(max_iter=200)


def test_mixed_space_values_are_legal():
    space = {"C": Float(1e-3, 1e3, log=True), "tol": loguniform(1e-5, 1e-2),
             "max_iter": Int(50, 300, step=50), "fit_intercept": [True, False],
             "intercept_scaling": uniform(0.5, 1.5), "verbose": randint(0, 2)}
    search = BayesSearchCV(FAST_LR, space, n_iter=12, sampler="random", cv=3,
                           random_state=0).fit(X, y)
    for params in search.cv_results_["params"]:
        assert 1e-3 <= params["C"] <= 1e3
        assert 1e-5 <= params["tol"] <= 1e-2
        assert params["max_iter"] in range(50, 301, 50)
        assert 0.5 <= params["intercept_scaling"] <= 2.0
        assert params["verbose"] in (0, 1)
        assert isinstance(params["verbose"], int)
    assert search.cv_results_["param_C"].dtype == np.float64


def test_other_scipy_distribution_searched_through_quantiles():
    search = BayesSearchCV(FAST_LR, {"C": expon(scale=2.0)}, n_iter=6, cv=3,
                           sampler="random", random_state=1).fit(X, y)
    values = [p["C"] for p in search.cv_results_["params"]]
    assert all(v > 0 for v in values)
    assert len(set(values)) == 6


def test_define_by_run_space():
    def space(trial):
        kind = trial.suggest_categorical("kind", ["lr", "tree"])
        if kind == "lr":
            return {"clf": LogisticRegression(max_iter=200),
                    "clf__C": trial.suggest_float("C", 1e-2, 10, log=True)}
        return {"clf": DecisionTreeClassifier(random_state=0),
                "clf__max_depth": trial.suggest_int("depth", 1, 5)}

    pipe = Pipeline([("clf", LogisticRegression())])
    search = BayesSearchCV(pipe, space, n_iter=8, cv=3, sampler="random",
                           random_state=0).fit(X, y)
    results = search.cv_results_
    assert len(results["params"]) == 8
    is_tree = np.array([isinstance(p["clf"], DecisionTreeClassifier) for p in results["params"]])
    np.testing.assert_array_equal(results["param_clf__max_depth"].mask, ~is_tree)
    assert search.best_score_ > 0.9


def test_define_by_run_unknown_param_raises_before_fit():
    with pytest.raises(ValueError, match="estimator rejects"):
        BayesSearchCV(FAST_LR, lambda t: {"nope": t.suggest_float("x", 0, 1)},
                      n_iter=3).fit(X, y)


def test_conditional_list_of_dicts_with_distributions():
    pipe = Pipeline([("reduce", PCA()), ("clf", SVC())])
    space = [{"clf": [SVC()], "clf__C": Float(0.1, 10, log=True)},
             {"clf": [KNeighborsClassifier()], "clf__n_neighbors": Int(1, 15),
              "reduce__n_components": [2, 3]}]
    search = BayesSearchCV(pipe, space, n_iter=10, cv=3, random_state=0).fit(X, y)
    for params in search.cv_results_["params"]:
        if isinstance(params["clf"], SVC):
            assert set(params) == {"clf", "clf__C"}
        else:
            assert set(params) == {"clf", "clf__n_neighbors", "reduce__n_components"}


@pytest.mark.parametrize("sampler", ["random", "tpe", "cmaes"])
def test_same_random_state_same_results(sampler):
    space = {"C": Float(1e-2, 1e2, log=True), "tol": Float(1e-5, 1e-2, log=True)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = BayesSearchCV(FAST_LR, space, n_iter=12, cv=3, sampler=sampler,
                          random_state=42).fit(X, y)
        b = BayesSearchCV(FAST_LR, space, n_iter=12, cv=3, sampler=sampler,
                          random_state=42).fit(X, y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    np.testing.assert_array_equal(a.cv_results_["mean_test_score"],
                                  b.cv_results_["mean_test_score"])


def test_sampler_instance_is_not_mutated_by_fit():
    sampler = RandomSampler(seed=3)
    state = pickle.dumps(sampler)
    search = BayesSearchCV(FAST_LR, {"C": Float(0.1, 10)}, n_iter=4, cv=3,
                           sampler=sampler).fit(X, y)
    first = search.cv_results_["params"]
    assert pickle.dumps(sampler) == state
    assert search.fit(X, y).cv_results_["params"] == first


def test_parallel_batches_are_reproducible_and_distinct():
    space = {"C": Float(1e-2, 1e2, log=True)}
    runs = [BayesSearchCV(FAST_LR, space, n_iter=8, cv=3, n_jobs=2,
                          random_state=0).fit(X, y) for _ in range(2)]
    assert runs[0].cv_results_["params"] == runs[1].cv_results_["params"]
    values = [p["C"] for p in runs[0].cv_results_["params"]]
    assert len(set(values)) == len(values)


def test_nested_cross_validation_with_parallel_levels():
    X_bc, y_bc = load_breast_cancer(return_X_y=True)
    X_bc, y_bc = X_bc[:200, :8], y_bc[:200]
    inner = BayesSearchCV(DecisionTreeClassifier(random_state=0),
                          {"max_depth": Int(1, 6)}, n_iter=4, cv=3, n_jobs=2,
                          random_state=0)
    scores = cross_val_score(inner, X_bc, y_bc, cv=3, n_jobs=2)
    assert scores.shape == (3,)
    assert np.all(scores > 0.8)


def test_clone_round_trip_and_params_untouched():
    space = {"C": [0.1, 1.0]}
    search = BayesSearchCV(SVC(), space, n_iter=2, sampler="grid", cv=3, random_state=0)
    params = search.get_params(deep=False)
    cloned = clone(search)
    assert cloned.get_params(deep=False).keys() == params.keys()
    search.fit(X, y)
    assert search.param_distributions is space
    assert space == {"C": [0.1, 1.0]}
    assert search.set_params(n_iter=1).n_iter == 1
    assert "estimator__C" in search.get_params(deep=True)


def test_delegation_follows_estimator_methods():
    search = BayesSearchCV(SVC(), {"C": [1.0]}, n_iter=1, cv=3)
    assert hasattr(search, "decision_function")
    assert not hasattr(search, "predict_proba")
    assert not hasattr(search, "transform")
    search.fit(X, y)
    np.testing.assert_array_equal(search.classes_, [0, 1, 2])
    assert search.n_features_in_ == 4
    assert search.score(X, y) == search.best_estimator_.score(X, y)
    no_refit = BayesSearchCV(SVC(), {"C": [1.0]}, n_iter=1, cv=3, refit=False).fit(X, y)
    with pytest.raises(AttributeError, match="has no attribute 'predict'"):
        no_refit.predict(X)
    assert not hasattr(no_refit, "best_estimator_")
    assert no_refit.best_params_ == {"C": 1.0}


def test_feature_names_in_from_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    search = BayesSearchCV(FAST_LR, {"C": [1.0]}, n_iter=1, cv=3).fit(frame, y)
    assert list(search.feature_names_in_) == ["a", "b", "c", "d"]


def test_n_iter_larger_than_finite_space_warns_and_caps():
    with pytest.warns(UserWarning, match="smaller than n_iter=10"):
        search = BayesSearchCV(FAST_LR, {"C": [0.1, 1.0, 10.0]}, n_iter=10, cv=3,
                               sampler="grid").fit(X, y)
    assert len(search.cv_results_["params"]) == 3


def test_n_iter_none_needs_finite_space():
    with pytest.raises(ValueError, match="must then be finite"):
        BayesSearchCV(FAST_LR, {"C": Float(0.1, 1)}, n_iter=None).fit(X, y)


def test_timeout_stops_starting_candidates():
    search = BayesSearchCV(FAST_LR, {"C": Float(0.1, 10)}, n_iter=10_000, cv=3,
                           timeout=0.5, sampler="random").fit(X, y)
    assert 1 <= len(search.cv_results_["params"]) < 10_000


def test_callbacks_see_trials_and_can_stop():
    seen = []

    def stop_after_three(study, trial):
        seen.append((trial.number, trial.state))
        if len(seen) == 3:
            study.stop()

    search = BayesSearchCV(FAST_LR, {"C": Float(0.1, 10)}, n_iter=20, cv=3,
                           callbacks=[stop_after_three], random_state=0).fit(X, y)
    assert [n for n, _ in seen] == [0, 1, 2]
    assert all(state is TrialState.COMPLETE for _, state in seen)
    assert len(search.cv_results_["params"]) == 3
    assert isinstance(search.study_, Study)


def test_trials_dataframe_has_fold_scores():
    search = BayesSearchCV(FAST_LR, {"C": Float(0.1, 10)}, n_iter=3, cv=3,
                           random_state=0).fit(X, y)
    frame = search.trials_dataframe()
    assert list(frame["number"]) == [0, 1, 2]
    np.testing.assert_allclose(frame["intermediate_1"], search.cv_results_["split1_test_score"])
    np.testing.assert_allclose(frame["value"], search.cv_results_["mean_test_score"])


def test_unsupervised_and_regression():
    Xr, yr = make_regression(n_samples=60, n_features=4, random_state=0)
    reg = BayesSearchCV(Ridge(), {"alpha": Float(1e-3, 10, log=True)}, n_iter=5,
                        cv=KFold(3), random_state=0).fit(Xr, yr)
    assert reg.best_score_ > 0.9
    pca = BayesSearchCV(PCA(), {"n_components": Int(1, 3)}, n_iter=3, cv=3).fit(X)
    assert pca.transform(X).shape[1] == pca.best_params_["n_components"]


def test_verbose_output(capsys):
    BayesSearchCV(FAST_LR, {"C": [0.1, 1.0]}, n_iter=None, sampler="grid", cv=3,
                  verbose=3).fit(X, y)
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of 2 candidates, totalling 6 fits" in out
    # GridSearchCV's line at verbose=3 (the candidate's number only from verbose=10)
    assert re.search(r"^\[CV 1/3\] END \.+C=0\.1;, score=\d\.\d{3} total time=", out,
                     flags=re.M)
    assert "best=" in out


# -- bad input: clear errors before any fit ----------------------------------------

class _FitCounter(LogisticRegression):
    fits = 0

    def fit(self, X, y, **kw):
        type(self).fits += 1
        return super().fit(X, y, **kw)


@pytest.mark.parametrize("space, error, match", [
    ({"C": []}, ValueError, "'C'.*empty"),
    ({"C": "abc"}, TypeError, "'C'"),
    ({"nope": [1, 2]}, ValueError, "Invalid parameter 'nope'"),
    ({"C": 3.0}, TypeError, "'C'"),
    ([], ValueError, "empty list"),
    ([{"C": [1.0]}, "x"], TypeError, r"param_distributions\[1\]"),
    (42, ValueError, "param_distributions"),
])
def test_malformed_spaces_raise_before_fitting(space, error, match):
    _FitCounter.fits = 0
    with pytest.raises(error, match=match):
        BayesSearchCV(_FitCounter(), space, n_iter=2, cv=3).fit(X, y)
    assert _FitCounter.fits == 0


@pytest.mark.parametrize("make, match", [
    (lambda: Float(1.0, 0.5), "low must be <= high"),
    (lambda: Float(0.0, 1.0, log=True), "low must be > 0 when log=True"),
    (lambda: Int(1, 5, step=0), "step must be a positive number"),
    (lambda: Int(1.5, 5), "low must be an integer"),
    (lambda: Float(1e-3, 1.0, log=True, step=0.1), "cannot be combined with log"),
    (lambda: Categorical([]), "at least one value"),
])
def test_distribution_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("param, value, match", [
    ("n_iter", 0, "'n_iter' parameter of BayesSearchCV must be an int in the range"),
    ("sampler", "bayes", "'sampler' parameter"),
    ("pruner", 3, "'pruner' parameter"),
    ("timeout", -1, "'timeout' parameter"),
    ("cv", 1, "'cv' parameter"),
    ("error_score", "ignore", "'error_score' parameter"),
    ("callbacks", ["x"], "'callbacks' parameter"),
    ("storage", 3.5, "'storage' parameter"),
])
def test_invalid_constructor_params_name_the_parameter(param, value, match):
    _FitCounter.fits = 0
    search = BayesSearchCV(_FitCounter(), {"C": [1.0]}, n_iter=1).set_params(**{param: value})
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)
    assert _FitCounter.fits == 0


def test_multimetric_without_valid_refit_raises():
    with pytest.raises(ValueError, match="multi-metric scoring, the parameter refit"):
        BayesSearchCV(FAST_LR, {"C": [1.0]}, scoring=["accuracy", "f1_macro"],
                      n_iter=1).fit(X, y)
