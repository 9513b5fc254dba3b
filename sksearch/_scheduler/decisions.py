"""What each pruning decision may read, so that it is the same whatever the timing.

Candidate ``i`` deciding at step ``s`` reads the trials told before it was
asked and, as of step ``s``, the candidates that ran alongside it and were
asked before it; it waits until each of those has reported step ``s`` or
finished, so the decision is the same whatever the timing.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace

import numpy as np

from .._records import mean_score
from ..trial import TrialState, best_of
from .candidate import Phase

__all__ = ["DecisionBoard", "TrialsView"]


class TrialsView:
    """The study as one pruning decision sees it: a
    :class:`~sksearch.pruners.PrunerStudy`, like the study itself."""

    # search scores are maximised; with several objectives the pruner sees the
    # refit metric's fold scores (the steps) and, for a complete trial, their
    # mean as its value
    direction = "maximize"
    is_multi_objective = False

    def __init__(self, study, trials):
        self.study_name = study.study_name
        self._study = study
        if study.is_multi_objective:
            trials = tuple(_refit_metric_view(t) for t in trials)
        self._trials = trials

    def extended(self, trials):
        """This view with ``trials`` added."""
        view = TrialsView(self._study, ())
        view._trials = self._trials + tuple(
            _refit_metric_view(t) if self._study.is_multi_objective else t for t in trials)
        return view

    def with_told(self, trials):
        """This view with the finished ``trials`` added among its told ones,
        in trial-number order (as the study lists them)."""
        view = TrialsView(self._study, ())
        added = tuple(_refit_metric_view(t) if self._study.is_multi_objective else t
                      for t in trials)
        view._trials = tuple(sorted(self._trials + added, key=lambda t: t.number))
        return view

    def get_trials(self, states=None):
        if states is None:
            return list(self._trials)
        states = tuple(states)
        return [t for t in self._trials if t.state in states]

    def n_trials(self, states=None):
        return len(self.get_trials(states))

    @property
    def directions(self):
        return [self.direction]

    @property
    def trials(self):
        return list(self._trials)

    @property
    def best_trial(self):
        """The feasible complete trial of the best value among those this
        decision reads (the earliest of equals), as ``Study.best_trial``."""
        feasible = [t for t in self._trials
                    if t.state is TrialState.COMPLETE and t.is_feasible]
        best = best_of(feasible, self.direction)
        if best is None:
            raise ValueError(f"Study {self.study_name!r} has no feasible complete trial "
                             "among those this decision reads.")
        return best

    @property
    def best_value(self):
        return self.best_trial.value

    @property
    def system_attrs(self):
        return self._study.system_attrs


def _refit_metric_view(trial):
    """A trial of several objectives as a pruner of the refit metric reads it:
    its value the mean of its steps (the refit metric's fold scores)."""
    if trial.values is None or len(trial.values) == 1:
        return trial
    steps = list(trial.intermediate_values.values())
    value = mean_score(steps) if steps else None
    return replace(trial, values=None if value is None or not np.isfinite(value)
                   else (value,))


class DecisionBoard:
    """Which due decisions may be made now, and on what.

    ``reads_as_of(step)`` says whether the pruner's decision at ``step``
    reads the other trials only as of ``step``
    (:meth:`~sksearch.pruners.BasePruner.reads_as_of`); such a decision is
    made once every earlier candidate has reached ``step`` or finished, from
    their values up to ``step``, instead of waiting until they are told: the
    same decision, sooner.
    """

    def __init__(self, reads_as_of=None):
        self._reads_as_of = reads_as_of

    def due(self, candidates, n_told):
        """Yield ``(candidate, view)`` for each decision whose inputs are all
        known, oldest candidate first; each is taken off the board as it is
        yielded (the caller then decides), so a later candidate's inputs are
        read after the earlier decisions' consequences."""
        for c in candidates[n_told:]:
            if not c.awaiting:
                continue
            view = self._inputs(c, candidates, n_told)
            if view is not None:
                c.phase = Phase.RUNNING
                yield c, view

    def _inputs(self, c, candidates, n_told):
        """What ``c``'s due decision reads, or ``None`` while some of it is
        not known yet."""
        step = len(c.frozen.intermediate_values) - 1
        if c.told_upto < c.first_untold:  # asked without a window
            if self._reads_as_of is not None and self._reads_as_of(step):
                earlier = candidates[c.told_upto:c.index]
                if not all(m.reached(step) for m in earlier):
                    return None
                return c.told_view.extended(m.as_of(step) for m in earlier)
            if n_told < c.first_untold:
                return None
            c.told_view = c.told_view.with_told(
                m.told for m in candidates[c.told_upto:c.first_untold])
            c.told_upto = c.first_untold
        alongside = candidates[c.first_untold:c.index]
        if not all(m.reached(step) for m in alongside):
            return None
        return c.told_view.extended(m.as_of(step) for m in alongside)
