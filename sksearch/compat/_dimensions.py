"""Reading scikit-optimize's and Optuna's search spaces without importing
either: their dimension and distribution objects are recognised by the
attributes they carry (duck typing), and translated into
:mod:`sksearch.distributions`."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers

import numpy as np

from ..distributions import BaseDistribution, Categorical, Float, Int

__all__ = ["from_optuna", "from_skopt"]

_PRIORS = ("uniform", "log-uniform")


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _range(name, low, high, prior, integer):
    """``Int`` or ``Float`` from low, high and a skopt prior, with errors that
    name the parameter and the value received."""
    if prior not in _PRIORS:
        raise ValueError(
            f"Parameter {name!r}: prior must be 'uniform' or 'log-uniform' (as in "
            f"scikit-optimize), got {prior!r}.")
    if not (_is_number(low) and _is_number(high)) or not low < high:
        raise ValueError(
            f"Parameter {name!r}: a range needs numbers low < high, got low={low!r}, "
            f"high={high!r}.")
    log = prior == "log-uniform"
    try:
        if integer:
            return Int(int(low), int(high), log=log)
        return Float(float(low), float(high), log=log)
    except ValueError as exc:
        raise ValueError(f"Parameter {name!r}: {exc}") from exc


def _skopt_object(name, dim):
    """A ``skopt.space`` dimension: ``Categorical`` has ``categories``;
    ``Integer`` and ``Real`` have ``low``, ``high`` and ``prior`` (told apart
    by their class name, else by their bounds)."""
    if hasattr(dim, "categories"):
        return Categorical(list(dim.categories))
    kind = type(dim).__name__
    integer = "Integer" in kind or ("Real" not in kind and _is_integer(dim.low)
                                   and _is_integer(dim.high))
    return _range(name, dim.low, dim.high, getattr(dim, "prior", "uniform"), integer)


def _skopt_sequence(name, values):
    """skopt's shorthands, read as skopt reads them: one value is a
    categorical; two numbers a range (integer when both are); a third item
    'uniform'/'log-uniform' (and a fourth, the log base) a range with that
    prior; anything else the list of categories."""
    values = list(values)
    if not values:
        raise ValueError(f"Parameter {name!r} is an empty list; give at least one value.")
    low_high = values[:2]
    numeric = len(values) >= 2 and all(_is_number(v) for v in low_high)
    if numeric and len(values) == 2:
        return _range(name, *low_high, "uniform", all(_is_integer(v) for v in low_high))
    if numeric and len(values) in (3, 4) and isinstance(values[2], str) and (
            values[2] in _PRIORS):
        return _range(name, *low_high, values[2], any(_is_integer(v) for v in low_high))
    return Categorical(values)


def from_skopt(name, dim):
    """The sksearch distribution of one entry of skopt's ``search_spaces``."""
    if isinstance(dim, BaseDistribution):
        return dim
    if hasattr(dim, "categories") or all(hasattr(dim, a) for a in ("low", "high", "prior")):
        return _skopt_object(name, dim)
    if isinstance(dim, (list, tuple, np.ndarray)):
        return _skopt_sequence(name, dim)
    raise TypeError(
        f"Parameter {name!r} in search_spaces must be a skopt.space dimension (Real, "
        "Integer, Categorical), a tuple (low, high[, prior]) or a list of categories, "
        f"got {dim!r} of type {type(dim).__name__}.")


def from_optuna(name, dist):
    """The sksearch distribution of one entry of OptunaSearchCV's
    ``param_distributions``: an ``optuna.distributions`` object (Float,
    Int, Categorical, and the older Uniform, LogUniform, DiscreteUniform,
    IntUniform, IntLogUniform), a sksearch distribution or a list."""
    if isinstance(dist, BaseDistribution):
        return dist
    if hasattr(dist, "choices"):
        return Categorical(list(dist.choices))
    if hasattr(dist, "low") and hasattr(dist, "high"):
        return _optuna_numeric(name, dist)
    if isinstance(dist, (list, tuple, np.ndarray)) and len(dist):
        return Categorical(list(dist))
    raise TypeError(
        f"Parameter {name!r} in param_distributions must be an optuna distribution "
        "(FloatDistribution, IntDistribution, CategoricalDistribution), a sksearch "
        f"distribution or a list of values, got {dist!r} of type {type(dist).__name__}.")


def _optuna_numeric(name, dist):
    kind = type(dist).__name__
    log = bool(getattr(dist, "log", False)) or "LogUniform" in kind
    step = getattr(dist, "step", None)
    if step is None:
        step = getattr(dist, "q", None)  # DiscreteUniformDistribution
    integer = kind.startswith("Int") or ("Float" not in kind and "Uniform" not in kind
                                         and _is_integer(dist.low) and _is_integer(dist.high))
    try:
        if integer:
            return Int(int(dist.low), int(dist.high), log=log, step=int(step or 1))
        return Float(float(dist.low), float(dist.high), log=log,
                     step=None if step is None else float(step))
    except ValueError as exc:
        raise ValueError(f"Parameter {name!r} ({dist!r}): {exc}") from exc
