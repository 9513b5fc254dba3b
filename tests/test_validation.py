"""One validation mechanism (issue 28): every public configurable declares its
constraints, and one generated test walks every class x parameter x invalid
value the constraint itself produces, expecting the one error type naming the
class, the parameter, what was expected and what was received."""

import inspect

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import sksearch
from sksearch import (
    BayesSearchCV,
    GridSearchCV,
    RandomizedSearchCV,
    Study,
    compat,
    integration,
    plot,
    pruners,
    samplers,
    storage,
)
from sksearch import callbacks as callbacks_module
from sksearch._params import PARAMETER_CONSTRAINTS, validate_params
from sksearch._validation import (
    AnyOf,
    InstanceOf,
    Interval,
    InvalidParameterError,
    Options,
    validate,
)
from sksearch.callbacks import EarlyStopping
from sksearch.distributions import Float
from sksearch.importance import param_importances
from sksearch.integration import MLflowCallback
from sksearch.pruners import (
    BoundPruner,
    HyperbandPruner,
    MedianPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    WilcoxonPruner,
)
from sksearch.samplers import (
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIISampler,
    RandomSampler,
    TPESampler,
)
from sksearch.samplers.auto import AutoSampler
from sksearch.storage import PostgreSQLStorage, SQLiteStorage
from sksearch.studies import copy_study, delete_study, list_studies, load_study

# classes validated when built, with the arguments a valid instance needs (a
# function of a temporary folder for a storage that writes a file)
BUILT = {
    TPESampler: {}, CmaEsSampler: {}, NSGAIISampler: {}, GPSampler: {}, AutoSampler: {},
    RandomSampler: {}, GridSampler: {"search_space": {"x": [1, 2]}},
    MedianPruner: {}, PercentilePruner: {"percentile": 25.0},
    SuccessiveHalvingPruner: {}, HyperbandPruner: {}, WilcoxonPruner: {}, BoundPruner: {},
    Study: {}, EarlyStopping: {"patience": 2}, MLflowCallback: {},
    SQLiteStorage: lambda folder: {"path": str(folder / "valid.db")},
    PostgreSQLStorage: {"url": "postgresql://localhost/never_opened"},
}
# a valid instance needs a server: only the refusals are walked (they come
# before the driver is imported or a server is reached)
UNBUILT = {PostgreSQLStorage}
SEARCHES = [
    BayesSearchCV(LogisticRegression(), {"C": Float(0.1, 1)}),
    GridSearchCV(LogisticRegression(), {"C": [0.1, 1]}),
    RandomizedSearchCV(LogisticRegression(), {"C": Float(0.1, 1)}),
    compat.BayesSearchCV(LogisticRegression(), {"C": (0.1, 1.0)}),
    compat.OptunaSearchCV(LogisticRegression(), {"C": [0.1, 1]}),
]


def _optimize(**kwargs):
    Study(sampler="random").optimize(**{"objective": lambda t: 1.0, "n_trials": 1, **kwargs})


def _enqueue(**kwargs):
    Study().enqueue_trial({"x": 1}, **kwargs)


def _studies_function(function):
    def call(folder, **kwargs):
        target = storage.InMemoryStorage()
        Study(storage=target, study_name="s")
        defaults = {"study_name": "s", "storage": target, "from_study_name": "s",
                    "from_storage": target, "to_storage": storage.InMemoryStorage()}
        names = inspect.signature(function).parameters
        function(**{**{k: v for k, v in defaults.items() if k in names}, **kwargs})
    return call


def _plot(name):
    def call(folder, **kwargs):
        # refused before the search or study is read: no study is needed
        getattr(plot, name)(None, *PLOT_ARGS.get(name, ()), **kwargs)
    return call


PLOT_ARGS = {"plot_contour": ("x", "y")}
# the plots' shared keyword options, checked before anything is read or drawn
# (their valid use is tests/test_plot.py's)
PLOTS = {
    name: ({option: plot._OPTION_CONSTRAINTS[option] for option in ("backend",
                                                                         "target_name")
                 if option in inspect.signature(getattr(plot, name)).parameters},
                _plot(name))
    for name in plot.__all__ if name not in ("plot_pareto_front", "plot_hypervolume_history")
}

# functions and methods validated when called: (what the message names, its
# constraints, a call with valid defaults and the keyword arguments given; the
# defaults are not called for the plots)
CALLED = {
    "Study.optimize": (Study._optimize_constraints, lambda folder, **kw: _optimize(**kw)),
    "Study.enqueue_trial": ({"skip_if_exists": InstanceOf(bool)},
                            lambda folder, **kw: _enqueue(**kw)),
    "load_study": (None, _studies_function(load_study)),
    "delete_study": (None, _studies_function(delete_study)),
    "copy_study": (None, _studies_function(copy_study)),
    "list_studies": (None, _studies_function(list_studies)),
    "param_importances": ({"method": Options("fanova", "permutation")},
                          lambda folder, **kw: param_importances(_studied(), **kw)),
    **PLOTS,
}


def _studied():
    study = Study(sampler="random", random_state=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1),
                   n_trials=8)
    return study


def _called_constraints(name, constraints):
    if constraints is not None:
        return constraints
    from sksearch import studies

    function = getattr(studies, name)
    return {p: studies._CONSTRAINTS[p] for p in inspect.signature(function).parameters}


def _required(cls, folder):
    required = BUILT[cls]
    return required(folder) if callable(required) else required


def _cases():
    for cls in BUILT:
        for name, constraint in cls._parameter_constraints.items():
            for value in constraint.invalid_values():
                yield pytest.param(cls, name, value, id=f"{cls.__name__}-{name}-{value!r}")


@pytest.mark.parametrize("cls, name, value", list(_cases()))
def test_every_invalid_value_of_every_parameter_is_refused_by_name(cls, name, value,
                                                                   tmp_path):
    required = _required(cls, tmp_path)
    if cls not in UNBUILT:
        cls(**required)  # the defaults are valid
    with pytest.raises(InvalidParameterError) as info:
        cls(**{**required, name: value})
    message = str(info.value)
    assert f"The {name!r} parameter of {cls.__name__} must be" in message
    assert f"Got {cls._parameter_constraints[name].show(value)} instead." in message


def _called_cases():
    for owner, (constraints, _) in CALLED.items():
        for name, constraint in _called_constraints(owner, constraints).items():
            for value in constraint.invalid_values():
                yield pytest.param(owner, name, value, id=f"{owner}-{name}-{value!r}")


@pytest.mark.parametrize("owner, name, value", list(_called_cases()))
def test_every_invalid_argument_of_every_checked_call_is_refused_by_name(owner, name, value,
                                                                         tmp_path):
    constraints, call = CALLED[owner]
    if owner not in PLOTS:
        call(tmp_path)  # the defaults are valid
    with pytest.raises(InvalidParameterError) as info:
        call(tmp_path, **{name: value})
    shown = _called_constraints(owner, constraints)[name].show(value)
    assert f"The {name!r} parameter of {owner} must be" in str(info.value)
    assert f"Got {shown} instead." in str(info.value)


def _search_cases():
    for search in SEARCHES:
        constraints = type(search)._parameter_constraints
        for name in search.get_params(deep=False):
            for value in constraints[name].invalid_values():
                yield pytest.param(search, name, value,
                                   id=f"{type(search).__module__}.{type(search).__name__}-"
                                      f"{name}-{value!r}")


@pytest.mark.parametrize("search, name, value", list(_search_cases()))
def test_every_invalid_search_argument_is_refused_by_name(search, name, value):
    validate_params(search)  # the defaults are valid
    bad = search.__class__(**{**search.get_params(deep=False), name: value})
    with pytest.raises(InvalidParameterError,
                       match=f"The '{name}' parameter of {type(search).__name__} "):
        validate_params(bad)


def test_every_declared_constraint_generates_values_it_refuses():
    constraints = [c for cls in BUILT for c in cls._parameter_constraints.values()]
    constraints += [c for s in SEARCHES for c in type(s)._parameter_constraints.values()]
    constraints += [c for owner, (cs, _) in CALLED.items()
                    for c in _called_constraints(owner, cs).values()]
    constraints += list(PARAMETER_CONSTRAINTS.values())
    for constraint in constraints:
        invalid = constraint.invalid_values()
        assert invalid, constraint.description
        assert not any(constraint.accepts(v) for v in invalid), constraint.description


# -- every public configurable declares its constraints ------------------------------------

PUBLIC_MODULES = [sksearch, samplers, pruners, callbacks_module, integration, storage, compat]
# classes of the public modules that declare no constraints, and why
EXEMPT = {
    # records and handles the library builds for the user, not configured by
    # one: create_trial checks what a FrozenTrial is made of, Study.ask makes Trials
    "FrozenTrial": "a record of a trial, built by the library or create_trial",
    "Trial": "a handle made by Study.ask",
    "TrialState": "an enum",
    "StepLayout": "a protocol object the search machinery writes for the pruners",
    # abstract bases, never built themselves (BaseSampler declares the seed its
    # subclasses share)
    "BasePruner": "an abstract base",
    "BaseStorage": "an abstract base",
}


def _public_classes():
    for module in PUBLIC_MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                yield pytest.param(obj, id=f"{module.__name__}.{name}")


def _init_parameters(cls):
    if cls.__init__ is object.__init__:
        return []
    return [name for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


@pytest.mark.parametrize("cls", list(_public_classes()))
def test_every_public_configurable_declares_constraints_for_all_its_arguments(cls):
    if cls.__name__ in EXEMPT:
        return
    assert hasattr(cls, "_parameter_constraints"), cls
    missing = set(_init_parameters(cls)) - set(cls._parameter_constraints)
    assert not missing, f"{cls.__name__} declares no constraint for {sorted(missing)}"


def test_the_exemptions_are_public_classes_and_the_checked_calls_cover_their_arguments():
    names = {p.values[0].__name__ for p in _public_classes()}
    assert set(EXEMPT) <= names
    optimize = set(inspect.signature(Study.optimize).parameters) - {"self"}
    assert optimize == set(Study._optimize_constraints)
    for owner, (constraints, _) in CALLED.items():
        if constraints is None:
            function = getattr(sksearch, owner)
            assert set(inspect.signature(function).parameters) == set(
                _called_constraints(owner, None))


def test_a_password_in_a_refused_storage_value_is_never_shown(tmp_path):
    url = b"postgresql://me:hunter22@db/studies"
    for make in (lambda: Study(storage=url), lambda: PostgreSQLStorage(url),
                 lambda: load_study(study_name="s", storage=url),
                 lambda: validate_params(GridSearchCV(LogisticRegression(), {"C": [1]},
                                                      storage=url))):
        with pytest.raises(InvalidParameterError) as info:
            make()
        assert "hunter22" not in str(info.value)
        assert "me:***@db" in str(info.value)


def test_a_misspelled_option_is_refused_with_a_close_match():
    # was: TPESampler(bandwidth="neighbour") silently became "fixed"
    with pytest.raises(InvalidParameterError, match="Did you mean 'neighbor'"):
        TPESampler(bandwidth="neighbour")
    with pytest.raises(InvalidParameterError, match="Did you mean 'tpe'"):
        validate_params(BayesSearchCV(LogisticRegression(), {"C": [1]}, sampler="tep"))
    with pytest.raises(InvalidParameterError, match="Did you mean 'maximize'"):
        Study(direction="maximise")
    with pytest.raises(InvalidParameterError, match="Did you mean 'hyperband'"):
        Study(pruner="hyperbnad")
    with pytest.raises(InvalidParameterError, match="Did you mean 'random'"):
        load_study(study_name="s", storage=None, sampler="randon")


@pytest.mark.parametrize("constraint, good, bad", [
    (Interval(int, 1), [1, 5, np.int64(3)], [0, 1.5, True, "1", None]),
    (Interval(float, 0, 1, closed="neither"), [0.5, 1e-9], [0, 1, float("nan"), "0.5"]),
    (Interval(float, 0), [0, 2.5, float("inf")], [-1e-9, float("nan")]),
    (Options("a", "b"), ["a", "b"], ["c", 1, None]),
    (AnyOf(Interval(int, 0), None), [None, 0, 7], [-1, "x"]),
    (InstanceOf(bool, description="a bool"), [True, False], [1, "True"]),
])
def test_constraints_against_their_definition(constraint, good, bad):
    assert all(constraint.accepts(v) for v in good)
    assert not any(constraint.accepts(v) for v in bad)


def test_validate_names_class_parameter_expectation_and_value():
    class Thing:
        _parameter_constraints = {"k": Interval(int, 2)}

    with pytest.raises(InvalidParameterError) as info:
        validate(Thing, {"k": 1})
    assert str(info.value) == ("The 'k' parameter of Thing must be an int in the range "
                               "[2, inf). Got 1 instead.")
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
