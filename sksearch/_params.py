"""The searches' constructor arguments, declared once as constraint objects.

One table for BayesSearchCV, GridSearchCV and RandomizedSearchCV: each class
is checked on the parameters its ``__init__`` has, in ``fit``, before any
model is fitted, with scikit-learn's message format (the mechanism:
:mod:`sksearch._validation`).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import numbers

import numpy as np

from ._reuse import reuse_bytes
from ._validation import (
    AnyOf,
    InstanceOf,
    Interval,
    InvalidParameterError,
    IsCallable,
    Options,
    Predicate,
    validate,
)
from .pruners import PRUNER_NAMES, BasePruner
from .samplers import SAMPLER_NAMES, BaseSampler
from .storage import STORAGE_CONSTRAINT

__all__ = ["PARAMETER_CONSTRAINTS", "InvalidParameterError", "search_constraints",
           "validate_params"]


def _reuse(value):
    try:
        reuse_bytes(value)
    except ValueError:
        return False
    return True


_BOOL = InstanceOf(bool, np.bool_, description="a bool")
# the type only: the space parser names what is wrong inside (an empty list,
# the item that is not a dict)
_DICTS = InstanceOf(dict, list, tuple, description="a dict or a list of dicts")

PARAMETER_CONSTRAINTS = {
    "estimator": Predicate("an object implementing 'fit'", lambda v: hasattr(v, "fit"),
                           invalid=["x", 1]),
    "param_distributions": AnyOf(_DICTS, IsCallable()),
    "param_grid": _DICTS,
    "n_iter": AnyOf(Interval(int, 1), None),
    "sampler": AnyOf(Options(*SAMPLER_NAMES), InstanceOf(BaseSampler)),
    "pruner": AnyOf(None, Options(*PRUNER_NAMES), InstanceOf(BasePruner)),
    "scoring": AnyOf(None, InstanceOf(str, list, tuple, set, dict,
                                      description="a str, a list, a tuple, a set, a dict"),
                     IsCallable()),
    "n_jobs": AnyOf(Interval(int), None),
    "refit": AnyOf(_BOOL, InstanceOf(str, description="a str"), IsCallable()),
    "cv": AnyOf(None, Interval(int, 2), Predicate(
        "a CV splitter or an iterable of splits",
        lambda v: hasattr(v, "split") or (hasattr(v, "__iter__")
                                          and not isinstance(v, (str, bytes))),
        invalid=["x", 1.5])),
    "verbose": AnyOf(_BOOL, Interval(int, 0)),
    "pre_dispatch": AnyOf(Interval(int), InstanceOf(str, description="a str")),
    "random_state": AnyOf(None, Interval(int),
                          InstanceOf(np.random.RandomState,
                                     description="a numpy.random.RandomState instance")),
    "error_score": AnyOf(Options("raise"), InstanceOf(numbers.Real, description="a number")),
    "return_train_score": _BOOL,
    "timeout": AnyOf(Interval(float, 0, closed="neither"), None),
    "storage": STORAGE_CONSTRAINT,
    "study_name": AnyOf(None, InstanceOf(str, description="a str")),
    "callbacks": AnyOf(None, Predicate(
        "a list of callables taking (study, trial)",
        lambda v: isinstance(v, (list, tuple)) and all(callable(c) for c in v),
        invalid=["x", [1]])),
    "objectives": AnyOf(None, Predicate(
        "a list of metric names",
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(n, str) for n in v),
        invalid=["accuracy", [1]])),
    "constraints": AnyOf(None, InstanceOf(dict, description="a dict {metric: (operator, "
                                                            "bound)}")),
    "increments": AnyOf(None, Predicate(
        "a dict with one entry, {parameter or 'partial_fit': n_increments}",
        lambda v: isinstance(v, dict) and len(v) == 1, invalid=[{}, 4])),
    "reuse": Predicate("a bool, an int of bytes in the range [0, inf) or a str such as "
                       "'500MB'", _reuse, invalid=[-1, "lots", 1.5]),
    "window": AnyOf(Interval(int, 1), None),
    "max_fold_fits": AnyOf(Interval(int, 1), None),
    "initial_params": AnyOf(None, Predicate(
        "a list of dicts",
        lambda v: isinstance(v, (list, tuple)) and all(isinstance(d, dict) for d in v),
        invalid=[{"C": 1}, [1]])),
    "warm_start_from": AnyOf(None, Predicate(
        "a Study or a fitted search (its study_)",
        lambda v: hasattr(v, "get_trials") or hasattr(v, "study_"), invalid=["x"])),
}


def search_constraints(cls, own=None):
    """The ``_parameter_constraints`` of the search class ``cls``: this
    table's entry for each argument of its ``__init__``, then ``own`` (the
    arguments of a migrant face, or its stricter reading of a shared one)."""
    names = inspect.signature(cls.__init__).parameters
    return {**{name: PARAMETER_CONSTRAINTS[name] for name in names
               if name in PARAMETER_CONSTRAINTS}, **(own or {})}


def validate_params(estimator):
    """Check every constrained parameter of ``estimator`` (its class's
    ``_parameter_constraints``); raise on the first bad one with a message
    naming it, what it must be and what it got."""
    validate(estimator, estimator.get_params(deep=False))
    check_scorer_names(estimator)


def check_scorer_names(estimator):
    """Refuse a scorer name scikit-learn does not know, naming the search's
    ``scoring`` parameter and the close matches (``'acuracy'``: did you mean
    'accuracy'?), with the list of names once. Left to scikit-learn, the
    error names its ``check_scoring`` and prints every name in a set, in no
    order and without a suggestion."""
    scoring = estimator.get_params(deep=False).get("scoring")
    if isinstance(scoring, str):
        names = [scoring]
    elif isinstance(scoring, (list, tuple, set)):
        names = [s for s in scoring if isinstance(s, str)]
    elif isinstance(scoring, dict):
        names = [s for s in scoring.values() if isinstance(s, str)]
    else:
        return
    from sklearn.metrics import get_scorer_names

    from .space import did_you_mean

    known = get_scorer_names()
    for name in names:
        if name not in known:
            raise InvalidParameterError(
                f"The 'scoring' parameter of {type(estimator).__name__} got {name!r}, "
                f"which is not a scorer name.{did_you_mean(name, known)} The scorer names "
                f"(sklearn.metrics.get_scorer_names()) are: {sorted(known)!r}.")
