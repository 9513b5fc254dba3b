"""Telling the study: outcomes recorded, told once in order, reported to callbacks and log."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import time
import warnings

import numpy as np

from .._objectives import SearchObjectives
from .._records import FOLDS_ATTR, mean_score, records_to_json
from ..trial import COST_KEY, INTERRUPTED_KEY, TrialState, best_of
from .candidate import Phase

__all__ = ["Teller"]


class Teller:
    """Turns finished candidates into told trials, and keeps the best so far."""

    def __init__(self, plan, best):
        self.plan = plan
        self.best = best  # the best value told so far (single objective)
        self._started = time.monotonic()

    def outcome(self, c, interrupted=None):
        """``(value, state, system_attrs)`` that candidate ``c`` is told; a
        candidate ``interrupted`` by an exception is FAIL without its folds
        (a partial mean must never rank it)."""
        if interrupted is not None:
            reason = type(interrupted).__name__
            return None, TrialState.FAIL, {
                INTERRUPTED_KEY: reason,
                "fail_reason": f"interrupted by {reason} before its folds finished"}
        plan = self.plan
        scores = [plan.refit_score(f.test_scores) for f in c.folds if f is not None]
        value = mean_score(scores) if scores else None
        system_attrs = {FOLDS_ATTR: records_to_json(c.folds)}
        cost = SearchObjectives.metric_mean(c.folds, "fit_time")
        if not math.isnan(cost):
            # what the candidate cost, for samplers that weigh it
            system_attrs[COST_KEY] = cost
        if plan.objective_values is not None and scores:
            # several objectives: a complete candidate's values; a pruned one
            # has none (its evidence is its steps)
            value = None if c.pruned else plan.objective_values(c.folds)
            if value is not None and not all(np.isfinite(value)):
                value = float("nan")
        if c.allowed == 0:  # the budget was spent before its first fold
            state, value = TrialState.FAIL, None
            system_attrs = {"fail_reason": "the budget of fold fits was spent"}
        elif c.pruned:
            state = TrialState.PRUNED
        elif value is not None and np.all(np.isfinite(value)):
            state = TrialState.COMPLETE
        else:
            state, value = TrialState.FAIL, None
        return value, state, system_attrs

    def record(self, waiting):
        """Record the outcome of every finished candidate of ``waiting`` (not
        yet told), once: if this process is killed, a persistent storage then
        finishes its trial with it on resume instead of failing it (see
        ``Study.record_outcome``). Without it a kill could lose up to a
        window of finished candidates."""
        for c in waiting:
            if c.phase is Phase.FINISHED:
                c.phase = Phase.RECORDED
                value, state, system_attrs = self.outcome(c)
                self.plan.study.record_outcome(c.trial, value, state=state,
                                               system_attrs=system_attrs)

    def tell(self, c, interrupted=None):
        """Tell candidate ``c`` to the study (``interrupted``: cut short by
        that exception) and end its callback task."""
        plan, study = self.plan, self.plan.study
        value, state, system_attrs = self.outcome(c, interrupted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            # the folds and the state in one transaction: a kill between them
            # cannot leave a trial with scores but no state, or the reverse
            frozen = study.tell(c.trial, value, state=state, system_attrs=system_attrs)
        c.told, c.phase = frozen, Phase.TOLD
        if c.callback_ctx is not None:
            c.callback_ctx.call_on_fit_task_end(estimator=plan.caller)

    def announce(self, c):
        """After told candidate ``c`` is counted: the best so far, the verbose
        line and the user's callbacks (which may raise, Ctrl-C included)."""
        plan, study, frozen = self.plan, self.plan.study, c.told
        if not study.is_multi_objective and best_of([frozen], "maximize") is not None and (
                self.best is None or frozen.value > self.best):
            self.best = frozen.value
        if plan.verbose > 0:
            elapsed = time.monotonic() - self._started
            print(f"[trial {frozen.number + 1}/{plan.n_iter}] "
                  f"{frozen.state.name.lower()} score={_fmt(frozen.values)} "
                  f"best={_fmt(self.best)} elapsed={elapsed:.1f}s params={c.params}")
        for callback in plan.callbacks:
            callback(study, frozen)


def _fmt(value):
    if isinstance(value, tuple):  # a trial's values
        return ",".join(f"{v:.4f}" for v in value)
    return "nan" if value is None else f"{value:.4f}"
