"""In-memory storage: the default when no ``storage`` is given."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import datetime
import math
import threading

from ..trial import FrozenTrial, TrialState
from . import _checks
from ._base import BaseStorage, DuplicatedStudyError

__all__ = ["InMemoryStorage"]


class InMemoryStorage(BaseStorage):
    """Keeps studies in this process's memory; thread-safe, lost on exit.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.storage import InMemoryStorage
    >>> storage = InMemoryStorage()
    >>> study = Study(storage=storage, study_name="demo")
    >>> Study(storage=storage, study_name="demo").study_name  # attaches
    'demo'
    """

    #: It takes no argument (declared, so that every public configurable has one).
    _parameter_constraints = {}

    def __init__(self):
        self._lock = threading.RLock()
        # study_id -> dict(name, directions, system_attrs, trial_ids, finished,
        # running): ``finished`` lists trial ids in the order they finished (the
        # cursor of get_trials_finished_since is a position in it); ``running``
        # holds the running ones, in number order, so constant-liar reads do not
        # scan the whole study.
        self._studies = _Table("study")
        self._names = {}
        self._trials = _Table("trial")  # trial_id -> FrozenTrial (owned, mutated under the lock)
        self._last_trial_id = -1
        self._trial_study = {}
        # One shared object per distinct distribution: samplers compare the
        # distributions of every trial, and identical objects compare at once.
        self._distributions = {}
        # Snapshots of finished trials, reused until the trial is written again:
        # samplers read every trial at every ask. Snapshots are therefore shared
        # between readers, and a FrozenTrial must be treated as read-only.
        self._snapshots = {}

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()
        for name, what in (("_studies", "study"), ("_trials", "trial")):
            if not isinstance(getattr(self, name), _Table):  # pickled by an older version
                setattr(self, name, _Table(what, getattr(self, name)))
        if "_last_trial_id" not in state:
            self._last_trial_id = max(self._trials, default=-1)
        for study in self._studies.values():
            if "directions" not in study:  # pickled by a single-objective version
                study["directions"] = [study.pop("direction")]
        for trial in [*self._trials.values(), *self._snapshots.values()]:
            if "values" not in trial.__dict__:
                value = trial.__dict__.pop("value", None)
                trial.values = None if value is None else (value,)
            if "finished" not in study:  # pickled by a version without the log
                ids = study["trial_ids"]
                study["finished"] = [i for i in ids if self._trials[i].state.is_finished()]
                study["running"] = {i: None for i in ids
                                    if not self._trials[i].state.is_finished()}

    def create_new_study(self, study_name, directions):
        _checks.check_name(study_name, "study_name")
        directions = list(directions)
        with self._lock:
            if study_name in self._names:
                raise DuplicatedStudyError(f"A study named {study_name!r} already exists.")
            # ids are never reused, even after a delete (samplers key caches by them)
            study_id = self._last_study_id = max(
                getattr(self, "_last_study_id", -1), max(self._studies, default=-1)) + 1
            self._studies[study_id] = {"name": study_name, "directions": directions,
                                       "system_attrs": {}, "trial_ids": [],
                                       "finished": [], "running": {}}
            self._names[study_name] = study_id
            return study_id

    def get_study_id(self, study_name):
        _checks.check_name(study_name, "study_name")  # as the other storages do
        return self._names.get(study_name)

    def get_all_studies(self):
        with self._lock:
            return [(study_id, study["name"]) for study_id, study in self._studies.items()]

    def delete_study(self, study_id):
        with self._lock:
            study = self._studies.pop(study_id)
            del self._names[study["name"]]
            for trial_id in study["trial_ids"]:
                del self._trials[trial_id]
                del self._trial_study[trial_id]
                self._snapshots.pop(trial_id, None)

    def get_study_directions(self, study_id):
        return list(self._studies[study_id]["directions"])

    def set_study_system_attr(self, study_id, key, value):
        _checks.check_attr(key, value, "the study's system_attrs")
        with self._lock:
            self._studies[study_id]["system_attrs"][key] = _copied(value)

    def get_study_system_attrs(self, study_id):
        with self._lock:
            return {key: _copied(v) for key, v in self._studies[study_id]["system_attrs"].items()}

    def create_new_trial(self, study_id):
        with self._lock:
            trial_ids = self._studies[study_id]["trial_ids"]
            trial_id = self._next_trial_id()
            number = len(trial_ids)
            self._trials[trial_id] = FrozenTrial(
                number=number, trial_id=trial_id, state=TrialState.RUNNING,
                internal_params={}, distributions={},
                datetime_start=datetime.datetime.now(),
            )
            self._trial_study[trial_id] = study_id
            trial_ids.append(trial_id)
            self._studies[study_id]["running"][trial_id] = None
            return trial_id, number

    def _next_trial_id(self):
        # ids are never reused, also after a study is deleted
        self._last_trial_id += 1
        return self._last_trial_id

    def create_finished_trial(self, study_id, trial):
        # the whole record checked before anything changes: all or nothing
        values, _, _ = _checks.check_finished_record(
            trial, len(self._studies[study_id]["directions"]))
        attrs = {key: _copied(v) for key, v in trial.system_attrs.items()}
        user = {key: _copied(v) for key, v in trial.user_attrs.items()}
        with self._lock:
            study = self._studies[study_id]
            trial_id, number = self._next_trial_id(), len(study["trial_ids"])
            now = datetime.datetime.now()
            self._trials[trial_id] = FrozenTrial(
                number=number, trial_id=trial_id, state=trial.state,
                values=values or None,
                internal_params={k: float(v) for k, v in trial.internal_params.items()},
                distributions={k: self._distributions.setdefault(d, d)
                               for k, d in trial.distributions.items()},
                intermediate_values={int(k): float(v) if math.isfinite(v) else math.nan
                                     for k, v in trial.intermediate_values.items()},
                user_attrs=user, system_attrs=attrs,
                datetime_start=trial.datetime_start or now,
                datetime_complete=trial.datetime_complete or now)
            self._trial_study[trial_id] = study_id
            study["trial_ids"].append(trial_id)
            study["finished"].append(trial_id)
            return trial_id, number

    def _running(self, trial_id):
        trial = self._trials[trial_id]
        if trial.state.is_finished():
            raise RuntimeError(
                f"Trial {trial.number} is already finished ({trial.state.name}) "
                "and cannot be changed."
            )
        return trial

    def set_trial_param(self, trial_id, name, internal_value, distribution):
        _checks.check_param(name, internal_value, distribution)
        with self._lock:
            trial = self._running(trial_id)
            trial.internal_params[name] = float(internal_value)
            trial.distributions[name] = self._distributions.setdefault(
                distribution, distribution)

    def set_trial_intermediate_value(self, trial_id, step, value):
        _checks.check_intermediate(step, value)
        value = float(value)
        with self._lock:
            # as in SQLite: an infinite step is no evidence, kept as NaN
            self._running(trial_id).intermediate_values[int(step)] = (
                value if math.isfinite(value) else math.nan)

    def set_trial_user_attr(self, trial_id, key, value):
        _checks.check_attr(key, value, "user_attrs")
        with self._lock:
            self._snapshots.pop(trial_id, None)
            self._trials[trial_id].user_attrs[key] = _copied(value)

    def set_trial_system_attr(self, trial_id, key, value):
        _checks.check_attr(key, value, "system_attrs")
        with self._lock:
            self._snapshots.pop(trial_id, None)
            self._trials[trial_id].system_attrs[key] = _copied(value)

    def _checked_outcome(self, trial_id, state, values, system_attrs):
        """The values of a trial's outcome, checked against its study with its
        system attributes (what every storage checks before writing one)."""
        with self._lock:
            n_objectives = len(self._studies[self._trial_study[trial_id]]["directions"])
        values = _checks.check_outcome(state, values, n_objectives)
        _checks.check_attrs(system_attrs, "system_attrs")
        return values

    def set_trial_pending_outcome(self, trial_id, state, values=None, system_attrs=None):
        """Check the outcome as the persistent storages do; record nothing
        (nothing outlives this process, so no other process finishes the trial)."""
        self._checked_outcome(trial_id, state, values, system_attrs)

    def set_trial_state_values(self, trial_id, state, values=None, system_attrs=None):
        if state is TrialState.RUNNING:
            raise ValueError("A trial cannot be set back to RUNNING.")
        # checked and copied before anything changes: all or nothing
        values = self._checked_outcome(trial_id, state, values, system_attrs)
        attrs = {key: _copied(v) for key, v in (system_attrs or {}).items()}
        with self._lock:
            trial = self._trials[trial_id]
            if trial.state.is_finished():
                return False
            self._snapshots.pop(trial_id, None)
            trial.system_attrs.update(attrs)
            trial.state = state
            trial.values = tuple(values) or None
            trial.datetime_complete = datetime.datetime.now()
            study = self._studies[self._trial_study[trial_id]]
            study["finished"].append(trial_id)
            study["running"].pop(trial_id, None)
            return True

    def _snapshot(self, trial):
        cached = self._snapshots.get(trial.trial_id)
        if cached is not None:
            return cached
        snapshot = self._copy(trial)
        if trial.state.is_finished():  # running trials still change
            self._snapshots[trial.trial_id] = snapshot
        return snapshot

    def _copy(self, trial):
        # Attribute values are deep-copied once, when set, and shared by the
        # snapshots after that; copying them on every read made a study's
        # bookkeeping quadratic in the number of trials. Callers must treat a
        # FrozenTrial's attribute values as read-only.
        return FrozenTrial(
            number=trial.number, trial_id=trial.trial_id, state=trial.state,
            values=trial.values, internal_params=dict(trial.internal_params),
            distributions=dict(trial.distributions),
            intermediate_values=dict(trial.intermediate_values),
            user_attrs=dict(trial.user_attrs),
            system_attrs=dict(trial.system_attrs),
            datetime_start=trial.datetime_start,
            datetime_complete=trial.datetime_complete,
        )

    def get_trial(self, trial_id):
        with self._lock:
            return self._snapshot(self._trials[trial_id])

    def get_all_trials(self, study_id, states=None):
        with self._lock:
            if states is not None and tuple(states) == (TrialState.RUNNING,):
                return [self._snapshot(self._trials[i])
                        for i in self._studies[study_id]["running"]]
            trials = (self._trials[i] for i in self._studies[study_id]["trial_ids"])
            if states is not None:
                trials = (t for t in trials if t.state in states)
            return [self._snapshot(t) for t in trials]

    def get_trials_finished_since(self, study_id, cursor=None):
        """Trials finished after ``cursor`` (a position in the study's finish
        log), and the new position; see :meth:`BaseStorage.get_trials_finished_since`."""
        with self._lock:
            finished = self._studies[study_id]["finished"]
            start = 0 if cursor is None else cursor
            return [self._snapshot(self._trials[i]) for i in finished[start:]], len(finished)

    def get_n_trials(self, study_id, states=None):
        with self._lock:
            ids = self._studies[study_id]["trial_ids"]
            if states is None:
                return len(ids)
            return sum(self._trials[i].state in states for i in ids)


class _Table(dict):
    """Studies or trials by id: a missing id (a study deleted while a Study
    object still held it) is a ``KeyError`` that says so."""

    def __init__(self, what, *args):
        super().__init__(*args)
        self.what = what

    def __missing__(self, key):
        raise KeyError(f"No {self.what} with id {key!r} in this in-memory storage: it "
                       "was deleted, or never existed.")


_SCALARS = frozenset((str, int, float, bool, type(None)))


def _copied(value):
    """``copy.deepcopy(value)``, without its cost for the values samplers set
    at every trial: a scalar is returned as is (immutable), and a list, tuple
    or dict of scalars is copied one level down (nothing below to share). Any
    other value goes through ``deepcopy``, which keeps shared and cyclic
    references."""
    cls = type(value)
    if cls in _SCALARS:
        return value
    if cls is list or cls is tuple:
        if all(type(v) in _SCALARS for v in value):
            return list(value) if cls is list else value
    elif cls is dict:
        if all(type(k) in _SCALARS and type(v) in _SCALARS for k, v in value.items()):
            return dict(value)
    return copy.deepcopy(value)
