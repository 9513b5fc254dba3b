"""Known trials: parameter sets enqueued to run first, and trials evaluated elsewhere.

An enqueued parameter set waits in the study's system attribute
:data:`QUEUE_ATTR` (so it survives a restart with a persistent storage) until
:meth:`sksearch.Study.ask` takes it: the trial then suggests the enqueued
values instead of sampling them, each checked against the distribution it is
suggested from. Values are kept as JSON; a value JSON cannot hold (an
estimator) is kept as its description (its repr without memory addresses) and
matched against a categorical's choices by theirs, as the SQLite storage
describes such choices.

A finished trial added to a study (:meth:`sksearch.Study.add_trial`) is
checked here first, against the study, as every storage checks it again
before writing: a finished state, one finite value per objective when
COMPLETE, every parameter inside its distribution, steps that are ints >= 0,
JSON attributes.

:class:`KnownTrials` is a collaborator that :class:`~sksearch.Study` owns,
not a mixin and not part of ``Study`` itself. Its state is the queue and the
finished-trial writes, which live in the storage, so it needs nothing of the
study but the storage, the study's id and its number of objectives, given
when it is built: it reads no field of the study, and the study keeps what
is the study's own -- its sampler lock, the number its seeded stream draws
next, and the public methods and their docstrings. Folding it back into
``Study`` would put 100 more lines into a class of 600 for no gain in
what either can see; as a mixin it read the study's private fields
(``_storage``, ``_study_id``, ``_sampler_lock``, ``_next_number``), so a
change of ``Study``'s insides could break it unseen.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import numbers

from .distributions import BaseDistribution, Categorical, describe_choice
from .storage._checks import check_finished_record, check_name, check_outcome, dumps
from .trial import FrozenTrial, TrialState

__all__ = ["KnownTrials", "QUEUE_ATTR", "WARM_START_ATTR", "create_trial"]

#: Study system attribute holding the enqueued parameter sets, oldest first.
QUEUE_ATTR = "sksearch:enqueued"
#: Trial system attribute of a trial enqueued with :meth:`Study.enqueue_trial`.
ENQUEUED_ATTR = "sksearch:from_queue"
#: Trial system attribute marking a prior trial (a warm start's history).
WARM_START_ATTR = "sksearch:warm_start"

_SCALARS = (str, int, float, bool, type(None))


def encode_params(params, where="enqueue_trial"):
    """``{name: {"value": v}}`` for JSON scalars, ``{name: {"repr": text}}``
    for any other object; raises TypeError naming a bad name."""
    if not isinstance(params, dict):
        raise TypeError(f"{where}: params must be a dict of parameter names to values, "
                        f"got {params!r}.")
    encoded = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise TypeError(f"{where}: parameter names must be str, got {name!r}.")
        check_name(name, f"{where}: the parameter name {name!r}")
        if isinstance(value, _SCALARS) and not (
                isinstance(value, float) and not math.isfinite(value)):
            dumps(value, f"{where}: params[{name!r}]")  # text a storage can hold
            encoded[name] = {"value": value}
        else:
            encoded[name] = {"repr": describe_choice(value)}
    return encoded


def internal_value(name, encoded, distribution, where="Enqueued trial"):
    """The internal value of an enqueued ``encoded`` value for ``distribution``;
    ValueError naming the parameter when it is not a value of it."""
    if "repr" in encoded:
        text = encoded["repr"]
        if isinstance(distribution, Categorical):
            for i, choice in enumerate(distribution.choices):
                if describe_choice(choice) == text or choice == text:
                    return float(i)
        raise ValueError(f"{where}: parameter {name!r} = {text} is not one of the values "
                         f"of {distribution!r}.")
    value = encoded["value"]
    if isinstance(distribution, Categorical):
        try:
            return distribution.to_internal(value)
        except ValueError:
            raise ValueError(f"{where}: parameter {name!r} = {value!r} is not one of the "
                             f"choices {list(distribution.choices)!r}.") from None
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise ValueError(f"{where}: parameter {name!r} = {value!r} is not a number, but "
                         f"{distribution!r} is numerical.")
    try:
        internal = float(distribution.to_internal(value))
    except (TypeError, ValueError):
        internal = math.nan
    if not (math.isfinite(internal) and distribution.contains_internal(internal)):
        raise ValueError(f"{where}: parameter {name!r} = {value!r} is outside {distribution!r}.")
    return internal


def fixed_params(encoded):
    """What :class:`~sksearch.Trial` takes as ``fixed_params``."""
    return {name: (lambda distribution, name=name, e=e: internal_value(name, e, distribution))
            for name, e in encoded.items()}


def same_params(trial, encoded):
    """Whether ``trial`` has exactly the enqueued parameters and values."""
    if set(trial.internal_params) != set(encoded):
        return False
    for name, e in encoded.items():
        try:
            internal = internal_value(name, e, trial.distributions[name])
        except ValueError:
            return False
        stored = trial.internal_params[name]
        if not math.isclose(internal, stored, rel_tol=1e-12, abs_tol=1e-12):
            return False
    return True


def is_warm_start(trial):
    """Whether ``trial`` is a prior trial of a warm start (not a result)."""
    return WARM_START_ATTR in trial.system_attrs


def prior_copies(existing, trials, source):
    """Copies of the finished ``trials`` of study ``source`` to add as prior
    trials, leaving out those ``existing`` (the study's trials) has already."""
    seen = {(t.system_attrs[WARM_START_ATTR].get("study"),
             t.system_attrs[WARM_START_ATTR].get("number"))
            for t in existing if is_warm_start(t)}
    return [
        FrozenTrial(number=trial.number, trial_id=-1, state=trial.state, value=trial.value,
                    internal_params=dict(trial.internal_params),
                    distributions=dict(trial.distributions),
                    intermediate_values=dict(trial.intermediate_values),
                    system_attrs={WARM_START_ATTR: {"study": source, "number": trial.number}},
                    datetime_start=trial.datetime_start,
                    datetime_complete=trial.datetime_complete)
        for trial in trials
        if trial.state.is_finished() and (source, trial.number) not in seen]


def check_finished_trial(trial, n_objectives=None):
    """Raise, naming what is wrong, unless ``trial`` can be added as finished
    to a study of ``n_objectives`` objectives (what every storage checks
    before writing it, see :mod:`sksearch.storage._checks`)."""
    if not isinstance(trial, FrozenTrial):
        raise TypeError(f"add_trial takes a FrozenTrial (see sksearch.create_trial), got "
                        f"{trial!r}.")
    try:
        check_finished_record(trial, n_objectives)
    except (TypeError, ValueError) as exc:
        shown = "" if trial.number == -1 else f"trial {trial.number}: "
        raise type(exc)(f"add_trial: {shown}{exc}") from None


def create_trial(*, params, distributions, value=None, state=TrialState.COMPLETE,
                 intermediate_values=None, user_attrs=None, system_attrs=None, values=None):
    """A :class:`~sksearch.FrozenTrial` to add to a study with
    :meth:`~sksearch.Study.add_trial`, from external values.

    Parameters
    ----------
    params : dict of str -> value
        As the objective received them.
    distributions : dict of str -> BaseDistribution
        The distribution of each parameter (the same names as ``params``).
    value : float or None, default=None
        The objective value of a study of one objective; required when
        ``state`` is COMPLETE (or ``values``).
    state : TrialState, default=TrialState.COMPLETE
    intermediate_values : dict of int -> float, optional
    user_attrs, system_attrs : dict, optional
        JSON-serialisable, with str keys.
    values : sequence of float or None, default=None
        One value per objective, for a study of several; give ``value`` or
        ``values``, not both.

    Raises
    ------
    TypeError, ValueError
        Naming the argument (``value``, ``values[1]``, ``user_attrs['x']``)
        that is not what a study stores; nothing is added anywhere.

    Returns
    -------
    trial : FrozenTrial
        Its ``number`` and ``trial_id`` are placeholders (-1): the study
        numbers it when it is added.

    Examples
    --------
    >>> from sksearch import Study, create_trial
    >>> from sksearch.distributions import Float
    >>> study = Study(direction="minimize")
    >>> study.add_trial(create_trial(params={"x": 0.5}, distributions={"x": Float(0, 1)},
    ...                              value=0.25)).number
    0
    >>> study.best_params
    {'x': 0.5}
    """
    if not isinstance(params, dict) or not isinstance(distributions, dict):
        raise TypeError("create_trial: params and distributions must be dicts, got "
                        f"{params!r} and {distributions!r}.")
    if set(params) != set(distributions):
        raise ValueError(f"create_trial: params {sorted(params)!r} and distributions "
                         f"{sorted(distributions)!r} must name the same parameters.")
    internal = {}
    for name, external in params.items():
        distribution = distributions[name]
        if not isinstance(distribution, BaseDistribution):
            raise TypeError(f"create_trial: the distribution of {name!r} must be a sksearch "
                            f"distribution, got {distribution!r}.")
        if isinstance(distribution, Categorical):
            internal[name] = _choice_index(name, external, distribution)
        else:
            internal[name] = internal_value(name, {"value": external}, distribution,
                                            where="create_trial")
    values = _create_trial_values(value, values, state)
    for what, given in (("user_attrs", user_attrs), ("system_attrs", system_attrs),
                        ("intermediate_values", intermediate_values)):
        if given is not None and not isinstance(given, dict):
            raise TypeError(f"create_trial: {what} must be a dict or None, got {given!r}.")
    trial = FrozenTrial(number=-1, trial_id=-1, state=state, values=values,
                        internal_params=internal, distributions=dict(distributions),
                        intermediate_values=dict(intermediate_values or {}),
                        user_attrs=dict(user_attrs or {}),
                        system_attrs=dict(system_attrs or {}))
    try:
        check_finished_record(trial)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"create_trial: {exc}") from None
    return trial


def _create_trial_values(value, values, state):
    """The ``values`` of a trial from ``create_trial``'s ``value`` or
    ``values``, checked (finite numbers) before any is converted."""
    if value is not None and values is not None:
        raise ValueError(f"create_trial: give value or values, not both (got value={value!r}, "
                         f"values={values!r}).")
    if value is not None:
        if isinstance(value, (str, bytes)) or not isinstance(value, numbers.Real):
            raise TypeError(f"create_trial: value must be a finite number or None, got "
                            f"{value!r}.")
        values = [value]
    try:
        return check_outcome(state, values) or None
    except (TypeError, ValueError) as exc:
        text = str(exc)
        if value is not None:  # the user gave value, not values: name that
            text = text.replace("values[0]", "value").replace("values:", "value:")
        raise type(exc)(f"create_trial: {text}") from None


def _choice_index(name, value, distribution):
    try:
        return distribution.to_internal(value)
    except ValueError:
        raise ValueError(f"create_trial: parameter {name!r} = {value!r} is not one of the "
                         f"choices {list(distribution.choices)!r}.") from None


class KnownTrials:
    """A study's known trials, over its storage: the queue of enqueued
    parameter sets and the trials added from elsewhere.

    :class:`~sksearch.Study` owns one (built with its storage, its id and its
    number of objectives) and its public methods -- ``enqueue_trial``,
    ``add_trial``, ``add_trials``, ``add_prior_trials`` -- check their
    arguments and call this under the study's sampler lock. It reads and
    writes only through the storage's public interface
    (:class:`~sksearch.storage.BaseStorage`), never the study's fields.
    """

    def __init__(self, storage, study_id, n_objectives):
        self.storage = storage
        self.study_id = study_id
        self.n_objectives = n_objectives

    def _queue(self):
        return self.storage.get_study_system_attrs(self.study_id).get(QUEUE_ATTR, [])

    def _evaluated(self, encoded):
        states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        return any(same_params(t, encoded)
                   for t in self.storage.get_all_trials(self.study_id, states=states)
                   if not is_warm_start(t))

    def enqueue(self, encoded, skip_if_exists):
        """Append the ``encoded`` parameter set (:func:`encode_params`) to the
        queue, unless ``skip_if_exists`` and it is evaluated or queued."""
        queue = self._queue()
        if skip_if_exists and (self._evaluated(encoded) or any(
                entry["params"] == encoded for entry in queue)):
            return
        queue.append({"params": encoded, "skip_if_exists": skip_if_exists})
        self.storage.set_study_system_attr(self.study_id, QUEUE_ATTR, queue)

    def take_next(self):
        """Take the first enqueued parameter set still to run, or ``None``."""
        queue = self._queue()
        if not queue:
            return None
        taken = None
        while queue and taken is None:
            entry = queue.pop(0)
            if not (entry.get("skip_if_exists") and self._evaluated(entry["params"])):
                taken = entry["params"]
        self.storage.set_study_system_attr(self.study_id, QUEUE_ATTR, queue)
        return taken

    def check(self, trials):
        """Raise, naming what is wrong, unless every one of ``trials`` can be
        added (:func:`check_finished_trial`)."""
        for trial in trials:
            check_finished_trial(trial, self.n_objectives)

    def add(self, trial):
        """Write the checked finished ``trial``; return it as stored."""
        trial_id, _ = self.storage.create_finished_trial(self.study_id, trial)
        return self.storage.get_trial(trial_id)
