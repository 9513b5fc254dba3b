"""What one fold of one candidate produced, and how a trial keeps it.

A :class:`FoldRecord` is the result of a fold once it is finished: its
scores, times and error. A trial stores the records of its folds (``None``
for a fold that never ran) as one JSON system attribute, and ``cv_results_``
is built from them, so a resumed search lists the trials of earlier runs
exactly like its own. This module is the one place that knows that format.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers
from dataclasses import dataclass, fields

__all__ = ["FOLDS_ATTR", "FoldRecord", "records_from_json", "records_to_json"]

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
    """

    test_scores: object
    train_scores: object = None
    fit_time: float = 0.0
    score_time: float = 0.0
    n_test_samples: object = None
    fit_error: object = None

    def to_json(self):
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, record):
        if not isinstance(record, dict) or "test_scores" not in record:
            raise ValueError(f"A stored fold record must be a dict with test_scores, "
                             f"got {record!r}.")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})


def records_to_json(folds):
    """A candidate's fold records (``None`` for unrun folds) as JSON values."""
    return [None if f is None else f.to_json() for f in folds]


def records_from_json(records):
    """The inverse of :func:`records_to_json`."""
    if not isinstance(records, list):
        raise ValueError(f"Stored fold records must be a list, got {records!r}.")
    return [None if r is None else FoldRecord.from_json(r) for r in records]


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return float(value)
    return value
