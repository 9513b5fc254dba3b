"""Handing tasks to workers: ready ones first, then speculative folds on idle workers."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from .._fold import FoldTask, fit_fold
from .candidate import TaskToken
from .proposal import PROPOSAL

__all__ = ["Dispatcher"]


class Dispatcher:
    """Submits candidates' tasks to ``workers`` and counts those in flight.

    Speculative folds (``speculate``) are later folds of candidates whose
    pruner has not let them go on yet (or not that far), run on otherwise idle
    workers. Such a fold's result is held until the decisions before it say go
    on, and is thrown away if one says stop: no decision ever reads it early,
    so the results are those of the search without speculation.
    """

    def __init__(self, plan, workers, rounds, order, speculate):
        self.plan = plan
        self.workers = workers
        self.rounds = rounds
        self.order = order
        self.speculate = speculate
        self.n_in_flight = 0
        self.n_speculative = 0
        # the training data and scoring every task carries, handed over once
        self._context = workers.share(plan.fold_context)

    @property
    def n_regular(self):
        """Tasks in flight that some decision asked for (not speculative)."""
        return self.n_in_flight - self.n_speculative

    def hand_out(self, live, oldest_first):
        """Fill free workers from the untold candidates ``live``: ready tasks
        in the policy's order; then, on workers that would idle, speculative
        folds (``oldest_first``: see ``TaskOrder.speculation``)."""
        free = self.workers.capacity - self.n_in_flight
        for c in self.order.ready(live):
            while c.queued and free > 0:
                self._submit(c, c.queued.pop(0), speculative=False)
                free -= 1
            if free <= 0:
                return
        if self.speculate:
            # only on workers that would idle, never on queue places of the pool
            self._speculate(live, oldest_first,
                            min(free, self.workers.n_workers - self.n_in_flight))

    def run_aside(self, proposal):
        """Have ``proposal`` asked beside the scheduler's thread (at once with
        one worker); its result comes out of :meth:`next_result` with the token
        :data:`~.proposal.PROPOSAL`. Returns a future done once it has run."""
        return self.workers.run_aside(PROPOSAL, proposal)

    def next_result(self):
        """``(token, outcome)`` of the next task or ask to finish; a worker's
        error is raised."""
        token, outcome, error = self.workers.next_result()
        if error is not None:
            raise error
        if token is PROPOSAL:
            return token, outcome
        self.n_in_flight -= 1
        self.n_speculative -= token.speculative
        return token, outcome

    def _speculate(self, live, oldest_first, free):
        for c in self.order.speculation(live, oldest_first):
            if c.queued:
                continue
            while (free > 0 and c.handed < self.plan.n_rounds
                   and self.rounds.whole_fold(c.handed)):
                self._submit(c, self.rounds.task_at(c.order, c.handed), speculative=True)
                free -= 1
            if free <= 0:
                return

    def _submit(self, c, task_round, speculative):
        fold, steps = task_round
        plan = self.plan
        train, test = plan.splits[fold]
        token = TaskToken(candidate=c.index, fold=fold, first=0 if steps is None else steps.start,
                          round=c.handed, speculative=speculative)
        task = FoldTask(
            parameters=c.params, train=train, test=test, steps=steps,
            previous=c.partial.pop(fold, None), callback_ctx=self._task_context(c, token),
            caller=plan.caller if plan.task_contexts else None,
            progress=((fold, plan.n_splits), (c.trial.number, plan.n_iter)))
        c.handed += 1 if steps is None else len(steps)
        self.n_in_flight += 1
        self.n_speculative += speculative
        self.workers.submit(token, fit_fold, self._context, task)

    def _task_context(self, c, token):
        """A fold task's scikit-learn callback context: with a pruner the
        candidate's round; without, one task per fold as GridSearchCV numbers
        them; ``None`` when no callback listens."""
        if c.callback_ctx is not None:
            return _subcontext(c.callback_ctx, task_id=token.round)
        if self.plan.task_contexts:
            return _subcontext(self.plan.search_ctx,
                               task_id=c.index * self.plan.n_splits + token.fold)
        return None


def _subcontext(context, task_id):
    if context is None:
        return None
    return context.subcontext(task_name="candidate-split-evaluation", task_id=task_id)
