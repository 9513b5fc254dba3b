"""The pruner interface: a pure decision over recorded history.

Steps mean different things in the two uses of a study, and pruners honour
both. In a plain :class:`~sksearch.Study` a step is an epoch or iteration and a
trial's evidence at step *k* is the value it reported there. In
:class:`~sksearch.BayesSearchCV` a step is a CV fold (its
:class:`StepLayout` says ``folds``) and folds differ in
difficulty, so a trial's evidence after *k* folds is the **mean of its fold
scores so far**, compared with other trials' means over the same folds.

With ``BayesSearchCV(increments=...)`` a fold is cut into ``k`` increments
(the layout's ``per_fold``): the score after
increment ``i`` of fold ``f`` is reported at step ``f * k + i``, and the
evidence at a step is the mean of the finished folds' scores and the score of
the fold in progress after that increment. Every trial compared at a step has
done the same folds and increments, so the comparison stays fair. Pruners that
need whole folds (the bound and Wilcoxon pruners) read only the fold scores,
the last increment of each fold.

Which of the two a study's steps are is a :class:`StepLayout`, written once
to the study by the search (:meth:`StepLayout.write`, one system attribute)
and handed to the pruner in :meth:`BasePruner.setup`; a pruner used in a plain
study without ``setup``, and the plots, read it with :meth:`StepLayout.of`.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..trial import TrialState, best_of

__all__ = ["BasePruner", "NopPruner", "PrunerStudy", "StepLayout"]


@dataclass(frozen=True)
class StepLayout:
    """What a study's steps are.

    Attributes
    ----------
    folds : bool
        Steps are CV folds (compared by running means), not epochs.
    per_fold : int
        Increments per fold (1 when folds are not cut into increments).
    n_steps : int or None
        Steps of a trial that runs to the end, when known.
    scoring : str or None
        The name of the scorer whose fold scores are the steps, when known
        (the bound pruner reads its best possible score from it).
    """

    folds: bool = False
    per_fold: int = 1
    n_steps: int = None
    scoring: str = None

    #: The study system attribute holding the layout, as one JSON object.
    KEY = "sksearch:step_layout"
    # the four attributes studies stored before KEY, still read
    _OLD_KEYS = {"folds": "sksearch:steps_are_folds", "per_fold": "sksearch:steps_per_fold",
                 "n_steps": "sksearch:n_steps", "scoring": "sksearch:scoring"}

    def write(self, study):
        """Record this layout in ``study`` (the one writer)."""
        study.set_system_attr(self.KEY, {"folds": self.folds, "per_fold": self.per_fold,
                                         "n_steps": self.n_steps, "scoring": self.scoring})

    @classmethod
    def of(cls, study):
        """The layout recorded in ``study`` (the one reader; plain steps if
        none): under :attr:`KEY`, or the four attributes of older studies."""
        attrs = study.system_attrs
        stored = attrs.get(cls.KEY)
        if stored is None:
            stored = {field: attrs[key] for field, key in cls._OLD_KEYS.items() if key in attrs}
        n_steps = stored.get("n_steps")
        scoring = stored.get("scoring")
        return cls(folds=bool(stored.get("folds", False)),
                   per_fold=int(stored.get("per_fold", 1)),
                   n_steps=None if n_steps is None else int(n_steps),
                   scoring=None if scoring is None else str(scoring))

    def progress(self, trial):
        """How far a trial has come: the number of steps done less one with
        folds, or its last step."""
        return progress(trial, self.folds)

    def evidence(self, trial, step):
        """A trial's evidence at ``step`` (see :func:`evidence`)."""
        return evidence(trial, step, self.folds, self.per_fold)

    def fold_scores(self, trial):
        """``{fold: score}`` of the folds a trial finished."""
        return fold_scores(trial, self.per_fold)


class PrunerStudy(Protocol):
    """What a pruner may read of the study it decides in.

    A :class:`~sksearch.Study` is one; inside a search a pruner gets a fixed
    view of the trials its decision may read (so that it does not depend on
    timing, docs/design.md), which is one too: a pruner written against this
    protocol works in ``Study.optimize`` and in every search. For a search's
    study of several objectives the view shows one objective, the refit
    metric (``directions == ["maximize"]``).
    """

    study_name: str
    direction: str
    directions: list
    is_multi_objective: bool
    system_attrs: dict
    trials: list
    best_trial: object
    best_value: float

    def get_trials(self, states=None): ...

    def n_trials(self, states=None): ...


class BasePruner(ABC):
    """Decide whether a running trial should stop.

    ``prune(study, trial)`` reads ``trial.intermediate_values`` and the other
    trials of ``study`` (a :class:`PrunerStudy`) and returns a bool; it
    changes nothing.
    """

    #: Whether BayesSearchCV should score each candidate's folds in its own
    #: seeded random order (pruners that pair folds by index can use it).
    shuffle_folds = False

    #: The layout given to :meth:`setup`, if it was called.
    _layout = None

    @abstractmethod
    def prune(self, study, trial):
        """Return True to stop ``trial`` (a FrozenTrial) now."""

    def setup(self, study, layout=None):
        """Called once before any trial runs, with what the study's steps are;
        raise if the pruner cannot work on ``study``. Subclasses that override
        it call ``super().setup(study, layout)``."""
        self._layout = layout

    def layout(self, study):
        """The step layout: the one given to :meth:`setup`, else ``study``'s."""
        return self._layout if self._layout is not None else StepLayout.of(study)

    def decision_steps(self, layout):
        """The steps inside a fold at which :meth:`prune` may stop a trial
        (besides each fold's last increment), or ``None`` when it may at any.

        A contract with BayesSearchCV: at any other step ``prune`` returns
        False. With ``increments`` the search then runs a fold's increments up
        to the next such step in one task, and where the model allows it
        (LightGBM, XGBoost, CatBoost) in one fit, scored after each increment
        by its first rounds: no decision is skipped and the fold costs what a
        plain fit costs, instead of one continued fit per increment. The
        default, ``None``, is right for any pruner; a subclass that decides
        only at some steps says which.

        Parameters
        ----------
        layout : StepLayout
            The search's steps, ``n_steps`` included.

        Returns
        -------
        frozenset of int or None
        """
        return None

    def reads_as_of(self, step, layout):
        """Whether a decision at ``step`` reads the other trials only as of
        ``step``: through the values they reported at their first ``step +
        1`` steps, not their state, their later values or which of them is
        best.

        A contract with the searches: when it holds, a search decides as
        soon as every earlier candidate has reached ``step`` or stopped before
        it, from each one's values up to ``step`` (shown as a PRUNED trial),
        instead of waiting until every earlier candidate has finished; the
        decision is the one the sequential search makes, and the workers
        stay busy. The default, ``False``, is right for any pruner; a subclass
        whose decisions at some steps read no more says at which.

        Parameters
        ----------
        step : int
        layout : StepLayout
            The search's steps.

        Returns
        -------
        bool
        """
        return False

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class NopPruner(BasePruner):
    """Never prune.

    Examples
    --------
    >>> from sksearch.pruners import NopPruner
    >>> NopPruner().prune(None, None)
    False
    """

    #: It takes no argument (declared, so that every public configurable has one).
    _parameter_constraints = {}

    def prune(self, study, trial):
        return False

    def decision_steps(self, layout):
        return frozenset()


def progress(trial, folds):
    """How far a trial has come: the number of folds done, or its last step."""
    if not trial.intermediate_values:
        return None
    return len(trial.intermediate_values) - 1 if folds else max(trial.intermediate_values)


def evidence(trial, step, folds, per_fold=1):
    """A trial's evidence at ``step``: with folds, the mean of the scores of
    the folds it finished before ``step`` and its score at ``step`` (with
    ``per_fold == 1``, its running mean over the first ``step + 1`` folds);
    otherwise the value it reported at ``step``. None if it has not got that
    far."""
    values = trial.intermediate_values
    if not folds:
        return values.get(step)
    if len(values) < step + 1:
        return None
    ordered = [values[k] for k in sorted(values)[: step + 1]] if _is_prefix(values) else \
        list(values.values())[: step + 1]
    fold = step // per_fold
    finished = ordered[per_fold - 1: fold * per_fold: per_fold]
    return float(np.mean(finished + [ordered[step]]))


def fold_scores(trial, per_fold=1):
    """``{fold: score}`` of the folds a trial finished: the value at the last
    increment of each fold (every value when ``per_fold == 1``)."""
    return {step // per_fold: value for step, value in trial.intermediate_values.items()
            if step % per_fold == per_fold - 1}


def incumbent(study, exclude):
    """The best COMPLETE trial other than ``exclude`` (the earliest of equals,
    as GridSearchCV breaks ties), or None."""
    return best_of([t for t in study.get_trials((TrialState.COMPLETE,))
                    if t.trial_id != exclude.trial_id], study.direction)


def repeats_incumbent(study, trial, repeat_steps, layout):
    """Whether ``trial`` has at least ``repeat_steps`` whole-fold scores and
    each equals, exactly, the incumbent's on the same fold.

    Bit-identical scores of finished models on every fold so far mean the same
    predictions to the scorer's resolution: a re-proposed configuration, or
    one in a region where the parameter no longer changes the model. Such a
    trial can only displace the incumbent by beating it on the folds left,
    which a trial that matched it fold for fold rarely does; ties go to the
    earlier trial. Only where steps are folds: in a plain study a step is an
    epoch, and trials that differ only in what happens later (a longer
    schedule, more iterations) share their first values exactly."""
    if repeat_steps is None or not layout.folds:
        return False
    mine = layout.fold_scores(trial)
    if len(mine) < repeat_steps:
        return False
    best = incumbent(study, trial)
    if best is None:
        return False
    theirs = layout.fold_scores(best)
    return all(step in theirs and theirs[step] == value for step, value in mine.items())


def _is_prefix(values):
    return sorted(values) == list(range(len(values)))


def finished_trials(study, exclude):
    """COMPLETE and PRUNED trials other than ``exclude``: their history is
    final, so decisions do not depend on the timing of running peers."""
    return [t for t in study.get_trials((TrialState.COMPLETE, TrialState.PRUNED))
            if t.trial_id != exclude.trial_id]


def is_better(a, b, direction):
    return a > b if direction == "maximize" else a < b


def is_nan(value):
    return value is None or (isinstance(value, float) and math.isnan(value))
