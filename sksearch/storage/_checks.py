"""What every storage checks before it writes anything.

One place for every storage (memory, SQLite, PostgreSQL), so that a record one
of them refuses is refused by all, with the same message, before the first
byte is written: a name or key that a database cannot hold (a NUL character,
a lone surrogate, a name longer than an index entry), an attribute JSON cannot
hold, a value that is not a finite number, a parameter outside its
distribution, or a number of objective values the study does not have.
Errors are ``TypeError`` / ``ValueError`` naming the argument
(``values``, ``user_attrs['x']``, ``study_name``) and the value received.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import json
import math
import numbers

from .._names import MAX_NAME_BYTES, check_name, check_text, shown
from ..distributions import BaseDistribution
from ..trial import TrialState

__all__ = ["MAX_NAME_BYTES", "check_attr", "check_attrs", "check_finished_record",
           "check_intermediate", "check_name", "check_outcome", "check_param", "dumps"]

def _strings(value):
    """Every str inside a JSON-like ``value`` (keys included), depth first,
    without recursion (a deeply nested value must not overflow the stack)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(k for k in item if isinstance(k, str))
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def dumps(value, what):
    """``value`` as the JSON text a storage writes; TypeError / ValueError
    naming ``what`` for a value JSON cannot hold, or text a database cannot."""
    try:
        text = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError, RecursionError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise TypeError(f"{what} must be JSON-serialisable (str, number, bool, None, and "
                        f"lists and str-keyed dicts of them), got {shown(value)}: "
                        f"{problem}.") from None
    for text_in in _strings(value):
        check_text(text_in, f"{what} (the string {shown(text_in, 40)})")
    return text


def check_attr(key, value, what):
    """The JSON text of one attribute ``what[key] = value``, checked."""
    check_name(key, f"the key {shown(key, 40)} of {what}")
    return dumps(value, f"{what}[{shown(key, 40)}]")


def check_attrs(attrs, what):
    """``{key: JSON text}`` of a dict of attributes, every one checked."""
    if attrs is None:
        return {}
    if not isinstance(attrs, dict):
        raise TypeError(f"{what} must be a dict or None, got {shown(attrs)}.")
    return {key: check_attr(key, value, what) for key, value in attrs.items()}


def _finite(value):
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def check_param(name, internal, distribution, what="parameter"):
    """Raise unless ``internal`` is a value of ``distribution``, in internal form."""
    check_name(name, f"the {what} name {shown(name, 40)}")
    if not isinstance(distribution, BaseDistribution):
        raise TypeError(f"the distribution of {what} {name!r} must be a sksearch "
                        f"distribution, got {shown(distribution)}.")
    if not (_finite(internal) and distribution.contains_internal(internal)):
        raise ValueError(f"{what} {name!r} has the internal value {shown(internal)}, "
                         f"which is not in {distribution!r}.")


def check_intermediate(step, value):
    """Raise unless ``step`` is an int >= 0 and ``value`` a number (NaN and
    infinities are kept, as a failed step)."""
    if not isinstance(step, numbers.Integral) or isinstance(step, bool) or step < 0:
        raise ValueError(f"an intermediate step must be an int >= 0, got {shown(step)}.")
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"the intermediate value of step {step} must be a number, got "
                        f"{shown(value)}.")


def check_outcome(state, values, n_objectives=None):
    """``values`` as a list of floats (empty for ``None``), checked for a
    trial finished in ``state``: finite numbers, one per objective of the
    study when ``n_objectives`` is known, present when COMPLETE."""
    if not isinstance(state, TrialState) or state is TrialState.RUNNING:
        raise ValueError(f"state must be COMPLETE, PRUNED or FAIL, got {shown(state)}.")
    if values is None:
        if state is TrialState.COMPLETE:
            raise ValueError("values: a COMPLETE trial needs a finite value for each "
                             "objective, got None.")
        return []
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"values must be a sequence of numbers or None, got {shown(values)}.")
    values = list(values)
    for k, v in enumerate(values):
        if not _finite(v):
            kind = ValueError if isinstance(v, numbers.Real) else TypeError
            raise kind(f"values[{k}] must be a finite number, got {shown(v)}.")
    if n_objectives is not None and len(values) != n_objectives:
        raise ValueError(f"values holds {len(values)} value(s) {shown(values)}; the study "
                         f"has {n_objectives} objective(s).")
    return [float(v) for v in values]


def check_finished_record(trial, n_objectives=None):
    """Check a whole finished trial before a storage writes it
    (:meth:`BaseStorage.create_finished_trial`); return ``(values,
    user_attrs, system_attrs)``, the last two as JSON texts by key."""
    values = check_outcome(trial.state, trial.values, n_objectives)
    if not isinstance(trial.internal_params, dict) or not isinstance(trial.distributions,
                                                                     dict):
        raise TypeError("internal_params and distributions must be dicts.")
    if set(trial.internal_params) != set(trial.distributions):
        raise ValueError("internal_params and distributions name different parameters: "
                         f"{sorted(map(str, trial.internal_params))!r} and "
                         f"{sorted(map(str, trial.distributions))!r}.")
    for name, internal in trial.internal_params.items():
        check_param(name, internal, trial.distributions[name])
    if not isinstance(trial.intermediate_values, dict):
        raise TypeError("intermediate_values must be a dict of int step -> number, got "
                        f"{shown(trial.intermediate_values)}.")
    for step, value in trial.intermediate_values.items():
        check_intermediate(step, value)
    return (values, check_attrs(trial.user_attrs, "user_attrs"),
            check_attrs(trial.system_attrs, "system_attrs"))
