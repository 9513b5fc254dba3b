"""The budget of fold fits (``max_fold_fits``), spent in trial order: exact, whatever the timing.

Candidate ``i`` may start another fold when the candidates asked before it
cannot, even if none of them is pruned, use what is left (:attr:`Verdict.GO`),
or when they have used it whatever they do (:attr:`Verdict.STOP`: it is
stopped, and told PRUNED with the folds it ran); otherwise it waits for them
(:attr:`Verdict.WAIT`). The oldest candidate never waits. A candidate asked
when the budget then turns out spent ran no fold: it is told FAIL without fold
results, so it is in no ``cv_results_``.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import enum

__all__ = ["FoldBudget", "Verdict"]


class Verdict(enum.Enum):
    """Whether a candidate may start one more fold."""

    GO = "go"
    STOP = "stop"
    WAIT = "wait"


class FoldBudget:
    """``limit`` fold fits shared by candidates of ``n_splits`` folds each."""

    def __init__(self, limit, n_splits):
        self.limit = limit
        self.n_splits = n_splits

    def verdict(self, candidate, earlier):
        """The verdict for ``candidate``'s next fold, from the candidates asked
        before it (``earlier``) only."""
        lower = sum(e.allowed for e in earlier)
        upper = lower + sum(self.n_splits - e.allowed for e in earlier
                            if not (e.finished or e.pruned))
        need = candidate.allowed + 1
        if upper + need <= self.limit:
            return Verdict.GO
        if lower + need > self.limit:
            return Verdict.STOP
        return Verdict.WAIT

    def grant(self, candidate, earlier, wanted):
        """Let ``candidate`` start folds until it has ``wanted`` or the answer
        is not GO; returns the fold positions granted and the last verdict."""
        granted = []
        while candidate.allowed < wanted:
            verdict = self.verdict(candidate, earlier)
            if verdict is not Verdict.GO:
                return granted, verdict
            granted.append(candidate.allowed)
            candidate.allowed += 1
        return granted, Verdict.GO

    def spent(self, candidates):
        """Whether the folds already granted use the whole budget."""
        return sum(c.allowed for c in candidates) >= self.limit
