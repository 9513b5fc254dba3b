"""sksearch.GridSearchCV and RandomizedSearchCV as the one-line swap, and every
known difference from scikit-learn's searches, each checked against
scikit-learn's own search on the same input (issue 13)."""

import inspect
import re

import numpy as np
import pytest
import sklearn.model_selection as skms
from scipy.stats import loguniform
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_iris, make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity
from sklearn.svm import SVC
from test_search_parity import assert_same_results

import sksearch
from sksearch import BayesSearchCV, GridSearchCV, RandomizedSearchCV, Study
from sksearch.distributions import Categorical, Float
from sksearch.space import make_search_space

X_iris, y_iris = load_iris(return_X_y=True)
GRID = {"C": [0.01, 1.0, 10.0], "kernel": ["linear", "rbf"]}

SKSEARCH_EXTRAS = ["pruner", "storage", "study_name", "timeout", "callbacks", "increments",
                   "reuse"]


# -- 1. the classes -----------------------------------------------------------------------

@pytest.mark.parametrize("ours, theirs, extras", [
    (GridSearchCV, skms.GridSearchCV, SKSEARCH_EXTRAS),
    (RandomizedSearchCV, skms.RandomizedSearchCV, ["sampler"] + SKSEARCH_EXTRAS),
])
def test_signature_is_scikit_learns_plus_keyword_only_extras(ours, theirs, extras):
    mine = list(inspect.signature(ours).parameters.values())
    sklearns = list(inspect.signature(theirs).parameters.values())
    assert [(p.name, p.kind) for p in mine[:len(sklearns)]] == [
        (p.name, p.kind) for p in sklearns]
    for a, b in zip(mine, sklearns):
        assert repr(a.default) == repr(b.default), a.name
    assert [p.name for p in mine[len(sklearns):]] == extras
    assert all(p.kind is p.KEYWORD_ONLY for p in mine[len(sklearns):])


def test_exported_and_sharing_one_machinery():
    from sksearch._search_base import BaseSearch

    for cls in (BayesSearchCV, GridSearchCV, RandomizedSearchCV):
        assert cls.__name__ in sksearch.__all__
        assert issubclass(cls, BaseSearch)
        # nothing of the machinery is redefined by a public class
        own = {name for name in vars(cls) if not name.startswith("__")} - {
            "_space_param", "_exhaustive_hint", "_parameter_sampler_draws", "_candidate_lines",
            "_sampler_spec", "_n_iter_spec", "_infinite_space_message", "_random_state",
            "_adaptive_options"}  # the hooks BaseSearch declares
        assert not own, own


@pytest.mark.parametrize("search", [
    GridSearchCV(SVC(), GRID, cv=3, pruner="bound", storage=None),
    RandomizedSearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}, n_iter=4, random_state=0,
                       sampler="tpe", timeout=10.0),
], ids=["grid", "randomized"])
def test_clone_and_get_params_round_trip(search):
    params = search.get_params(deep=False)
    again = type(search)(**params)
    assert again.get_params(deep=False) == params
    cloned = clone(search)
    assert cloned.get_params(deep=False).keys() == params.keys()
    cloned.set_params(cv=2)
    assert cloned.cv == 2 and search.cv != 2


def test_grid_search_cv_is_the_one_line_swap():
    kwargs = dict(param_grid=GRID, cv=3, scoring="accuracy", return_train_score=True)
    theirs = skms.GridSearchCV(SVC(), **kwargs).fit(X_iris, y_iris)
    ours = GridSearchCV(SVC(), **kwargs).fit(X_iris, y_iris)
    assert_same_results(ours, theirs)
    np.testing.assert_array_equal(ours.predict(X_iris), theirs.predict(X_iris))


def test_grid_search_cv_with_bound_pruner_gives_the_same_winner_with_fewer_fits():
    grid = {"C": [1e-3, 1e-2, 1.0, 10.0], "gamma": [1e-3, 0.1, 1.0]}
    theirs = skms.GridSearchCV(SVC(), grid, cv=5).fit(X_iris, y_iris)
    ours = GridSearchCV(SVC(), grid, cv=5, pruner="bound").fit(X_iris, y_iris)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_
    assert ours.best_index_ == theirs.best_index_
    assert ours.n_pruned_ > 0
    assert ours.n_fold_fits_ < len(theirs.cv_results_["params"]) * 5


def test_randomized_search_cv_defaults_and_format():
    dists = {"C": loguniform(1e-2, 1e2), "gamma": loguniform(1e-3, 1)}
    theirs = skms.RandomizedSearchCV(SVC(), dists, cv=3, random_state=0).fit(X_iris, y_iris)
    ours = RandomizedSearchCV(SVC(), dists, cv=3, random_state=0).fit(X_iris, y_iris)
    assert len(ours.cv_results_["params"]) == len(theirs.cv_results_["params"]) == 10
    assert [k for k in ours.cv_results_ if k != "status"] == list(theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        assert np.asarray(ours.cv_results_[key]).dtype == np.asarray(value).dtype, key
    # the same call again gives the same candidates
    again = RandomizedSearchCV(SVC(), dists, cv=3, random_state=0).fit(X_iris, y_iris)
    assert again.cv_results_["params"] == ours.cv_results_["params"]


def test_randomized_search_cv_warns_like_scikit_learn_on_a_small_grid():
    grid = {"C": [0.1, 1.0]}
    with pytest.warns(UserWarning) as theirs:
        skms.RandomizedSearchCV(SVC(), grid, n_iter=5, cv=2).fit(X_iris, y_iris)
    with pytest.warns(UserWarning) as ours:
        RandomizedSearchCV(SVC(), grid, n_iter=5, cv=2).fit(X_iris, y_iris)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_randomized_search_cv_draws_lists_without_replacement_like_scikit_learn():
    from sklearn.model_selection import ParameterGrid

    grid = [{"C": [0.1, 1.0, 10.0], "kernel": ["linear", "rbf"]}, {"C": [5.0]}]
    theirs = skms.RandomizedSearchCV(SVC(), grid, n_iter=6, cv=2, random_state=0)
    ours = RandomizedSearchCV(SVC(), grid, n_iter=6, cv=2, random_state=0)
    theirs.fit(X_iris, y_iris)
    ours.fit(X_iris, y_iris)
    drawn = ours.cv_results_["params"]
    assert len({repr(p) for p in drawn}) == 6 == len(theirs.cv_results_["params"])
    assert all(p in list(ParameterGrid(grid)) for p in drawn)
    # a distribution anywhere: drawn with replacement, as scikit-learn does
    mixed = RandomizedSearchCV(SVC(), {"C": loguniform(0.1, 10), "kernel": ["rbf"]},
                               n_iter=3, cv=2, random_state=0).fit(X_iris, y_iris)
    assert len(mixed.cv_results_["params"]) == 3


def test_grid_search_cv_refuses_a_continuous_grid_naming_param_grid():
    with pytest.raises(ValueError, match="param_grid"):
        GridSearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}).fit(X_iris, y_iris)
    with pytest.raises(TypeError, match="Parameter grid for parameter 'C' needs to be a list"):
        GridSearchCV(SVC(), {"C": 1.0}).fit(X_iris, y_iris)
    with pytest.raises(ValueError, match="'param_grid' parameter of GridSearchCV"):
        GridSearchCV(SVC(), "C").fit(X_iris, y_iris)


# -- 2. the differences, fixed ---------------------------------------------------------------

def _kde_score(estimator, X):
    return estimator.score(X)


def _bic(estimator, X):
    return -estimator.bic(X)


@pytest.mark.parametrize("estimator, grid, scoring", [
    (KernelDensity(), {"bandwidth": [0.2, 0.5, 1.0]}, _kde_score),
    (GaussianMixture(random_state=0), {"n_components": [1, 2, 3]}, _bic),
])
def test_unsupervised_callable_scorer_without_y(estimator, grid, scoring):
    X, _ = make_blobs(n_samples=60, centers=2, random_state=0)
    theirs = skms.GridSearchCV(estimator, grid, scoring=scoring, cv=3).fit(X)
    ours = GridSearchCV(estimator, grid, scoring=scoring, cv=3).fit(X)
    assert np.isfinite(ours.best_score_)
    assert_same_results(ours, theirs)


def _two_metrics(estimator, X, y):
    return {"acc": estimator.score(X, y), "one": 1.0}


def test_callable_multimetric_scorer_with_a_failing_fit_and_numeric_error_score():
    grid = {"kernel": ["poly"], "degree": [-1, 2]}
    kwargs = dict(scoring=_two_metrics, refit="acc", error_score=0.0, cv=3)
    with pytest.warns(Warning, match="fits failed"):
        theirs = skms.GridSearchCV(SVC(), grid, **kwargs).fit(X_iris, y_iris)
    with pytest.warns(Warning, match="fits failed"):
        ours = GridSearchCV(SVC(), grid, **kwargs).fit(X_iris, y_iris)
    assert_same_results(ours, theirs)
    assert ours.cv_results_["mean_test_one"][0] == 0.0


def test_fitted_html_repr_shows_the_best_estimator():
    from sklearn.utils._repr_html.estimator import _get_visual_block

    search = GridSearchCV(SVC(), {"C": [0.1, 10.0]}, cv=2)
    theirs = skms.GridSearchCV(SVC(), {"C": [0.1, 10.0]}, cv=2)
    assert _get_visual_block(search).names == _get_visual_block(theirs).names
    search.fit(X_iris, y_iris)
    theirs.fit(X_iris, y_iris)
    ours_block, their_block = _get_visual_block(search), _get_visual_block(theirs)
    assert ours_block.names == their_block.names == ["best_estimator_: SVC"]
    assert ours_block.name_details == their_block.name_details
    assert "best_estimator_: SVC" in search._repr_html_()


def _cv_lines(text):
    return [re.sub(r"total time=.*$", "", line) for line in text.splitlines()
            if line.startswith(("[CV", "Fitting"))]


@pytest.mark.parametrize("verbose", [2, 3, 10])
@pytest.mark.parametrize("return_train_score", [False, True])
def test_verbose_fold_lines_are_grid_search_cvs(verbose, return_train_score, capsys):
    kwargs = dict(cv=2, verbose=verbose, return_train_score=return_train_score)
    skms.GridSearchCV(SVC(), GRID, **kwargs).fit(X_iris, y_iris)
    theirs = _cv_lines(capsys.readouterr().out)
    GridSearchCV(SVC(), GRID, **kwargs).fit(X_iris, y_iris)
    ours = _cv_lines(capsys.readouterr().out)
    assert ours == theirs
    assert any("C=1.0, kernel=rbf;" in line for line in ours)


def test_verbose_multimetric_lines_are_grid_search_cvs(capsys):
    kwargs = dict(cv=2, verbose=3, scoring=["accuracy", "f1_macro"], refit="accuracy")
    skms.GridSearchCV(SVC(), GRID, **kwargs).fit(X_iris, y_iris)
    theirs = _cv_lines(capsys.readouterr().out)
    GridSearchCV(SVC(), GRID, **kwargs).fit(X_iris, y_iris)
    assert _cv_lines(capsys.readouterr().out) == theirs


class _KwargsClassifier(ClassifierMixin, BaseEstimator):
    """A third-party wrapper whose set_params accepts what get_params does not list."""

    def __init__(self, C=1.0):
        self.C = C

    def set_params(self, **params):
        extra = {k: params.pop(k) for k in list(params) if k != "C"}
        self._extra = {**getattr(self, "_extra", {}), **extra}
        return super().set_params(**params)

    def fit(self, X, y):
        self.model_ = SVC(C=self.C, **getattr(self, "_extra", {})).fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def test_parameters_set_params_accepts_but_get_params_does_not_list():
    grid = {"C": [0.1, 1.0], "gamma": [0.01, 1.0]}
    theirs = skms.GridSearchCV(_KwargsClassifier(), grid, cv=3).fit(X_iris, y_iris)
    ours = GridSearchCV(_KwargsClassifier(), grid, cv=3).fit(X_iris, y_iris)
    assert_same_results(ours, theirs)


def test_a_parameter_set_params_refuses_still_fails_before_any_fit():
    with pytest.raises(ValueError, match="Invalid parameter 'gama'") as info:
        GridSearchCV(SVC(), {"gama": [0.1]}).fit(X_iris, y_iris)
    assert "gamma" in str(info.value)  # the valid names are listed
    with pytest.raises(ValueError, match="Invalid parameter 'clf__gama'"):
        from sklearn.pipeline import Pipeline

        GridSearchCV(Pipeline([("clf", SVC())]), {"clf__gama": [0.1]}).fit(X_iris, y_iris)


def test_no_fits_message_is_scikit_learns():
    with pytest.raises(ValueError) as theirs:
        skms.GridSearchCV(SVC(), GRID, cv=[]).fit(X_iris, y_iris)
    with pytest.raises(ValueError) as ours:
        GridSearchCV(SVC(), GRID, cv=[]).fit(X_iris, y_iris)
    assert str(ours.value) == str(theirs.value)


# -- 3. progress ------------------------------------------------------------------------------

class _Recorder:
    """An auto-propagated callback recording the task tree."""

    max_propagation_depth = None

    def __init__(self):
        self.events = []

    def setup(self, estimator, context):
        self.events.append(("setup", type(estimator).__name__))

    def _record(self, name, estimator, context):
        from sklearn.callback._callback_context import get_context_path

        self.events.append((name, type(estimator).__name__, context.estimator_name,
                            context.task_name, context.max_subtasks,
                            tuple(c.task_id for c in get_context_path(context))))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None,
                          fitted_estimator=None):
        self._record("begin", estimator, context)

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self._record("end", estimator, context)

    def teardown(self, estimator, context):
        self.events.append(("teardown", type(estimator).__name__))


_NO_PROPAGATION_WARNING = pytest.mark.filterwarnings(
    "ignore:The estimator SVC does not support callbacks")


@_NO_PROPAGATION_WARNING
@pytest.mark.parametrize("estimator", [SVC(), LogisticRegression(max_iter=200)],
                         ids=["svc", "logistic-supports-callbacks"])
def test_callback_task_tree_without_pruner_is_grid_search_cvs(estimator):
    pytest.importorskip("sklearn.callback")
    grid = {"C": [0.1, 1.0]}
    trees = []
    for cls in (skms.GridSearchCV, GridSearchCV):
        recorder = _Recorder()
        search = cls(estimator, grid, cv=3)
        search.set_callbacks(recorder)
        search.fit(X_iris, y_iris)
        trees.append(recorder.events)
    assert trees[1] == trees[0]
    n_begins = sum(e[0] == "begin" for e in trees[0])
    assert n_begins >= 1 + 1 + 6 + 1


@_NO_PROPAGATION_WARNING
def test_callback_tree_with_a_pruner_counts_candidates():
    pytest.importorskip("sklearn.callback")
    grid = {"C": [10.0, 1.0, 1e-2, 1e-3]}  # the poor ones last: they are pruned
    recorder = _Recorder()
    search = GridSearchCV(SVC(), grid, cv=5, pruner="bound")
    search.set_callbacks(recorder)
    search.fit(X_iris, y_iris)
    assert search.n_pruned_ > 0
    begins = [e for e in recorder.events if e[0] == "begin"]
    (search_task,) = [e for e in begins if e[3] == "search"]
    assert search_task[4] == 4  # one subtask per candidate, known in advance
    candidates = [e for e in recorder.events if len(e) > 3 and e[3] == "candidate"]
    ends = [e for e in candidates if e[0] == "end"]
    # every candidate ends, pruned or not: a progress bar reaches 4 of 4
    assert [e[5][-1] for e in ends] == [0, 1, 2, 3]
    assert all(e[4] == 5 for e in ends)
    folds = [e for e in begins if e[3] == "candidate-split-evaluation"]
    assert len(folds) == search.n_fold_fits_ < 20
    assert all(e[5][:-1] in {c[5] for c in candidates} for e in folds)


@_NO_PROPAGATION_WARNING
def test_progress_bar_callback_runs_with_a_pruner():
    pytest.importorskip("rich")
    callback = pytest.importorskip("sklearn.callback")
    search = GridSearchCV(SVC(), {"C": [1e-3, 1.0, 10.0]}, cv=3, pruner="bound")
    search.set_callbacks(callback.ProgressBar())
    search.fit(X_iris, y_iris)
    assert len(search.cv_results_["params"]) == 3


def test_verbose_one_lines_show_best_and_elapsed(capsys):
    BayesSearchCV(SVC(), GRID, n_iter=3, cv=2, verbose=1, random_state=0,
                  pruner="median").fit(X_iris, y_iris)
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith("[trial")]
    assert len(lines) == 3
    assert all(re.search(r"best=\d\.\d{4} elapsed=\d+\.\ds", line) for line in lines)


def test_resuming_a_stored_study_says_so(tmp_path, capsys):
    storage = f"sqlite:///{tmp_path / 'r.db'}"
    search = BayesSearchCV(SVC(), GRID, n_iter=3, cv=2, random_state=0, storage=storage,
                           study_name="svc")
    search.fit(X_iris, y_iris)
    assert "resuming" not in capsys.readouterr().err
    search.set_params(n_iter=4).fit(X_iris, y_iris)
    err = capsys.readouterr().err
    assert "resuming 3 finished candidates of study 'svc'; 1 of n_iter=4 left" in err


@pytest.mark.parametrize("backend", ["plain", "rich", "tqdm"])
def test_study_optimize_progress_bar(backend, capsys, monkeypatch):
    from sksearch import _progress

    if backend != "plain":
        pytest.importorskip(backend)
    monkeypatch.setattr(_progress, "_choose_backend", lambda: backend)
    study = Study(sampler="random", random_state=0)
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.5) ** 2, n_trials=4,
                   show_progress_bar=True)
    err = capsys.readouterr().err
    assert "4/4" in err or "4it" in err
    if backend == "plain":
        lines = err.strip().splitlines()
        assert len(lines) == 4 and lines[-1].startswith("[trial 4/4] complete")
        assert f"best={study.best_value:.6g}" in lines[-1]


def test_progress_backend_falls_back_to_plain(monkeypatch):
    from sksearch import _progress

    monkeypatch.setattr(_progress, "_installed", lambda name: False)
    assert _progress._choose_backend() == "plain"
    monkeypatch.setattr(_progress, "_installed", lambda name: name == "tqdm")
    assert _progress._choose_backend() == "tqdm"
    with pytest.raises(TypeError, match="show_progress_bar"):
        Study().optimize(lambda t: 1.0, n_trials=1, show_progress_bar="yes")


# -- 4. migrants ------------------------------------------------------------------------------

@pytest.mark.parametrize("value, hint", [
    ((1e-2, 1e2, "log-uniform"), "Float(0.01, 100.0, log=True)"),
    ((1, 10, "uniform"), "Int(1, 10)"),
    ((1e-3, 1.0, "log-uniform", 10), "Float(0.001, 1.0, log=True)"),
    # skopt's 2-tuple shorthand, a range too (issue 31)
    ((1, 32), "Int(1, 32)"),
    ((0.1, 1.0), "Float(0.1, 1.0)"),
])
def test_skopt_style_tuple_warns_and_points_to_the_distribution(value, hint):
    with pytest.warns(UserWarning, match=re.escape(hint)):
        space = make_search_space({"C": value})
    # still searched as scikit-learn searches a tuple: its values
    assert space.params["C"] == Categorical(list(value))


def test_plain_tuples_do_not_warn():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_search_space({"C": (1.0, 0.1), "kernel": ("linear", "rbf", "poly"),
                           "k": (1, 2, "uniform-ish"), "b": (False, True),
                           "r": ((1, 1), (1, 2)), "one": (3,)})


def test_study_defaults_to_minimize_like_optuna():
    study = Study(sampler="random", random_state=0)
    assert study.direction == "minimize"
    study.optimize(lambda t: (t.suggest_float("x", -10, 10) - 2) ** 2, n_trials=40)
    assert study.best_value == min(t.value for t in study.trials)


def test_study_without_direction_attaches_with_the_stored_one():
    from sksearch.storage import InMemoryStorage

    storage = InMemoryStorage()
    Study(storage=storage, study_name="up", direction="maximize")
    assert Study(storage=storage, study_name="up").direction == "maximize"
    with pytest.raises(ValueError, match="direction 'maximize'"):
        Study(storage=storage, study_name="up", direction="minimize")


def test_searches_still_maximise():
    search = BayesSearchCV(SVC(), {"C": Float(1e-2, 1e2, log=True)}, n_iter=3, cv=2,
                           random_state=0).fit(X_iris, y_iris)
    assert search.study_.direction == "maximize"
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])


# -- 5. scikit-learn's own tests, with the import swapped (issue 31) -------------------------

#: Tests of sklearn/model_selection/tests/test_search.py that fail on purpose,
#: each with its reason (listed in docs/guide/migrating.rst).
DELIBERATE_DIFFERENCES = {
    "test_grid_search_cv_results": "cv_results_ has the extra key 'status'",
    "test_random_search_cv_results": "cv_results_ has the extra key 'status'",
    "test_custom_run_search": "cv_results_ has the extra key 'status' (compared with "
                              "a BaseSearchCV subclass's _run_search results)",
}


def test_scikit_learns_search_tests_pass_with_the_import_swapped(tmp_path):
    """Run scikit-learn's own test_search.py on sksearch's GridSearchCV and
    RandomizedSearchCV: every test passes but the deliberate differences."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import sklearn

    source = Path(sklearn.__file__).parent / "model_selection" / "tests" / "test_search.py"
    if not source.exists():
        pytest.skip("scikit-learn's tests are not installed with this wheel")
    text = source.read_text()
    for name in ("GridSearchCV", "RandomizedSearchCV"):
        line = f"    {name},\n"
        assert line in text, f"the import of {name} moved in scikit-learn's test file"
        text = text.replace(line, "", 1)
    text = text.replace("from sklearn.model_selection._search import (",
                        "from sksearch import GridSearchCV, RandomizedSearchCV\n"
                        "from sklearn.model_selection._search import (", 1)
    swapped = tmp_path / "test_search_swapped.py"
    swapped.write_text(text)
    sksearch_root = str(Path(sksearch.__file__).parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([sksearch_root] + sys.path),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
         "-o", "addopts=", "-W", "ignore::pytest.PytestUnknownMarkWarning",
         str(swapped)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    check = subprocess.run([sys.executable, "-c", "import sksearch; print(sksearch.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert check.stdout.strip() == sksearch.__file__
    failed = set(re.findall(r"^FAILED \S+::(\w+)", done.stdout, flags=re.M))
    assert failed == set(DELIBERATE_DIFFERENCES), done.stdout[-5000:]
    assert re.search(r"\d+ passed", done.stdout), done.stdout[-2000:]
    assert " error" not in done.stdout.splitlines()[-1], done.stdout[-2000:]
