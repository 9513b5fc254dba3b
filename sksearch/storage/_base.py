"""The storage interface: the whole truth of a study.

A study keeps nothing that matters in memory of its own: trials, their params,
intermediate values and states all live in a storage, so a sampler in another
process, or a resumed search, sees exactly the same history. The interface is
deliberately narrow so that a server database can be added without touching
samplers, pruners or the search estimator.

Values cross this interface in internal form only (floats for params, see
:mod:`sksearch.distributions`); a storage never pickles user objects.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from abc import ABC, abstractmethod

from ..trial import TrialState

__all__ = ["BaseStorage", "CorruptStorageError", "DuplicatedStudyError", "StorageError"]

#: The system attribute holding a trial's recorded outcome (see
#: :meth:`BaseStorage.set_trial_pending_outcome`).
PENDING_OUTCOME = "pending_outcome"


class DuplicatedStudyError(ValueError):
    """A study with this name exists and may not be created again."""


class StorageError(ValueError):
    """A storage cannot be used: a file that cannot be opened, that belongs to
    another program, or that a newer sksearch wrote. The message names the file."""


class CorruptStorageError(StorageError):
    """A value read from a storage is not one sksearch writes (a damaged or
    hand-edited file). The message names the study, the trial and the column."""


class BaseStorage(ABC):
    """What every storage implements. All methods must be safe to call from
    several threads; persistent storages also from several processes."""

    # -- studies --------------------------------------------------------------
    @abstractmethod
    def create_new_study(self, study_name, directions):
        """Create a study and return its integer id.

        ``directions`` is a non-empty list of ``"minimize"`` / ``"maximize"``,
        one per objective.

        Raises :class:`DuplicatedStudyError` if ``study_name`` exists.
        """

    @abstractmethod
    def get_study_id(self, study_name):
        """Return the id of the study called ``study_name``, or ``None``."""

    @abstractmethod
    def get_all_studies(self):
        """Return ``(study_id, study_name)`` of every study, in creation order."""

    def delete_study(self, study_id):
        """Remove the study and all its trials, at once (one transaction in a
        database). Storages implement it; this default refuses."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete studies.")

    def defer_writes(self):
        """Let a storage opened read-only write later: at its first write,
        which reopens it for writing (what ``load_study`` asks of the storage
        it opened). A storage that is never read-only has nothing to do."""

    @abstractmethod
    def get_study_directions(self, study_id):
        """Return the list of directions, one ``"minimize"`` or ``"maximize"``
        per objective."""

    @abstractmethod
    def set_study_system_attr(self, study_id, key, value):
        """Store a JSON-serialisable value on the study."""

    @abstractmethod
    def get_study_system_attrs(self, study_id):
        """Return the study's system attributes as a dict."""

    # -- trials ---------------------------------------------------------------
    @abstractmethod
    def create_new_trial(self, study_id):
        """Create a RUNNING trial; return ``(trial_id, number)``.

        Numbers count from 0 within a study and are never reused, even when
        several processes create trials at once.
        """

    @abstractmethod
    def set_trial_param(self, trial_id, name, internal_value, distribution):
        """Record one parameter of a running trial."""

    @abstractmethod
    def set_trial_intermediate_value(self, trial_id, step, value):
        """Record a value reported at ``step``."""

    @abstractmethod
    def set_trial_user_attr(self, trial_id, key, value):
        """Store a JSON-serialisable user attribute on a trial."""

    @abstractmethod
    def set_trial_system_attr(self, trial_id, key, value):
        """Store a JSON-serialisable system attribute on a trial."""

    @abstractmethod
    def set_trial_state_values(self, trial_id, state, values=None, system_attrs=None):
        """Finish a trial: set its state (not RUNNING), objective values and,
        optionally, system attributes, all at once.

        Parameters
        ----------
        trial_id : int
        state : TrialState
            COMPLETE, PRUNED or FAIL.
        values : sequence of float or None, default=None
            One finite value per objective of the study (the caller checks).
        system_attrs : dict or None, default=None
            JSON-serialisable system attributes written with the state: a reader
            sees either none of them and a RUNNING trial, or all of them and the
            finished trial (a process killed in between leaves the former).

        Returns
        -------
        changed : bool
            ``False``, changing nothing, if the trial was already finished.
        """

    def set_trial_pending_outcome(self, trial_id, state, values=None, system_attrs=None):
        """Record the final outcome of a RUNNING trial that will be finished
        later (a search tells its candidates in order, so a finished candidate
        may wait for an older one).

        The trial stays RUNNING. If its process dies before finishing it,
        :meth:`fail_running_trials` finishes it with this outcome instead of
        FAIL, so nothing completed is lost; :meth:`set_trial_state_values`
        drops the record. The arguments are those of
        :meth:`set_trial_state_values`. A storage that lives in one process
        (nothing outlives it) records nothing: the default does nothing.
        """

    def create_finished_trial(self, study_id, trial):
        """Add a trial that finished elsewhere: the state, value, parameters,
        intermediate values, attributes and times of the FrozenTrial
        ``trial`` (its number and id are ignored); return ``(trial_id, number)``.

        What :meth:`sksearch.Study.add_trial` and copying a study write. This
        default goes through the methods above (not at once, and with the
        times of now); storages override it with one write that keeps the times.
        """
        trial_id, number = self.create_new_trial(study_id)
        for name, internal in trial.internal_params.items():
            self.set_trial_param(trial_id, name, internal, trial.distributions[name])
        for step, value in trial.intermediate_values.items():
            self.set_trial_intermediate_value(trial_id, step, value)
        for key, value in trial.user_attrs.items():
            self.set_trial_user_attr(trial_id, key, value)
        self.set_trial_state_values(trial_id, trial.state, trial.value,
                                    system_attrs=dict(trial.system_attrs))
        return trial_id, number

    @abstractmethod
    def get_trial(self, trial_id):
        """Return a :class:`~sksearch.trial.FrozenTrial` snapshot."""

    @abstractmethod
    def get_all_trials(self, study_id, states=None):
        """Return the study's trials, ordered by number, optionally filtered to
        a tuple of :class:`~sksearch.trial.TrialState`."""

    def get_trials_finished_since(self, study_id, cursor=None):
        """Trials of the study that finished after ``cursor``, and a new cursor.

        A model-based sampler keeps a table of finished trials and, at every
        ask, absorbs only the ones it has not seen, instead of reading the
        whole study again. A finished trial's state, values, parameters and
        intermediate values never change, so what was absorbed stays true.

        Parameters
        ----------
        study_id : int
        cursor : object or None, default=None
            What a previous call returned; ``None`` starts from the beginning.
            Its type belongs to the storage: callers only pass it back.

        Returns
        -------
        trials : list of FrozenTrial
            Trials in state COMPLETE, PRUNED or FAIL that were not returned
            since ``cursor`` (a trial finishing while this call runs is returned
            now or by the next call, never lost).
        cursor : object
            To pass to the next call.

        Notes
        -----
        This default reads every finished trial and keeps the ids it returned
        in the cursor; storages override it with a cheaper read.
        """
        finished = self.get_all_trials(
            study_id, states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))
        seen = frozenset() if cursor is None else cursor
        new = [t for t in finished if t.trial_id not in seen]
        return new, seen | {t.trial_id for t in new}

    def register_distributions(self, distributions):
        """Remember live distribution objects (a storage that serialises them
        uses these when reading trials back); a no-op by default.

        Parameters
        ----------
        distributions : dict of str -> BaseDistribution, or iterable of BaseDistribution
        """

    def fail_running_trials(self, study_id, grace_seconds=600.0):
        """Finish the RUNNING trials left by a process that died: with their
        recorded outcome (:meth:`set_trial_pending_outcome`) if they have one,
        else as FAIL; return their numbers. A storage that lives in one
        process has none."""
        return []

    def get_n_trials(self, study_id, states=None):
        """Number of trials, optionally only those in ``states``."""
        return len(self.get_all_trials(study_id, states=states))


def pending_outcome_to_json(state, values, system_attrs):
    """The JSON record of :meth:`BaseStorage.set_trial_pending_outcome`."""
    return {"state": state.name, "values": None if values is None else [float(v) for v in values],
            "system_attrs": dict(system_attrs or {})}


def pending_outcome_from_json(record, n_objectives):
    """``(state, values, system_attrs)`` of a stored pending outcome, checked
    (it was read from a file): ``ValueError`` saying what is wrong with it."""
    if not isinstance(record, dict) or set(record) != {"state", "values", "system_attrs"}:
        raise ValueError(f"not an outcome record: {record!r:.200}")
    state = {s.name: s for s in (TrialState.COMPLETE, TrialState.PRUNED,
                                 TrialState.FAIL)}.get(record["state"])
    if state is None:
        raise ValueError(f"state {record['state']!r:.50} is not COMPLETE, PRUNED or FAIL")
    values = record["values"]
    if values is not None:
        if not (isinstance(values, list) and len(values) == n_objectives and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in values)):
            raise ValueError(f"values {values!r:.200} are not {n_objectives} finite numbers")
        if state is TrialState.FAIL:
            raise ValueError("a FAIL outcome with values")
    elif state is TrialState.COMPLETE:
        raise ValueError("a COMPLETE outcome without values")
    if not isinstance(record["system_attrs"], dict):
        raise ValueError("system_attrs is not a dict")
    return state, values, record["system_attrs"]
