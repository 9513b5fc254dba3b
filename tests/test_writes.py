"""Issue 27, items 4 to 6: what a storage writes, what it shows, what it retries.

4. Every record is checked against the study before anything is written, by
   every storage (the ``storage`` fixture: memory, SQLite, PostgreSQL), and a
   refused write leaves the study exactly as it was.
5. A storage string's password is never shown (errors, ``repr``, the command
   line, warnings); a string that is neither a URL nor a plain path is refused,
   never taken as a SQLite file name.
6. PostgreSQL retries only what can succeed; anything else, and an outage
   longer than ``timeout``, is a ``StorageError`` naming the database.
"""

import hashlib
import os
import secrets
import subprocess
import sys
import time
import warnings

import pytest

from sksearch import Study, TrialState, create_trial, list_studies
from sksearch.distributions import Float
from sksearch.storage import SQLiteStorage, StorageError, get_storage
from sksearch.storage._checks import MAX_NAME_BYTES
from sksearch.storage._urls import redact

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECRET = "Sup3r-secret-PW"
DIST = {"x": Float(0, 1)}


def _two_objective_study(storage):
    study = Study(storage=storage, study_name="s", directions=["minimize", "minimize"],
                  sampler="random", random_state=0)
    study.add_trial(create_trial(params={"x": 0.5}, distributions=DIST, values=[1.0, 2.0]))
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    return study, trial


def _fingerprint(storage, study):
    """What a refused write must leave unchanged: the trials, the study's
    attributes and, for SQLite, the bytes of the file and its WAL."""
    state = (study.trials, study.system_attrs)
    if isinstance(storage, SQLiteStorage):
        digest = hashlib.sha256()
        for path in (storage.path, f"{storage.path}-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    digest.update(f.read())
        state += (digest.hexdigest(),)
    return state


# -- 4. no write without validation ------------------------------------------------------

def test_a_refused_add_trial_leaves_the_study_readable_and_unchanged(storage):
    # was: SQLite wrote the row, then every read raised CorruptStorageError;
    # memory took it, and best_trials failed with a numpy reshape error
    study, _ = _two_objective_study(storage)
    before = _fingerprint(storage, study)
    one_value = create_trial(params={"x": 0.25}, distributions=DIST, value=3.0)
    with pytest.raises(ValueError, match=r"values holds 1 value\(s\) \[3.0\]; the study "
                       r"has 2 objective"):
        study.add_trial(one_value)
    with pytest.raises(ValueError, match="values holds 1 value"):
        study.add_trials([create_trial(params={"x": 0.1}, distributions=DIST,
                                       values=[1.0, 1.0]), one_value])
    # below the Study: the storage itself refuses it, inside its transaction
    with pytest.raises(ValueError, match="the study has 2 objective"):
        storage.create_finished_trial(study._study_id, one_value)
    assert _fingerprint(storage, study) == before
    assert [t.values for t in study.best_trials] == [(1.0, 2.0)]
    if isinstance(storage, SQLiteStorage):
        assert list(list_studies(storage.path)["name"]) == ["s"]


@pytest.mark.parametrize("kwargs, error, words", [
    ({"value": "abc"}, TypeError, "value must be a finite number or None, got 'abc'"),
    ({"value": float("inf")}, ValueError, "value must be a finite number, got inf"),
    ({"values": [1.0, "abc"]}, TypeError, r"values\[1\] must be a finite number, got 'abc'"),
    ({"value": 1.0, "user_attrs": {"x": object()}}, TypeError,
     r"user_attrs\['x'\] must be JSON-serialisable"),
    ({"value": 1.0, "system_attrs": {1: "a"}}, TypeError, "must be a str, got 1"),
    ({"value": 1.0, "user_attrs": {"x": "a\x00b"}}, ValueError,
     r"user_attrs\['x'\] .*NUL character"),
    ({"value": 1.0, "intermediate_values": {"a": 1.0}}, ValueError,
     "step must be an int >= 0, got 'a'"),
])
def test_create_trial_names_the_bad_argument(kwargs, error, words):
    # was: float('abc') / json.dumps errors, or nothing until a storage wrote it
    with pytest.raises(error, match=f"create_trial: .*{words}"):
        create_trial(params={"x": 0.5}, distributions=DIST, **kwargs)


def test_refused_storage_writes_leave_the_study_as_it_was(storage):
    study, trial = _two_objective_study(storage)
    study.enqueue_trial({"x": 0.75})
    before = _fingerprint(storage, study)
    trial_id = trial._trial_id
    refused = [
        (lambda: study.tell(trial, [1.0]), ValueError, "holds 1 value"),
        (lambda: study.tell(trial, [1.0, 2.0], system_attrs={"ok": 1, "bad": object()}),
         TypeError, r"system_attrs\['bad'\] must be JSON"),
        (lambda: storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0]),
         ValueError, "holds 1 value"),
        (lambda: storage.set_trial_state_values(trial_id, TrialState.COMPLETE,
                                                [1.0, float("nan")]),
         ValueError, r"values\[1\] must be a finite number, got nan"),
        (lambda: storage.set_trial_pending_outcome(trial_id, TrialState.COMPLETE, [1.0]),
         ValueError, "holds 1 value"),
        (lambda: trial.set_user_attr("k", {1, 2}), TypeError, r"user_attrs\['k'\]"),
        (lambda: trial.set_user_attr("k\ud800", 1), ValueError, "lone surrogate"),
        (lambda: trial.suggest_float("y\x00", 0, 1), ValueError, "NUL"),
        (lambda: storage.set_trial_param(trial_id, "y", 2.0, Float(0, 1)), ValueError,
         "internal value 2.0, which is not in"),
        (lambda: storage.set_trial_intermediate_value(trial_id, -1, 0.5), ValueError,
         "int >= 0"),
        (lambda: study.set_system_attr("k", float), TypeError, "JSON"),
        (lambda: study.enqueue_trial({"x\x00": 0.5}), ValueError, "parameter name.*NUL"),
        (lambda: study.enqueue_trial({"x": "a\ud800"}), ValueError, "lone surrogate"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing refused is turned into a FAIL
        for call, error, words in refused:
            with pytest.raises(error, match=words):
                call()
    assert _fingerprint(storage, study) == before
    assert study.trials[1].state is TrialState.RUNNING
    study.tell(trial, [0.5, 0.5])  # still usable, as it was
    assert [t.values for t in study.trials] == [(1.0, 2.0), (0.5, 0.5)]


@pytest.mark.parametrize("name, words", [
    ("a\x00b", "NUL character"),
    ("a\udc80b", "lone surrogate"),
    ("n" * (MAX_NAME_BYTES + 1), f"at most {MAX_NAME_BYTES}"),
])
def test_study_names_no_database_can_hold_are_refused_alike(storage, name, words):
    # was: PostgreSQL raised a raw DataError / UnicodeEncodeError, or stalled
    # 60 s retrying an index row over its limit; SQLite and memory took them
    with pytest.raises(ValueError, match=f"study_name .*{words}"):
        Study(storage=storage, study_name=name)
    assert storage.get_all_studies() == []


def test_a_name_at_the_limit_fits_every_storage(storage):
    # random text does not compress: the PostgreSQL index entry is this long
    name = secrets.token_urlsafe(MAX_NAME_BYTES)[:MAX_NAME_BYTES]
    study = Study(storage=storage, study_name=name, sampler="random", random_state=0)
    trial = study.ask()
    trial.suggest_float(name, 0, 1)
    trial.set_user_attr(name, 1)
    study.tell(trial, 0.5)
    assert [t.user_attrs for t in study.trials] == [{name: 1}]
    assert storage.get_all_studies()[0][1] == name


# -- 5. secrets never shown ---------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [
    (f"postgresql://me:{SECRET}@db:5432/x", "postgresql://me:***@db:5432/x"),
    (f"postgresql://db/x?user=me&password={SECRET}&bogus=1",
     "postgresql://db/x?user=me&password=***&bogus=1"),
    (f"postgres://db/x?sslpassword={SECRET}", "postgres://db/x?sslpassword=***"),
    (f"host=db password='{SECRET} x' dbname=x", "host=db password=*** dbname=x"),
    (f"host=db PASSWORD = {SECRET}", "host=db PASSWORD = ***"),
    (f"postgresql://me:{SECRET.replace('-', '%2D')}@db/x", "postgresql://me:***@db/x"),
])
def test_redact_hides_every_form_of_password(text, shown):
    assert redact(text) == shown
    # a driver's message quoting the password on its own: the source says which
    literal = f"{SECRET} x" if "'" in text else SECRET
    assert redact(f"driver says: bad {literal}", text) == "driver says: bad ***"


@pytest.mark.parametrize("storage", [
    f"postgresql://me:{SECRET}@db:5432/x", f"postgresql://db/x?user=me&sslpassword={SECRET}"])
def test_a_search_shows_its_storage_without_the_password(storage):
    # scikit-learn's reprs show every parameter: the text one, the HTML one
    # (its parameter table) and the notebook bundle
    from sklearn.svm import SVC

    from sksearch import BayesSearchCV, GridSearchCV

    for search in (BayesSearchCV(SVC(), {"C": [1, 2]}, storage=storage),
                   GridSearchCV(SVC(), {"C": [1, 2]}, storage=storage)):
        shown = [repr(search), search._repr_html_(), *search._repr_mimebundle_().values()]
        assert all(SECRET not in text for text in shown)
        assert repr(search).endswith("')")  # the closing quote kept


def test_an_invalid_postgres_url_hides_a_query_string_password():
    # was: "... URL 'postgresql://...&password=<PW>&bogusparam=1' is not a valid ..."
    url = f"postgresql://127.0.0.1:1/studies?user=sks&password={SECRET}&bogusparam=1"
    with pytest.raises(ValueError, match="is not a valid connection URL") as info:
        get_storage(url)
    assert SECRET not in str(info.value)
    assert "password=***" in str(info.value)


@pytest.mark.parametrize("text", [
    f"host=127.0.0.1 port=1 user=sks password={SECRET} dbname=studies",
    f"password={SECRET}",
    "dbname=studies",
    "my runs/lr = 0.1.db",
    "study\n.db",
])
def test_a_string_neither_url_nor_path_is_refused_not_created(tmp_path, monkeypatch, text):
    # was: a libpq string became a SQLite file named after it, password included
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="neither a URL nor a plain path") as info:
        get_storage(text)
    message = str(info.value)
    assert SECRET not in message
    assert "sqlite:///path.db" in message and "postgresql://user@host" in message
    assert os.listdir(tmp_path) == []


def test_plain_paths_with_spaces_or_equals_are_still_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for path in ("my runs.db", "lr=0.1.db", "sqlite:///a b=c.db"):
        assert isinstance(get_storage(path), SQLiteStorage)
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith(".db")) == [
        "a b=c.db", "lr=0.1.db", "my runs.db"]


def _command(*args, cwd):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, "-m", "sksearch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [["studies"], ["dashboard", "--port", "0"]])
def test_the_command_line_prints_one_line_without_the_password(tmp_path, command):
    # was: a raw traceback quoting the whole URL; a libpq string a file name
    for storage in (f"postgresql://127.0.0.1:1/studies?user=sks&password={SECRET}&bogus=1",
                    f"postgresql://sks:{SECRET}@127.0.0.1:1/studies",
                    f"host=127.0.0.1 password={SECRET} dbname=studies"):
        result = _command(*command, storage, cwd=tmp_path)
        assert result.returncode != 0, result.stdout
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert SECRET not in result.stderr + result.stdout
    assert os.listdir(tmp_path) == []


# -- PostgreSQL: secrets, retries and outages, on a real server ---------------------------

def _password_in_query(postgres_server, name):
    from _postgres import PASSWORD

    url = (f"postgresql://127.0.0.1:{postgres_server.port}/{name}?user="
           f"{postgres_server.user}&password={PASSWORD}")
    return url, PASSWORD


def test_a_postgres_storage_never_shows_its_password(postgres_server):
    name = postgres_server.create_database()
    for url, password in (_password_in_query(postgres_server, name),
                          (postgres_server.url(name), "s3cret-pw")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            storage = get_storage(url)
            shown = [repr(storage), storage._label()]
            with pytest.raises(ValueError) as info:
                storage.create_new_study("a\x00", ["minimize"])
            shown.append(str(info.value))
        assert "***" in repr(storage)
        assert not any(password in text for text in shown + [str(w.message) for w in caught])


def test_a_cancelled_statement_fails_at_once_naming_the_database(postgres_url):
    # was: QueryCanceled (an OperationalError) retried for the whole timeout,
    # then raised raw
    psycopg = pytest.importorskip("psycopg")
    storage = get_storage(postgres_url)
    study_id = storage.create_new_study("s", ["minimize"])
    with psycopg.connect(postgres_url) as other:  # holds the study's row
        other.execute("SELECT 1 FROM studies WHERE study_id = %s FOR UPDATE", (study_id,))
        storage._execute(storage._connection(), "SET statement_timeout = '200ms'")
        start = time.monotonic()
        with pytest.raises(StorageError, match=r"57014") as info:
            storage.create_new_trial(study_id)
        elapsed = time.monotonic() - start
    assert elapsed < storage.timeout / 6, elapsed
    message = str(info.value)
    assert "create_new_trial" in message and f"'{postgres_url.rsplit('/', 1)[1]}'" in message
    assert "s3cret-pw" not in message
    storage._execute(storage._connection(), "RESET statement_timeout")
    assert storage.get_n_trials(study_id) == 0


def test_an_outage_longer_than_timeout_names_the_server(postgres_server):
    # was: a raw psycopg.OperationalError naming no database
    name = postgres_server.create_database()
    storage = get_storage(postgres_server.url(name))
    storage.timeout = 2.0
    study_id = storage.create_new_study("s", ["minimize"])
    postgres_server.stop("fast")
    try:
        start = time.monotonic()
        with pytest.raises(StorageError, match="could not be reached for 2 s") as info:
            storage.create_new_trial(study_id)
        elapsed = time.monotonic() - start
    finally:
        postgres_server.start()
    assert 2.0 <= elapsed < 30.0, elapsed
    message = str(info.value)
    assert f"'{name}' on 127.0.0.1:{postgres_server.port}" in message
    assert "s3cret-pw" not in message
    assert storage.get_n_trials(study_id) == 0  # it reconnects once the server is back
