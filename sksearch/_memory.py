"""How many bytes a value holds, for the bound of the reuse cache (issue #29)."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers
import sys
import types

import numpy as np
from scipy import sparse

__all__ = ["estimated_nbytes"]


def estimated_nbytes(value, depth=0):
    """An estimate of the memory ``value`` holds (arrays exactly; fitted
    estimators by their array and container attributes)."""
    if isinstance(value, np.ndarray) or sparse.issparse(value):
        return _array_nbytes(value, depth)
    if hasattr(value, "memory_usage") and hasattr(value, "columns"):  # a DataFrame
        return int(value.memory_usage(deep=True).sum())
    if depth > _DEPTH:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(
            estimated_nbytes(k, depth + 1) + estimated_nbytes(v, depth + 1)
            for k, v in value.items()
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(estimated_nbytes(v, depth + 1) for v in value)
    state = _state(value)
    if state is not None:
        return sys.getsizeof(value) + estimated_nbytes(state, depth + 1)
    return sys.getsizeof(value)


def _array_nbytes(value, depth):
    if sparse.issparse(value):
        return sum(
            getattr(value, name).nbytes
            for name in ("data", "indices", "indptr", "row", "col")
            if hasattr(value, name)
        )
    if value.dtype == object and depth <= _DEPTH:
        # the estimators_ of gradient boosting: an array of trees
        return value.nbytes + sum(estimated_nbytes(v, depth + 1) for v in value.flat)
    return value.nbytes


#: how deep :func:`estimated_nbytes` follows containers and objects (a forest's
#: ``estimators_`` -> a tree -> its ``tree_`` -> the state's arrays)
_DEPTH = 6


def _state(value):
    """The attributes (or pickled state, for an extension type such as a
    fitted tree's ``tree_``) of an object whose arrays :func:`estimated_nbytes`
    counts; ``None`` for plain values, types and functions."""
    if isinstance(
        value,
        (
            str,
            bytes,
            numbers.Number,
            type,
            types.FunctionType,
            types.ModuleType,
            types.BuiltinFunctionType,
        ),
    ):
        return None
    getstate = getattr(type(value), "__getstate__", None)
    if getstate is not None and getstate is not object.__getstate__:
        try:
            state = value.__getstate__()
        except Exception:  # noqa: BLE001 - then only its own size counts
            return None
        return state if isinstance(state, dict) else None
    return getattr(value, "__dict__", None)
