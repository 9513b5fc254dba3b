"""A candidate in flight: its phase, its folds' progress, and the token of each task it runs."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import enum
from dataclasses import dataclass, field, replace

from ..trial import TrialState

__all__ = ["Candidate", "Phase", "TaskToken"]


class Phase(enum.Enum):
    """Where a candidate is in its life; it only moves down this list, but
    for the two waits, which return to ``RUNNING``."""

    RUNNING = "running"  # tasks queued, in flight or to come
    AWAITING_DECISION = "awaiting decision"  # a pruning decision is due
    AWAITING_BUDGET = "awaiting budget"  # earlier candidates must settle the budget
    FINISHED = "finished"  # complete or stopped, its outcome not yet recorded
    RECORDED = "recorded"  # its outcome recorded, waiting to be told in order
    TOLD = "told"


_DONE = (Phase.FINISHED, Phase.RECORDED, Phase.TOLD)


@dataclass(frozen=True)
class TaskToken:
    """What a worker's result answers: candidate ``candidate``'s fold
    ``fold`` from increment ``first``, handed out as round ``round``."""

    candidate: int  # the candidate's index in ask order
    fold: int
    first: int
    round: int
    speculative: bool


@dataclass
class Candidate:
    """A trial in flight and what its folds produced so far."""

    index: int  # in the order this run asked
    first_untold: int  # candidates from here to index - 1 ran alongside it
    trial: object
    params: dict
    told_view: object  # the study's finished trials when it was asked
    frozen: object  # its FrozenTrial, with the values reported so far
    folds: list
    order: list  # fold indices in the order they run
    told_upto: int = 0  # the candidates before it in told_view
    phase: Phase = Phase.RUNNING
    pruned: bool = False  # stopped (by the pruner or the budget): told PRUNED
    round: int = 0  # the next round (fold position * per_fold + increment)
    handed: int = 0  # rounds handed out so far (they go out in order)
    allowed: int = 0  # folds the budget let it start (all of them without a budget)
    partial: dict = field(default_factory=dict)  # fold -> FoldOutcome in progress
    step_scores: dict = field(default_factory=dict)  # fold -> its scores, without a pruner
    queued: list = field(default_factory=list)  # tasks ready to hand out
    arrived: dict = field(default_factory=dict)  # round -> result not taken in yet
    callback_ctx: object = None  # its task, under the search's (with a pruner)
    told: object = None  # its FrozenTrial once told

    @property
    def finished(self):
        return self.phase in _DONE

    @property
    def awaiting(self):
        return self.phase is Phase.AWAITING_DECISION

    def stop(self):
        """Stop here: told PRUNED with the folds it finished; results in flight
        or held are thrown away. Returns how many held results were."""
        self.pruned = True
        self.partial.clear()
        wasted = len(self.arrived)
        self.arrived.clear()
        self.phase = Phase.FINISHED
        return wasted

    def reached(self, step):
        """Whether a decision at ``step`` of another candidate may read this
        one: it reported ``step`` (steps are counted in the order its folds
        ran), or it is finished."""
        return self.finished or len(self.frozen.intermediate_values) > step

    def as_of(self, step):
        """This candidate as a decision at ``step`` sees it: its first
        ``step + 1`` values, as a finished (pruned) trial, whatever it did
        after -- the same record whichever of the two got there first."""
        values = dict(list(self.frozen.intermediate_values.items())[: step + 1])
        return replace(self.frozen, state=TrialState.PRUNED, values=None,
                       intermediate_values=values)
