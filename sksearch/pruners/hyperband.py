"""Hyperband (Li et al., 2018): several successive-halving brackets that trade
how early they prune against how many trials they start, so a problem where
early evidence misleads is still served by the cautious brackets."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from .._validation import AnyOf, Interval, Options, validate
from ._base import BasePruner, finished_trials, progress
from .halving import SuccessiveHalvingPruner

__all__ = ["HyperbandPruner"]


class HyperbandPruner(BasePruner):
    """Hyperband over steps (folds in BayesSearchCV).

    Bracket *s* (``0 <= s <= s_max``, ``s_max = floor(log_eta(max / min))``) is
    successive halving with ``min_early_stopping_rate = s``: bracket 0 prunes
    from the first rung, the last bracket hardly prunes. Each trial is assigned
    a bracket from its number, in proportion to the number of trials Hyperband
    starts in that bracket, ``(s_max + 1) / (s + 1) * eta ** s`` reversed, and
    competes only with trials of its bracket.

    Parameters
    ----------
    min_resource : int, default=1
    max_resource : int or "auto", default="auto"
        ``"auto"``: the number of folds in BayesSearchCV (the ``n_steps``
        of the study's :class:`~sksearch.pruners.StepLayout`), else the
        largest step seen plus one.
    reduction_factor : int, default=3
    repeat_steps : int or None, default=3
        Prune a repeat of the best complete trial in every bracket; see
        :class:`SuccessiveHalvingPruner`.

    Examples
    --------
    >>> from sksearch.pruners import HyperbandPruner
    >>> pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    >>> pruner.n_brackets(9)
    3
    """

    _parameter_constraints = {
        "min_resource": Interval(int, 1), "max_resource": AnyOf(Options("auto"), Interval(int, 1)),
        "reduction_factor": Interval(int, 2), "repeat_steps": AnyOf(Interval(int, 1), None)}

    def __init__(self, min_resource=1, max_resource="auto", reduction_factor=3,
                 repeat_steps=3):
        validate(self, {"min_resource": min_resource, "max_resource": max_resource,
                        "reduction_factor": reduction_factor, "repeat_steps": repeat_steps})
        self.min_resource = min_resource
        self.max_resource = max_resource
        self.reduction_factor = reduction_factor
        self.repeat_steps = repeat_steps
        self._brackets = {}  # (bracket, layout) -> its SuccessiveHalvingPruner

    def n_brackets(self, max_resource):
        ratio = max(max_resource / self.min_resource, 1)
        return int(math.floor(math.log(ratio, self.reduction_factor) + 1e-9)) + 1

    def _max_resource(self, study, trial):
        if self.max_resource != "auto":
            return self.max_resource
        n_steps = self.layout(study).n_steps
        if n_steps:
            return int(n_steps)
        steps = [progress(t, False) for t in study.get_trials() if t.intermediate_values]
        return max(steps) + 1 if steps else 1

    def bracket_of(self, number, n_brackets):
        """Deterministic bracket of trial ``number``; more trials go to the
        aggressive brackets, as Hyperband's budget allocation does."""
        eta = self.reduction_factor
        s_max = n_brackets - 1
        sizes = np.array([math.ceil((s_max + 1) / (s + 1) * eta ** s) for s in range(n_brackets)])
        sizes = sizes[::-1]  # bracket 0 (prunes earliest) starts the most trials
        position = number % int(sizes.sum())
        return int(np.searchsorted(np.cumsum(sizes), position, side="right"))

    def decision_steps(self, layout):
        """The rungs of its most aggressive bracket, which hold every other
        bracket's."""
        return SuccessiveHalvingPruner(self.min_resource, self.reduction_factor,
                                       repeat_steps=None).decision_steps(layout)

    def prune(self, study, trial):
        layout = self.layout(study)
        if layout.progress(trial) is None:
            return False
        n_brackets = self.n_brackets(self._max_resource(study, trial))
        bracket = self.bracket_of(trial.number, n_brackets)
        halving = self._halving(bracket, layout)
        competitors = [t for t in finished_trials(study, trial)
                       if self.bracket_of(t.number, n_brackets) == bracket]
        return halving.prune(study, trial, competitors=competitors)

    def _halving(self, bracket, layout):
        """The successive-halving rule of ``bracket``, built once per layout."""
        key = (bracket, layout)
        if key not in self._brackets:
            halving = SuccessiveHalvingPruner(self.min_resource, self.reduction_factor,
                                              min_early_stopping_rate=bracket,
                                              repeat_steps=self.repeat_steps)
            halving.setup(None, layout)
            self._brackets[key] = halving
        return self._brackets[key]
