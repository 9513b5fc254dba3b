"""The storage interface, for every storage, and what only SQLite can do."""

import datetime
import math
import os
import pickle
import subprocess
import sys
import textwrap
import threading

import pytest
from sklearn.svm import SVC

from sksearch import Study, TrialState
from sksearch.distributions import Categorical, Float, Int
from sksearch.storage import (
    DuplicatedStudyError,
    InMemoryStorage,
    SQLiteStorage,
    get_storage,
)

# The contract runs on every storage: the ``storage`` fixture of conftest.py.


def test_studies(storage):
    study_id = storage.create_new_study("a", ["maximize"])
    assert storage.get_study_id("a") == study_id
    assert storage.get_study_id("b") is None
    assert storage.get_all_studies() == [(study_id, "a")]
    other = storage.create_new_study("b", ["minimize"])
    assert storage.get_all_studies() == [(study_id, "a"), (other, "b")]
    assert storage.get_study_directions(study_id) == ["maximize"]
    with pytest.raises(DuplicatedStudyError):
        storage.create_new_study("a", ["minimize"])
    storage.set_study_system_attr(study_id, "k", {"x": [1, 2]})
    assert storage.get_study_system_attrs(study_id) == {"k": {"x": [1, 2]}}


def test_trial_lifecycle_and_round_trips(storage):
    study_id = storage.create_new_study("s", ["minimize"])
    ids = [storage.create_new_trial(study_id) for _ in range(3)]
    assert [number for _, number in ids] == [0, 1, 2]
    trial_id = ids[0][0]
    svc = SVC(C=3.0)
    dists = {"f": Float(1e-3, 1.0, log=True), "i": Int(0, 10, step=2),
             "c": Categorical(["a", None, 2.5]), "e": Categorical([svc, "passthrough"])}
    values = {"f": 0.01, "i": 4.0, "c": 1.0, "e": 0.0}
    storage.register_distributions(dists)
    for name, dist in dists.items():
        storage.set_trial_param(trial_id, name, values[name], dist)
    storage.set_trial_intermediate_value(trial_id, 0, 0.5)
    storage.set_trial_intermediate_value(trial_id, 1, float("nan"))
    storage.set_trial_user_attr(trial_id, "note", "hi")
    storage.set_trial_system_attr(trial_id, "folds", [None, {"fit_time": 0.1}])
    assert storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [0.25])
    assert not storage.set_trial_state_values(trial_id, TrialState.FAIL)
    with pytest.raises(RuntimeError, match="already finished"):
        storage.set_trial_param(trial_id, "late", 0.0, Float(0, 1))

    trial = storage.get_trial(trial_id)
    assert trial.state is TrialState.COMPLETE and trial.value == 0.25
    assert trial.params["e"] is svc  # the live object, never a copy from the file
    assert trial.params["c"] is None and trial.params["i"] == 4 and trial.params["f"] == 0.01
    assert trial.intermediate_values[0] == 0.5 and math.isnan(trial.intermediate_values[1])
    assert trial.user_attrs == {"note": "hi"}
    assert trial.system_attrs["folds"] == [None, {"fit_time": 0.1}]
    assert isinstance(trial.datetime_start, datetime.datetime)
    assert trial.datetime_complete >= trial.datetime_start
    assert [t.number for t in storage.get_all_trials(study_id)] == [0, 1, 2]
    assert [t.number for t in storage.get_all_trials(
        study_id, states=(TrialState.RUNNING,))] == [1, 2]
    assert storage.get_n_trials(study_id, (TrialState.COMPLETE,)) == 1
    with pytest.raises(ValueError, match="RUNNING"):
        storage.set_trial_state_values(ids[1][0], TrialState.RUNNING)


def test_study_optimize_threads_share_one_storage(storage):
    study = Study(storage=storage, sampler="random", random_state=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=24, n_jobs=4)
    trials = study.trials
    assert [t.number for t in trials] == list(range(24))
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_storage_pickles(storage):
    study = Study(storage=storage, study_name="p", sampler="random", random_state=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    copy = pickle.loads(pickle.dumps(storage))
    assert len(copy.get_all_trials(copy.get_study_id("p"))) == 3


def test_get_storage_urls(tmp_path):
    assert isinstance(get_storage(None), InMemoryStorage)
    path = tmp_path / "x.db"
    assert get_storage(f"sqlite:///{path}").path == str(path)
    assert get_storage(str(path)).path == str(path)
    assert get_storage(path).path == str(path)
    with pytest.raises(ValueError, match="scheme 'mysql' is not supported"):
        get_storage("mysql://host/db")
    with pytest.raises(TypeError, match="The 'storage' parameter of get_storage must be"):
        get_storage(3)


def test_reader_without_live_objects_sees_reprs(tmp_path):
    path = tmp_path / "s.db"
    study = Study(storage=SQLiteStorage(path), study_name="s", sampler="random")
    trial = study.ask()
    trial.suggest_categorical("est", [SVC(C=2.0), "passthrough"])
    study.tell(trial, 1.0)
    fresh = Study(storage=SQLiteStorage(path), study_name="s")
    value = fresh.trials[0].params["est"]
    assert value in ("SVC(C=2.0)", "'passthrough'")


SCRIPT = textwrap.dedent("""
    import sys, time
    from sksearch import Study
    from sksearch.storage import SQLiteStorage
    path, n_trials, sleep = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    study = Study(storage=SQLiteStorage(path), study_name="shared", sampler="random")
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        time.sleep(sleep)
        return x
    study.optimize(objective, n_trials=n_trials)
""")


def _run(tmp_path, *args, wait=True):
    script = tmp_path / "worker.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, str(script), *map(str, args)], env=env)
    if wait:
        assert process.wait(timeout=120) == 0
    return process


def test_two_processes_share_one_study(tmp_path):
    path = tmp_path / "shared.db"
    Study(storage=SQLiteStorage(path), study_name="shared")
    processes = [_run(tmp_path, path, 15, 0.01, wait=False) for _ in range(2)]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    trials = Study(storage=SQLiteStorage(path), study_name="shared").trials
    assert sorted(t.number for t in trials) == list(range(30))
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_sigkill_leaves_completed_trials_and_stale_one_is_failed(tmp_path):
    import signal
    import time

    path = tmp_path / "killed.db"
    Study(storage=SQLiteStorage(path), study_name="shared")
    process = _run(tmp_path, path, 1000, 0.05, wait=False)
    storage = SQLiteStorage(path)
    study_id = storage.get_study_id("shared")
    deadline = time.monotonic() + 60
    while storage.get_n_trials(study_id, (TrialState.COMPLETE,)) < 5:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    trials = storage.get_all_trials(study_id)
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert len(complete) >= 5
    assert len({t.number for t in trials}) == len(trials)
    running = [t.number for t in trials if t.state is TrialState.RUNNING]
    assert storage.fail_running_trials(study_id) == running
    assert not storage.get_all_trials(study_id, (TrialState.RUNNING,))
    # a live process's running trial is not touched
    live = Study(storage=storage, study_name="shared").ask()
    assert storage.fail_running_trials(study_id) == []
    assert storage.get_trial(live.trial_id).state is TrialState.RUNNING


def test_thread_writes_while_another_reads(tmp_path):
    storage = SQLiteStorage(tmp_path / "t.db")
    study = Study(storage=storage, sampler="random", random_state=0)
    errors = []

    def reader():
        try:
            for _ in range(50):
                assert isinstance(study.trials, list)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=30, n_jobs=2)
    thread.join()
    assert not errors


def _finish(storage, trial_id, state=TrialState.COMPLETE, value=1.0):
    assert storage.set_trial_state_values(trial_id, state, None if state is TrialState.FAIL
                                          else [value])


def test_trials_finished_since_returns_each_finish_once(storage):
    study_id = storage.create_new_study("s", ["minimize"])
    other = storage.create_new_study("other", ["minimize"])
    ids = [storage.create_new_trial(study_id)[0] for _ in range(4)]
    storage.create_new_trial(other)
    assert storage.get_trials_finished_since(study_id)[0] == []
    _finish(storage, ids[2])
    _finish(storage, ids[0], TrialState.FAIL)
    trials, cursor = storage.get_trials_finished_since(study_id)
    assert sorted(t.trial_id for t in trials) == [ids[0], ids[2]]
    assert {t.state for t in trials} == {TrialState.COMPLETE, TrialState.FAIL}
    assert storage.get_trials_finished_since(study_id, cursor)[0] == []
    _finish(storage, ids[3], TrialState.PRUNED, 0.5)
    _finish(storage, storage.get_all_trials(other)[0].trial_id)  # another study's
    trials, cursor = storage.get_trials_finished_since(study_id, cursor)
    assert [(t.trial_id, t.state, t.value) for t in trials] == [
        (ids[3], TrialState.PRUNED, 0.5)]
    assert storage.get_trials_finished_since(study_id, cursor) == ([], cursor)
    # the base class's fallback (for other storages) agrees
    from sksearch.storage import BaseStorage

    trials, seen = BaseStorage.get_trials_finished_since(storage, study_id)
    assert sorted(t.trial_id for t in trials) == [ids[0], ids[2], ids[3]]
    _finish(storage, ids[1])
    trials, _ = BaseStorage.get_trials_finished_since(storage, study_id, seen)
    assert [t.trial_id for t in trials] == [ids[1]]


def test_running_trials_read_in_number_order_after_finishes(storage):
    study_id = storage.create_new_study("s", ["minimize"])
    ids = [storage.create_new_trial(study_id)[0] for _ in range(5)]
    _finish(storage, ids[1])
    _finish(storage, ids[3])
    running = storage.get_all_trials(study_id, states=(TrialState.RUNNING,))
    assert [t.number for t in running] == [0, 2, 4]


def test_sqlite_finish_log_is_shared_and_survives_an_old_file(tmp_path):
    path = tmp_path / "log.db"
    first, second = SQLiteStorage(path), SQLiteStorage(path)
    study_id = first.create_new_study("s", ["minimize"])
    ids = [first.create_new_trial(study_id)[0] for _ in range(3)]
    _finish(first, ids[0])
    trials, cursor = second.get_trials_finished_since(study_id)
    assert [t.trial_id for t in trials] == [ids[0]]
    _finish(first, ids[2])  # finished by another connection (process)
    trials, cursor = second.get_trials_finished_since(study_id, cursor)
    assert [t.trial_id for t in trials] == [ids[2]]
    # a file written before the finish log existed: a read from the start
    # still finds every finished trial, by state
    first._retry(lambda: first._connection().execute("DELETE FROM trial_finish_log"))
    trials, cursor = SQLiteStorage(path).get_trials_finished_since(study_id)
    assert sorted(t.trial_id for t in trials) == [ids[0], ids[2]]


def test_in_memory_storage_pickled_before_the_finish_log():
    storage = InMemoryStorage()
    study_id = storage.create_new_study("s", ["minimize"])
    ids = [storage.create_new_trial(study_id)[0] for _ in range(3)]
    _finish(storage, ids[1])
    state = pickle.loads(pickle.dumps(storage)).__getstate__()
    for study in state["_studies"].values():
        del study["finished"], study["running"]
    old = InMemoryStorage.__new__(InMemoryStorage)
    old.__setstate__(state)
    trials, _ = old.get_trials_finished_since(study_id)
    assert [t.trial_id for t in trials] == [ids[1]]
    assert [t.number for t in old.get_all_trials(study_id, (TrialState.RUNNING,))] == [0, 2]


def test_a_deleted_study_says_so_when_its_study_object_is_used_again(storage):
    study = Study(storage=storage, study_name="gone", direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    running = study.ask()
    storage.delete_study(study._study_id)
    with pytest.raises(KeyError, match="No study with id .*deleted"):
        study.ask()
    with pytest.raises(KeyError, match="No trial with id"):
        study.tell(running, 1.0)
    assert storage.get_study_id("gone") is None
