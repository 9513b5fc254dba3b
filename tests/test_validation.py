"""One validation mechanism (issue 28): every public configurable declares its
constraints, and one generated test walks every class x parameter x invalid
value the constraint itself produces, expecting the one error type naming the
class, the parameter, what was expected and what was received."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sksearch import BayesSearchCV, GridSearchCV, RandomizedSearchCV
from sksearch._params import PARAMETER_CONSTRAINTS, validate_params
from sksearch._validation import (
    AnyOf,
    InstanceOf,
    Interval,
    InvalidParameterError,
    Options,
    validate,
)
from sksearch.distributions import Float
from sksearch.pruners import (
    BoundPruner,
    HyperbandPruner,
    MedianPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    WilcoxonPruner,
)
from sksearch.samplers import CmaEsSampler, GPSampler, NSGAIISampler, TPESampler
from sksearch.samplers.auto import AutoSampler

# classes validated when built, with the arguments a valid instance needs
BUILT = {
    TPESampler: {}, CmaEsSampler: {}, NSGAIISampler: {}, GPSampler: {}, AutoSampler: {},
    MedianPruner: {}, PercentilePruner: {"percentile": 25.0},
    SuccessiveHalvingPruner: {}, HyperbandPruner: {}, WilcoxonPruner: {}, BoundPruner: {},
}
SEARCHES = [
    BayesSearchCV(LogisticRegression(), {"C": Float(0.1, 1)}),
    GridSearchCV(LogisticRegression(), {"C": [0.1, 1]}),
    RandomizedSearchCV(LogisticRegression(), {"C": Float(0.1, 1)}),
]


def _cases():
    for cls, required in BUILT.items():
        for name, constraint in cls._parameter_constraints.items():
            for value in constraint.invalid_values():
                yield pytest.param(cls, required, name, value,
                                   id=f"{cls.__name__}-{name}-{value!r}")


@pytest.mark.parametrize("cls, required, name, value", list(_cases()))
def test_every_invalid_value_of_every_parameter_is_refused_by_name(cls, required, name, value):
    cls(**required)  # the defaults are valid
    with pytest.raises(InvalidParameterError) as info:
        cls(**{**required, name: value})
    message = str(info.value)
    assert f"The {name!r} parameter of {cls.__name__} must be" in message
    assert f"Got {value!r} instead." in message


def _search_cases():
    for search in SEARCHES:
        for name in search.get_params(deep=False):
            for value in PARAMETER_CONSTRAINTS[name].invalid_values():
                yield pytest.param(search, name, value,
                                   id=f"{type(search).__name__}-{name}-{value!r}")


@pytest.mark.parametrize("search, name, value", list(_search_cases()))
def test_every_invalid_search_argument_is_refused_by_name(search, name, value):
    validate_params(search)  # the defaults are valid
    bad = search.__class__(**{**search.get_params(deep=False), name: value})
    with pytest.raises(InvalidParameterError, match=f"The '{name}' parameter of "):
        validate_params(bad)


def test_every_declared_constraint_generates_values_it_refuses():
    constraints = [c for cls in BUILT for c in cls._parameter_constraints.values()]
    constraints += list(PARAMETER_CONSTRAINTS.values())
    for constraint in constraints:
        invalid = constraint.invalid_values()
        assert invalid, constraint.description
        assert not any(constraint.accepts(v) for v in invalid), constraint.description


def test_a_misspelled_option_is_refused_with_a_close_match():
    # was: TPESampler(bandwidth="neighbour") silently became "fixed"
    with pytest.raises(InvalidParameterError, match="Did you mean 'neighbor'"):
        TPESampler(bandwidth="neighbour")
    with pytest.raises(InvalidParameterError, match="Did you mean 'tpe'"):
        validate_params(BayesSearchCV(LogisticRegression(), {"C": [1]}, sampler="tep"))


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
