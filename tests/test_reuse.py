"""Shared Pipeline prefixes (issue #29): fitted once per fold, scores unchanged."""

import threading
import time
import warnings

import numpy as np
import pytest
import sklearn
import sklearn.model_selection as skms
from joblib import parallel_config
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits, make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

from sksearch import BayesSearchCV, GridSearchCV, RandomizedSearchCV, _reuse
from sksearch._params import InvalidParameterError

X_digits, y_digits = load_digits(return_X_y=True)
X_digits, y_digits = X_digits[:300], y_digits[:300]


def _text_data():
    X, y = make_classification(n_samples=160, n_features=12, n_informative=6,
                               random_state=0)
    levels = np.digitize(X, [-1.0, 0.0, 1.0])
    docs = [" ".join(f"w{j}_{v}" for j, v in enumerate(row) for _ in range(v + 1))
            for row in levels]
    return np.array(docs, dtype=object), y


X_text, y_text = _text_data()

#: (pipeline, grid, X, y) of the three shapes the issue names
CASES = {
    "text": (Pipeline([("vect", TfidfVectorizer()), ("clf", LinearSVC(random_state=0))]),
             {"clf__C": [0.1, 1.0, 10.0], "vect__sublinear_tf": [False, True]},
             X_text, y_text),
    "pca": (Pipeline([("sc", StandardScaler()), ("pca", PCA(random_state=0)),
                      ("svc", SVC())]),
            {"pca__n_components": [5, 10], "svc__C": [1.0, 10.0], "svc__gamma": [0.01]},
            X_digits, y_digits),
    "cheap": (Pipeline([("sc", StandardScaler()), ("lr", LogisticRegression(max_iter=200))]),
              {"lr__C": [0.1, 1.0, 10.0]}, X_digits, y_digits),
}

SCORE_KEYS = ("mean_test_score", "std_test_score", "rank_test_score")


def _assert_same_results(ours, theirs):
    """Every test score, rank and best_* equal, key by key."""
    n_splits = theirs.n_splits_
    assert list(ours.cv_results_["params"]) == list(theirs.cv_results_["params"])
    for key in SCORE_KEYS + tuple(f"split{i}_test_score" for i in range(n_splits)):
        np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key],
                                   rtol=1e-10, atol=0, err_msg=key)
    assert ours.best_index_ == theirs.best_index_
    assert ours.best_params_ == theirs.best_params_
    np.testing.assert_allclose(ours.best_score_, theirs.best_score_, rtol=1e-10)


class Counting(TransformerMixin, BaseEstimator):
    """Scales X by ``scale``; counts its fits (by ``scale``) across threads."""

    fits = []
    lock = threading.Lock()

    def __init__(self, scale=1.0, random_state=0, fail=False, sleep=0.0):
        self.scale = scale
        self.random_state = random_state
        self.fail = fail
        self.sleep = sleep

    def fit(self, X, y=None, sample_weight=None):
        with Counting.lock:
            Counting.fits.append((self.scale, len(X)))
        if self.fail:
            raise ValueError("Counting was told to fail")
        if self.sleep:
            time.sleep(self.sleep)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.asarray(X) * self.scale


@pytest.fixture(autouse=True)
def _reset_counts():
    Counting.fits = []
    yield


def _counting_pipe(**params):
    return Pipeline([("count", Counting(**params)), ("lr", LogisticRegression(max_iter=300))])


COUNT_GRID = {"count__scale": [0.5, 2.0], "lr__C": [0.1, 1.0, 10.0]}


# -- parity ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("n_jobs, backend", [(1, None), (2, "threading"), (2, "loky")])
def test_grid_parity_with_no_reuse_and_scikit_learn(case, n_jobs, backend):
    pipe, grid, X, y = CASES[case]
    with parallel_config(backend=backend) if backend else _nothing():
        shared = GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs).fit(X, y)
        whole = GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs, reuse=False).fit(X, y)
        theirs = skms.GridSearchCV(pipe, grid, cv=3, n_jobs=n_jobs).fit(X, y)
    _assert_same_results(shared, whole)
    _assert_same_results(shared, theirs)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("make", [
    lambda pipe, grid, **kw: RandomizedSearchCV(pipe, grid, n_iter=5, random_state=0, **kw),
    lambda pipe, grid, **kw: BayesSearchCV(pipe, grid, n_iter=6, random_state=0,
                                           pruner="median", **kw),
])
def test_random_and_bayes_parity_with_no_reuse(make):
    pipe, _, X, y = CASES["pca"]
    grid = {"pca__n_components": [5, 10, 15], "svc__C": [1.0, 10.0, 100.0]}
    shared = make(pipe, grid, cv=3).fit(X, y)
    whole = make(pipe, grid, cv=3, reuse=False).fit(X, y)
    for key in ("params", "status"):
        assert list(shared.cv_results_[key]) == list(whole.cv_results_[key])
    np.testing.assert_allclose(shared.cv_results_["mean_test_score"],
                               whole.cv_results_["mean_test_score"], rtol=1e-10)
    assert shared.best_params_ == whole.best_params_


def test_train_scores_multimetric_and_callable_scorer_parity():
    pipe, grid, X, y = CASES["pca"]

    def callable_scorer(estimator, X, y):  # sees the whole pipeline
        assert isinstance(estimator, Pipeline) and len(estimator.steps) == 3
        return float(np.mean(estimator.predict(X) == y))

    for scoring, refit in [(["accuracy", "f1_macro"], "accuracy"), (callable_scorer, True)]:
        kw = dict(cv=3, scoring=scoring, refit=refit, return_train_score=True)
        ours = GridSearchCV(pipe, grid, **kw).fit(X, y)
        theirs = skms.GridSearchCV(pipe, grid, **kw).fit(X, y)
        for key in theirs.cv_results_:
            if "test_score" in key or "train_score" in key:
                np.testing.assert_allclose(ours.cv_results_[key], theirs.cv_results_[key],
                                           rtol=1e-10, err_msg=key)
        assert ours.best_params_ == theirs.best_params_


# -- fitted once ---------------------------------------------------------------------------

@pytest.mark.parametrize("n_jobs", [1, 2])
def test_prefix_fitted_once_per_params_and_fold(n_jobs):
    with parallel_config(backend="threading"):
        search = GridSearchCV(_counting_pipe(), COUNT_GRID, cv=3, refit=False,
                              n_jobs=n_jobs).fit(X_digits, y_digits)
    # (prefix params) x folds, not candidates x folds
    assert sorted(scale for scale, _ in Counting.fits) == [0.5] * 3 + [2.0] * 3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_reuse_false_fits_every_candidate_whole():
    GridSearchCV(_counting_pipe(), COUNT_GRID, cv=3, refit=False,
                 reuse=False).fit(X_digits, y_digits)
    assert len(Counting.fits) == 6 * 3


def test_unseeded_random_step_is_never_shared():
    pipe = _counting_pipe(random_state=None)
    ours = GridSearchCV(pipe, COUNT_GRID, cv=3, refit=False).fit(X_digits, y_digits)
    assert len(Counting.fits) == 6 * 3
    Counting.fits = []
    pipe = _counting_pipe(random_state=np.random.RandomState(0))
    GridSearchCV(pipe, COUNT_GRID, cv=3, refit=False).fit(X_digits, y_digits)
    assert len(Counting.fits) == 6 * 3
    theirs = skms.GridSearchCV(_counting_pipe(random_state=None), COUNT_GRID, cv=3,
                               refit=False).fit(X_digits, y_digits)
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"], rtol=1e-10)


def test_nested_pipeline_step_is_one_shared_step():
    inner = Pipeline([("count", Counting()), ("sc", StandardScaler())])
    pipe = Pipeline([("prep", inner), ("lr", LogisticRegression(max_iter=300))])
    grid = {"prep__count__scale": [0.5, 2.0], "lr__C": [0.1, 1.0]}
    ours = GridSearchCV(pipe, grid, cv=3, refit=False).fit(X_digits, y_digits)
    assert len(Counting.fits) == 2 * 3
    theirs = skms.GridSearchCV(pipe, grid, cv=3, refit=False).fit(X_digits, y_digits)
    _assert_same_results(ours, theirs)


# -- fit parameters and metadata -------------------------------------------------------------

def test_fit_params_routed_to_the_prefix_stop_sharing():
    weights = np.linspace(0.5, 1.5, len(y_digits))
    kw = dict(cv=3, refit=False)
    ours = GridSearchCV(_counting_pipe(), COUNT_GRID, **kw).fit(
        X_digits, y_digits, count__sample_weight=weights)
    assert len(Counting.fits) == 6 * 3
    theirs = skms.GridSearchCV(_counting_pipe(), COUNT_GRID, **kw).fit(
        X_digits, y_digits, count__sample_weight=weights)
    _assert_same_results(ours, theirs)
    # parameters of the last step only: the prefix is still shared
    Counting.fits = []
    ours = GridSearchCV(_counting_pipe(), COUNT_GRID, **kw).fit(
        X_digits, y_digits, lr__sample_weight=weights)
    assert len(Counting.fits) == 2 * 3
    theirs = skms.GridSearchCV(_counting_pipe(), COUNT_GRID, **kw).fit(
        X_digits, y_digits, lr__sample_weight=weights)
    _assert_same_results(ours, theirs)


def test_routed_metadata_respected():
    weights = np.linspace(0.5, 1.5, len(y_digits))
    with sklearn.config_context(enable_metadata_routing=True):
        scoring = make_scorer(accuracy_score).set_score_request(sample_weight=True)
        for prefix_wants in (True, False):
            Counting.fits = []
            pipe = Pipeline([
                ("count", Counting().set_fit_request(sample_weight=prefix_wants)),
                ("lr", LogisticRegression(max_iter=300).set_fit_request(sample_weight=True))])
            ours = GridSearchCV(pipe, COUNT_GRID, cv=3, refit=False, scoring=scoring).fit(
                X_digits, y_digits, sample_weight=weights)
            assert len(Counting.fits) == (6 * 3 if prefix_wants else 2 * 3)
            assert np.isfinite(ours.cv_results_["mean_test_score"]).all()
            theirs = skms.GridSearchCV(pipe, COUNT_GRID, cv=3, refit=False, scoring=scoring).fit(
                X_digits, y_digits, sample_weight=weights)
            _assert_same_results(ours, theirs)


# -- failures --------------------------------------------------------------------------------

FAIL_GRID = {"count__fail": [False, True], "lr__C": [0.1, 1.0, 10.0]}


def test_failure_in_shared_prefix_reported_like_scikit_learn():
    def run(cls):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            search = cls(_counting_pipe(), FAIL_GRID, cv=3, refit=False,
                         error_score=np.nan).fit(X_digits, y_digits)
        messages = [str(w.message) for w in caught if issubclass(w.category, FitFailedWarning)]
        return search, messages

    ours, our_warnings = run(GridSearchCV)
    assert len(Counting.fits) == 2 * 3  # the failing prefix too is fitted once per fold
    theirs, their_warnings = run(skms.GridSearchCV)
    np.testing.assert_array_equal(np.isnan(ours.cv_results_["mean_test_score"]),
                                  np.isnan(theirs.cv_results_["mean_test_score"]))
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"],
                               theirs.cv_results_["mean_test_score"], rtol=1e-10)
    assert len(our_warnings) == len(their_warnings) == 1
    # one kind of failure, counted once per candidate and fold, as scikit-learn
    assert "9 fits failed out of a total of 18" in our_warnings[0]
    assert "9 fits failed with the following error" in our_warnings[0]
    assert "ValueError: Counting was told to fail" in our_warnings[0]


def test_failure_in_shared_prefix_raises_with_error_score_raise():
    for cls in (GridSearchCV, skms.GridSearchCV):
        with pytest.raises(ValueError, match="Counting was told to fail"):
            cls(_counting_pipe(), FAIL_GRID, cv=3, error_score="raise").fit(
                X_digits, y_digits)


# -- the user's memory, the bound, the argument ----------------------------------------------

def test_user_pipeline_memory_keeps_working(tmp_path):
    pipe, grid, X, y = CASES["pca"]
    pipe = Pipeline(pipe.steps, memory=str(tmp_path))
    ours = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    theirs = skms.GridSearchCV(pipe, grid, cv=3).fit(X, y)
    _assert_same_results(ours, theirs)


@pytest.mark.parametrize("bound", [1, "60KB"])
def test_memory_bound_respected_and_results_unchanged(bound):
    pipe, grid, X, y = CASES["pca"]
    ours = GridSearchCV(pipe, grid, cv=3, reuse=bound).fit(X, y)
    stats = dict(_reuse.LAST_STATS)
    limit = _reuse.reuse_bytes(bound)
    assert stats["peak_nbytes"] <= limit
    if bound == 1:
        assert stats["levels"] == 0  # nothing fits under one byte: nothing kept
    else:
        assert stats["evictions"] > 0 and stats["hits"] > 0
    theirs = skms.GridSearchCV(pipe, grid, cv=3).fit(X, y)
    _assert_same_results(ours, theirs)


def test_reuse_argument_validated_and_parsed():
    assert _reuse.reuse_bytes(True) == _reuse.DEFAULT_REUSE_BYTES
    assert _reuse.reuse_bytes(False) == 0
    assert _reuse.reuse_bytes("2GiB") == 2 * 1024 ** 3
    assert _reuse.reuse_bytes("500MB") == 500 * 1000 ** 2
    assert _reuse.reuse_bytes(1234) == 1234
    for bad in (-1, "lots", 1.5, None):
        with pytest.raises(InvalidParameterError, match="reuse"):
            GridSearchCV(_counting_pipe(), COUNT_GRID, reuse=bad).fit(X_digits, y_digits)


def test_fit_time_counts_the_shared_prefix_in_every_candidate():
    sleep = 0.05
    search = GridSearchCV(_counting_pipe(sleep=sleep), {"lr__C": [0.1, 1.0, 10.0]}, cv=2,
                          refit=False).fit(X_digits, y_digits)
    assert len(Counting.fits) == 2
    assert (search.cv_results_["mean_fit_time"] >= sleep).all()
    assert (search.cv_results_["mean_score_time"] >= 0).all()
