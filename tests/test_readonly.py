"""Readers write nothing, and hostile files are refused naming them (issue #27,
items 3 and 9).

"Writes nothing" is checked by hashing the study file and its -wal and
-journal siblings before and after each reader: the dashboard's API, ``python
-m sksearch studies``, ``load_study``, ``list_studies`` and a plot. A missing
sibling hashes as an empty one: SQLite readers of a WAL file leave the empty
-wal and -shm files they coordinate through.
"""

import contextlib
import gc
import hashlib
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import sksearch
from sksearch import BayesSearchCV, Study, delete_study, list_studies, load_study
from sksearch.cli import studies_command
from sksearch.dashboard import main as dashboard_main
from sksearch.dashboard import make_server
from sksearch.distributions import Float
from sksearch.storage import CorruptStorageError, SQLiteStorage, StorageError, get_storage
from sksearch.trial import TrialState

DATA = Path(__file__).parent / "data"


def _digest(path):
    digest = hashlib.sha256()
    for name in (str(path), f"{path}-wal", f"{path}-journal"):
        digest.update(Path(name).read_bytes() if os.path.exists(name) else b"")
    return digest.hexdigest()


def _study_file(path, journal="wal", n_trials=4):
    """A study file written by sksearch, then put in ``journal`` mode."""
    storage = SQLiteStorage(path)
    study = Study(storage=storage, study_name="s", sampler="random",
                  random_state=0, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_trials)
    _close(storage)
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute(f"PRAGMA journal_mode={journal}")
    return path


def _close(storage):
    """Close the writer's connections, so that the journal mode can change."""
    storage._discard_connection()
    del storage
    gc.collect()


@contextlib.contextmanager
def _served(storage):
    server = make_server(storage, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        server.ready.wait(30)
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _get(server, path):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _dashboard(url):
    """Every API answer of a dashboard over ``url``, as ``{path: (status, body)}``."""
    with _served(url) as server:
        answers = {"/api/studies": _get(server, "/api/studies")}
        for study in answers["/api/studies"][1]:
            for tail in ("", "/trials", "/importances"):
                path = f"/api/studies/{study['id']}{tail}"
                answers[path] = _get(server, path)
    return answers


def _plot(url):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sksearch.plot import plot_optimization_history

    plot_optimization_history(load_study(study_name="s", storage=url))
    plt.close("all")


READERS = {
    "dashboard": _dashboard,
    "cli": lambda url: studies_command([url]),
    "cli show": lambda url: studies_command([url, "show", "s"]),
    "load_study": lambda url: load_study(study_name="s", storage=url).trials,
    "list_studies": list_studies,
    "plot": _plot,
}


# -- 3. read-only means read-only ------------------------------------------------------

@pytest.mark.parametrize("journal", ["wal", "delete"])
@pytest.mark.parametrize("reader", sorted(READERS))
def test_readers_leave_a_healthy_file_and_its_journal_mode_untouched(tmp_path, reader,
                                                                     journal, capsys):
    path = _study_file(tmp_path / "s.db", journal)
    before = _digest(path)
    READERS[reader](f"sqlite:///{path}")
    assert _digest(path) == before
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == journal


def _schema_1(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(DATA / "study_schema_v1.db", path)
    return path


def _zero_bytes(tmp_path):
    path = tmp_path / "zero.db"
    path.write_bytes(b"")
    return path


def _empty_database(tmp_path):
    path = tmp_path / "empty.db"
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE t (x)")
        db.execute("DROP TABLE t")
    return path


@pytest.mark.parametrize("make, words", [(_schema_1, "older sksearch"),
                                         (_zero_bytes, "empty file"),
                                         (_empty_database, "empty SQLite database")])
def test_readers_neither_migrate_nor_create_the_schema(tmp_path, make, words, capsys):
    path = make(tmp_path)
    before, url = _digest(path), f"sqlite:///{path}"
    for name in ("load_study", "list_studies"):
        with pytest.raises(StorageError, match=f"{path.name}.*{words}"):
            READERS[name](url)
    with pytest.raises(StorageError, match=f"{path.name}.*{words}"):
        make_server(url, port=0)
    assert studies_command([url]) == 1
    assert dashboard_main([url, "--port", "0"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all(path.name in line and words in line for line in err)
    assert _digest(path) == before
    if make is _schema_1:  # still readable by the sksearch that wrote it
        with contextlib.closing(sqlite3.connect(path)) as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        assert "study_directions" not in tables


def test_the_studies_command_in_a_subprocess_writes_nothing(tmp_path):
    path = _study_file(tmp_path / "s.db", "delete")
    before = _digest(path)
    done = subprocess.run([sys.executable, "-m", "sksearch", "studies", f"sqlite:///{path}"],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(sksearch.__file__).parent.parent)
    assert done.returncode == 0, done.stderr
    assert " s " in f" {done.stdout} " and _digest(path) == before


def test_load_study_writes_nothing_until_the_study_writes(tmp_path):
    path = _study_file(tmp_path / "s.db", "delete")
    before = _digest(path)
    study = load_study(study_name="s", storage=str(path))
    assert len(study.trials) == 4 and _digest(path) == before
    with pytest.raises(KeyError, match="'nope'"):
        load_study(study_name="nope", storage=str(path))
    assert _digest(path) == before
    missing = tmp_path / "missing.db"
    with pytest.raises(StorageError, match="missing.db.*no such file"):
        load_study(study_name="s", storage=str(missing))
    assert not missing.exists()
    # the first write reopens the file for writing, as a writer opens it
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert len(load_study(study_name="s", storage=str(path)).trials) == 5
    with contextlib.closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_reader_storage_refuses_writes(tmp_path):
    path = _study_file(tmp_path / "s.db")
    storage = get_storage(str(path), read_only=True)
    with pytest.raises(StorageError, match="read-only"):
        Study(storage=storage, study_name="new")
    study = Study(storage=storage, study_name="s")
    with pytest.raises(StorageError, match="s.db.*read-only"):
        study.ask()
    assert [name for _, name in storage.get_all_studies()] == ["s"]


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_readers_read_a_file_another_process_is_writing(tmp_path, journal):
    path = _study_file(tmp_path / "s.db", journal)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE trials SET state = 'FAIL'")  # not committed
    try:
        frame = list_studies(f"sqlite:///{path}")
        assert frame["n_complete"].tolist() == [4]
        assert len(load_study(study_name="s", storage=str(path)).trials) == 4
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == journal


def test_a_study_deleted_during_the_first_request_is_not_recreated(tmp_path, monkeypatch):
    path = _study_file(tmp_path / "s.db")
    with _served(f"sqlite:///{path}") as server:
        storage = server.studies.storage
        listing = storage.get_all_studies

        def listed_then_deleted():
            # the study goes between the dashboard's listing and its opening it
            rows = listing()
            if any(name == "s" for _, name in rows):
                delete_study(study_name="s", storage=str(path))
            return rows

        monkeypatch.setattr(storage, "get_all_studies", listed_then_deleted)
        server.studies._views.clear()
        status, _ = _get(server, "/api/studies/1/trials")
        assert status == 404
    assert SQLiteStorage(path).get_all_studies() == []


@pytest.mark.parametrize("ids", ["new file", "old file"])
def test_a_deleted_studys_id_never_shows_another_study(tmp_path, monkeypatch, ids):
    if ids == "old file":  # written before ids were kept unique: SQLite reuses them
        monkeypatch.setattr(SQLiteStorage, "_TYPES", {**SQLiteStorage._TYPES,
                                                      "id": "INTEGER PRIMARY KEY"})
    path = tmp_path / "s.db"
    Study(storage=SQLiteStorage(path), study_name="a", sampler="random").optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    gone = Study(storage=SQLiteStorage(path), study_name="gone", sampler="random",
                 direction="maximize")
    gone.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    monkeypatch.undo()
    with _served(f"sqlite:///{path}") as server:
        gone_id = [s["id"] for s in _get(server, "/api/studies")[1] if s["name"] == "gone"][0]
        assert len(_get(server, f"/api/studies/{gone_id}/trials")[1]["finished"]) == 3
        delete_study(study_name="gone", storage=str(path))
        Study(storage=SQLiteStorage(path), study_name="new", sampler="random",
              direction="minimize").optimize(lambda t: t.suggest_float("y", 0, 1),
                                             n_trials=1)
        studies = {s["name"]: s for s in _get(server, "/api/studies")[1]}
        assert set(studies) == {"a", "new"}
        new = studies["new"]
        assert new["direction"] == "minimize" and new["n_trials"] == 1
        summary = _get(server, f"/api/studies/{new['id']}")[1]
        trials = _get(server, f"/api/studies/{new['id']}/trials")[1]["finished"]
        assert summary["name"] == "new" and summary["direction"] == "minimize"
        assert [list(t["params"]) for t in trials] == [["y"]]
        if ids == "new file":
            assert new["id"] != gone_id
            assert _get(server, f"/api/studies/{gone_id}")[0] == 404


def _as_nobody(script, cwd):
    """Run ``script`` as the user nobody (root ignores permission bits)."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run a reader as another user")
    command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
               sys.executable, "-c", script]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=cwd,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "HOME": "/tmp"})


def _readable_copy_of_sksearch(folder):
    """sksearch's source copied where the user nobody can read it (a checkout
    in a root-private folder, as CI's, is not); skip where nobody cannot
    import sksearch's dependencies from this Python either."""
    shutil.copytree(Path(sksearch.__file__).parent, folder / "sksearch",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    probe = _as_nobody("import numpy, scipy, sklearn, pandas, joblib", folder)
    if probe.returncode != 0:
        pytest.skip("this Python's packages are not readable by the user nobody "
                    f"(a root-private environment): {probe.stderr.strip()[-200:]}")
    return folder


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_readers_work_on_a_read_only_directory(journal):
    # not under pytest's tmp_path: its folders are private to the user running it
    folder = Path(tempfile.mkdtemp(prefix="sksearch-ro-"))
    os.chmod(folder, 0o755)
    path = _study_file(folder / "s.db", journal)
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    before = _digest(path)
    code = Path(tempfile.mkdtemp(prefix="sksearch-code-"))
    os.chmod(code, 0o755)
    root = _readable_copy_of_sksearch(code)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(root)!r})
        from sksearch import list_studies, load_study
        from sksearch.cli import studies_command
        from sksearch.dashboard import make_server
        url = {f"sqlite:///{path}"!r}
        assert list_studies(url)["n_complete"].tolist() == [4]
        assert len(load_study(study_name="s", storage=url).trials) == 4
        assert studies_command([url]) == 0
        server = make_server(url, port=0)
        server.ready.wait(30)
        assert len(server.studies.view(1).trials(0).split('"number"')) == 5
        server.server_close()
        print("read")
    """)
    try:
        done = _as_nobody(script, root)
        assert done.returncode == 0 and "read" in done.stdout, done.stderr
        assert _digest(path) == before
        assert sorted(os.listdir(folder)) == ["s.db"]
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)
        shutil.rmtree(code)


# -- PostgreSQL --------------------------------------------------------------------------

def _tables(url):
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()").fetchall()]


def test_readers_give_an_empty_postgres_database_no_schema(postgres_server, capsys):
    name = postgres_server.create_database()
    url = postgres_server.url(name)
    for reader in ("load_study", "list_studies"):
        with pytest.raises(StorageError, match=f"'{name}'.*empty database"):
            READERS[reader](url)
    with pytest.raises(StorageError, match="empty database"):
        make_server(url, port=0)
    assert studies_command([url]) == 1
    err = capsys.readouterr().err
    assert "empty database" in err and "s3cret" not in err
    assert _tables(url) == []


def test_a_postgres_reader_runs_in_read_only_transactions(postgres_server):
    name = postgres_server.create_database()
    url = postgres_server.url(name)
    Study(storage=url, study_name="s", sampler="random").optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    reader = get_storage(url, read_only=True)
    db = reader._connection()
    assert reader._execute(db, "SHOW transaction_read_only").fetchone()[0] == "on"
    psycopg = pytest.importorskip("psycopg")
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        reader._execute(db, "DELETE FROM trials")
    with pytest.raises(StorageError, match="read-only"):
        reader.create_new_study("other", ["minimize"])
    study = load_study(study_name="s", storage=url)
    assert len(study.trials) == 2
    assert _dashboard(url)["/api/studies"][1][0]["n_trials"] == 2
    # the Study of load_study still writes, on a connection reopened for it
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert len(load_study(study_name="s", storage=url).trials) == 3


def test_a_dropped_postgres_table_is_corrupt(postgres_server):
    name = postgres_server.create_database()
    url = postgres_server.url(name)
    storage = get_storage(url)
    Study(storage=storage, study_name="s").optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE trial_values")
    with pytest.raises(CorruptStorageError, match=f"'{name}'.*trial_values"):
        storage.get_all_trials(storage.get_study_id("s"))
    with pytest.raises(CorruptStorageError, match=f"'{name}'.*trial_values"):
        list_studies(url)


# -- 9. hostile files --------------------------------------------------------------------

def test_a_dropped_table_is_corrupt_for_readers_and_writers(tmp_path):
    path = _study_file(tmp_path / "s.db")
    running = get_storage(str(path), read_only=True)  # a dashboard opened before
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("DROP TABLE trial_values")
    with pytest.raises(CorruptStorageError, match="s.db.*trial_values"):
        running.get_all_trials(1)
    for open_it in (lambda: list_studies(str(path)), lambda: load_study(
            study_name="s", storage=str(path)), lambda: Study(storage=str(path))):
        with pytest.raises(CorruptStorageError, match="s.db.*trial_values"):
            open_it()


def _search(path, n_iter):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    search = BayesSearchCV(LogisticRegression(), {"C": Float(1e-2, 1e2, log=True)},
                           n_iter=n_iter, cv=3, storage=f"sqlite:///{path}",
                           study_name="search", random_state=0, n_jobs=1)
    return search.fit(X, y)


@pytest.fixture(scope="module")
def search_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("search")
    _search(folder / "live.db", 3)
    path = folder / "search.db"  # one file to copy: no -wal beside it
    with contextlib.closing(sqlite3.connect(folder / "live.db")) as source, \
            contextlib.closing(sqlite3.connect(path)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    return path


def _edit_folds(template, tmp_path, edit):
    path = tmp_path / "edited.db"
    shutil.copy(template, path)
    with contextlib.closing(sqlite3.connect(path)) as db:
        (trial_id, text), = db.execute(
            "SELECT a.trial_id, a.value FROM trial_attrs a JOIN trials t ON t.trial_id = "
            "a.trial_id WHERE a.key = 'sksearch:folds' AND t.number = 1").fetchall()
        db.execute("UPDATE trial_attrs SET value = ? WHERE trial_id = ? AND key = ?",
                   (edit(text), trial_id, "sksearch:folds"))
        db.commit()
    return path


def _one_fold(text):
    return json.dumps(json.loads(text)[:1])


def _score(literal):
    def edit(text):
        folds = json.loads(text)
        folds[0]["test_scores"] = "SCORE"
        return json.dumps(folds).replace('"SCORE"', literal)
    return edit


@pytest.mark.parametrize("edit, problem", [
    (_one_fold, "1 fold records where the study's other trials have 3"),
    (_score("1e999"), "overflows"),
    (_score("Infinity"), "fold 0 of a COMPLETE trial.*inf"),
    (_score("NaN"), "fold 0 of a COMPLETE trial.*nan"),
])
def test_a_hostile_fold_record_is_corrupt_naming_trial_and_column(search_file, tmp_path,
                                                                    edit, problem):
    path = _edit_folds(search_file, tmp_path, edit)
    with pytest.raises(CorruptStorageError,
                       match=f"edited.db.*trial 1.*sksearch:folds.*{problem}"):
        _search(path, 4)
    with pytest.raises(CorruptStorageError, match="edited.db.*trial 1"):
        load_study(study_name="search", storage=str(path)).get_trials()


def _damaged_copies(template, tmp_path):
    """Deterministic damage: truncations, and bytes flipped at fixed places
    (the header, the schema page, table pages, a study name's text)."""
    data = template.read_bytes()
    copies = {}
    for at in (0, 50, 100, 1000, 4096, len(data) // 2, len(data) - 100):
        copies[f"truncated at {at}"] = data[:at] if at else data[:1]
    for at in (0, 16, 18, 28, 40, 56, 100, 110, 4096 + 0, 4096 + 5, 2 * 4096 + 3,
               len(data) - 50, len(data) - 7000):
        flipped = bytearray(data)
        flipped[at] ^= 0xFF
        copies[f"flipped at {at}"] = bytes(flipped)
    name_at = data.rindex(b"the-study")
    broken = bytearray(data)
    broken[name_at:name_at + 2] = b"\xff\xfe"  # no longer UTF-8
    copies["a name not UTF-8"] = bytes(broken)
    paths = []
    for k, (what, content) in enumerate(sorted(copies.items())):
        path = tmp_path / f"damaged-{k}.db"
        path.write_bytes(content)
        paths.append((what, path))
    return paths


def test_truncated_and_flipped_files_raise_storage_errors_naming_them(tmp_path):
    template = tmp_path / "template.db"
    storage = SQLiteStorage(template)
    study = Study(storage=storage, study_name="the-study", sampler="random", random_state=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.set_user_attr("n", "é" * 50),
                              t.report(0.5, 0), t.params["x"])[-1], n_trials=30)
    _close(storage)
    with contextlib.closing(sqlite3.connect(template)) as db:
        db.execute("PRAGMA journal_mode=DELETE")
    refused = 0
    for what, path in _damaged_copies(template, tmp_path):
        for reader in (lambda p: list_studies(str(p)), lambda p: [
                (t.params, t.user_attrs) for t in load_study(
                    study_name=None, storage=str(p)).trials], lambda p: [
                t.params for t in Study(storage=str(p), study_name="the-study").trials]):
            try:
                reader(path)
            except StorageError as exc:
                refused += 1
                assert path.name in str(exc), (what, exc)
            except KeyError as exc:  # a flipped name: the study is not found
                assert "the-study" in str(exc), (what, exc)
            except Exception as exc:  # noqa: BLE001 - the point: nothing raw
                pytest.fail(f"{what}: raw {type(exc).__name__}: {exc}")
    assert refused >= 30


def test_a_running_trial_whose_owner_is_not_a_dict_is_stale_at_once(tmp_path):
    path = tmp_path / "s.db"
    storage = SQLiteStorage(path)
    study = Study(storage=storage, study_name="s")
    trial = study.ask()
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE trial_attrs SET value = '\"somebody\"' WHERE key = 'owner'")
        db.commit()
    other = Study(storage=SQLiteStorage(path), study_name="s")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert other.fail_stale_trials() == [0]
    assert any("s.db" in str(w.message) and "trial 0" in str(w.message)
               and "owner" in str(w.message) for w in caught)
    frozen = other.trials[0]
    assert frozen.state is TrialState.FAIL and "owner" in frozen.system_attrs["fail_reason"]
    assert trial.number == 0
