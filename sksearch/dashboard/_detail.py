"""The detail of one trial, as the dashboard's trial view shows it.

Everything a reader asks of one trial after spotting it in the table: its
parameters as the user wrote them, every fold's scores and times (a search
stores them as fold records), its intermediate values, when it ran, why it
failed or what interrupted it, and its user attributes. Plain JSON values
only; the page puts every string into the document as text.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

from .._records import FOLDS_ATTR, records_from_json
from ..trial import INTERRUPTED_KEY

__all__ = ["trial_detail"]

# JSON nests deeper than any user attribute worth reading; past this depth a
# value is shown by its repr, so a pathological attribute cannot recurse forever
_MAX_DEPTH = 20


def trial_detail(trial, objective_names):
    """The JSON detail of a :class:`~sksearch.trial.FrozenTrial`.

    Parameters
    ----------
    trial : FrozenTrial
    objective_names : list of str
        What each of the study's values is called (``["value"]`` for one).

    Returns
    -------
    detail : dict
        ``number``, ``state``, ``values`` (``[[name, value], ...]``, empty
        while running), ``params`` (``[[name, text], ...]``, the value as the
        user wrote it), ``start``, ``end`` and ``duration`` (seconds since the
        epoch, and seconds), ``intermediate`` (``[[step, value], ...]``),
        ``folds`` (one dict per fold that ran: ``fold``, ``test_scores``,
        ``train_scores``, ``fit_time``, ``score_time``, ``n_test_samples``,
        ``fit_error``), ``fail_reason``, ``interrupted`` (what cut a trial
        short, see :data:`sksearch.trial.INTERRUPTED_KEY`) and ``user_attrs``.
    """
    start, end = trial.datetime_start, trial.datetime_complete
    values = [] if trial.values is None else [
        [name, _number(v)] for name, v in zip(objective_names, trial.values)]
    interrupted = trial.system_attrs.get(INTERRUPTED_KEY)
    reason = trial.system_attrs.get("fail_reason")
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": values,
        "params": [[name, _text(value)] for name, value in sorted(trial.params.items())],
        "start": None if start is None else round(start.timestamp(), 3),
        "end": None if end is None else round(end.timestamp(), 3),
        "duration": None if start is None or end is None
        else round((end - start).total_seconds(), 3),
        "intermediate": [[int(step), _number(v)]
                         for step, v in sorted(trial.intermediate_values.items())],
        "folds": _folds(trial),
        "fail_reason": reason if isinstance(reason, str) else None,
        "interrupted": None if interrupted is None else _text(interrupted),
        "user_attrs": {str(k): _plain(v) for k, v in sorted(trial.user_attrs.items())},
    }


def _folds(trial):
    stored = trial.system_attrs.get(FOLDS_ATTR)
    if stored is None:
        return []
    return [{"fold": k, "test_scores": _plain(record.test_scores),
             "train_scores": _plain(record.train_scores),
             "fit_time": _number(record.fit_time), "score_time": _number(record.score_time),
             "n_test_samples": _plain(record.n_test_samples),
             "fit_error": record.fit_error if isinstance(record.fit_error, str) else None}
            for k, record in enumerate(records_from_json(stored, trial.number))
            if record is not None]


def _text(value):
    return value if isinstance(value, str) else repr(value)


def _number(value):
    """A finite float, or None: JSON has no NaN or infinity."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value, depth=0):
    """``value`` as JSON: numbers finite or None, dict keys str, anything
    else (or anything nested too deep) by its repr."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _number(value)
    if depth < _MAX_DEPTH and isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if depth < _MAX_DEPTH and isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in value]
    try:  # a numpy scalar
        return _number(value) if hasattr(value, "__float__") else repr(value)
    except (TypeError, ValueError):
        return repr(value)
