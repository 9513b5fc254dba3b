"""Safe racing (Maron & Moore, 1994): prune only a candidate that cannot catch
the incumbent even if every remaining fold scored the best possible value."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause


import math

import numpy as np

from .._validation import AnyOf, Interval, validate
from ._base import BasePruner, StepLayout, incumbent
from ._bounds import score_upper_bound

__all__ = ["BoundPruner"]


class BoundPruner(BasePruner):
    """Prune only what provably cannot win.

    After ``k`` of ``n`` folds with sum ``S``, a candidate's final mean is at most
    ``(S + (n - k) * bound) / n``, where ``bound`` is the best score any fold can
    give (1 for accuracy, ROC AUC, R², ...; 0 for ``neg_*`` losses). If that is
    strictly below the incumbent's mean (the best complete candidate), the
    candidate cannot reach, nor tie, the incumbent, so pruning it cannot change
    which candidate is best: ``BayesSearchCV(sampler="grid", pruner="bound")``
    returns exactly GridSearchCV's ``best_params_`` and ``best_score_``, with
    fewer fits. A candidate with a failed fold (NaN score) is pruned too: its
    mean is NaN, which never ranks best. With ``increments``, only finished
    folds count: a partial fit's score bounds nothing.

    Parameters
    ----------
    bound : float or None, default=None
        The best possible score of one fold (an upper bound when maximising, a
        lower bound when minimising). ``None`` reads it from the scorer name
        the search records in the study's
        :class:`~sksearch.pruners.StepLayout`; a custom scorer needs an
        explicit bound.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.pruners import BoundPruner, StepLayout
    >>> study = Study(direction="maximize", pruner=BoundPruner(bound=1.0))
    >>> StepLayout(n_steps=4).write(study)
    >>> best = study.ask()
    >>> for step, v in enumerate([0.9, 0.9, 0.9, 0.9]):
    ...     best.report(v, step)
    >>> _ = study.tell(best, 0.9)
    >>> trial = study.ask()
    >>> trial.report(0.5, 0)
    >>> trial.should_prune()  # (0.5 + 3 * 1.0) / 4 = 0.875 < 0.9
    True
    """

    _parameter_constraints = {
        "bound": AnyOf(Interval(float, -math.inf, math.inf, closed="neither"), None)}

    def __init__(self, bound=None):
        validate(self, {"bound": bound})
        self.bound = bound

    #: the bound found by :meth:`setup`
    _setup_bound = None

    def _bound(self, study):
        if self._setup_bound is not None:
            return self._setup_bound
        if self.bound is not None:
            return float(self.bound)
        return score_upper_bound(StepLayout.of(study).scoring)

    def setup(self, study, layout=None):
        super().setup(study, layout)
        self._setup_bound = None
        self._setup_bound = self._bound(study)
        if self._setup_bound is None:
            raise ValueError(
                "BoundPruner needs the best possible score of one fold: the scorer "
                f"{StepLayout.of(study).scoring!r} has no known bound; pass "
                "BoundPruner(bound=...)."
            )
        if study.direction == "minimize" and self.bound is None:
            raise ValueError("BoundPruner on a minimising study needs an explicit bound.")

    def decision_steps(self, layout):
        """None inside a fold: it reads whole-fold scores only."""
        return frozenset()

    def prune(self, study, trial):
        layout = self.layout(study)
        n_steps = layout.n_steps
        best = incumbent(study, trial)
        if not n_steps or best is None or not trial.intermediate_values:
            return False
        bound = self._bound(study)
        if bound is None:
            return False
        n_folds = int(n_steps) // layout.per_fold
        done = np.array(list(layout.fold_scores(trial).values()), dtype=float)
        if done.size == 0:
            return False
        if np.isnan(done).any():
            return True
        remaining = n_folds - len(done)
        best_case = (done.sum() + remaining * bound) / n_folds
        maximize = study.direction == "maximize"
        # A margin far below any score difference guards the proof against
        # rounding: the candidate is pruned only if it loses by more than that.
        margin = 1e-9 * max(1.0, abs(best.value))
        if maximize:
            return bool(best_case < best.value - margin)
        return bool(best_case > best.value + margin)
