"""sksearch's searches against scikit-learn's own: on the same candidates and
splits, every value of ``cv_results_`` and every ``best_*`` must be identical.
The grid cases run twice, through ``BayesSearchCV(sampler="grid")`` and through
``sksearch.GridSearchCV``, the drop-in class."""

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, make_classification
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    ParameterGrid,
    RandomizedSearchCV,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import sksearch
from sksearch import BayesSearchCV

X_iris, y_iris = load_iris(return_X_y=True)


def assert_same_results(ours, theirs):
    """cv_results_ equal key by key (times excluded), dtypes and masks included."""
    expected_keys = list(theirs.cv_results_)
    assert [k for k in ours.cv_results_ if k != "status"] == expected_keys
    for key in expected_keys:
        if "time" in key:
            continue
        a, b = theirs.cv_results_[key], ours.cv_results_[key]
        if key == "params":
            assert a == b
            continue
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        assert a_arr.dtype == b_arr.dtype, key
        if hasattr(a, "mask"):
            np.testing.assert_array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b))
            a_arr, b_arr = a.compressed(), b.compressed()
        if a_arr.dtype == object:
            assert [repr(v) for v in a_arr] == [repr(v) for v in b_arr], key
        else:
            np.testing.assert_array_equal(a_arr, b_arr, err_msg=key)
    for attr in ("best_index_", "best_score_", "best_params_", "multimetric_", "n_splits_"):
        if hasattr(theirs, attr):
            got, want = getattr(ours, attr), getattr(theirs, attr)
            assert repr(got) == repr(want), attr


def _bayes_grid(estimator, grid, **kwargs):
    return BayesSearchCV(estimator, grid, sampler="grid", n_iter=None, **kwargs)


@pytest.fixture(params=["BayesSearchCV", "GridSearchCV"])
def grid_search(request):
    """Builds our grid search: ``grid_search(estimator, grid, **kwargs)``."""
    return _bayes_grid if request.param == "BayesSearchCV" else sksearch.GridSearchCV


def grid_search_pair(estimator, grid, X, y, fit_params=None, grid_search=_bayes_grid,
                     **kwargs):
    theirs = GridSearchCV(estimator, grid, **kwargs).fit(X, y, **(fit_params or {}))
    ours = grid_search(estimator, grid, **kwargs).fit(X, y, **(fit_params or {}))
    return ours, theirs


@pytest.mark.parametrize("kwargs", [
    {},
    {"return_train_score": True},
    {"cv": KFold(3, shuffle=True, random_state=0)},
    {"scoring": "balanced_accuracy"},
    {"scoring": ["accuracy", "f1_macro"], "refit": "f1_macro"},
    {"scoring": {"acc": "accuracy", "nll": "neg_log_loss"}, "refit": "nll",
     "return_train_score": True},
    {"scoring": ["accuracy", "f1_macro"], "refit": False},
])
def test_grid_parity_logistic(kwargs, grid_search):
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "fit_intercept": [True, False]}
    ours, theirs = grid_search_pair(LogisticRegression(max_iter=500), grid,
                                    X_iris, y_iris, grid_search=grid_search, **kwargs)
    assert_same_results(ours, theirs)


def test_grid_parity_list_of_dicts_masks_absent_params(grid_search):
    grid = [{"kernel": ["linear"], "C": [0.1, 1.0]},
            {"kernel": ["rbf"], "gamma": [0.01, 0.1], "C": [1.0]},
            {"kernel": ["poly"], "degree": [2, 3]}]
    ours, theirs = grid_search_pair(SVC(), grid, X_iris, y_iris, grid_search=grid_search)
    assert_same_results(ours, theirs)
    assert ours.cv_results_["param_gamma"].mask.sum() == 4


def test_grid_parity_pipeline_with_estimator_choice(grid_search):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    grid = [{"clf": [LogisticRegression(max_iter=500)], "clf__C": [0.1, 1.0]},
            {"clf": [KNeighborsClassifier()], "clf__n_neighbors": [3, 7],
             "scale": ["passthrough", StandardScaler()]}]
    ours, theirs = grid_search_pair(pipe, grid, X_iris, y_iris, grid_search=grid_search)
    assert_same_results(ours, theirs)
    assert type(ours.best_estimator_.named_steps["clf"]) is type(
        theirs.best_estimator_.named_steps["clf"])


def test_grid_parity_regression_and_refit_callable(grid_search):
    X, y = load_diabetes(return_X_y=True)

    def simplest_within_std(results):
        means = results["mean_test_score"]
        ok = np.flatnonzero(means >= means.max() - results["std_test_score"].max())
        return int(ok[np.argmax(np.asarray(results["param_alpha"])[ok])])

    grid = {"alpha": [0.01, 0.1, 1.0, 10.0]}
    ours, theirs = grid_search_pair(Ridge(), grid, X, y, grid_search=grid_search,
                                    refit=simplest_within_std,
                                    scoring="neg_mean_squared_error")
    assert_same_results(ours, theirs)
    np.testing.assert_allclose(ours.predict(X[:5]), theirs.predict(X[:5]))


def test_grid_parity_groups_and_sample_weight(grid_search):
    X, y = make_classification(n_samples=120, random_state=0)
    groups = np.repeat(np.arange(6), 20)
    weights = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    grid = {"max_depth": [1, 2, 3, None]}
    ours, theirs = grid_search_pair(
        DecisionTreeClassifier(random_state=0), grid, X, y, grid_search=grid_search,
        cv=GroupKFold(3), fit_params={"groups": groups, "sample_weight": weights})
    assert_same_results(ours, theirs)


def test_grid_parity_error_score_numeric(grid_search):
    # degree=-1 makes SVC fail at fit time: both searches score it 0 and warn.
    grid = {"kernel": ["poly"], "degree": [-1, 2]}
    with pytest.warns(Warning, match="fits failed"):
        theirs = GridSearchCV(SVC(), grid, error_score=0.0).fit(X_iris, y_iris)
    with pytest.warns(Warning, match="fits failed"):
        ours = grid_search(SVC(), grid, error_score=0.0).fit(X_iris, y_iris)
    assert_same_results(ours, theirs)


def test_all_fits_failing_raises_like_sklearn():
    with pytest.raises(ValueError, match="All the 10 fits failed"):
        BayesSearchCV(SVC(), {"degree": [-1, -2], "kernel": ["poly"]}, sampler="grid",
                      n_iter=None).fit(X_iris, y_iris)


def test_error_score_raise_propagates():
    with pytest.raises(Exception, match="degree"):
        BayesSearchCV(SVC(), {"degree": [-1], "kernel": ["poly"]}, sampler="grid",
                      n_iter=None, error_score="raise").fit(X_iris, y_iris)


def test_precomputed_kernel_parity(grid_search):
    K = X_iris @ X_iris.T
    grid = {"C": [0.01, 1.0]}
    ours, theirs = grid_search_pair(SVC(kernel="precomputed"), grid, K, y_iris,
                                    grid_search=grid_search)
    assert_same_results(ours, theirs)


def test_randomized_search_candidates_give_identical_values():
    from scipy.stats import loguniform

    theirs = RandomizedSearchCV(SVC(), {"C": loguniform(1e-2, 1e2),
                                        "gamma": loguniform(1e-3, 1)},
                                n_iter=6, random_state=0).fit(X_iris, y_iris)
    # The same candidates, in the same order, as a list of one-point dicts.
    points = [{k: [v] for k, v in p.items()} for p in theirs.cv_results_["params"]]
    ours = BayesSearchCV(SVC(), points, sampler="grid", n_iter=None).fit(X_iris, y_iris)
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_


def test_grid_order_matches_parameter_grid():
    grid = [{"b": [1, 2], "a": ["x", "y"]}, {"c": [0.5]}]
    search = BayesSearchCV(LogisticRegression(), [{"C": [1.0], "max_iter": [50, 100],
                                                   "tol": [1e-3, 1e-4]}],
                           sampler="grid", n_iter=None).fit(X_iris, y_iris)
    expected = list(ParameterGrid([{"C": [1.0], "max_iter": [50, 100], "tol": [1e-3, 1e-4]}]))
    assert search.cv_results_["params"] == expected
    from sksearch.samplers import GridSampler

    points = GridSampler(grid).points
    assert [{k: v for k, v in p.items() if k != "__branch__"} for p in points] == list(
        ParameterGrid(grid))


def test_randomized_search_cv_values_match_grid_search_on_its_candidates():
    from scipy.stats import loguniform

    dists = {"C": loguniform(1e-2, 1e2), "gamma": loguniform(1e-3, 1)}
    ours = sksearch.RandomizedSearchCV(SVC(), dists, n_iter=6, random_state=0,
                                       return_train_score=True).fit(X_iris, y_iris)
    # scikit-learn's GridSearchCV on the same candidates, in the same order
    points = [{k: [v] for k, v in p.items()} for p in ours.cv_results_["params"]]
    theirs = GridSearchCV(SVC(), points, return_train_score=True).fit(X_iris, y_iris)
    assert_same_results(ours, theirs)
    # and the keys and dtypes of scikit-learn's RandomizedSearchCV
    reference = RandomizedSearchCV(SVC(), dists, n_iter=6, random_state=0,
                                   return_train_score=True).fit(X_iris, y_iris)
    assert [k for k in ours.cv_results_ if k != "status"] == list(reference.cv_results_)


# -- RandomizedSearchCV draws what scikit-learn draws (issue 31) -----------------------

def _random_spaces():
    from scipy.stats import expon, loguniform, randint

    return {
        "distributions": {"C": loguniform(1e-2, 1e2), "gamma": expon(scale=0.1)},
        "lists": {"C": [0.1, 1.0, 10.0, 100.0], "kernel": ["linear", "rbf"]},
        "mixed": {"C": loguniform(1e-2, 1e2), "kernel": ["linear", "rbf", "poly"],
                  "degree": randint(1, 4)},
        "list-of-dicts": [{"kernel": ["rbf"], "C": expon(scale=10)},
                          {"kernel": ["poly"], "degree": [2, 3]}],
        "list-of-dicts-of-lists": [{"kernel": ["rbf"], "C": [1.0, 10.0, 100.0]},
                                   {"kernel": ["poly"], "degree": [2, 3]}],
        "beyond-the-grid": {"C": [0.1, 1.0], "kernel": ["linear", "rbf"]},
        "tuples-and-arrays": {"C": (1.0, 10.0, 100.0),
                              "kernel": np.array(["linear", "rbf"]),
                              "class_weight": [None, {0: 1, 1: 2, 2: 1}]},
    }


@pytest.mark.filterwarnings("ignore:The total space of parameters")
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("space", list(_random_spaces()))
def test_randomized_search_cv_draws_scikit_learns_candidates(space, seed):
    dists = _random_spaces()[space]
    kwargs = dict(n_iter=6, cv=3, random_state=seed, return_train_score=True)
    theirs = RandomizedSearchCV(SVC(), dists, **kwargs).fit(X_iris, y_iris)
    ours = sksearch.RandomizedSearchCV(SVC(), dists, **kwargs).fit(X_iris, y_iris)
    assert_same_results(ours, theirs)
    # the very objects, in scikit-learn's key order
    assert repr(ours.cv_results_["params"]) == repr(theirs.cv_results_["params"])
    assert list(ours.cv_results_["status"]) == ["complete"] * len(ours.cv_results_["params"])


def test_randomized_search_cv_warns_once_like_scikit_learn_beyond_the_grid():
    import warnings

    grid = {"C": [0.1, 1.0], "kernel": ["linear", "rbf"]}
    messages = []
    for cls in (RandomizedSearchCV, sksearch.RandomizedSearchCV):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(SVC(), grid, n_iter=9, cv=2, random_state=0).fit(X_iris, y_iris)
        messages.append([str(w.message) for w in caught if w.category is UserWarning])
    assert messages[0] == messages[1] and len(messages[0]) == 1


def test_randomized_search_cv_with_a_random_state_instance_or_none():
    from scipy.stats import loguniform

    dists = {"C": loguniform(1e-2, 1e2), "kernel": ["linear", "rbf"]}
    theirs = RandomizedSearchCV(SVC(), dists, n_iter=4, cv=2,
                                random_state=np.random.RandomState(3)).fit(X_iris, y_iris)
    ours = sksearch.RandomizedSearchCV(SVC(), dists, n_iter=4, cv=2,
                                       random_state=np.random.RandomState(3)).fit(X_iris, y_iris)
    assert_same_results(ours, theirs)
    # None: scikit-learn's global stream, drawn the same way
    np.random.seed(7)  # noqa: NPY002 - random_state=None reads the global stream
    theirs = RandomizedSearchCV(SVC(), dists, n_iter=4, cv=2).fit(X_iris, y_iris)
    np.random.seed(7)  # noqa: NPY002 - random_state=None reads the global stream
    ours = sksearch.RandomizedSearchCV(SVC(), dists, n_iter=4, cv=2).fit(X_iris, y_iris)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]


def test_randomized_search_cv_with_a_pruner_keeps_scikit_learns_candidates():
    from scipy.stats import loguniform

    dists = {"C": loguniform(1e-3, 1e2), "gamma": loguniform(1e-4, 1e1)}
    theirs = RandomizedSearchCV(SVC(), dists, n_iter=8, cv=5, random_state=0).fit(
        X_iris, y_iris)
    ours = sksearch.RandomizedSearchCV(SVC(), dists, n_iter=8, cv=5, random_state=0,
                                       pruner="bound").fit(X_iris, y_iris)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    assert ours.best_params_ == theirs.best_params_


def test_resumed_randomized_search_continues_scikit_learns_draws(tmp_path):
    from scipy.stats import loguniform

    dists = {"C": loguniform(1e-2, 1e2), "kernel": ["linear", "rbf"]}
    storage = f"sqlite:///{tmp_path / 'draws.db'}"
    search = sksearch.RandomizedSearchCV(SVC(), dists, n_iter=3, cv=2, random_state=0,
                                         storage=storage, study_name="draws")
    search.fit(X_iris, y_iris)
    search.set_params(n_iter=6).fit(X_iris, y_iris)
    theirs = RandomizedSearchCV(SVC(), dists, n_iter=6, cv=2, random_state=0).fit(
        X_iris, y_iris)
    assert repr(search.cv_results_["params"]) == repr(theirs.cv_results_["params"])
