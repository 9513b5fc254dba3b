"""Callbacks for ``Study.optimize(callbacks=...)`` and ``BayesSearchCV(callbacks=...)``.

A callback is any callable ``callback(study, frozen_trial)``, called after each
trial; ``study.stop()`` ends the search after the trials in flight.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

from ._validation import Interval, validate
from .trial import TrialState

__all__ = ["EarlyStopping"]


class EarlyStopping:
    """Stop after ``patience`` finished trials without improving the best value
    by more than ``min_delta``.

    Parameters
    ----------
    patience : int
        Finished trials (complete, pruned or failed) allowed without improvement.
    min_delta : float, default=0.0
        An improvement must exceed this to reset the count.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.callbacks import EarlyStopping
    >>> study = Study(direction="maximize", sampler="random", random_state=0)
    >>> study.optimize(lambda t: round(t.suggest_float("x", 0, 1)), n_trials=1000,
    ...                callbacks=[EarlyStopping(patience=5)])
    >>> len(study.trials) < 1000
    True
    """

    # checked when built: a callback has no fit (sksearch._validation)
    _parameter_constraints = {"patience": Interval(int, 1), "min_delta": Interval(float, 0)}

    def __init__(self, patience, min_delta=0.0):
        validate(self, {"patience": patience, "min_delta": min_delta})
        self.patience = patience
        self.min_delta = min_delta
        self._best = None
        self._waited = 0

    def __call__(self, study, trial):
        if study.is_multi_objective:
            raise ValueError(
                f"EarlyStopping watches one objective; study {study.study_name!r} has "
                f"{len(study.directions)}. Stop a study of several objectives with "
                "n_trials, timeout or a callback of your own reading study.best_trials.")
        value = trial.value
        improved = (
            trial.state is TrialState.COMPLETE and value is not None and math.isfinite(value)
            and (self._best is None or (
                value > self._best + self.min_delta if study.direction == "maximize"
                else value < self._best - self.min_delta)))
        if improved:
            self._best, self._waited = value, 0
            return
        if trial.state is TrialState.COMPLETE and self._best is None:
            self._best = value
        self._waited += 1
        if self._waited >= self.patience:
            study.stop()
