"""What runs next: the one place that orders ready tasks and speculative folds.

The engine asks this policy two questions and nothing else decides task
order. Only the order changes here, never a result: every decision reads what
trial order fixes (:mod:`.gate`, :mod:`.decisions`), and a speculative fold's
result is held until the decisions before it let it through.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = ["TaskOrder"]


class TaskOrder:
    """Oldest candidate's ready tasks first; speculative folds by promise."""

    def ready(self, live):
        """The candidates whose queued tasks go out first, in order: the
        oldest first -- it gates the window, and finishing it first lets the
        next candidate be asked soonest."""
        return live

    def speculation(self, live, oldest_first):
        """The unfinished candidates in the order their later folds are
        speculated: the oldest first while ``oldest_first`` (candidates are
        still asked through a window it gates); then by the mean of the scores
        they reported so far, best first, a candidate without any taking the
        median of the others'. A fold of a likely survivor is the one least
        likely to be thrown away, and at the tail of a search, with workers to
        spare, the survivors' folds are what the wall waits for."""
        live = [c for c in live if not c.finished]
        means = {}
        for c in live:
            values = [v for v in c.frozen.intermediate_values.values() if np.isfinite(v)]
            means[c.index] = float(np.mean(values)) if values else None
        known = [m for m in means.values() if m is not None]
        neutral = float(np.median(known)) if known else 0.0
        first = live[:1] if oldest_first else []
        rest = sorted(live[len(first):], key=lambda c: -(
            neutral if means[c.index] is None else means[c.index]))
        return first + rest
