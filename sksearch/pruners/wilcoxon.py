"""Paired Wilcoxon signed-rank pruning: stop a candidate whose fold scores are
significantly worse than the incumbent's on the same folds."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from scipy.stats import wilcoxon

from .._validation import AnyOf, InstanceOf, Interval, validate
from ._base import (
    BasePruner,
    incumbent,
    is_nan,
    repeats_incumbent,
)

__all__ = ["WilcoxonPruner"]


class WilcoxonPruner(BasePruner):
    """Prune when a one-sided paired Wilcoxon signed-rank test says the trial is
    worse than the incumbent (the best complete trial) on the steps both have.

    Folds differ in difficulty, and every candidate is scored on the same
    folds, so differences *on the same fold* remove that variation: a paired
    test detects a worse candidate after fewer folds than comparing means.
    Zero differences are split between the signs (``zero_method="zsplit"``) and
    ties get average ranks, so the test never prunes a candidate equal to the
    incumbent (``repeat_steps`` does); when every difference is zero the
    p-value is 1. With ``increments`` the test pairs whole folds only (the last
    increment of each).

    Parameters
    ----------
    p_threshold : float in (0, 1), default=0.1
        Prune when the p-value of "the trial is worse" is below this.
    n_startup_steps : int, default=2
        Decide only once this many steps are shared with the incumbent.
    shuffle_folds : bool, default=True
        Ask BayesSearchCV to score each candidate's folds in its own seeded
        order. The test pairs by fold index so it works in any order, and a
        shuffled order keeps the first folds from deciding every pruning:
        without it, a candidate that is worse only on folds 0-2 is pruned
        although it would have won on the others.
    repeat_steps : int or None, default=3
        In BayesSearchCV, also prune a trial whose first ``repeat_steps`` fold
        scores each equal the incumbent's exactly: a repeat of it, which the test alone never
        prunes (all differences zero) and ties cannot make best (see the
        pruning guide). ``None`` turns this off.

    Notes
    -----
    With ``n`` paired steps the smallest one-sided p-value the exact test can
    give is ``2 ** -n`` (0.125 for 3 folds, 0.0625 for 4), so with
    ``p_threshold=0.1`` pruning starts at the fourth fold. Use it with 10-fold
    CV or repeated CV, or raise ``p_threshold`` to prune earlier.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.pruners import WilcoxonPruner
    >>> study = Study(direction="maximize", pruner=WilcoxonPruner(p_threshold=0.1))
    >>> best = study.ask()
    >>> for step, v in enumerate([0.90, 0.80, 0.85, 0.95, 0.90]):
    ...     best.report(v, step)
    >>> _ = study.tell(best, 0.88)
    >>> trial = study.ask()
    >>> for step, v in enumerate([0.80, 0.70, 0.80, 0.90]):
    ...     trial.report(v, step)
    >>> trial.should_prune()
    True
    """

    _parameter_constraints = {
        "p_threshold": Interval(float, 0, 1, closed="neither"),
        "n_startup_steps": Interval(int, 1),
        "shuffle_folds": InstanceOf(bool, description="a bool"),
        "repeat_steps": AnyOf(Interval(int, 1), None)}

    def __init__(self, p_threshold=0.1, n_startup_steps=2, shuffle_folds=True, repeat_steps=3):
        validate(self, {"p_threshold": p_threshold, "n_startup_steps": n_startup_steps,
                        "shuffle_folds": shuffle_folds, "repeat_steps": repeat_steps})
        self.p_threshold = p_threshold
        self.n_startup_steps = n_startup_steps
        self.shuffle_folds = shuffle_folds
        self.repeat_steps = repeat_steps

    def decision_steps(self, layout):
        """None inside a fold: it reads whole-fold scores only."""
        return frozenset()

    def prune(self, study, trial):
        best = incumbent(study, trial)
        if best is None or not trial.intermediate_values:
            return False
        layout = self.layout(study)
        if repeats_incumbent(study, trial, self.repeat_steps, layout):
            return True
        maximize = study.direction == "maximize"
        mine, theirs = layout.fold_scores(trial), layout.fold_scores(best)
        steps = sorted(set(mine) & set(theirs))
        if len(steps) < self.n_startup_steps:
            return False
        mine = np.array([mine[s] for s in steps], dtype=float)
        theirs = np.array([theirs[s] for s in steps], dtype=float)
        if np.isnan(mine).any():
            return True  # a failed fold: its mean is NaN and can never win
        if np.isnan(theirs).any():
            return False
        differences = mine - theirs
        if np.all(differences == 0):
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # small-sample and ties warnings
            result = wilcoxon(differences, zero_method="zsplit",
                              alternative="less" if maximize else "greater")
        p_value = float(result.pvalue)
        return not is_nan(p_value) and p_value < self.p_threshold
