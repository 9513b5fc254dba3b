"""The Study: ask/tell and define-by-run optimisation over a storage."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import dataclasses
import datetime
import math
import numbers
import os
import threading
import time
import uuid
import warnings
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np
from sklearn.utils import check_random_state

from . import _known
from ._params import PARAMETER_CONSTRAINTS
from ._readable import readable_params
from ._trial_log import TrialLog
from ._validation import (
    AnyOf,
    InstanceOf,
    Interval,
    InvalidParameterError,
    IsCallable,
    Options,
    Predicate,
    validate,
)
from .pruners import get_pruner
from .samplers import get_sampler
from .storage import DuplicatedStudyError, get_storage
from .storage._checks import check_name
from .trial import CONSTRAINTS_KEY, FrozenTrial, Trial, TrialPruned, TrialState, best_of

__all__ = ["Study"]

_DIRECTIONS = ("maximize", "minimize")


def _is_directions(value):
    return (not isinstance(value, (str, bytes)) and len(value) > 0
            and all(isinstance(d, str) and d in _DIRECTIONS for d in value))


def _is_catch(value):
    types = value if isinstance(value, (list, tuple)) else (value,)
    return all(isinstance(t, type) and issubclass(t, BaseException) for t in types)


_BOOL = InstanceOf(bool, np.bool_, description="a bool")


def _check_directions(direction, directions):
    """The study's directions as a list, or ``None`` to take the stored ones
    (each argument checked already)."""
    if directions is None:
        return None if direction is None else [direction]
    if direction is not None:
        raise InvalidParameterError(
            f"Give direction or directions, not both (got direction={direction!r}, "
            f"directions={directions!r}).")
    return list(directions)


class Study:
    """A sequence of trials optimising one objective, or several at once.

    Use it define-by-run with :meth:`optimize`, or drive it yourself with
    :meth:`ask` and :meth:`tell`. All of its state is in its ``storage``.

    Parameters
    ----------
    direction : {"minimize", "maximize"} or None, default=None
        Whether smaller or larger objective values are better. ``None``
        attaches to an existing study of ``study_name`` with its stored
        direction and creates a new study as ``"minimize"``, Optuna's default
        (until sksearch 0.1 the default was ``"maximize"``; the searches
        still maximise their scores, as scikit-learn's do).
    sampler : {"tpe", "auto", "gp", "cmaes", "random", "nsga2"}, BaseSampler or None, \
default=None
        Which parameters to try next; ``None`` means ``"auto"``, which
        chooses the GP or TPE by the space
        (:class:`~sksearch.samplers.AutoSampler`; ``"tpe"``, the default
        until sksearch 0.1, is one argument away).
    pruner : str, BasePruner or None, default=None
        When to stop a trial early; ``None`` never prunes.
    storage : None, str or BaseStorage, default=None
        Where trials live; ``None`` keeps them in memory.
    study_name : str or None, default=None
        Name within the storage. If a study of that name exists it is attached
        to (and must have the same directions). ``None`` creates a new name in
        a storage that holds no study yet; in one that does, it is an error
        that lists the studies (give ``study_name``, or see
        :func:`sksearch.load_study`), never a new study beside them.
    random_state : int, RandomState instance or None, default=None
        Seeds a sampler given by name.
    directions : list of {"minimize", "maximize"} or None, default=None
        One direction per objective, for a study of several objectives (the
        objective then returns a tuple of values); give ``direction`` or
        ``directions``, not both.
    constraints_func : callable or None, default=None
        ``constraints_func(frozen_trial) -> sequence of float``, called after
        each COMPLETE trial (``frozen_trial`` holds its values); the trial is
        feasible when every value is <= 0. The values are stored with the
        trial (:attr:`FrozenTrial.constraints`) in the same write as its
        state, and every sampler and :attr:`best_trials` read them. A
        constraint is a property of the problem, so it lives on the study and
        must be passed again when a stored study is resumed.

    Attributes
    ----------
    study_name : str
    directions : list of str
    direction : str
        Of a single-objective study; raises on a study of several objectives.
    sampler : BaseSampler
    pruner : BasePruner
    storage : BaseStorage
        Where the study's trials live (read-only).
    constraints_func : callable or None

    Examples
    --------
    >>> from sksearch import Study
    >>> study = Study(direction="minimize", sampler="random", random_state=0)
    >>> trial = study.ask()
    >>> x = trial.suggest_float("x", -1, 1)
    >>> study.tell(trial, x ** 2).state.name
    'COMPLETE'

    Two objectives, one constraint:

    >>> study = Study(directions=["minimize", "minimize"], sampler="random",
    ...               random_state=0, constraints_func=lambda t: [t.params["x"] - 0.8])
    >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1),
    ...                           1 - t.params["x"]), n_trials=20)
    >>> all(t.is_feasible for t in study.best_trials)
    True
    """

    # A Study has no fit: its arguments are checked when it is built, before
    # any storage is opened (sksearch._validation).
    _parameter_constraints = {
        "direction": AnyOf(Options(*_DIRECTIONS), None),
        "sampler": AnyOf(None, PARAMETER_CONSTRAINTS["sampler"]),
        "pruner": PARAMETER_CONSTRAINTS["pruner"],
        "storage": PARAMETER_CONSTRAINTS["storage"],
        "study_name": PARAMETER_CONSTRAINTS["study_name"],
        "random_state": PARAMETER_CONSTRAINTS["random_state"],
        "directions": AnyOf(None, Predicate(
            "a non-empty list of 'minimize' / 'maximize'", _is_directions,
            invalid=["minimize", [], ["minimize", "up"]])),
        "constraints_func": AnyOf(None, IsCallable()),
    }
    #: What :meth:`optimize` takes.
    _optimize_constraints = {
        "objective": IsCallable(),
        "n_trials": AnyOf(Interval(int, 0), None),
        "timeout": AnyOf(Interval(float, 0, closed="neither"), None),
        "n_jobs": AnyOf(Interval(int, 1), Interval(int, None, -1)),
        "callbacks": PARAMETER_CONSTRAINTS["callbacks"],
        "catch": Predicate("an exception type or a tuple of them", _is_catch,
                           invalid=["x", (ValueError, 1)]),
        "show_progress_bar": _BOOL,
    }

    def __init__(self, direction=None, sampler=None, pruner=None, storage=None,
                 study_name=None, random_state=None, *, directions=None,
                 constraints_func=None):
        validate(self, {"direction": direction, "sampler": sampler, "pruner": pruner,
                        "storage": storage, "study_name": study_name,
                        "random_state": random_state, "directions": directions,
                        "constraints_func": constraints_func})
        directions = _check_directions(direction, directions)
        if study_name is not None:
            # before the storage is opened or read: a name no storage can hold
            check_name(study_name, "study_name")
        self._set_up(sampler, pruner, get_storage(storage), random_state, constraints_func)

        if study_name is None:
            existing = [name for _, name in self._storage.get_all_studies()]
            if existing:
                raise ValueError(
                    f"study_name=None, but this storage holds the studies {existing!r}: "
                    "pass study_name= to attach to one (sksearch.load_study) or to "
                    "create another.")
            study_name = f"sksearch-{uuid.uuid4().hex[:12]}"
        study_id = self._storage.get_study_id(study_name)
        if study_id is None:
            try:
                study_id = self._storage.create_new_study(study_name,
                                                          directions or ["minimize"])
                self._storage.set_study_system_attr(
                    study_id, "sksearch:created", datetime.datetime.now().isoformat())
            except DuplicatedStudyError:
                # another process created it between the lookup and the insert
                study_id = self._storage.get_study_id(study_name)
        if study_id is not None:
            stored = self._storage.get_study_directions(study_id)
            directions = directions or stored
            if stored != directions:
                shown = (f"direction {stored[0]!r}, not {directions[0]!r}"
                         if len(stored) == len(directions) == 1
                         else f"directions {stored!r}, not {directions!r}")
                raise ValueError(
                    f"Study {study_name!r} exists in this storage with {shown}; use "
                    "another study_name."
                )
        self._attach(study_id, study_name, directions)

    def _set_up(self, sampler, pruner, storage, random_state, constraints_func):
        self.sampler = get_sampler(sampler, seed=_seed_from(random_state))
        self.pruner = get_pruner(pruner)
        self.constraints_func = constraints_func
        self._storage = storage
        self._stop_flag = False
        # Samplers keep caches of the history; one lock serialises every call
        # into the sampler (ask, suggest, tell), while objectives run in parallel.
        self._sampler_lock = threading.RLock()

    def _attach(self, study_id, study_name, directions):
        if len(directions) > 1 and not self.sampler.supports_multi_objective:
            raise ValueError(
                f"sampler {self.sampler!r} optimises one objective; a study of "
                f"{len(directions)} objectives needs 'tpe', 'nsga2', 'random' or 'grid'.")
        self.study_name = study_name
        self._directions = list(directions)
        self._study_id = study_id
        self._known = _known.KnownTrials(self._storage, study_id, len(directions))
        # The number whose proposal this process's seeded stream draws next.
        # Its stream starts at trial 0: a process that joins (or resumes) a
        # study holding trials gets another number for its first trial, and
        # so reseeds by that number in ask -- else every process started with
        # one random_state would propose trial 0's point again.
        self._next_number = 0

    @classmethod
    def _existing(cls, storage, study_id, study_name, sampler=None, pruner=None,
                  random_state=None):
        """The Study of the stored study ``study_id`` (called ``study_name``),
        found by id and never created: what readers open, so that a study
        deleted meanwhile is a ``KeyError``, not a new empty study of that name."""
        study = cls.__new__(cls)
        study._set_up(sampler, pruner, storage, random_state, None)
        study._attach(study_id, study_name, storage.get_study_directions(study_id))
        return study

    @property
    def storage(self):
        """The storage the study reads and writes (a
        :class:`~sksearch.storage.BaseStorage`)."""
        return self._storage

    @property
    def directions(self):
        """The direction of each objective, as a list."""
        return list(self._directions)

    @property
    def is_multi_objective(self):
        """Whether the study has more than one objective."""
        return len(self._directions) > 1

    @property
    def direction(self):
        """The direction of a single-objective study."""
        if self.is_multi_objective:
            raise RuntimeError(
                f"Study {self.study_name!r} has {len(self._directions)} objectives "
                f"({self._directions!r}); read study.directions, not study.direction.")
        return self._directions[0]

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_sampler_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._sampler_lock = threading.RLock()

    # -- reading ----------------------------------------------------------------
    @property
    def trials(self):
        """All trials, as :class:`FrozenTrial`, ordered by number."""
        return self.get_trials()

    def get_trials(self, states=None):
        """Trials, optionally only those whose state is in ``states``."""
        if states is not None:
            states = tuple(states)
        return self._storage.get_all_trials(self._study_id, states=states)

    def n_trials(self, states=None):
        """Number of trials, optionally only those whose state is in ``states``
        (cheaper than ``len(get_trials(...))`` on a database)."""
        if states is not None:
            states = tuple(states)
        return self._storage.get_n_trials(self._study_id, states=states)

    def get_trials_finished_since(self, cursor=None):
        """Trials that finished since ``cursor``, and the cursor for the next call.

        Lets a reader keep a table of finished trials and absorb only the new
        ones (see :meth:`sksearch.storage.BaseStorage.get_trials_finished_since`);
        samplers share one such cursor, :attr:`trial_log`.
        """
        return self._storage.get_trials_finished_since(self._study_id, cursor)

    @property
    def identity(self):
        """A value equal for every :class:`Study` that reads this study of this
        storage object."""
        return (self._storage, self._study_id)

    @property
    def trial_log(self):
        """The study's finished trials as its samplers read them: one
        incremental cursor over the storage, and the caches samplers derive
        from it (:class:`sksearch._trial_log.TrialLog`). A pickled study
        carries none of them: they are rebuilt from the storage on demand."""
        log = self.__dict__.get("_trial_log")
        if log is None or not log.reads(self._storage, self._study_id):
            log = self._trial_log = TrialLog(self._storage, self._study_id)
        return log

    def set_trial_system_attr(self, trial, key, value):
        """Store a JSON-serialisable value on ``trial`` (a Trial or FrozenTrial),
        for samplers and searches; users have :meth:`Trial.set_user_attr`."""
        self._storage.set_trial_system_attr(trial.trial_id, key, value)

    def fail_stale_trials(self):
        """Finish the RUNNING trials left by a process that died (see the
        storage's rule): with the outcome they recorded
        (:meth:`record_outcome`) if they had finished, else as FAIL; return
        their numbers."""
        return self._storage.fail_running_trials(self._study_id)

    def _single_objective(self, name):
        if self.is_multi_objective:
            raise RuntimeError(
                f"Study {self.study_name!r} has {len(self._directions)} objectives, so it "
                f"has no single {name}; read study.best_trials (the Pareto front).")

    @property
    def best_trial(self):
        """The feasible complete trial with the best finite value; the earliest
        of equals (see :func:`sksearch.trial.best_of`). Single objective only.
        Prior trials of a warm start (:meth:`add_prior_trials`) are not
        candidates."""
        self._single_objective("best_trial")
        feasible = [t for t in self.get_trials((TrialState.COMPLETE,))
                    if t.is_feasible and not _known.is_warm_start(t)]
        best = best_of(feasible, self.direction)
        if best is None:
            raise ValueError(f"Study {self.study_name!r} has no feasible complete trial yet.")
        return best

    @property
    def best_params(self):
        """Parameters of :attr:`best_trial`, as the user wrote them: a search's
        branch by its label, a stored estimator as ``SVC()`` (see
        :func:`sksearch.studies.readable_params`)."""
        return readable_params(self.best_trial, self.system_attrs)

    @property
    def best_value(self):
        """Objective value of :attr:`best_trial`."""
        return self.best_trial.value

    @property
    def best_trials(self):
        """The Pareto front: the feasible COMPLETE trials that no other feasible
        COMPLETE trial dominates, ordered by number (for one objective, the
        trials of the best value); prior trials of a warm start are not on it."""
        from .multiobjective import pareto_front_trials

        trials = [t for t in self.get_trials((TrialState.COMPLETE,))
                  if t.is_feasible and not _known.is_warm_start(t)]
        return pareto_front_trials(trials, self._directions)

    @property
    def system_attrs(self):
        """The study's system attributes (used by searches and storages)."""
        return self._storage.get_study_system_attrs(self._study_id)

    def set_system_attr(self, key, value):
        """Store a JSON-serialisable value on the study."""
        self._storage.set_study_system_attr(self._study_id, key, value)

    def trials_dataframe(self):
        """One row per trial as a :class:`pandas.DataFrame`.

        Columns: ``number``, ``state``, ``value`` (``values_0``, ``values_1``,
        ... for a study of several objectives; ``values_<metric>``, such as
        ``values_accuracy``, for a search's ``objectives``), ``datetime_start``,
        ``datetime_complete``, ``duration``, one ``params_<name>`` per parameter
        (NaN where a conditional parameter is absent), one
        ``intermediate_<step>`` per reported step, ``user_attrs_<key>``, and,
        when any trial has constraint values, ``constraints_<i>`` and
        ``feasible``.
        """
        from ._dataframe import trials_dataframe

        return trials_dataframe(self.trials, n_objectives=len(self._directions),
                                study_attrs=self.system_attrs)

    # -- known trials (sksearch._known.KnownTrials does the work) -------------------
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
        validate(Study.enqueue_trial, {"skip_if_exists": skip_if_exists},
                 {"skip_if_exists": InstanceOf(bool, description="a bool")})
        encoded = _known.encode_params(params)
        with self._sampler_lock:
            self._known.enqueue(encoded, skip_if_exists)

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
        self._known.check([trial])
        with self._sampler_lock:
            frozen = self._known.add(trial)
            if frozen.number == self._next_number:
                self._next_number = frozen.number + 1
            return frozen

    def add_trials(self, trials):
        """:meth:`add_trial` each of ``trials``, in order (all are checked first)."""
        trials = list(trials)
        self._known.check(trials)
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
        added = _known.prior_copies(self.get_trials(), trials, source)
        self.add_trials(added)
        return len(added)

    # -- ask / tell -------------------------------------------------------------
    def ask(self, fixed_distributions=None):
        """Start a trial and return it.

        Parameters
        ----------
        fixed_distributions : dict of str -> distribution, optional
            Parameters to suggest at once (e.g. a known search space).
        """
        with self._sampler_lock:
            trial_id, number = self._storage.create_new_trial(self._study_id)
            try:
                if number != self._next_number and self.sampler.seed is not None:
                    # Another process sharing the study took the numbers between:
                    # draw from a stream of this trial's own, or processes started
                    # with one random_state would all propose the same candidates.
                    # A process alone keeps its one stream, so it stays reproducible.
                    self.sampler.reseed_rng([int(self.sampler.seed), number])
                self._next_number = number + 1
                enqueued = self._known.take_next()
                if enqueued is not None:
                    self._storage.set_trial_system_attr(trial_id, _known.ENQUEUED_ATTR, True)
                frozen = self._storage.get_trial(trial_id)
                self.sampler.before_trial(self, frozen)
                frozen = self._storage.get_trial(trial_id)
                relative_space = self.sampler.infer_relative_search_space(self, frozen)
                relative = {}
                if relative_space:
                    relative = self.sampler.sample_relative(self, frozen, relative_space) or {}
            except BaseException as exc:
                self._fail_asked_trial(trial_id, exc)
                raise
        trial = Trial(self, trial_id, number, relative_params=relative,
                      storage=self._storage, lock=self._sampler_lock,
                      on_failure=self._fail_asked_trial,
                      fixed_params=None if enqueued is None else _known.fixed_params(enqueued))
        try:
            for name, distribution in (fixed_distributions or {}).items():
                trial.suggest(name, distribution)
        except BaseException as exc:
            self._fail_asked_trial(trial_id, exc)
            raise
        return trial

    def _fail_asked_trial(self, trial_id, exc):
        """Mark FAIL a trial whose asking or sampling raised ``exc`` (Ctrl-C
        included), so that it is not left RUNNING; the caller re-raises."""
        try:
            finished = self._storage.set_trial_state_values(
                trial_id, TrialState.FAIL, system_attrs={"fail_reason": repr(exc)})
            if finished:
                with self._sampler_lock:
                    frozen = self._storage.get_trial(trial_id)
                    self.sampler.after_trial(self, frozen, TrialState.FAIL, None)
        except Exception:  # noqa: BLE001 - the original error is the one to see
            pass

    def tell(self, trial, value=None, state=None, system_attrs=None):
        """Finish a trial.

        Parameters
        ----------
        trial : Trial or int
            The trial, or its number.
        value : float, sequence of float or None
            The objective value; for a study of several objectives, a sequence
            of one value per direction. A missing or non-finite value of a
            trial told COMPLETE turns it into FAIL, with a warning.
        state : TrialState or None
            ``None`` means COMPLETE. A PRUNED trial of one objective without
            ``value`` takes its last intermediate value.
        system_attrs : dict or None, default=None
            JSON-serialisable system attributes stored in the same write as the
            state and value: no reader, and no process killed in between, ever
            sees the trial finished without them or them on a running trial.

        Returns
        -------
        frozen_trial : FrozenTrial

        Notes
        -----
        With a ``constraints_func``, a COMPLETE trial's constraint values are
        computed here and stored in the same write; a ``constraints_func``
        that raises, or returns anything but finite numbers, fails the trial
        and the error is raised.
        """
        trial_id, state, frozen = self._running_trial(trial, state)
        state, values, system_attrs, error = self._final_outcome(frozen, value, state,
                                                                 system_attrs)
        with self._sampler_lock:
            self._storage.set_trial_state_values(trial_id, state, values,
                                                 system_attrs=system_attrs)
            frozen = self._storage.get_trial(trial_id)
            self.sampler.after_trial(self, frozen, state, values)
        if error is not None:
            raise error
        return frozen

    def _running_trial(self, trial, state):
        """``(trial_id, state, frozen)`` of a trial about to be finished in
        ``state`` (``None``: COMPLETE); raises if the state is not a final
        one or the trial is finished already."""
        trial_id = self._resolve_trial_id(trial)
        if state is None:
            state = TrialState.COMPLETE
        if not isinstance(state, TrialState) or state is TrialState.RUNNING:
            raise ValueError(f"state must be COMPLETE, PRUNED or FAIL, got {state!r}.")
        frozen = self._storage.get_trial(trial_id)
        if frozen.state.is_finished():
            raise RuntimeError(
                f"Trial {frozen.number} is already finished ({frozen.state.name})."
            )
        return trial_id, state, frozen

    def _final_outcome(self, frozen, value, state, system_attrs):
        """What telling ``frozen`` ``value`` and ``state`` stores: ``(state,
        values, system_attrs, error)``, with the rules of :meth:`tell` (a
        non-finite COMPLETE value fails, a PRUNED trial takes its last step,
        constraints computed); ``error`` is a ``constraints_func`` failure,
        raised once the trial is stored."""
        if system_attrs is not None and not isinstance(system_attrs, dict):
            raise TypeError(f"system_attrs must be a dict or None, got {system_attrs!r}.")
        state, values = self._told_values(frozen, value, state)
        if state is TrialState.COMPLETE and self.constraints_func is not None:
            return self._with_constraints(frozen, values, system_attrs)
        return state, values, system_attrs, None

    def _told_values(self, frozen, value, state):
        """``(state, values)`` once :meth:`tell`'s rules are applied to the
        told ``value``: a COMPLETE trial's non-finite value fails it; a PRUNED
        trial without a value takes its last step's; only finite values are
        kept."""
        values = self._check_values(value, frozen.number)
        finite = values is not None and all(math.isfinite(v) for v in values)
        if state is TrialState.COMPLETE and not finite:
            shown = value if values is None or len(values) > 1 else values[0]
            warnings.warn(
                f"Trial {frozen.number} finished with value {shown!r}, which is not "
                "a finite number; it is recorded as FAIL.", UserWarning, stacklevel=4,
            )
            return TrialState.FAIL, None
        if (state is TrialState.PRUNED and values is None and frozen.intermediate_values
                and not self.is_multi_objective):
            values = (frozen.intermediate_values[frozen.last_step],)
        if state is TrialState.FAIL or not (
                values is not None and all(math.isfinite(v) for v in values)):
            values = None  # a pruned trial's NaN (failed) last step is no evidence
        return state, values

    def _with_constraints(self, frozen, values, system_attrs):
        """A COMPLETE outcome with its constraint values computed, or a FAIL
        one with the error ``constraints_func`` raised (raised once the trial
        is stored)."""
        try:
            # the trial as it will be stored, attributes told with it included
            constraints = self._constraints_of(dataclasses.replace(
                frozen, state=TrialState.COMPLETE, values=values,
                system_attrs={**frozen.system_attrs, **(system_attrs or {})}))
        except Exception as exc:  # noqa: BLE001 - recorded, then raised
            return (TrialState.FAIL, None, {**(system_attrs or {}), "fail_reason": repr(exc)},
                    exc)
        return (TrialState.COMPLETE, values,
                {**(system_attrs or {}), CONSTRAINTS_KEY: constraints}, None)

    def record_outcome(self, trial, value=None, state=None, system_attrs=None):
        """Record what ``tell(trial, value, state, system_attrs)`` will store,
        for a trial that is finished but told later.

        A search tells its candidates in the order they were asked, so a
        candidate that finished may wait for an older one; if its process is
        killed meanwhile, a persistent storage finishes it with this outcome
        (see :meth:`fail_stale_trials`) instead of failing it. The trial stays
        RUNNING, and nothing else reads the record; :meth:`tell` drops it. An
        in-memory storage records nothing. Arguments as :meth:`tell`.
        """
        trial_id, state, frozen = self._running_trial(trial, state)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # tell warns, once
            state, values, system_attrs, error = self._final_outcome(
                frozen, value, state, system_attrs)
        if error is None:
            self._storage.set_trial_pending_outcome(trial_id, state, values,
                                                    system_attrs=system_attrs)

    def _check_values(self, value, number):
        """``value`` as a tuple of floats, one per objective, or ``None``.

        A number (a numpy scalar or 0-d array included) is one value; a
        sequence or a 1-d array holds one value per objective.
        """
        if value is None:
            return None
        n_objectives = len(self._directions)
        if isinstance(value, (str, bytes)):
            raise TypeError(f"value must be a number or a sequence of numbers, got {value!r} "
                            f"for trial {number}.")
        if isinstance(value, np.ndarray):
            if value.ndim > 1:
                raise ValueError(f"value must be a number or a 1-d sequence of numbers, got an "
                                 f"array of shape {value.shape} for trial {number}.")
            value = value.tolist() if value.ndim == 1 else [value.item()]
        elif isinstance(value, numbers.Real) or not hasattr(value, "__len__"):
            value = [value]
        if len(value) != n_objectives:
            raise ValueError(
                f"value of trial {number} holds {len(value)} value(s) {list(value)!r}; the "
                f"study has {n_objectives} objective(s) {self._directions!r}.")
        checked = []
        for v in value:
            if isinstance(v, (str, bytes)):
                raise TypeError(f"value must hold numbers, got {v!r} for trial {number}.")
            try:
                checked.append(float(v))
            except (TypeError, ValueError) as exc:
                raise TypeError(f"value must hold numbers, got {v!r} for trial {number}."
                                ) from exc
        return tuple(checked)

    def _constraints_of(self, frozen):
        constraints = self.constraints_func(frozen)
        try:
            constraints = [float(c) for c in constraints]
        except (TypeError, ValueError):
            raise TypeError(
                f"constraints_func must return a sequence of numbers, got {constraints!r} "
                f"for trial {frozen.number}.") from None
        if not all(math.isfinite(c) for c in constraints):
            raise ValueError(
                f"constraints_func returned {constraints!r} for trial {frozen.number}; "
                "every constraint value must be finite.")
        return constraints

    def fail_trial(self, trial, exc):
        """Finish ``trial`` as FAIL because of ``exc``, recorded in its
        ``fail_reason`` system attribute; a trial that has already finished
        is left as it is (a failure inside :meth:`Trial.suggest` fails its
        trial at once).

        Parameters
        ----------
        trial : Trial, FrozenTrial or int
            The trial, or its number.
        exc : BaseException
            What stopped it (``KeyboardInterrupt`` included).

        Returns
        -------
        frozen_trial : FrozenTrial
        """
        trial_id = self._resolve_trial_id(trial)
        frozen = self._storage.get_trial(trial_id)
        if frozen.state.is_finished():
            return frozen
        return self.tell(trial, state=TrialState.FAIL, system_attrs={"fail_reason": repr(exc)})

    def _resolve_trial_id(self, trial):
        if isinstance(trial, (Trial, FrozenTrial)):
            return trial.trial_id
        if isinstance(trial, numbers.Integral):
            trials = self.get_trials()
            if not 0 <= trial < len(trials):
                raise ValueError(f"No trial number {trial} in study {self.study_name!r}.")
            return trials[trial].trial_id
        raise TypeError(f"trial must be a Trial or a trial number, got {trial!r}.")

    # -- optimize ---------------------------------------------------------------
    def stop(self):
        """Ask a running :meth:`optimize` (or search) to start no new trial."""
        self._stop_flag = True

    @property
    def stop_requested(self):
        """Whether :meth:`stop` was called since the current run started."""
        return self._stop_flag

    def clear_stop(self):
        """Forget an earlier :meth:`stop`: called when a run starts."""
        self._stop_flag = False

    def optimize(self, objective, n_trials=None, timeout=None, n_jobs=1,
                 callbacks=None, catch=(), show_progress_bar=False):
        """Run ``objective(trial) -> float`` (a tuple of floats for several
        objectives) for many trials.

        Parameters
        ----------
        objective : callable
            Suggests parameters through the trial and returns the value (one
            per direction); may ``raise TrialPruned()``.
        n_trials : int or None, default=None
            Number of trials to run now; ``None`` runs until ``timeout``, a
            :meth:`stop`, or a finite sampler's exhaustion.
        timeout : float or None, default=None
            Start no trial after this many seconds.
        n_jobs : int, default=1
            Trials run at once, in threads (``-1``: one per CPU). Objectives that
            release the GIL, as most estimators' fits do, run in parallel.
        callbacks : list of callable, optional
            Each is called as ``callback(study, frozen_trial)`` after every trial.
        catch : tuple of exception types, default=()
            Exceptions recorded as FAIL and carried on from; any other stops
            the optimisation after recording the trial as FAIL.
        show_progress_bar : bool, default=False
            Show trials done out of ``n_trials``, the elapsed time and the
            best value: with ``rich`` when it is installed, else ``tqdm``,
            else one plain line per trial on stderr.
        """
        validate(Study.optimize, {
            "objective": objective, "n_trials": n_trials, "timeout": timeout,
            "n_jobs": n_jobs, "callbacks": callbacks, "catch": catch,
            "show_progress_bar": show_progress_bar}, self._optimize_constraints)
        if n_trials is None and timeout is None and self.sampler.n_points is None:
            raise InvalidParameterError(
                "Give n_trials or timeout, or optimize would never end.")
        catch = tuple(catch) if isinstance(catch, (list, tuple)) else (catch,)
        callbacks = list(callbacks or [])
        self.clear_stop()
        deadline = None if timeout is None else time.monotonic() + timeout
        if n_jobs < 0:
            n_jobs = max(1, (os.cpu_count() or 1) + 1 + n_jobs)

        def may_start(started):
            return not (
                self.stop_requested
                or (n_trials is not None and started >= n_trials)
                or (deadline is not None and time.monotonic() >= deadline)
                or self.sampler.is_exhausted(self)
            )

        progress = None
        if show_progress_bar:
            from ._progress import open_progress

            progress = open_progress(
                n_trials, None if self.is_multi_objective else self.direction)

        def run_one():
            frozen = self._run_trial(objective, catch)
            if progress is not None:
                progress.update(frozen)
            for callback in callbacks:
                callback(self, frozen)
            return frozen

        try:
            self._run_trials(run_one, may_start, n_jobs)
        finally:
            if progress is not None:
                progress.close()

    @staticmethod
    def _run_trials(run_one, may_start, n_jobs):
        started = 0
        if n_jobs == 1:
            while may_start(started):
                started += 1
                run_one()
            return
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            running = set()
            while True:
                while len(running) < n_jobs and may_start(started):
                    started += 1
                    running.add(pool.submit(run_one))
                if not running:
                    break
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # re-raise an objective's uncaught error

    def _run_trial(self, objective, catch):
        trial = self.ask()
        try:
            value = objective(trial)
        except TrialPruned:
            return self.tell(trial, state=TrialState.PRUNED)
        except catch as exc:
            warnings.warn(
                f"Trial {trial.number} failed with {type(exc).__name__}: {exc}",
                UserWarning, stacklevel=3,
            )
            return self.fail_trial(trial, exc)
        except BaseException as exc:
            # Record the failure (KeyboardInterrupt included) before leaving, so
            # no trial is left RUNNING in the storage.
            self.fail_trial(trial, exc)
            raise
        try:
            values = self._check_values(value, trial.number)
        except (TypeError, ValueError) as exc:
            problem = "not a number" if isinstance(exc, TypeError) else str(exc)
            warnings.warn(f"Trial {trial.number} returned {value!r}, {problem}; "
                          "recorded as FAIL.", UserWarning, stacklevel=3)
            return self.tell(trial, state=TrialState.FAIL)
        if values is None or not all(math.isfinite(v) for v in values):
            warnings.warn(
                f"Trial {trial.number} returned {value!r}; recorded as FAIL.",
                UserWarning, stacklevel=3,
            )
            return self.tell(trial, state=TrialState.FAIL)
        return self.tell(trial, values)

    def __repr__(self):
        shown = (f"directions={self._directions!r}" if self.is_multi_objective
                 else f"direction={self.direction!r}")
        return (f"Study(study_name={self.study_name!r}, {shown}, "
                f"sampler={self.sampler!r}, n_trials={len(self.trials)})")


def _seed_from(random_state):
    """An int seed for a numpy Generator from a sklearn-style random_state."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(0, 2**31 - 1))
