"""Successive halving, asynchronous (ASHA; Li et al., 2020, Jamieson & Talwalkar,
2016): at rungs of growing resource, only the best ``1 / reduction_factor`` of
the trials that reached the rung go on."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from .._validation import AnyOf, Interval, validate
from ._base import (
    BasePruner,
    finished_trials,
    is_nan,
    repeats_incumbent,
)

__all__ = ["SuccessiveHalvingPruner"]


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving over steps (folds in BayesSearchCV).

    Rung *k* sits at resource ``min_resource * reduction_factor ** (k +
    min_early_stopping_rate)`` steps. When a trial reaches a rung, it continues
    only if its evidence is among the best ``max(1, n // reduction_factor)`` of
    the ``n`` trials (itself included) that reached that rung.

    Parameters
    ----------
    min_resource : int, default=1
        Resource (steps done) of the first rung.
    reduction_factor : int, default=3
        Keep the best 1/``reduction_factor`` at each rung.
    min_early_stopping_rate : int, default=0
        Skip the first rungs: a larger value prunes later and less.
    repeat_steps : int or None, default=3
        In BayesSearchCV, also prune, rung or not, a trial whose first
        ``repeat_steps`` fold scores each equal the best complete trial's
        exactly: a repeat of it, which ties cannot make best (see the pruning
        guide). ``None`` turns this off.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.pruners import SuccessiveHalvingPruner
    >>> study = Study(direction="maximize", pruner=SuccessiveHalvingPruner(reduction_factor=2))
    >>> for value in (0.9, 0.8, 0.7):
    ...     trial = study.ask(); trial.report(value, step=0); _ = study.tell(trial, value)
    >>> trial = study.ask(); trial.report(0.75, step=0)
    >>> trial.should_prune()
    True
    """

    _parameter_constraints = {
        "min_resource": Interval(int, 1), "reduction_factor": Interval(int, 2),
        "min_early_stopping_rate": Interval(int, 0),
        "repeat_steps": AnyOf(Interval(int, 1), None)}

    def __init__(self, min_resource=1, reduction_factor=3, min_early_stopping_rate=0,
                 repeat_steps=3):
        validate(self, {"min_resource": min_resource, "reduction_factor": reduction_factor,
                        "min_early_stopping_rate": min_early_stopping_rate,
                        "repeat_steps": repeat_steps})
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor
        self.min_early_stopping_rate = min_early_stopping_rate
        self.repeat_steps = repeat_steps

    def _rung_of(self, resource):
        """The rung index if ``resource`` steps done is a rung, else None."""
        ratio = resource / self.min_resource
        if ratio < 1:
            return None
        exponent = round(math.log(ratio, self.reduction_factor))
        if self.min_resource * self.reduction_factor ** exponent != resource:
            return None
        rung = exponent - self.min_early_stopping_rate
        return rung if rung >= 0 else None

    def decision_steps(self, layout):
        """The rungs' steps (a repeat of the incumbent is found at fold ends)."""
        if layout.n_steps is None:
            return None
        steps, exponent = set(), self.min_early_stopping_rate
        while self.min_resource * self.reduction_factor ** exponent <= layout.n_steps:
            steps.add(self.min_resource * self.reduction_factor ** exponent - 1)
            exponent += 1
        return frozenset(steps)

    def reads_as_of(self, step, layout):
        """True at a step where a trial cannot yet repeat the incumbent (it
        has fewer than ``repeat_steps`` whole folds, or the check is off):
        the decision then reads each other trial's evidence at ``step``
        only."""
        return (self.repeat_steps is None or not layout.folds
                or (step + 1) // layout.per_fold < self.repeat_steps)

    def prune(self, study, trial, competitors=None):
        steps = self.layout(study)
        if repeats_incumbent(study, trial, self.repeat_steps, steps):
            return True
        step = steps.progress(trial)
        if step is None or self._rung_of(step + 1) is None:
            return False
        value = steps.evidence(trial, step)
        if is_nan(value):
            return True
        if competitors is None:
            competitors = finished_trials(study, trial)
        others = [steps.evidence(t, step) for t in competitors]
        others = np.array([v for v in others if not is_nan(v)], dtype=float)
        n_kept = max(1, (len(others) + 1) // self.reduction_factor)
        sign = -1.0 if study.direction == "maximize" else 1.0
        # rank of this trial among the trials at the rung (0 = best)
        rank = int(np.sum(sign * others < sign * value))
        return rank >= n_kept
