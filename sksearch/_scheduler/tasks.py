"""Which steps each task of a candidate covers: a fold, or increments up to a decision."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

__all__ = ["RoundLayout"]


class RoundLayout:
    """A candidate's rounds (fold position * ``per_fold`` + increment) cut
    into tasks.

    With increments, a task runs a fold's increments up to the next step where
    the pruner may decide (``decision_steps``), or to the fold's end (one
    increment when it may decide at any); a fit then grows the model once for
    all of them where the model allows (see ``Increments.fits_at_once``).
    """

    def __init__(self, plan):
        self.per_fold = plan.per_fold
        self.n_rounds = plan.n_rounds
        self.increments = plan.fold_context.increments is not None
        # the steps inside a fold where the pruner may decide (None: any)
        self.decision_steps = None
        if plan.pruning and plan.per_fold > 1 and plan.layout is not None:
            self.decision_steps = plan.pruner.decision_steps(plan.layout)

    @property
    def speculable(self):
        """Whether later folds can run before the decision that allows them:
        only whole folds can (a task that continues a fold needs the model of
        the task before it)."""
        return self.per_fold == 1 or self.decision_steps is not None

    def task_at(self, order, round_):
        """``(fold, steps)`` of the task that starts at ``round_`` of a
        candidate whose folds run in ``order`` (``steps`` None: a whole fold
        without increments)."""
        per_fold = self.per_fold
        position, increment = divmod(round_, per_fold)
        fold = order[position]
        if not self.increments:
            return fold, None
        end = (position + 1) * per_fold
        if self.decision_steps is None:
            end = round_ + 1
        else:
            end = min([d + 1 for d in self.decision_steps if round_ <= d < end] + [end])
        return fold, range(increment, increment + end - round_)

    def whole_fold(self, round_):
        """Whether the task at ``round_`` is a whole fold: it needs no model of
        an earlier task, so it may run before the decisions that allow it."""
        per_fold = self.per_fold
        if per_fold == 1:
            return True
        if round_ % per_fold or self.decision_steps is None:
            return False
        return not any(round_ <= d < round_ + per_fold - 1 for d in self.decision_steps)
