"""When a candidate may be asked and told: what samplers and pruners read follows trial order.

The gate keeps a *window* of ``W`` candidates (counted in the order they were
asked):

- candidate ``i`` is asked when candidate ``i - W`` is finished and told, and
  candidates are told to the study in order, candidate ``j`` only once
  ``j + W - 1`` has been asked; so the sampler proposing candidate ``i`` sees
  exactly the candidates before ``i - W + 1`` as finished and the others as
  running, whichever finished first in wall time;
- the pruner deciding for candidate ``i`` reads the trials that were told
  before the candidates of its *horizon* ``H`` (``i - H + 1`` on), and those
  as of its step (:mod:`.decisions`), so no decision depends on timing.

With one worker ``W = H = 1``: each candidate is asked after the previous one
is told, exactly the sequential search. A sampler that does not learn from
results (random, grid) has no window on more workers -- candidates are asked
as workers need work -- and ``H = 1``: each decision waits until every
earlier candidate is told, so it reads what the sequential search reads and
``cv_results_`` are the same for every ``n_jobs``. A learning sampler with a
fixed ``window`` (``BayesSearchCV(window=K)``) has ``W = H = K`` for every
``n_jobs``, so its results too are the same for every ``n_jobs``. Without
one, its window follows the ``L`` workers: ``W = L`` when every fold of a
candidate can run at once (no pruner), ``W = H = 2L`` with a pruner (a
candidate runs one fold at a time and would leave its worker idle whenever
the oldest candidate of the window is still running); the same ``n_jobs``
then gives the same results whatever the timing.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import time

from .._known import is_warm_start
from .._records import FOLDS_ATTR
from ..trial import TrialState, best_of
from .decisions import TrialsView

__all__ = ["ProposalGate"]


class ProposalGate:
    """The window, the horizon, and the study's finished trials as the gate
    has read them (a position in the study's trial log, which samplers and
    other readers share)."""

    def __init__(self, plan):
        self.plan = plan
        self.window, self.horizon = _window_and_horizon(plan)
        self.asking = True
        self._finished = []  # the study's finished trials, by number
        self._position = 0  # in the study's trial log
        self._absorb_finished()

    def best_value(self):
        """The best value among the study's finished trials (single objective)."""
        best = best_of(self._finished, "maximize")
        return None if best is None else best.value

    def may_ask(self, n_asked, n_told, budget, candidates):
        """Whether candidate ``n_asked`` may be asked now; turns ``asking``
        off for good once no candidate will be asked any more (stopped, past
        the deadline, ``n_iter`` reached, the fold budget granted)."""
        if not self.asking:
            return False
        plan, study = self.plan, self.plan.study
        if self.window is not None and n_asked - self.window >= n_told:
            return False  # candidate n_asked - W is not told yet: wait for it
        if (study.stop_requested
                or (plan.deadline is not None and time.monotonic() >= plan.deadline)
                or self._n_counted() >= plan.n_iter
                or (budget is not None and budget.spent(candidates))):
            self.asking = False
            return False
        return True

    def reads_of(self, index, n_told, candidates):
        """What candidate ``index``, asked now, reads for its decisions:
        ``(first_untold, told_upto, told_view)`` -- the candidates from
        ``first_untold`` on ran alongside it; ``told_view`` holds the finished
        trials but those of this run's candidates from ``told_upto`` on."""
        first_untold = n_told if self.window is not None else max(
            0, index - self.horizon + 1)
        told_upto = min(n_told, first_untold)
        mine = {c.trial.number for c in candidates[told_upto:]}
        view = TrialsView(self.plan.study,
                          tuple(t for t in self._finished if t.number not in mine))
        return first_untold, told_upto, view

    def may_tell(self, candidate, n_asked):
        """Whether the window lets finished ``candidate`` be told: candidate
        ``index + W - 1`` is asked, or no candidate will be."""
        return not (self.asking and self.window is not None
                    and n_asked < candidate.index + self.window)

    def _n_counted(self):
        """Candidates that count towards n_iter: finished with fold results, or
        running (in this process or another one sharing the storage)."""
        self._absorb_finished()
        done = sum(FOLDS_ATTR in t.system_attrs for t in self._finished)
        return done + self.plan.study.n_trials((TrialState.RUNNING,))

    def _absorb_finished(self):
        new, self._position = self.plan.study.trial_log.since(self._position)
        # a warm start's prior trials are the sampler's history, not candidates
        new = [t for t in new if not is_warm_start(t)]
        if new:
            self._finished.extend(new)
            self._finished.sort(key=lambda t: t.number)


def _window_and_horizon(plan):
    """``(W, H)`` for ``plan``; ``W`` None: no window.

    A sampler that does not learn proposes the same candidates whatever it
    knows, so only the pruner's horizon could depend on the workers: it is 1
    (each decision reads every earlier candidate told, as sequentially), and
    the results are the same for every ``n_jobs``. A learning sampler's fixed
    ``window`` is its window and horizon for every ``n_jobs``; without one
    they follow the workers (``W = L``, or ``W = H = 2L`` with a pruner)."""
    n_workers = plan.n_workers
    if not plan.learns:
        return (1 if n_workers == 1 else None), 1
    if plan.window is not None:
        return plan.window, plan.window
    if n_workers == 1:
        return 1, 1
    horizon = 2 * n_workers
    return (horizon if plan.pruning else n_workers), horizon
