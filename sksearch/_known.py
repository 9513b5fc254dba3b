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
    """The known-trials methods of :class:`sksearch.Study` (a mixin: they use
    the study's storage, id and sampler lock, as its other methods do)."""

    # -- known trials -------------------------------------------------------------
    def enqueue_trial(self, params, skip_if_exists=False):
        """Have the next :meth:`ask` try ``params`` (then the next enqueued, in order).

        The queue is a system attribute of the study, so with a persistent
        storage it survives a restart; two processes asking at the same instant
        may both take the same entry. Values are checked when the trial
        suggests them: one outside the distribution it is suggested from fails
        the trial with a ValueError naming the parameter. Parameters the
        objective suggests and ``params`` lacks are sampled as usual.

        Parameters
        ----------
        params : dict of str -> value
            External values, as the objective will receive them.
        skip_if_exists : bool, default=False
            Enqueue nothing when a trial with exactly these parameters is
            running or finished (not failed), or is already enqueued; checked
            again when the trial is taken from the queue.

        Examples
        --------
        >>> from sksearch import Study
        >>> study = Study(direction="minimize", sampler="random", random_state=0)
        >>> study.enqueue_trial({"x": 0.25})
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3)
        >>> study.trials[0].params
        {'x': 0.25}
        """
        if not isinstance(skip_if_exists, bool):
            raise TypeError(f"skip_if_exists must be a bool, got {skip_if_exists!r}.")
        encoded = encode_params(params)
        with self._sampler_lock:
            queue = self.system_attrs.get(QUEUE_ATTR, [])
            if skip_if_exists and (self._evaluated(encoded) or any(
                    entry["params"] == encoded for entry in queue)):
                return
            queue.append({"params": encoded, "skip_if_exists": skip_if_exists})
            self.set_system_attr(QUEUE_ATTR, queue)

    def _evaluated(self, encoded):
        states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        return any(same_params(t, encoded) for t in self.get_trials(states)
                   if not is_warm_start(t))

    def _next_enqueued(self):
        """Take the first enqueued parameter set still to run, or ``None``."""
        queue = self._storage.get_study_system_attrs(self._study_id).get(QUEUE_ATTR)
        if not queue:
            return None
        taken = None
        while queue and taken is None:
            entry = queue.pop(0)
            if not (entry.get("skip_if_exists") and self._evaluated(entry["params"])):
                taken = entry["params"]
        self._storage.set_study_system_attr(self._study_id, QUEUE_ATTR, queue)
        return taken

    def add_trial(self, trial):
        """Add a trial evaluated elsewhere (see :func:`sksearch.create_trial`).

        Checked first: a finished state (COMPLETE with a finite value, PRUNED
        or FAIL), every parameter inside its distribution, int steps; written
        in one transaction with its times, attributes and intermediate values.
        Its ``number`` is the study's next one. Samplers learn from it like
        from any trial.

        Parameters
        ----------
        trial : FrozenTrial

        Returns
        -------
        frozen_trial : FrozenTrial
            As stored, with its number in this study.
        """
        check_finished_trial(trial, len(self._directions))
        with self._sampler_lock:
            trial_id, number = self._storage.create_finished_trial(self._study_id, trial)
            if number == self._next_number:
                self._next_number = number + 1
            return self._storage.get_trial(trial_id)

    def add_trials(self, trials):
        """:meth:`add_trial` each of ``trials``, in order (all are checked first)."""
        trials = list(trials)
        for trial in trials:
            check_finished_trial(trial, len(self._directions))
        return [self.add_trial(trial) for trial in trials]

    def add_prior_trials(self, trials, source=None):
        """Add finished trials of a related study as the sampler's prior history
        (a warm start), not as results.

        Each is added with :meth:`add_trial`, keeping its state, value,
        parameters and intermediate values but none of its system attributes,
        and marked with the system attribute ``"sksearch:warm_start"``
        (``{"study": source, "number": its number there}``): samplers learn
        from it, :attr:`best_trial` and a search's ``cv_results_`` leave it
        out. A trial of ``source`` added before is not added again, so a
        resumed study is warm-started once.

        Parameters
        ----------
        trials : iterable of FrozenTrial
            Finished trials (others are skipped).
        source : str or None, default=None
            The name of the study they come from.

        Returns
        -------
        n_added : int
        """
        added = prior_copies(self.get_trials(), trials, source)
        self.add_trials(added)
        return len(added)
