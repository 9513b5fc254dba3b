"""The PostgreSQL storage on a real, throwaway server (tests/_postgres.py):
URLs and errors, concurrency across connections and processes, a worker
killed with SIGKILL, and a server restart in the middle of a search.

The storage contract suite runs on it too (tests/test_storage.py). Without the
server binaries these tests skip: apt-get install postgresql, and
pip install 'sksearch[postgres]'.
"""

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from sksearch import Study, TrialState
from sksearch.distributions import Float
from sksearch.storage import (
    CorruptStorageError,
    PostgreSQLStorage,
    StorageError,
    get_storage,
)

psycopg = pytest.importorskip("psycopg", reason="pip install 'sksearch[postgres]'")


def _sql(url, statement, args=None):
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement, args)
        return cursor.fetchall() if cursor.description else None


# -- URLs and errors -------------------------------------------------------------------

def test_password_and_socket_urls_open_the_same_database(postgres_server):
    name = postgres_server.create_database()
    storage = get_storage(postgres_server.url(name))
    assert isinstance(storage, PostgreSQLStorage)
    study = Study(storage=storage, study_name="s", sampler="random", random_state=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    other = get_storage(postgres_server.socket_url(name))
    assert [t.params for t in Study(storage=other, study_name="s").trials] == [
        t.params for t in study.trials]
    assert _sql(postgres_server.url(name), "SELECT value FROM sksearch_meta WHERE key = "
                "'schema_version'") == [("2",)]


def test_an_unreachable_server_is_named_without_the_password(postgres_server):
    with socket_closed() as port:
        url = f"postgresql://alice:hunter2secret@127.0.0.1:{port}/studies"
        with pytest.raises(StorageError) as info:
            get_storage(url)
    message = str(info.value)
    assert "'studies' on 127.0.0.1:" in message and "Cannot connect" in message
    assert "hunter2secret" not in message
    wrong = postgres_server.url("postgres").replace(":s3cret-pw@", ":not-the-pw@")
    with pytest.raises(StorageError, match="password authentication failed") as info:
        get_storage(wrong)
    assert "not-the-pw" not in str(info.value)


class socket_closed:
    """A local port nothing listens on."""

    def __enter__(self):
        import socket

        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        return port

    def __exit__(self, *exc):
        return False


def test_an_invalid_url_is_named_without_the_password():
    with pytest.raises(ValueError, match=r"'postgresql://u:\*\*\*@h/db\?nope=1' is not a "
                       "valid connection URL") as info:
        get_storage("postgresql://u:topsecret@h/db?nope=1")
    assert "topsecret" not in str(info.value)


def test_a_missing_driver_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'sksearch\[postgres\]'"):
        get_storage("postgresql://localhost/db")


def test_a_database_of_another_program_is_refused_untouched(postgres_url):
    _sql(postgres_url, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(StorageError, match="another program.*customers"):
        PostgreSQLStorage(postgres_url)
    assert _sql(postgres_url, "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema = 'public'") == [("customers",)]


def test_a_newer_schema_is_refused(postgres_url):
    PostgreSQLStorage(postgres_url)
    _sql(postgres_url, "UPDATE sksearch_meta SET value = '99'")
    with pytest.raises(StorageError, match="newer sksearch"):
        PostgreSQLStorage(postgres_url)


def test_values_are_checked_when_read(postgres_url):
    study = Study(storage=postgres_url, study_name="s", sampler="random")
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, 0.5)
    _sql(postgres_url, "UPDATE trial_params SET internal = 1.5")
    with pytest.raises(CorruptStorageError, match=r"study 's', trial 0, column "
                       r"trial_params.internal of parameter 'x'.*is not in Float"):
        _ = Study(storage=postgres_url, study_name="s").trials
    _sql(postgres_url, "UPDATE trial_objective_values SET value = 'NaN'")
    with pytest.raises(CorruptStorageError, match="trial_objective_values.value"):
        _ = PostgreSQLStorage(postgres_url).get_all_trials(1)


# -- concurrency -----------------------------------------------------------------------

def test_concurrent_creators_on_their_own_connections_get_distinct_numbers(postgres_url):
    study_id = PostgreSQLStorage(postgres_url).create_new_study("s", ["minimize"])
    storages = [PostgreSQLStorage(postgres_url) for _ in range(8)]
    numbers, start = [], threading.Barrier(len(storages))

    def create(storage):
        start.wait()
        for _ in range(15):
            trial_id, number = storage.create_new_trial(study_id)
            storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [float(number)])
            numbers.append(number)

    threads = [threading.Thread(target=create, args=(s,)) for s in storages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(120))
    # every finish is in the log once: a cursor read from the start sees all
    trials, _ = storages[0].get_trials_finished_since(study_id)
    assert sorted(t.number for t in trials) == list(range(120))


SEARCH = textwrap.dedent("""
    import os, sys, time
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier
    from sksearch import BayesSearchCV
    from sksearch.distributions import Float

    class Slow(DecisionTreeClassifier):
        def fit(self, X, y):
            # once the file argv[4] exists, every fit hangs (to be killed in one)
            hang = len(sys.argv) > 4 and os.path.exists(sys.argv[4])
            time.sleep(300 if hang else float(sys.argv[3]))
            return super().fit(X, y)

    X, y = load_iris(return_X_y=True)
    BayesSearchCV(Slow(random_state=0), {"min_impurity_decrease": Float(0, 0.5)},
                  n_iter=int(sys.argv[2]), cv=2, random_state=0, storage=sys.argv[1],
                  study_name="shared", sampler="random", refit=False).fit(X, y)
""")


def _start(tmp_path, script, *args):
    path = tmp_path / "script.py"
    path.write_text(script)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.Popen([sys.executable, str(path), *map(str, args)], env=env)


def _wait_for_complete(storage, n, process, running=False, timeout=120):
    """Wait until the study has ``n`` complete trials (and, with ``running``,
    a trial running); return its id."""
    deadline = time.monotonic() + timeout
    while True:
        assert time.monotonic() < deadline and process.poll() is None
        study_id = storage.get_study_id("shared")
        if study_id is not None and storage.get_n_trials(
                study_id, (TrialState.COMPLETE,)) >= n and (not running or storage.get_n_trials(
                    study_id, (TrialState.RUNNING,))):
            return study_id
        time.sleep(0.01)


def test_eight_processes_share_one_study_and_its_budget(tmp_path, postgres_url):
    n_iter, n_processes = 16, 8
    processes = [_start(tmp_path, SEARCH, postgres_url, n_iter, 0.01)
                 for _ in range(n_processes)]
    assert [p.wait(timeout=300) for p in processes] == [0] * n_processes
    storage = PostgreSQLStorage(postgres_url)
    trials = storage.get_all_trials(storage.get_study_id("shared"))
    numbers = [t.number for t in trials]
    assert len(set(numbers)) == len(numbers)  # 0 duplicates
    assert numbers == list(range(len(trials)))  # none lost
    assert all(t.state is TrialState.COMPLETE for t in trials)
    # each process stops at the study's budget; at most one candidate per
    # process starts in the same instant as the last of the budget
    assert n_iter <= len(trials) <= n_iter + n_processes


def test_a_killed_worker_is_failed_by_the_heartbeat_rule_and_the_search_resumes(
        tmp_path, postgres_url):
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    from sksearch import BayesSearchCV

    hang = tmp_path / "hang"
    process = _start(tmp_path, SEARCH, postgres_url, 200, 0.02, hang)
    storage = PostgreSQLStorage(postgres_url)
    _wait_for_complete(storage, 4, process)
    hang.touch()  # the next fit hangs: the worker is killed inside a trial
    time.sleep(0.5)
    study_id = _wait_for_complete(storage, 4, process, running=True)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    trials = storage.get_all_trials(study_id)
    before = {t.number: t.value for t in trials if t.state is TrialState.COMPLETE}
    running = [t.number for t in trials if t.state is TrialState.RUNNING]
    assert len(before) >= 4 and len(running) == 1  # killed in the middle of a trial

    class Slow(DecisionTreeClassifier):  # the killed script's class name: same fingerprint
        pass

    X, y = load_iris(return_X_y=True)
    resumed = BayesSearchCV(Slow(random_state=0), {"min_impurity_decrease": Float(0, 0.5)},
                            n_iter=len(before) + 2, cv=2, random_state=0, sampler="random",
                            refit=False, storage=postgres_url, study_name="shared").fit(X, y)
    trials = resumed.study_.trials
    killed = trials[running[0]]
    assert killed.state is TrialState.FAIL
    assert killed.system_attrs["fail_reason"] == "stale: its process died"
    complete = {t.number: t.value for t in trials if t.state is TrialState.COMPLETE}
    assert {n: complete[n] for n in before} == before  # nothing completed lost
    assert len(complete) == len(before) + 2 and resumed.n_fold_fits_ == 2 * 2


STUDY = textwrap.dedent("""
    import sys, time
    from sksearch import Study
    from sksearch.storage import PostgreSQLStorage

    study = Study(storage=PostgreSQLStorage(sys.argv[1], timeout=60), study_name="shared",
                  sampler="random", random_state=0)

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, step=0)
        time.sleep(0.02)
        return x

    study.optimize(objective, n_trials=int(sys.argv[2]))
""")


def test_a_server_restart_in_the_middle_of_a_search_loses_nothing(tmp_path,
                                                                  postgres_server):
    url = postgres_server.url(postgres_server.create_database())
    process = _start(tmp_path, STUDY, url, 80)
    storage = PostgreSQLStorage(url)
    study_id = _wait_for_complete(storage, 15, process)
    before = {t.number: t.value for t in storage.get_all_trials(study_id)
              if t.state is TrialState.COMPLETE}
    postgres_server.stop("fast")  # every connection is closed by the server
    time.sleep(2.0)
    postgres_server.start()
    assert process.wait(timeout=120) == 0
    trials = storage.get_all_trials(study_id)  # this storage reconnects too
    assert [t.number for t in trials] == list(range(80))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    assert all(t.intermediate_values == {0: t.value} for t in trials)
    assert {n: v for n, v in ((t.number, t.value) for t in trials) if n in before} == before


def test_a_recorded_outcome_finishes_a_stale_trial(postgres_url):
    import json

    other = PostgreSQLStorage(postgres_url)  # the process about to die
    study = Study(storage=other, study_name="recorded", direction="maximize")
    done, lost = study.ask(), study.ask()
    study.record_outcome(done, 0.5, system_attrs={"folds": [3]})
    study.record_outcome(lost, 0.25)
    study.tell(lost, 0.25)  # told after all: its record is dropped with the tell
    _sql(postgres_url, "UPDATE trial_attrs SET value = %s WHERE trial_id = %s AND "
         "key = 'heartbeat'", (json.dumps(time.time() - 601), done.trial_id))
    reader = PostgreSQLStorage(postgres_url)
    study_id = reader.get_study_id("recorded")
    assert reader.fail_running_trials(study_id) == [0]
    trial = reader.get_trial(done.trial_id)
    assert trial.state is TrialState.COMPLETE and trial.values == (0.5,)
    assert trial.system_attrs["folds"] == [3] and "pending_outcome" not in trial.system_attrs
    assert "pending_outcome" not in reader.get_trial(lost.trial_id).system_attrs
