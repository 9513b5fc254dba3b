"""Migrants change one import (issue 31): sksearch.compat's faces of
scikit-optimize's BayesSearchCV and optuna-integration's OptunaSearchCV, read
through stand-ins with the attribute names of those libraries' objects (the
libraries themselves are not needed); and no candidate is paid for twice in
a finite space, whatever the sampler."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import sksearch
from sksearch import Study
from sksearch.compat import BayesSearchCV, MigrationWarning, OptunaSearchCV
from sksearch.distributions import Categorical, Float, Int

X, y = load_iris(return_X_y=True)

pytestmark = pytest.mark.filterwarnings("ignore::sksearch.compat.MigrationWarning")


# -- stand-ins with the attributes of skopt.space and optuna.distributions -----------------

class Real:
    def __init__(self, low, high, prior="uniform", base=10, name=None):
        self.low, self.high, self.prior, self.base, self.name = low, high, prior, base, name


class Integer(Real):
    pass


class SkoptCategorical:
    def __init__(self, categories, name=None):
        self.categories, self.name = tuple(categories), name


class FloatDistribution:
    def __init__(self, low, high, log=False, step=None):
        self.low, self.high, self.log, self.step = low, high, log, step


class IntDistribution:
    def __init__(self, low, high, log=False, step=1):
        self.low, self.high, self.log, self.step = low, high, log, step


class CategoricalDistribution:
    def __init__(self, choices):
        self.choices = tuple(choices)


# -- scikit-optimize's face -----------------------------------------------------------------

def _skopt_space(search):
    return search._search_space()


@pytest.mark.parametrize("dimension, expected", [
    (Real(1e-2, 1e2, prior="log-uniform"), Float(1e-2, 1e2, log=True)),
    (Real(1, 10), Float(1.0, 10.0)),  # skopt keeps Real(1, 10)'s ints: still a Real
    (Integer(1, 5), Int(1, 5)),
    (SkoptCategorical(["a", "b"]), Categorical(["a", "b"])),
    ((1, 32), Int(1, 32)),
    ((0.1, 1.0), Float(0.1, 1.0)),
    ((1e-3, 1.0, "log-uniform"), Float(1e-3, 1.0, log=True)),
    ((1, 100, "log-uniform", 2), Int(1, 100, log=True)),
    ([2, 3], Int(2, 3)),
    (["linear", "rbf"], Categorical(["linear", "rbf"])),
    (["a", "b", "c"], Categorical(["a", "b", "c"])),
    ((True, False), Categorical([True, False])),
    ([5], Categorical([5])),
])
def test_skopt_dimensions_and_shorthands_read_as_skopt_reads_them(dimension, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no skopt-tuple warning in the skopt face
        space = _skopt_space(BayesSearchCV(SVC(), {"p": dimension}))
    assert space == {"p": expected}


def test_skopt_face_fits_and_exposes_what_a_skopt_script_reads():
    spaces = {"C": Real(1e-2, 1e2, prior="log-uniform"), "degree": Integer(1, 3),
              "kernel": SkoptCategorical(["poly", "rbf"])}
    search = BayesSearchCV(SVC(), spaces, n_iter=5, cv=3, random_state=0).fit(X, y)
    assert isinstance(search, sksearch.BayesSearchCV)
    assert search.total_iterations == 5 == len(search.cv_results_["params"])
    (result,) = search.optimizer_results_
    assert len(result.x_iters) == 5 and result.func_vals.shape == (5,)
    # x in the sorted order of the names, fun the negated best score
    assert result.x == [search.best_params_[k] for k in sorted(spaces)]
    assert result.fun == -search.best_score_
    np.testing.assert_array_equal(result.func_vals, -search.cv_results_["mean_test_score"])
    assert search.best_estimator_.C == search.best_params_["C"]


def test_skopt_face_list_of_spaces_with_their_n_iter():
    spaces = [({"C": Real(0.1, 10.0)}, 3), {"kernel": ["linear", "rbf", "poly"]}]
    search = BayesSearchCV(SVC(), spaces, n_iter=2, cv=2, random_state=0).fit(X, y)
    assert search.total_iterations == 5 == len(search.cv_results_["params"])
    assert len(search.optimizer_results_) == 2
    assert sum(len(r.x_iters) for r in search.optimizer_results_) == 5


def test_skopt_face_callback_stops_fit_params_and_groups():
    seen = []

    def stop_after_two(result):
        seen.append(len(result.x_iters))
        return len(result.x_iters) >= 2

    search = BayesSearchCV(SVC(), {"C": (0.1, 10.0)}, n_iter=6, cv=2, random_state=0)
    search.fit(X, y, callback=[stop_after_two])
    assert len(search.cv_results_["params"]) == 2 and seen == [1, 2]


def test_skopt_face_signature_clone_and_warning():
    import inspect

    names = list(inspect.signature(BayesSearchCV).parameters)
    assert names == ["estimator", "search_spaces", "optimizer_kwargs", "n_iter", "scoring",
                     "fit_params", "n_jobs", "n_points", "iid", "refit", "cv", "verbose",
                     "pre_dispatch", "random_state", "error_score", "return_train_score"]
    search = BayesSearchCV(SVC(), {"C": (0.1, 10.0)}, n_iter=2, n_points=2, cv=2)
    assert clone(search).get_params(deep=False).keys() == search.get_params(deep=False).keys()
    assert search.error_score == "raise"
    with pytest.warns(MigrationWarning, match="docs/guide/migrating.rst"):
        search.fit(X, y)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(search_spaces="C"), TypeError,
     "'search_spaces' parameter of BayesSearchCV must be a dict.*'C'"),
    (dict(search_spaces={"C": Real(1, 10, prior="normal")}), ValueError,
     "'C'.*prior.*'normal'"),
    (dict(search_spaces={"C": Real(10, 1)}), ValueError, "'C'.*low=10, high=1"),
    (dict(search_spaces={"C": Real(0, 1, prior="log-uniform")}), ValueError, "'C'.*low"),
    (dict(search_spaces={"C": 3.0}), TypeError, "'C'.*3.0"),
    (dict(search_spaces=[({"C": [1, 2]}, 0)]), ValueError, r"search_spaces\[0\].*0"),
    (dict(n_points=0), ValueError, "n_points.*0"),
    (dict(optimizer_kwargs="GP"), TypeError, "optimizer_kwargs.*'GP'"),
    (dict(optimizer_kwargs={"n_initial_points": -1}), ValueError, "n_initial_points.*-1"),
])
def test_skopt_face_errors_name_the_parameter_and_the_value(kwargs, error, match):
    kwargs = {"search_spaces": {"C": (0.1, 10.0)}, **kwargs}
    with pytest.raises(error, match=match):
        BayesSearchCV(SVC(), n_iter=2, cv=2, **kwargs).fit(X, y)


# -- Optuna's face --------------------------------------------------------------------------

def test_optuna_distributions_read_by_duck_typing():
    space = OptunaSearchCV(SVC(), {
        "C": FloatDistribution(1e-2, 1e2, log=True),
        "tol": FloatDistribution(0.1, 0.5, step=0.1),
        "degree": IntDistribution(1, 5, step=2),
        "kernel": CategoricalDistribution(["poly", "rbf"]),
        "gamma": ["scale", "auto"],
    })._search_space()
    assert space == {"C": Float(1e-2, 1e2, log=True), "tol": Float(0.1, 0.5, step=0.1),
                     "degree": Int(1, 5, step=2), "kernel": Categorical(["poly", "rbf"]),
                     "gamma": Categorical(["scale", "auto"])}


def test_optuna_face_exposes_what_an_optuna_script_reads():
    search = OptunaSearchCV(SVC(), {"C": FloatDistribution(1e-2, 1e2, log=True),
                                    "kernel": CategoricalDistribution(["linear", "rbf"])},
                            n_trials=5, cv=3, random_state=0)
    with pytest.warns(MigrationWarning, match="docs/guide/migrating.rst"):
        search.fit(X, y)
    assert isinstance(search.study_, Study)
    assert search.n_trials_ == len(search.trials_) == 5
    assert search.best_trial_.params == search.best_params_
    assert search.best_trial_.value == search.best_score_
    assert search.user_attrs_ == {}
    np.testing.assert_array_equal(search.sample_indices_, np.arange(len(X)))
    assert clone(search).get_params(deep=False).keys() == search.get_params(deep=False).keys()


def test_optuna_face_pruning_and_study():
    study = Study(direction="maximize", study_name="svc")
    search = OptunaSearchCV(SVC(), {"C": FloatDistribution(1e-3, 1e2, log=True)},
                            n_trials=6, cv=5, random_state=0, enable_pruning=True,
                            study=study).fit(X, y)
    assert search.study_.study_name == "svc" and len(study.trials) == 6
    assert "pruned" in set(search.cv_results_["status"]) or search.n_pruned_ == 0


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(n_trials=0), ValueError, "n_trials.*0"),
    (dict(subsample=0.5), ValueError, "'subsample' parameter of OptunaSearchCV must be 1.0.*0.5"),
    (dict(enable_pruning="yes"), TypeError, "enable_pruning.*'yes'"),
    (dict(study="optuna-study"), TypeError,
     "'study' parameter of OptunaSearchCV must be None or a sksearch.Study.*'optuna-study'"),
    (dict(study=Study(direction="minimize")), ValueError, "'maximize'.*'minimize'"),
    (dict(param_distributions=[("C", [1])]), TypeError,
     "'param_distributions' parameter of OptunaSearchCV must be a dict"),
    (dict(param_distributions={"C": FloatDistribution(0.0, 1.0, log=True)}), ValueError,
     "'C'.*low"),
    (dict(param_distributions={"C": 1.0}), TypeError, "'C'.*1.0"),
])
def test_optuna_face_errors_name_the_parameter_and_the_value(kwargs, error, match):
    kwargs = {"param_distributions": {"C": FloatDistribution(0.1, 10.0)}, **kwargs}
    with pytest.raises(error, match=match):
        OptunaSearchCV(SVC(), n_trials=kwargs.pop("n_trials", 2), cv=2, **kwargs).fit(X, y)


# -- no candidate paid for twice ------------------------------------------------------------

FINITE_SPACES = {
    "three-points": {"max_depth": [1, 2, 3]},
    "grid": {"max_depth": [1, 2, 3], "criterion": ["gini", "entropy"]},
    "list-of-dicts": [{"max_depth": [1, 2]}, {"min_samples_leaf": [1, 2], "max_depth": [3]}],
}


@pytest.mark.filterwarnings("ignore:The total space of parameters")
@pytest.mark.filterwarnings("ignore:CmaEsSampler searches numerical parameters only")
@pytest.mark.parametrize("sampler", ["tpe", "random", "cmaes", "grid"])
@pytest.mark.parametrize("space", list(FINITE_SPACES))
def test_no_duplicate_candidates_in_a_finite_space_over_20_seeds(space, sampler):
    grid = FINITE_SPACES[space]
    n_points = len(sksearch.samplers.GridSampler(grid).points)
    for seed in range(20):
        search = sksearch.BayesSearchCV(DecisionTreeClassifier(random_state=0), grid,
                                        n_iter=n_points + 1, sampler=sampler, cv=2,
                                        random_state=seed).fit(X, y)
        drawn = [repr(sorted(p.items())) for p in search.cv_results_["params"]]
        # every point exactly once
        assert len(drawn) == len(set(drawn)) == n_points, (seed, drawn)


def test_a_finite_dict_beside_a_continuous_one_is_not_repeated():
    grid = [{"max_depth": [1, 2]}, {"min_impurity_decrease": Float(0.0, 0.1)}]
    for seed in range(10):
        search = sksearch.BayesSearchCV(DecisionTreeClassifier(random_state=0), grid,
                                        n_iter=6, cv=2, random_state=seed).fit(X, y)
        depths = [p["max_depth"] for p in search.cv_results_["params"] if "max_depth" in p]
        assert len(depths) == len(set(depths)), (seed, depths)


def test_the_wrapper_keeps_the_samplers_proposals_until_a_repeat(monkeypatch):
    import sksearch._search_base as base

    grid = {"max_depth": list(range(1, 30)), "min_samples_leaf": list(range(1, 20))}
    kwargs = dict(n_iter=12, cv=2, random_state=0)
    wrapped = sksearch.BayesSearchCV(DecisionTreeClassifier(random_state=0), grid,
                                     **kwargs).fit(X, y).cv_results_["params"]
    monkeypatch.setattr(base, "finite_parts", lambda space: {})
    plain = sksearch.BayesSearchCV(DecisionTreeClassifier(random_state=0), grid,
                                   **kwargs).fit(X, y).cv_results_["params"]
    seen = [repr(p) for p in plain]
    first_repeat = next((i for i, p in enumerate(seen) if p in seen[:i]), len(seen))
    assert wrapped[:first_repeat] == plain[:first_repeat]


def test_randomized_search_cv_with_sksearch_distributions_draws_without_repeats():
    grid = {"max_depth": Int(1, 4), "criterion": Categorical(["gini", "entropy"])}
    search = sksearch.RandomizedSearchCV(DecisionTreeClassifier(random_state=0), grid,
                                         n_iter=8, cv=2, random_state=0).fit(X, y)
    drawn = [repr(sorted(p.items())) for p in search.cv_results_["params"]]
    assert len(set(drawn)) == 8
