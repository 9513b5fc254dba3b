"""Trials: one evaluation of one set of hyperparameters.

:class:`FrozenTrial` is the record a storage keeps and samplers and pruners read;
:class:`Trial` is the live handle an objective receives, with the ``suggest_*``
methods of define-by-run search spaces and ``report`` / ``should_prune`` for
pruning.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import datetime
import enum
import math
import numbers
import warnings
from dataclasses import dataclass, field

from ._names import check_name
from .distributions import BaseDistribution, Categorical, Float, Int

__all__ = ["CONSTRAINTS_KEY", "COST_KEY", "INTERRUPTED_KEY", "FrozenTrial", "Trial", "TrialPruned",
           "TrialState", "best_of", "is_interrupted", "make_distribution", "measured_cost"]


class TrialState(enum.Enum):
    """Life cycle of a trial: RUNNING, then COMPLETE, PRUNED or FAIL."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3

    def is_finished(self):
        """Whether the trial has left the RUNNING state."""
        return self is not TrialState.RUNNING


class TrialPruned(Exception):
    """Raise inside an objective to stop a trial the pruner gave up on."""


#: The system attribute under which a study stores a trial's constraint values
#: (what its ``constraints_func`` returned; feasible when all are <= 0).
CONSTRAINTS_KEY = "constraints"

#: The system attribute under which whoever ran a trial may store what it
#: cost, in seconds (BayesSearchCV: the mean fit seconds of its finished
#: folds); read by :func:`measured_cost`.
COST_KEY = "cost"

#: The system attribute of a FAIL trial that did not fail by its parameters
#: but was cut short -- Ctrl-C, an error elsewhere in the search, a process
#: that died -- holding what cut it. Such a trial is no result: a search does
#: not count it towards ``n_iter``, shows it in no ``cv_results_`` and runs its
#: parameters again when it resumes (see :func:`is_interrupted`).
INTERRUPTED_KEY = "sksearch:interrupted"


def is_interrupted(trial):
    """Whether ``trial`` was cut short rather than failed (:data:`INTERRUPTED_KEY`)."""
    return trial.state is TrialState.FAIL and INTERRUPTED_KEY in trial.system_attrs


def measured_cost(trial):
    """What a finished trial cost, in seconds: its :data:`COST_KEY` system
    attribute when it has one (checked: a finite number >= 0), else the
    duration of a complete trial; ``None`` when unknown (a pruned or failed
    trial that stored no cost). What ``TPESampler(cost="fit_time")``
    models."""
    cost = trial.system_attrs.get(COST_KEY)
    if cost is not None:
        if (not isinstance(cost, numbers.Real) or isinstance(cost, bool)
                or not math.isfinite(cost) or cost < 0):
            raise ValueError(f"Trial {trial.number} stores a cost of {cost!r}; a cost is a "
                             "finite number of seconds >= 0.")
        return float(cost)
    duration = trial.duration
    if trial.state is TrialState.COMPLETE and duration is not None:
        return duration.total_seconds()
    return None


@dataclass(init=False)
class FrozenTrial:
    """An immutable snapshot of a trial, as stored.

    Attributes
    ----------
    number : int
        Position of the trial in its study, from 0.
    trial_id : int
        The storage's identifier of the trial.
    state : TrialState
    values : tuple of float or None
        The objective values, one per direction of the study; for a pruned
        single-objective trial, its last evidence (see the sampler docs);
        ``None`` while running, after a failure, or for a pruned trial of a
        multi-objective study.
    value : float or None
        The only objective value (read-only); raises ``RuntimeError`` for a
        trial of several objectives.
    internal_params : dict of str -> float
        Parameter values in the samplers' internal representation.
    distributions : dict of str -> BaseDistribution
    intermediate_values : dict of int -> float
        Values reported with :meth:`Trial.report`, by step.
    user_attrs, system_attrs : dict
    datetime_start, datetime_complete : datetime.datetime or None

    Examples
    --------
    >>> from sksearch.trial import FrozenTrial, TrialState
    >>> t = FrozenTrial(number=0, trial_id=0, state=TrialState.COMPLETE, values=[0.9, 2.0],
    ...                 internal_params={}, distributions={})
    >>> t.values
    (0.9, 2.0)
    """

    number: int
    trial_id: int
    state: TrialState
    values: tuple | None
    internal_params: dict
    distributions: dict
    intermediate_values: dict = field(default_factory=dict)
    user_attrs: dict = field(default_factory=dict)
    system_attrs: dict = field(default_factory=dict)
    datetime_start: datetime.datetime | None = None
    datetime_complete: datetime.datetime | None = None

    def __init__(self, number, trial_id, state, value=None, internal_params=None,
                 distributions=None, intermediate_values=None, user_attrs=None,
                 system_attrs=None, datetime_start=None, datetime_complete=None, *,
                 values=None):
        if value is not None and values is not None:
            raise ValueError("Give a FrozenTrial value or values, not both.")
        if value is not None:
            values = (float(value),)
        self.number = number
        self.trial_id = trial_id
        self.state = state
        self.values = None if values is None else tuple(float(v) for v in values)
        self.internal_params = {} if internal_params is None else internal_params
        self.distributions = {} if distributions is None else distributions
        self.intermediate_values = {} if intermediate_values is None else intermediate_values
        self.user_attrs = {} if user_attrs is None else user_attrs
        self.system_attrs = {} if system_attrs is None else system_attrs
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete

    @property
    def value(self):
        """The objective value of a single-objective trial, or ``None``."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError(
                f"Trial {self.number} has {len(self.values)} objective values; read "
                "trial.values, not trial.value.")
        return self.values[0]

    @property
    def constraints(self):
        """The constraint values the study's ``constraints_func`` gave, as a
        tuple, or ``None`` where none were computed."""
        stored = self.system_attrs.get(CONSTRAINTS_KEY)
        return None if stored is None else tuple(stored)

    @property
    def is_feasible(self):
        """Whether every constraint value is <= 0 (``True`` without constraints)."""
        stored = self.system_attrs.get(CONSTRAINTS_KEY)
        return stored is None or all(c <= 0.0 for c in stored)

    @property
    def params(self):
        """Parameter values as the objective received them."""
        return {
            name: self.distributions[name].to_external(value)
            for name, value in self.internal_params.items()
        }

    @property
    def duration(self):
        """Wall time from start to completion, or ``None`` while running."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self):
        """The largest reported step, or ``None``."""
        return max(self.intermediate_values) if self.intermediate_values else None


class Suggests:
    """The ``suggest_float``/``suggest_int``/``suggest_categorical`` shortcuts
    of a trial-like object, each building its distribution (checked by
    :func:`make_distribution`) and passing it to the object's ``suggest``."""

    def suggest_float(self, name, low, high, *, log=False, step=None):
        """Suggest a float in ``[low, high]``; see :class:`~sksearch.distributions.Float`."""
        return self.suggest(name, make_distribution(
            "suggest_float", name, Float, low, high, log=log, step=step))

    def suggest_int(self, name, low, high, *, step=1, log=False):
        """Suggest an int in ``[low, high]``; see :class:`~sksearch.distributions.Int`."""
        return self.suggest(name, make_distribution(
            "suggest_int", name, Int, low, high, step=step, log=log))

    def suggest_categorical(self, name, choices):
        """Suggest one of ``choices``; see :class:`~sksearch.distributions.Categorical`."""
        return self.suggest(name, make_distribution(
            "suggest_categorical", name, Categorical, choices))


class Trial(Suggests):
    """The handle an objective function receives.

    Do not create it directly: :meth:`Study.ask` and :meth:`Study.optimize` do.

    Examples
    --------
    >>> from sksearch import Study
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -10, 10)
    ...     kind = trial.suggest_categorical("kind", ["a", "b"])
    ...     return (x - 2) ** 2 + (kind == "b")
    >>> study = Study(direction="minimize", sampler="random", random_state=0)
    >>> study.optimize(objective, n_trials=20)
    >>> round(study.best_value, 1) < 5
    True
    """

    def __init__(self, study, trial_id, number, relative_params=None, *, storage, lock,
                 on_failure, fixed_params=None):
        self.study = study
        # what the study hands its trials: where to write, the lock of the
        # sampler's caches, and how to fail the trial if sampling breaks
        self._storage = storage
        self._lock = lock
        self._on_failure = on_failure
        self._trial_id = trial_id
        self._number = number
        # Values the sampler chose jointly at ask time, internal, by name.
        self._relative_params = relative_params or {}
        # Values of an enqueued trial: name -> callable(distribution) giving the
        # internal value, or raising ValueError when it is not in the distribution.
        self._fixed_params = fixed_params or {}
        self._relative_distributions = {}
        self._params = {}
        self._distributions = {}

    @property
    def number(self):
        """Position of the trial in its study, from 0."""
        return self._number

    @property
    def trial_id(self):
        """The storage's identifier of the trial."""
        return self._trial_id

    @property
    def params(self):
        """Parameters suggested so far, as the objective received them."""
        return {
            name: self._distributions[name].to_external(value)
            for name, value in self._params.items()
        }

    @property
    def distributions(self):
        """Distributions of the parameters suggested so far."""
        return dict(self._distributions)

    @property
    def user_attrs(self):
        """User attributes set so far."""
        return self._storage.get_trial(self._trial_id).user_attrs

    def suggest(self, name, distribution):
        """Suggest a value for ``name`` from any distribution.

        Asking twice for the same name in one trial returns the same value; the
        distribution must then be the same too.
        """
        if not isinstance(name, str):
            raise TypeError(f"Parameter name must be a str, got {name!r}.")
        # a name no storage can hold is the caller's error, not a failed trial
        check_name(name, f"the parameter name {name!r}")
        if not isinstance(distribution, BaseDistribution):
            raise TypeError(
                f"distribution for {name!r} must be a sksearch distribution, "
                f"got {distribution!r}."
            )
        if name in self._params:
            if self._distributions[name] != distribution:
                raise ValueError(
                    f"Parameter {name!r} was already suggested in this trial from "
                    f"{self._distributions[name]!r}; cannot suggest it again from "
                    f"{distribution!r}."
                )
            return distribution.to_external(self._params[name])

        try:
            internal = self._sample(name, distribution)
            self._storage.set_trial_param(self._trial_id, name, internal, distribution)
        except BaseException as exc:
            # A sampler or storage that fails (or Ctrl-C) must not leave the
            # trial RUNNING, where it would count against a budget forever.
            self._on_failure(self._trial_id, exc)
            raise
        self._params[name] = internal
        self._distributions[name] = distribution
        return distribution.to_external(internal)

    def _sample(self, name, distribution):
        if name in self._fixed_params:
            return float(self._fixed_params[name](distribution))
        return proposed_internal(self._relative_params, name, distribution,
                                 lambda: self._sample_independent(name, distribution))

    def _sample_independent(self, name, distribution):
        with self._lock:
            frozen = self._storage.get_trial(self._trial_id)
            return self.study.sampler.sample_independent(self.study, frozen, name, distribution)

    def report(self, value, step):
        """Report an intermediate objective value at ``step`` (an int >= 0).

        In :class:`~sksearch.BayesSearchCV` the step is the CV fold and the value
        that fold's test score. Reporting a step twice keeps the first value.
        """
        if not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"step must be an int >= 0, got {step!r}.")
        try:
            value = float(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"value must be a number, got {value!r}.") from exc
        frozen = self._storage.get_trial(self._trial_id)
        if step in frozen.intermediate_values:
            warnings.warn(
                f"Step {step} was already reported for trial {self._number}; "
                "the new value is ignored.",
                UserWarning,
                stacklevel=2,
            )
            return
        self._storage.set_trial_intermediate_value(self._trial_id, int(step), value)

    def should_prune(self):
        """Ask the study's pruner whether to stop this trial now."""
        frozen = self._storage.get_trial(self._trial_id)
        if not frozen.intermediate_values:
            return False
        return bool(self.study.pruner.prune(self.study, frozen))

    def set_user_attr(self, key, value):
        """Attach a JSON-serialisable value to the trial."""
        self._storage.set_trial_user_attr(self._trial_id, key, value)

    def __repr__(self):
        return f"Trial(number={self._number}, params={self.params!r})"


def proposed_internal(relative, name, distribution, sample_independent):
    """The internal value of ``name`` in a trial: the sampler's relative
    proposal ``relative[name]`` when it lies in ``distribution``, else the
    only value of a single-valued distribution, else ``sample_independent()``."""
    internal = relative.get(name)
    if internal is not None and not distribution.contains_internal(internal):
        internal = None
    if internal is None:
        if distribution.is_single():
            internal = distribution.to_internal(_single_value(distribution))
        else:
            internal = sample_independent()
    return float(internal)


def _single_value(distribution):
    if isinstance(distribution, Categorical):
        return distribution.choices[0]
    return distribution.to_external(distribution.low)


def is_finite_value(value):
    """Whether a trial value can be used as evidence (a finite real)."""
    return value is not None and isinstance(value, numbers.Real) and math.isfinite(value)


def best_of(trials, direction):
    """The best COMPLETE trial with a finite value, or ``None``.

    The one rule of the package for "best": samplers, pruners, the study and
    the search all pick with it, so they never disagree. Among equal values the
    earliest trial (smallest number) wins, as ``GridSearchCV`` takes the first
    of tied candidates.

    Parameters
    ----------
    trials : iterable of FrozenTrial
        In any order; trials of other states are ignored.
    direction : {"maximize", "minimize"}

    Returns
    -------
    trial : FrozenTrial or None
    """
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction must be 'maximize' or 'minimize', got {direction!r}.")
    sign = 1.0 if direction == "maximize" else -1.0
    best = None
    for trial in trials:
        if trial.state is not TrialState.COMPLETE or not is_finite_value(trial.value):
            continue
        if best is None or sign * trial.value > sign * best.value or (
                trial.value == best.value and trial.number < best.number):
            best = trial
    return best


def make_distribution(method, name, cls, *args, **kwargs):
    """``cls(*args, **kwargs)`` for ``trial.<method>(name, ...)``, with errors
    that name the parameter (from inside a define-by-run space the user could
    not tell which call was wrong otherwise)."""
    if not isinstance(name, str):
        raise TypeError(f"{method}: the parameter name must be a str, got {name!r}.")
    try:
        return cls(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        shown = ", ".join([repr(name), *map(repr, args),
                           *(f"{k}={v!r}" for k, v in kwargs.items())])
        raise type(exc)(f"trial.{method}({shown}): {exc}") from None
