"""Percentile and median pruning: stop a trial that is worse than most others
were at the same step (Akiba et al., 2019; the median rule of Golovin et al.,
2017, Google Vizier)."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause


import numpy as np

from .._validation import AnyOf, Interval, validate
from ..trial import TrialState
from ._base import (
    BasePruner,
    finished_trials,
    is_nan,
    repeats_incumbent,
)

__all__ = ["MedianPruner", "PercentilePruner"]


class PercentilePruner(BasePruner):
    """Prune a trial whose evidence is worse than the given percentile of the
    other finished trials' evidence at the same step.

    Parameters
    ----------
    percentile : float in [0, 100]
        ``25`` keeps only trials in the best quarter; ``50`` is the median rule.
    n_startup_trials : int, default=5
        No pruning until this many trials are complete.
    n_warmup_steps : int, default=0
        No pruning before this step (fold index) of a trial.
    interval_steps : int, default=1
        Decide only every ``interval_steps`` steps after the warm-up.
    n_min_trials : int, default=1
        No pruning at a step fewer than this many other trials have reached.
    repeat_steps : int or None, default=3
        In BayesSearchCV, also prune a trial whose first ``repeat_steps`` fold
        scores each equal the best complete trial's exactly: a repeat of it,
        which ties cannot make best (see the pruning guide). Applies from the
        first trial, warm-up or not; ``None`` turns it off.

    Notes
    -----
    In BayesSearchCV a step is a fold and the evidence a trial's mean fold score
    so far (see :mod:`sksearch.pruners._base`); a trial whose evidence is NaN (a
    failed fit) is pruned, since its mean can never be finite.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.pruners import PercentilePruner
    >>> study = Study(direction="maximize", pruner=PercentilePruner(50, n_startup_trials=2))
    >>> for value in (0.9, 0.8):
    ...     trial = study.ask(); trial.report(value, step=0); _ = study.tell(trial, value)
    >>> trial = study.ask(); trial.report(0.5, step=0)
    >>> trial.should_prune()
    True
    """

    _parameter_constraints = {
        "percentile": Interval(float, 0, 100), "n_startup_trials": Interval(int, 0),
        "n_warmup_steps": Interval(int, 0), "interval_steps": Interval(int, 1),
        "n_min_trials": Interval(int, 1), "repeat_steps": AnyOf(Interval(int, 1), None)}

    def __init__(self, percentile, n_startup_trials=5, n_warmup_steps=0, interval_steps=1,
                 n_min_trials=1, repeat_steps=3):
        validate(self, {"percentile": percentile, "n_startup_trials": n_startup_trials,
                        "n_warmup_steps": n_warmup_steps, "interval_steps": interval_steps,
                        "n_min_trials": n_min_trials, "repeat_steps": repeat_steps})
        self.percentile = percentile
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = interval_steps
        self.n_min_trials = n_min_trials
        self.repeat_steps = repeat_steps

    def decision_steps(self, layout):
        """Every ``interval_steps``-th step from ``n_warmup_steps`` on."""
        if layout.n_steps is None:
            return None
        return frozenset(range(self.n_warmup_steps, layout.n_steps, self.interval_steps))

    def prune(self, study, trial):
        steps = self.layout(study)
        if repeats_incumbent(study, trial, self.repeat_steps, steps):
            return True
        step = steps.progress(trial)
        if step is None or step < self.n_warmup_steps:
            return False
        if (step - self.n_warmup_steps) % self.interval_steps:
            return False
        if study.n_trials((TrialState.COMPLETE,)) < self.n_startup_trials:
            return False
        value = steps.evidence(trial, step)
        if is_nan(value):
            return True
        others = [steps.evidence(t, step) for t in finished_trials(study, trial)]
        others = np.array([v for v in others if not is_nan(v)], dtype=float)
        if len(others) < self.n_min_trials:
            return False
        if study.direction == "maximize":
            return bool(value < np.percentile(others, 100 - self.percentile))
        return bool(value > np.percentile(others, self.percentile))


class MedianPruner(PercentilePruner):
    """Prune a trial worse than the median of the others at the same step.

    ``PercentilePruner(50, ...)``; see :class:`PercentilePruner`.

    Examples
    --------
    >>> from sksearch.pruners import MedianPruner
    >>> MedianPruner(n_startup_trials=3).percentile
    50.0
    """

    _parameter_constraints = {name: constraint for name, constraint
                              in PercentilePruner._parameter_constraints.items()
                              if name != "percentile"}

    def __init__(self, n_startup_trials=5, n_warmup_steps=0, interval_steps=1, n_min_trials=1,
                 repeat_steps=3):
        super().__init__(50.0, n_startup_trials=n_startup_trials,
                         n_warmup_steps=n_warmup_steps, interval_steps=interval_steps,
                         n_min_trials=n_min_trials, repeat_steps=repeat_steps)

    def __repr__(self):
        return (f"MedianPruner(n_startup_trials={self.n_startup_trials}, "
                f"n_warmup_steps={self.n_warmup_steps}, interval_steps={self.interval_steps}, "
                f"n_min_trials={self.n_min_trials}, repeat_steps={self.repeat_steps})")
