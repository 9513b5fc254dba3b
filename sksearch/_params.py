"""Declarative validation of the searches' constructor arguments.

One table for BayesSearchCV, GridSearchCV and RandomizedSearchCV: each class
is checked on the parameters its ``__init__`` has. Each entry says what a
parameter accepts, in words (for the error message) and
as a predicate; ``validate_params`` checks them all in ``fit``, before any model
is fitted, with scikit-learn's message format.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers
import os

import numpy as np

from .pruners import BasePruner
from .samplers import SAMPLER_NAMES, BaseSampler
from .storage import BaseStorage


def _int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class InvalidParameterError(ValueError, TypeError):
    """A constructor argument has a wrong type or value (catchable as either,
    like scikit-learn's own)."""


PARAMETER_CONSTRAINTS = {
    "estimator": ("an object implementing 'fit'", lambda v: hasattr(v, "fit")),
    "param_distributions": (
        "a dict, a list of dicts or a callable",
        lambda v: isinstance(v, (dict, list, tuple)) or callable(v),
    ),
    "param_grid": (
        "a dict or a list of dicts",
        lambda v: isinstance(v, (dict, list, tuple)),
    ),
    "n_iter": ("an int in the range [1, inf) or None",
               lambda v: v is None or (_int(v) and v >= 1)),
    "sampler": (
        f"a str among {set(SAMPLER_NAMES)} or a BaseSampler instance",
        lambda v: isinstance(v, BaseSampler) or v in SAMPLER_NAMES,
    ),
    "pruner": ("None, a str or a BasePruner instance",
               lambda v: v is None or isinstance(v, (str, BasePruner))),
    "scoring": (
        "a str, a callable, a list, a tuple, a set, a dict or None",
        lambda v: v is None or isinstance(v, (str, list, tuple, set, dict)) or callable(v),
    ),
    "n_jobs": ("an int or None", lambda v: v is None or _int(v)),
    "refit": ("a bool, a str or a callable",
              lambda v: isinstance(v, (bool, np.bool_, str)) or callable(v)),
    "cv": (
        "an int in the range [2, inf), a CV splitter, an iterable or None",
        lambda v: v is None or (_int(v) and v >= 2) or hasattr(v, "split")
        or (hasattr(v, "__iter__") and not isinstance(v, (str, bytes))),
    ),
    "verbose": ("an int in the range [0, inf) or a bool",
                lambda v: isinstance(v, (bool, np.bool_)) or (_int(v) and v >= 0)),
    "pre_dispatch": ("an int or a str", lambda v: _int(v) or isinstance(v, str)),
    "random_state": (
        "an int, a numpy.random.RandomState instance or None",
        lambda v: v is None or _int(v) or isinstance(v, np.random.RandomState),
    ),
    "error_score": ("'raise' or a number",
                    lambda v: (isinstance(v, str) and v == "raise") or _real(v)),
    "return_train_score": ("a bool", lambda v: isinstance(v, (bool, np.bool_))),
    "timeout": ("a positive number or None",
                lambda v: v is None or (_real(v) and v > 0)),
    "storage": (
        "None, a path, a 'sqlite:///...' URL or a BaseStorage instance",
        lambda v: v is None or isinstance(v, (str, os.PathLike, BaseStorage)),
    ),
    "study_name": ("a str or None", lambda v: v is None or isinstance(v, str)),
    "callbacks": (
        "None or a list of callables taking (study, trial)",
        lambda v: v is None or (isinstance(v, (list, tuple)) and all(callable(c) for c in v)),
    ),
    "objectives": ("None or a list of metric names",
                   lambda v: v is None or (isinstance(v, (list, tuple))
                                           and all(isinstance(n, str) for n in v))),
    "constraints": ("None or a dict {metric: (operator, bound)}",
                    lambda v: v is None or isinstance(v, dict)),
    "increments": (
        "None or a dict with one entry, {parameter or 'partial_fit': n_increments}",
        lambda v: v is None or (isinstance(v, dict) and len(v) == 1),
    ),
    "window": ("an int in the range [1, inf) or None",
               lambda v: v is None or (_int(v) and v >= 1)),
    "max_fold_fits": ("an int in the range [1, inf) or None",
                      lambda v: v is None or (_int(v) and v >= 1)),
    "initial_params": ("None or a list of dicts",
                       lambda v: v is None or (isinstance(v, (list, tuple))
                                               and all(isinstance(d, dict) for d in v))),
    "warm_start_from": (
        "None, a Study or a fitted search (its study_)",
        lambda v: v is None or hasattr(v, "get_trials") or hasattr(v, "study_"),
    ),
}


def validate_params(estimator):
    """Check every constrained parameter of ``estimator``; raise on the first
    bad one with a message naming it, what it must be and what it got."""
    for name, value in estimator.get_params(deep=False).items():
        if name not in PARAMETER_CONSTRAINTS:
            continue  # a migrant face's own argument, checked by that face
        expected, accepts = PARAMETER_CONSTRAINTS[name]
        if not accepts(value):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be "
                f"{expected}. Got {value!r} instead."
            )
