"""The studies of a storage: list, load, delete and copy them, and read them
as the user wrote their parameters.

The functions take Optuna's keyword arguments, so a script that manages
Optuna studies reads the same here::

    sksearch.list_studies("sqlite:///search.db")
    study = sksearch.load_study(study_name="...", storage="sqlite:///search.db")
    sksearch.copy_study(from_study_name="...", from_storage="sqlite:///search.db",
                        to_storage="sqlite:///archive.db")
    sksearch.delete_study(study_name="...", storage="sqlite:///search.db")
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from ._known import is_warm_start
from ._readable import readable_params
from ._validation import AnyOf, InstanceOf, validate
from .storage import STORAGE_CONSTRAINT, BaseStorage, DuplicatedStudyError, get_storage
from .study import Study
from .trial import TrialState, best_of

__all__ = ["copy_study", "delete_study", "list_studies", "load_study", "readable_params"]

#: Study system attribute where a search keeps a label per branch of a
#: list-of-dicts space (the estimator it holds, or its parameter names).
#: Study system attribute: when the study was created (ISO time).
CREATED_ATTR = "sksearch:created"

# What the functions' arguments accept, checked before any storage is opened
# (sksearch._validation); sampler, pruner and random_state as a Study's.
_NAME = AnyOf(None, InstanceOf(str, description="a str"))
_CONSTRAINTS = {
    "study_name": _NAME, "from_study_name": _NAME, "to_study_name": _NAME,
    "storage": STORAGE_CONSTRAINT, "from_storage": STORAGE_CONSTRAINT,
    "to_storage": STORAGE_CONSTRAINT,
    **{name: Study._parameter_constraints[name]
       for name in ("sampler", "pruner", "random_state")},
}



def _study_id(storage, study_name, what="study_name"):
    """The id of ``study_name`` in ``storage``; a KeyError naming the studies
    there when it is missing. ``None`` names the only study of the storage."""
    studies = storage.get_all_studies()
    names = [name for _, name in studies]
    if study_name is None:
        if len(studies) == 1:
            return studies[0]
        raise ValueError(f"{what}=None names a study only in a storage holding exactly "
                         f"one; this one holds {names!r}.")
    study_id = storage.get_study_id(study_name)
    if study_id is None:
        raise KeyError(f"No study named {study_name!r} in this storage; it holds "
                       f"{names!r}." if names else
                       f"No study named {study_name!r}: this storage holds no study.")
    return study_id, study_name


def load_study(*, study_name, storage, sampler=None, pruner=None, random_state=None):
    """Attach to a study that exists in ``storage``.

    Parameters
    ----------
    study_name : str or None
        ``None`` loads the only study of a storage that holds one.
    storage : str, path or BaseStorage
    sampler, pruner, random_state
        As in :class:`~sksearch.Study`, for trials asked from now on.

    Returns
    -------
    study : Study

    Raises
    ------
    KeyError
        When there is no such study; the message lists those there are.
    StorageError
        For a missing or empty file or database, one sksearch did not write,
        or one of an older schema: loading creates and migrates nothing.

    Notes
    -----
    Loading writes nothing: a storage given as a URL or path is opened
    read-only, and the study is found by its id, never created. The Study
    returned may still write (ask, tell, optimize): its first write reopens
    the storage for writing (for SQLite, that is when a file in rollback
    journal mode is switched to WAL). A storage object is used as it was
    opened.

    Examples
    --------
    >>> from sksearch import Study, load_study
    >>> from sksearch.storage import InMemoryStorage
    >>> storage = InMemoryStorage()
    >>> _ = Study(storage=storage, study_name="first")
    >>> load_study(study_name="first", storage=storage).study_name
    'first'
    >>> load_study(study_name="second", storage=storage)
    Traceback (most recent call last):
    ...
    KeyError: "No study named 'second' in this storage; it holds ['first']."
    """
    validate(load_study, {"study_name": study_name, "storage": storage, "sampler": sampler,
                          "pruner": pruner, "random_state": random_state}, _CONSTRAINTS)
    opened = not isinstance(storage, BaseStorage)
    storage = get_storage(storage, read_only=True)
    study_id, name = _study_id(storage, study_name)
    study = Study._existing(storage, study_id, name, sampler=sampler, pruner=pruner,
                            random_state=random_state)
    if opened:
        storage.defer_writes()
    return study


def delete_study(*, study_name, storage):
    """Remove a study and all its trials from ``storage``, in one transaction.

    Raises KeyError, listing the studies there are, when there is no such study.

    Examples
    --------
    >>> from sksearch import Study, delete_study, list_studies
    >>> from sksearch.storage import InMemoryStorage
    >>> storage = InMemoryStorage()
    >>> _ = Study(storage=storage, study_name="old")
    >>> delete_study(study_name="old", storage=storage)
    >>> len(list_studies(storage))
    0
    """
    validate(delete_study, {"study_name": study_name, "storage": storage}, _CONSTRAINTS)
    storage = get_storage(storage)
    study_id, _ = _study_id(storage, study_name)
    storage.delete_study(study_id)


def copy_study(*, from_study_name, from_storage, to_storage, to_study_name=None):
    """Copy a study, its system attributes and its finished trials (with their
    times, attributes and fold records) to another storage.

    Trials still running are not copied. A search can resume the copy: its
    data and space fingerprints travel with it.

    Parameters
    ----------
    from_study_name : str
    from_storage, to_storage : str, path or BaseStorage
    to_study_name : str or None, default=None
        ``None`` keeps the name.

    Returns
    -------
    study : Study
        The copy.

    Examples
    --------
    >>> from sksearch import Study, copy_study
    >>> from sksearch.storage import InMemoryStorage
    >>> source, archive = InMemoryStorage(), InMemoryStorage()
    >>> study = Study(storage=source, study_name="s", sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> copy = copy_study(from_study_name="s", from_storage=source, to_storage=archive)
    >>> [t.params for t in copy.trials] == [t.params for t in study.trials]
    True
    """
    validate(copy_study, {"from_study_name": from_study_name, "from_storage": from_storage,
                          "to_storage": to_storage, "to_study_name": to_study_name},
             _CONSTRAINTS)
    source = get_storage(from_storage, read_only=True)
    target = get_storage(to_storage)
    source_id, name = _study_id(source, from_study_name, "from_study_name")
    name = name if to_study_name is None else to_study_name
    if target.get_study_id(name) is not None:
        raise DuplicatedStudyError(
            f"The destination storage already holds a study named {name!r}; pass another "
            "to_study_name (or delete_study it first).")
    target_id = target.create_new_study(name, source.get_study_directions(source_id))
    for key, value in source.get_study_system_attrs(source_id).items():
        target.set_study_system_attr(target_id, key, value)
    finished = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
    for trial in source.get_all_trials(source_id, states=finished):
        target.create_finished_trial(target_id, trial)
    return Study(storage=target, study_name=name)


def list_studies(storage):
    """The studies of ``storage`` as a :class:`pandas.DataFrame`, one row each.

    Reads only: a URL or path is opened read-only (see
    :func:`~sksearch.storage.get_storage`).

    Columns: ``name``, ``direction``, ``n_trials``, one ``n_<state>`` per
    trial state (complete, pruned, fail, running), ``best_value`` (NaN
    without a complete trial), ``created`` and ``last_updated``
    (:class:`datetime.datetime`; ``created`` is the first trial's start for
    studies made before sksearch recorded it).

    Examples
    --------
    >>> from sksearch import Study, list_studies
    >>> from sksearch.storage import InMemoryStorage
    >>> storage = InMemoryStorage()
    >>> study = Study(direction="maximize", storage=storage, study_name="s",
    ...               sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    >>> list_studies(storage)[["name", "direction", "n_trials", "n_complete"]]
      name direction  n_trials  n_complete
    0    s  maximize         4           4
    """
    import datetime

    import pandas as pd

    validate(list_studies, {"storage": storage}, _CONSTRAINTS)
    storage = get_storage(storage, read_only=True)
    rows = []
    for study_id, name in storage.get_all_studies():
        try:
            directions = storage.get_study_directions(study_id)
        except KeyError:
            continue  # deleted since it was listed
        trials = [t for t in storage.get_all_trials(study_id) if not is_warm_start(t)]
        # several objectives have a front, not a best value
        best = best_of(trials, directions[0]) if len(directions) == 1 else None
        direction = ", ".join(directions)
        times = [t for trial in trials for t in (trial.datetime_start, trial.datetime_complete)
                 if t is not None]
        created = storage.get_study_system_attrs(study_id).get(CREATED_ATTR)
        created = (datetime.datetime.fromisoformat(created) if isinstance(created, str)
                   else min(times, default=None))
        row = {"name": name, "direction": direction, "n_trials": len(trials)}
        for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL,
                      TrialState.RUNNING):
            row[f"n_{state.name.lower()}"] = sum(t.state is state for t in trials)
        row["best_value"] = float("nan") if best is None else best.value
        row["created"] = created
        row["last_updated"] = max(times, default=created)
        rows.append(row)
    columns = ["name", "direction", "n_trials", "n_complete", "n_pruned", "n_fail",
               "n_running", "best_value", "created", "last_updated"]
    return pd.DataFrame(rows, columns=columns)
