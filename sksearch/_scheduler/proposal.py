"""Asking the study for a candidate, in the scheduler's thread or beside it.

A model-based sampler's ask can take a tenth of a second (a Gaussian process
refitted at every trial). With several workers the scheduler runs it beside
its own thread (:meth:`~sksearch._workers._Workers.run_aside`), one ask at a
time, and meanwhile goes on handing out tasks, taking results and making
pruning decisions; with one worker it runs at once, as before.

**What the sampler reads is the same either way.** Only learning samplers ask
beside the scheduler, and they have a window (:mod:`.gate`): candidate ``i``
is asked once candidate ``i - W`` is told, and a candidate ``j`` is told only
once ``j + W - 1`` is asked -- so while candidate ``i`` is being asked no
candidate can be told (every ``j <= i - W`` is told already, and a later one
waits for ``i`` itself). The finished trials are those of the sequential
order, the running ones are the candidates asked before ``i``, and the
sampler's random state moves one ask at a time; the scheduler does not read
the trial log or ask the gate while an ask is out. What the scheduler writes
meanwhile -- intermediate values, the recorded outcome of a finished
candidate waiting to be told -- belongs to running trials, whose parameters
are all a sampler reads of them.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import threading

__all__ = ["PROPOSAL", "Proposal"]

#: the token of a proposal's result among the workers' results
PROPOSAL = "proposal"


class Proposal:
    """One ask: ``study.ask()`` then the search's ``propose(trial)``.

    Calling it never raises an ``Exception`` (Ctrl-C aside): what went wrong
    is kept in ``error``, with ``trial`` set if the study had created it, so
    that the scheduler's thread fails that trial and raises.
    """

    def __init__(self, plan):
        self.plan = plan
        self.trial = None
        self.params = None
        self.error = None
        self.taken = False  # whether the scheduler took the trial in hand
        self._lock = threading.Lock()
        self._state = "waiting"  # -> "asking" (then _done is set), or -> "dropped"
        self._done = threading.Event()

    def __call__(self):
        with self._lock:
            if self._state == "dropped":  # abandoned before it began: nothing asked
                return self
            self._state = "asking"
        try:
            self.trial = self.plan.study.ask()
            self.params = self.plan.propose(self.trial)
        except Exception as exc:  # noqa: BLE001 - raised in the scheduler's thread
            self.error = exc
        finally:
            self._done.set()
        return self

    def abandon(self, teller, interrupted):
        """The search stops (``interrupted``): an ask not begun never will
        be; one under way is let finish (wherever Ctrl-C landed, even while it
        was being handed to its thread), then settled."""
        with self._lock:
            began = self._state == "asking"
            if self._state == "waiting":
                self._state = "dropped"
        if began:
            self._done.wait()
        self.settle(teller, interrupted=interrupted)

    def settle(self, teller, interrupted=None):
        """Leave nothing of an ask RUNNING that will not become a candidate: a
        failed proposal fails its trial; one cut short by ``interrupted``
        (Ctrl-C before it became a candidate) is told interrupted, so its
        parameters run again on resume."""
        if self.trial is None or self.taken:
            return
        self.taken = True
        study = self.plan.study
        if self.error is not None:
            study.fail_trial(self.trial, self.error)
        elif interrupted is not None:
            _, state, system_attrs = teller.outcome(None, interrupted=interrupted)
            study.tell(self.trial, state=state, system_attrs=system_attrs)
