"""What one fold of one candidate produced, and how a trial keeps it.

A :class:`FoldRecord` is the result of a fold once it is finished: its
scores, times and error. A trial stores the records of its folds (``None``
for a fold that never ran) as one JSON system attribute, and ``cv_results_``
is built from them, so a resumed search lists the trials of earlier runs
exactly like its own. This module is the one place that knows that format.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import numbers
from dataclasses import dataclass, field, fields

import numpy as np

__all__ = ["FOLDS_ATTR", "FoldRecord", "mean_score", "records_from_json",
           "records_to_json"]

#: The trial system attribute holding the fold records.
FOLDS_ATTR = "sksearch:folds"


@dataclass
class FoldRecord:
    """The finished fold of a candidate.

    Attributes
    ----------
    test_scores : float or dict of str -> float
        The score on the fold's test part (one per metric with several).
    train_scores : float, dict or None
        The score on its training part, when ``return_train_score``.
    fit_time, score_time : float
        Seconds spent fitting and scoring the test part, over every increment.
    n_test_samples : int or None
    fit_error : str or None
        The formatted traceback of a failed fit.
    spans : list of [str, float, float]
        When the fold ran: one ``[worker, start, end]`` per task (one for a
        plain fit, one per batch of increments), ``worker`` naming the host,
        process and thread and the times in seconds since the epoch. What a
        timeline of the search draws; empty in records of older versions.
    """

    test_scores: object
    train_scores: object = None
    fit_time: float = 0.0
    score_time: float = 0.0
    n_test_samples: object = None
    fit_error: object = None
    spans: list = field(default_factory=list)

    def to_json(self):
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, record, where="a stored fold record"):
        """Read a record back, checking what a damaged or edited storage could
        hold: scores are numbers (inf included: a scorer may return it, as
        GridSearchCV keeps it), times finite and >= 0."""
        if not isinstance(record, dict) or "test_scores" not in record:
            raise ValueError(f"{where} must be a dict with test_scores, got {record!r}.")
        names = {f.name for f in fields(cls)}
        unknown = set(record) - names
        if unknown:
            raise ValueError(f"{where} has unknown fields {sorted(unknown)!r}.")
        _check_scores(record["test_scores"], f"{where}: test_scores")
        if record.get("train_scores") is not None:
            _check_scores(record["train_scores"], f"{where}: train_scores")
        for name in ("fit_time", "score_time"):
            value = record.get(name, 0.0)
            if not _is_real(value) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{where}: {name} must be a finite number >= 0, got "
                                 f"{value!r}.")
        spans = record.get("spans", [])
        if not isinstance(spans, list) or not all(_is_span(span) for span in spans):
            raise ValueError(f"{where}: spans must be a list of [worker, start, end] with "
                             f"finite times, start <= end, got {spans!r}.")
        error = record.get("fit_error")
        if error is not None and not isinstance(error, str):
            raise ValueError(f"{where}: fit_error must be a str or None, got {error!r}.")
        return cls(**record)


def records_to_json(folds):
    """A candidate's fold records (``None`` for unrun folds) as JSON values."""
    return [None if f is None else f.to_json() for f in folds]


def records_from_json(records, trial_number=None):
    """The inverse of :func:`records_to_json`; ``trial_number`` names the trial
    in the error a damaged record raises."""
    owner = "a trial" if trial_number is None else f"trial {trial_number}"
    if not isinstance(records, list):
        raise ValueError(f"The fold records of {owner} must be a list, got {records!r}.")
    return [None if r is None else FoldRecord.from_json(r, f"Fold {k} of {owner}")
            for k, r in enumerate(records)]


def mean_score(scores):
    """The mean of fold scores, as ``np.mean`` gives it (so trial values equal
    ``cv_results_``'s means bit for bit), except that finite scores whose sum
    overflows get their finite mean instead of inf."""
    mean = float(np.mean(scores))
    if math.isinf(mean) and np.all(np.isfinite(scores)):
        scale = float(np.max(np.abs(scores)))
        mean = scale * float(np.mean(np.asarray(scores, dtype=float) / scale))
    return mean


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_span(span):
    return (isinstance(span, list) and len(span) == 3 and isinstance(span[0], str)
            and all(_is_real(t) and math.isfinite(t) for t in span[1:])
            and span[1] <= span[2])


def _check_scores(scores, where):
    values = scores.values() if isinstance(scores, dict) else [scores]
    for value in values:
        if not _is_real(value):
            raise ValueError(f"{where} must be numbers, got {scores!r}.")


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return float(value)
    return value
