"""Regressions for the holes found by trying to break persistence, concurrency
and input checking (issue 14): each test failed before its fix."""

import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_iris

from sksearch import Study, TrialState
from sksearch.distributions import Float, Int
from sksearch.space import make_search_space
from sksearch.storage import (
    CorruptStorageError,
    InMemoryStorage,
    SQLiteStorage,
    StorageError,
    get_storage,
)

DATA = pathlib.Path(__file__).parent / "data"

# -- 1. resuming a space of estimators, transformers, callables and objects ---------

RESUME_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.datasets import load_iris
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler
    from sklearn.svm import SVC
    from sksearch import BayesSearchCV

    class Token:  # an arbitrary object, with a default repr (an address)
        def __init__(self, k):
            self.k = k

    TOKENS = (Token(0), Token(1))

    def double(x):
        return 2 * x

    def halve(x):
        return x / 2

    class Picky(ClassifierMixin, BaseEstimator):
        def __init__(self, fn=double, obj=TOKENS[0]):
            self.fn, self.obj = fn, obj

        def fit(self, X, y):
            assert self.fn in (double, halve) and isinstance(self.obj, Token), self.obj
            self.model_ = KNeighborsClassifier().fit(self.fn(X), y)
            self.classes_ = self.model_.classes_
            return self

        def predict(self, X):
            return self.model_.predict(self.fn(X))

    def define_by_run(trial):
        return {"scale": trial.suggest_categorical("scale", [StandardScaler(), MinMaxScaler()]),
                "clf__fn": trial.suggest_categorical("clf__fn", [double, halve]),
                "clf__obj": trial.suggest_categorical("clf__obj", list(TOKENS))}

    SPACES = {
        "dict": {"scale": [StandardScaler(), MinMaxScaler()], "clf__fn": [double, halve],
                 "clf__obj": list(TOKENS)},
        "branches": [{"clf": [SVC()], "clf__C": [0.5, 1.0]},
                     {"clf": [Picky()], "clf__obj": list(TOKENS), "clf__fn": [double, halve]}],
        "callable": define_by_run,
    }
    KINDS = {"scale": (StandardScaler, MinMaxScaler), "clf": (SVC, Picky)}

    path, n_iter, refit = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "refit"
    X, y = load_iris(return_X_y=True)
    for name, space in SPACES.items():
        pipe = Pipeline([("scale", StandardScaler()), ("clf", Picky())])
        search = BayesSearchCV(pipe, space, n_iter=n_iter, cv=2, random_state=0,
                               storage=path, study_name=name, refit=refit)
        search.fit(X, y)
        rows = search.cv_results_["params"]
        assert len(rows) == n_iter, (name, len(rows))
        for params in rows:
            for key, value in params.items():
                if key in KINDS:
                    assert isinstance(value, KINDS[key]), (name, key, value)
                elif key == "clf__fn":
                    assert value in (double, halve), (name, key, value)
                elif key == "clf__obj":
                    assert value in TOKENS, (name, key, value)
        if refit:
            assert search.score(X, y) > 0.5
    print("ok")
""")


def _python(tmp_path, script, *args):
    path = tmp_path / "script.py"
    path.write_text(script)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, str(path), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_resume_in_a_fresh_process_gives_back_live_objects(tmp_path):
    db = tmp_path / "resume.db"
    first = _python(tmp_path, RESUME_SCRIPT, db, 3, "no-refit")
    assert first.returncode == 0, first.stderr
    second = _python(tmp_path, RESUME_SCRIPT, db, 4, "refit")  # 3 replayed, 1 new
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "ok"


# -- 2. no orphan RUNNING trial when asking or sampling raises ------------------------

class _Broken(Exception):
    pass


def _sampler_failing_in(method, error=_Broken):
    from sksearch.samplers import RandomSampler

    class Failing(RandomSampler):
        pass

    def fail(self, *args, **kwargs):
        raise error("sampler broke")

    setattr(Failing, method, fail)
    if method == "sample_relative":  # only called when there is a relative space
        Failing.infer_relative_search_space = lambda self, study, trial: {"x": Float(0, 1)}
    return Failing(seed=0)


@pytest.mark.parametrize("method", ["before_trial", "sample_relative", "sample_independent"])
@pytest.mark.parametrize("error", [_Broken, KeyboardInterrupt])
def test_a_failure_while_asking_or_sampling_leaves_no_running_trial(method, error):
    study = Study(sampler=_sampler_failing_in(method, error))
    with pytest.raises(error, match="sampler broke"):
        trial = study.ask()
        trial.suggest_float("y", 0, 1)
    (frozen,) = study.trials
    assert frozen.state is TrialState.FAIL
    assert "sampler broke" in frozen.system_attrs["fail_reason"]
    with pytest.raises(error):  # through optimize too, with the error caught or not
        study.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=1,
                       catch=(_Broken,) if error is KeyboardInterrupt else ())
    assert not study.get_trials((TrialState.RUNNING,))


def test_fixed_distributions_failing_in_ask_leave_no_running_trial():
    study = Study(sampler=_sampler_failing_in("sample_independent"))
    with pytest.raises(_Broken):
        study.ask({"x": Float(0, 1)})
    assert [t.state for t in study.trials] == [TrialState.FAIL]


# -- 3. stale trials by heartbeat, not only by pid ------------------------------------

def _age_heartbeat(path, trial_id, seconds):
    with sqlite3.connect(path) as db:
        db.execute("UPDATE trial_attrs SET value = ? WHERE trial_id = ? AND key = 'heartbeat'",
                   (json.dumps(time.time() - seconds), trial_id))


def test_old_heartbeat_is_stale_even_when_its_pid_is_alive_here(tmp_path):
    path = tmp_path / "beat.db"
    # another storage object: as a process of a container that restarted with
    # this host name and, by chance, this pid
    other = SQLiteStorage(path)
    study_id = other.create_new_study("s", ["maximize"])
    old, _ = other.create_new_trial(study_id)
    fresh, _ = other.create_new_trial(study_id)
    _age_heartbeat(path, old, 601)
    reader = SQLiteStorage(path)
    assert reader.fail_running_trials(study_id) == [0]
    assert reader.get_trial(old).state is TrialState.FAIL
    assert "heartbeat" in reader.get_trial(old).system_attrs["fail_reason"]
    assert reader.get_trial(fresh).state is TrialState.RUNNING
    # a trial this storage object runs is never stale, even without a write
    mine, _ = reader.create_new_trial(study_id)
    _age_heartbeat(path, mine, 601)
    assert reader.fail_running_trials(study_id) == []


def test_a_running_trial_keeps_its_heartbeat_fresh(tmp_path, monkeypatch):
    monkeypatch.setattr(SQLiteStorage, "heartbeat_interval", 0.05)
    storage = SQLiteStorage(tmp_path / "beat.db")
    study_id = storage.create_new_study("s", ["maximize"])
    trial_id, _ = storage.create_new_trial(study_id)
    first = storage.get_trial(trial_id).system_attrs["heartbeat"]
    deadline = time.monotonic() + 5
    while storage.get_trial(trial_id).system_attrs["heartbeat"] == first:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    storage.set_trial_state_values(trial_id, TrialState.FAIL)
    deadline = time.monotonic() + 5
    while storage._beat_thread is not None:  # nothing left to beat for: it ends
        assert time.monotonic() < deadline
        time.sleep(0.02)


# -- 4. results and final state in one write ----------------------------------------

@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_tell_writes_system_attrs_with_the_state_or_nothing(kind, tmp_path):
    storage = InMemoryStorage() if kind == "memory" else SQLiteStorage(tmp_path / "t.db")
    study = Study(storage=storage)
    trial = study.ask()
    # a record in the format a search writes: a storage checks it when read
    record = [{"test_scores": 0.5}]
    frozen = study.tell(trial, 0.5, system_attrs={"sksearch:folds": record})
    assert frozen.state is TrialState.COMPLETE
    assert frozen.system_attrs["sksearch:folds"] == record
    # a failure in the middle of the write (an attribute JSON cannot hold,
    # written after the state) leaves the trial as it was: running, no attribute
    trial = study.ask()
    with pytest.raises(TypeError):
        study.tell(trial, 0.7, system_attrs={"good": 1, "bad": object()})
    frozen = study.trials[1]
    assert frozen.state is TrialState.RUNNING and frozen.value is None
    assert "good" not in frozen.system_attrs


def test_sqlite_state_and_attrs_are_one_transaction(tmp_path, monkeypatch):
    storage = SQLiteStorage(tmp_path / "t.db")
    study_id = storage.create_new_study("s", ["maximize"])
    trial_id, _ = storage.create_new_trial(study_id)
    calls = []
    executemany = storage._executemany

    def die_at_the_attributes(db, sql, rows):  # the process "dies" after the UPDATE
        if "trial_attrs" in sql:
            calls.append(rows)
            raise KeyboardInterrupt
        executemany(db, sql, rows)

    # the JSON is checked before the transaction; the attributes are written
    # after the state's UPDATE, inside it
    monkeypatch.setattr(storage, "_executemany", die_at_the_attributes)
    with pytest.raises(KeyboardInterrupt):
        storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [1.0],
                                       system_attrs={"sksearch:folds": []})
    monkeypatch.undo()
    assert calls  # it did get past the state's UPDATE
    trial = SQLiteStorage(tmp_path / "t.db").get_trial(trial_id)
    assert trial.state is TrialState.RUNNING and "sksearch:folds" not in trial.system_attrs


# -- 6. trial numbers after a row was removed ----------------------------------------

def test_numbers_are_allocated_after_the_largest_even_when_a_row_was_removed(tmp_path):
    path = tmp_path / "n.db"
    study = Study(storage=SQLiteStorage(path), study_name="s", sampler="random")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM trials WHERE number = 1")
    study = Study(storage=SQLiteStorage(path), study_name="s", sampler="random")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.number for t in study.trials] == [0, 2, 3, 4]


# -- 7. never write into a file that is not ours -------------------------------------

def _snapshot(path):
    with open(path, "rb") as f:
        return f.read()


def test_a_foreign_database_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers VALUES (1, 'x')")
    before = _snapshot(path)
    with pytest.raises(StorageError, match="another program.*customers"):
        SQLiteStorage(path)
    with pytest.raises(StorageError, match="other.db"):
        Study(storage=str(path))
    assert _snapshot(path) == before
    assert not os.path.exists(f"{path}-wal")
    # a table of ours with other columns is not ours either
    with sqlite3.connect(tmp_path / "t.db") as db:
        db.execute("CREATE TABLE studies (id INTEGER, label TEXT)")
        db.execute("CREATE TABLE trials (id INTEGER)")
    with pytest.raises(StorageError, match="columns"):
        SQLiteStorage(tmp_path / "t.db")


def test_schema_version_is_recorded_and_a_file_without_it_still_opens(tmp_path):
    path = tmp_path / "s.db"
    study = Study(storage=SQLiteStorage(path), study_name="s", sampler="random")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM sksearch_meta WHERE key = 'schema_version'"
                          ).fetchone() == ("2",)
    # a file of version 1, as sksearch wrote it before versions were recorded
    old = tmp_path / "old.db"
    shutil.copy(DATA / "study_schema_v1.db", old)
    with sqlite3.connect(old) as db:
        db.execute("DROP TABLE sksearch_meta")
        db.execute("DROP TABLE trial_finish_log")
    assert len(Study(storage=SQLiteStorage(old), study_name="old").trials) == 4
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sksearch_meta SET value = '99'")
    with pytest.raises(StorageError, match="newer sksearch"):
        SQLiteStorage(path)


def test_a_file_whose_version_does_not_match_its_tables_is_refused(tmp_path):
    path = tmp_path / "s.db"
    Study(storage=SQLiteStorage(path), study_name="s")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE sksearch_meta SET value = '1'")
    with pytest.raises(StorageError, match="does not match its tables"):
        SQLiteStorage(path)
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE sksearch_meta")
    with pytest.raises(StorageError, match="no schema_version"):
        SQLiteStorage(path)


@pytest.mark.parametrize("storage", ["sqlite:///", "sqlite:///:memory:", ":memory:"])
def test_in_memory_sqlite_urls_point_to_the_default(storage):
    with pytest.raises(ValueError, match="storage=None"):
        get_storage(storage)


def test_errors_opening_a_file_name_it(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, " * 100)
    with pytest.raises(StorageError, match="garbage.db.*not a database"):
        SQLiteStorage(garbage)
    missing = tmp_path / "no" / "such" / "dir.db"
    with pytest.raises(StorageError, match="dir.db.*unable to open"):
        SQLiteStorage(missing)


# -- 8. hostile or damaged database contents -------------------------------------------

@pytest.fixture(scope="module")
def study_file(tmp_path_factory):
    """A real study file: trial 0 complete with x, n, c, steps and attributes."""
    path = tmp_path_factory.mktemp("hostile") / "template.db"
    study = Study(storage=SQLiteStorage(path), study_name="s", sampler="random",
                  direction="maximize", random_state=0)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.suggest_int("n", 1, 10, step=1)
    trial.suggest_categorical("c", ["a", "b"])
    trial.report(0.5, step=0)
    trial.set_user_attr("note", "hi")
    study.tell(trial, 0.5)
    study.set_system_attr("k", 1)
    return path


def _edited_copy(template, tmp_path, edit):
    path = tmp_path / "edited.db"
    with sqlite3.connect(template) as source, sqlite3.connect(path) as copy:
        source.backup(copy)  # the template's last writes may still be in its WAL
        copy.execute(edit)
    return path


_P = "UPDATE trial_params SET {} WHERE name = '{}'"
_T = "UPDATE trials SET {}"
_O = "UPDATE trial_objective_values SET {}"
_INT = '{"type": "int", "low": 1, "high": 10, "log": false, "step": 1}'
HOSTILE = [
    # (edit, the column the error must name)
    (_P.format("internal = -1", "c"), "trial_params.internal of parameter 'c'"),
    (_P.format("internal = 2", "c"), "trial_params.internal of parameter 'c'"),
    (_P.format("internal = 0.5", "c"), "trial_params.internal of parameter 'c'"),
    (_P.format("internal = -5", "n"), "trial_params.internal of parameter 'n'"),
    (_P.format("internal = 2.5", "n"), "trial_params.internal of parameter 'n'"),
    (_P.format("internal = 1e999", "x"), "trial_params.internal of parameter 'x'"),
    (_P.format("internal = -1e999", "n"), "trial_params.internal of parameter 'n'"),
    (_P.format("internal = 'abc'", "x"), "trial_params.internal of parameter 'x'"),
    (_P.format("internal = 1.5", "x"), "trial_params.internal of parameter 'x'"),
    (_P.format("distribution = 'not json'", "x"), "trial_params.distribution of parameter 'x'"),
    (_P.format("distribution = '{\"type\": \"weird\"}'", "x"), "distribution of parameter 'x'"),
    (_P.format("distribution = '{\"type\": \"int\", \"low\": 0}'", "n"), "parameter 'n'"),
    (_P.format("distribution = '" + "[" * 100000 + "'", "n"), "parameter 'n'"),
    (_P.format("distribution = '" + _INT.replace('"high": 10', '"high": 1' + "0" * 400) + "'",
               "n"), "parameter 'n'"),
    (_P.format("distribution = '" + _INT.replace('"low": 1', '"low": 1e999') + "'", "n"),
     "parameter 'n'"),
    (_P.format("distribution = '" + _INT.replace("false", '"yes"') + "'", "n"), "parameter 'n'"),
    (_P.format("distribution = '{\"type\": \"categorical\", \"choices\": []}'", "c"),
     "parameter 'c'"),
    (_P.format("distribution = 3", "c"), "parameter 'c'"),
    (_T.format("state = 'BOGUS'"), "trials.state"),
    (_T.format("state = 'complete'"), "trials.state"),
    (_O.format("value = 1e999"), "trial_objective_values.value"),
    (_O.format("value = -1e999"), "trial_objective_values.value"),
    (_O.format("value = NULL"), "trial_objective_values.value"),
    (_O.format("value = 'high'"), "trial_objective_values.value"),
    (_O.format("objective = 1"), "trial_objective_values.objective"),
    ("DELETE FROM trial_objective_values WHERE trial_id = "
     "(SELECT MIN(trial_id) FROM trials WHERE state = 'COMPLETE')", "trial_objective_values"),
    ("INSERT INTO trial_objective_values SELECT trial_id, 1, 0.5 FROM trials "
     "WHERE state = 'COMPLETE'", "trial_objective_values"),
    (_T.format("number = -1"), "trials.number"),
    (_T.format("number = 'one'"), "trials.number"),
    (_T.format("datetime_start = 'yesterday'"), "trials.datetime_start"),
    (_T.format("datetime_complete = 12"), "trials.datetime_complete"),
    ("UPDATE trial_values SET value = 1e999", "trial_values.value"),
    ("UPDATE trial_values SET value = 'x'", "trial_values.value"),
    ("UPDATE trial_values SET step = -3", "trial_values.step"),
    ("UPDATE trial_values SET step = 'first'", "trial_values.step"),
    ("UPDATE trial_attrs SET value = '{bad' WHERE key = 'note'", "user attribute 'note'"),
    ("UPDATE trial_attrs SET value = '" + "[" * 100000 + "' WHERE key = 'note'",
     "user attribute 'note'"),
    ("UPDATE trial_attrs SET kind = 'other' WHERE key = 'note'", "trial_attrs.kind"),
]


@pytest.mark.parametrize("edit, column", HOSTILE, ids=[c for _, c in HOSTILE])
def test_a_damaged_trial_is_refused_naming_study_trial_and_column(study_file, tmp_path,
                                                                   edit, column):
    path = _edited_copy(study_file, tmp_path, edit)
    with pytest.raises(CorruptStorageError) as info:
        _ = Study(storage=SQLiteStorage(path), study_name="s").trials
    message = str(info.value)
    assert "edited.db" in message and "study 's'" in message and column in message
    assert "trial " in message


@pytest.mark.parametrize("edit, column", [
    ("UPDATE study_attrs SET value = 'nope'", "study_attrs.value of 'k'"),
    ("UPDATE study_directions SET direction = 'sideways'", "study_directions.direction"),
    ("UPDATE study_directions SET objective = 2", "study_directions.objective"),
])
def test_a_damaged_study_is_refused_naming_it_and_the_column(study_file, tmp_path, edit,
                                                             column):
    path = _edited_copy(study_file, tmp_path, edit)
    with pytest.raises(CorruptStorageError, match=f"study 's'.*{column}"):
        study = Study(storage=SQLiteStorage(path), study_name="s", direction="maximize")
        _ = study.system_attrs


def test_replay_refuses_stored_params_that_do_not_fit_the_space(study_file):
    from sksearch._resume import replay_params

    (trial,) = Study(storage=SQLiteStorage(study_file), study_name="s").trials
    space = make_search_space({"x": Float(0, 1), "n": Int(1, 10), "c": ["a", "b"]})
    assert replay_params(space, trial) == trial.params
    with pytest.raises(ValueError, match=r"trial 0 has the parameters \['c'\]"):
        replay_params(make_search_space({"x": Float(0, 1), "n": Int(1, 10)}), trial)
    with pytest.raises(ValueError, match="trial 0 drew its parameter 'n' from Int"):
        replay_params(make_search_space({"x": Float(0, 1), "n": Int(1, 5),
                                         "c": ["a", "b"]}), trial)
    with pytest.raises(ValueError, match="trial 0 has no parameter 'z'"):
        replay_params(make_search_space({"x": Float(0, 1), "n": Int(1, 10),
                                         "c": ["a", "b"], "z": [1]}), trial)


# -- 9. space parsing gaps -------------------------------------------------------------

@pytest.mark.parametrize("values, match", [
    ({"a": 1, "b": 2}, "dict"),
    ({1, 2, 3}, "set"),
    (frozenset([1, 2]), "set"),
    ((d for d in [1, 2]), "generator"),
    (iter([1, 2]), "iterator"),
])
def test_dicts_sets_and_generators_are_refused_naming_the_parameter(values, match):
    with pytest.raises(TypeError, match=f"'max_depth'.*{match}"):
        make_search_space({"max_depth": values})
    with pytest.raises(TypeError, match="'max_depth'"):
        make_search_space([{"criterion": ["gini"]}, {"max_depth": values}])


def test_a_set_is_refused_before_any_fit():
    from sklearn.tree import DecisionTreeClassifier

    from sksearch import BayesSearchCV

    class Counting(DecisionTreeClassifier):
        fits = 0

        def fit(self, X, y, **kwargs):
            type(self).fits += 1
            return super().fit(X, y, **kwargs)

    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="'max_depth'"):
        BayesSearchCV(Counting(), {"max_depth": {2, 3}}, n_iter=2, cv=2).fit(X, y)
    assert Counting.fits == 0


@pytest.mark.parametrize("values", [
    [1, 2], (1, 2), np.array([1, 2]), range(1, 3), stats.randint(1, 3), Int(1, 2),
    {"a": 1}.keys(),
])
def test_sequences_and_distributions_stay_accepted(values):
    assert make_search_space({"max_depth": values}).distributions["max_depth"]


# -- 10. messages that name what is wrong ------------------------------------------------

@pytest.mark.parametrize("suggest, args, match", [
    ("suggest_int", (5, 1), r"suggest_int\('max_depth', 5, 1.*low must be <= high"),
    ("suggest_float", (1.0, 0.0), r"suggest_float\('max_depth', 1.0, 0.0.*low must be"),
    ("suggest_float", (0.0, 1.0), r"suggest_float\('max_depth'.*log=True.*> 0"),
    ("suggest_categorical", ([],), r"suggest_categorical\('max_depth', \[\]\)"),
])
def test_suggest_errors_name_the_parameter(suggest, args, match):
    study = Study()
    trial = study.ask()
    kwargs = {"log": True} if match.endswith("> 0") else {}
    with pytest.raises(ValueError, match=match):
        getattr(trial, suggest)("max_depth", *args, **kwargs)


def test_optimize_without_an_objective_says_so():
    with pytest.raises(TypeError,
                       match="'objective' parameter of Study.optimize must be a callable"):
        Study().optimize(None, n_trials=1)


def test_an_invalid_scipy_distribution_names_the_parameter():
    with pytest.raises(ValueError, match=r"'n_estimators'.*randint.*invalid"):
        make_search_space({"n_estimators": stats.randint(5, 1)})


# -- 12. increments only on parameters that grow the model -------------------------------

def _increments_error(estimator, increments):
    from sksearch._increments import Increments

    with pytest.raises(ValueError) as info:
        Increments.from_spec(increments, estimator)
    return str(info.value)


def test_increments_on_a_parameter_that_does_not_grow_the_model_are_refused():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    message = _increments_error(RandomForestClassifier(), {"max_depth": 2})
    assert "'max_depth' of RandomForestClassifier is not cumulative" in message
    assert "grows by 'n_estimators'" in message
    assert "not cumulative" in _increments_error(MLPClassifier(), {"max_iter": 2})
    assert "no parameter known" in _increments_error(LogisticRegression(), {"max_iter": 2})


def test_increments_on_hist_gradient_boosting_n_estimators_suggest_max_iter():
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline

    message = _increments_error(HistGradientBoostingRegressor(), {"n_estimators": 4})
    assert "use increments={'max_iter': 4}" in message
    pipe = Pipeline([("gb", HistGradientBoostingRegressor())])
    assert "use increments={'gb__max_iter': 4}" in _increments_error(
        pipe, {"gb__n_estimators": 4})


def test_known_and_declared_cumulative_parameters_are_accepted():
    from sklearn.base import BaseEstimator
    from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    from sksearch._increments import Increments

    class Rounds(BaseEstimator):
        sksearch_cumulative_params = ("n_rounds",)

        def __init__(self, n_rounds=10, warm_start=False):
            self.n_rounds, self.warm_start = n_rounds, warm_start

    for estimator, spec in [
        (HistGradientBoostingClassifier(), {"max_iter": 3}),
        (Pipeline([("gb", GradientBoostingRegressor())]), {"gb__n_estimators": 3}),
        (Rounds(), {"n_rounds": 3}),
    ]:
        assert Increments.from_spec(spec, estimator).n == 3


# -- 11. one rule for "best" -------------------------------------------------------------

def _frozen(number, value, state=TrialState.COMPLETE):
    from sksearch.trial import FrozenTrial

    return FrozenTrial(number=number, trial_id=number, state=state, value=value,
                       internal_params={}, distributions={})


def test_best_of_takes_the_best_finite_complete_value_and_the_earliest_of_equals():
    from sksearch.trial import best_of

    trials = [_frozen(0, 0.5), _frozen(1, 0.9), _frozen(2, 0.9), _frozen(3, float("inf")),
              _frozen(4, float("nan")), _frozen(5, None), _frozen(6, 2.0, TrialState.PRUNED),
              _frozen(7, 0.1)]
    assert best_of(trials, "maximize").number == 1
    assert best_of(reversed(trials), "maximize").number == 1  # order does not matter
    assert best_of(trials, "minimize").number == 7
    assert best_of([_frozen(0, 1.0, TrialState.FAIL)], "maximize") is None
    with pytest.raises(ValueError, match="direction"):
        best_of(trials, "up")


def test_study_and_search_agree_on_the_best_when_scores_are_huge():
    from sklearn.tree import DecisionTreeClassifier

    from sksearch import BayesSearchCV

    def scorer(estimator, X, y):  # finite scores whose sum overflows
        return 1e308 if estimator.max_depth == 2 else 0.5

    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2]},
                           sampler="grid", n_iter=None, cv=2, scoring=scorer)
    with pytest.warns(UserWarning):
        search.fit(X, y)
    assert search.best_params_ == search.study_.best_params == {"max_depth": 2}


def test_fail_trial_records_the_reason_once():
    study = Study(sampler=_sampler_failing_in("sample_independent"))
    trial = study.ask()
    with pytest.raises(_Broken):
        trial.suggest_float("x", 0, 1)
    # what a search does after its proposal raised: no second finish, no error
    assert study.fail_trial(trial, _Broken("again")).state is TrialState.FAIL
    assert "sampler broke" in study.trials[0].system_attrs["fail_reason"]
    other = Study().ask()
    frozen = other.study.fail_trial(other, KeyboardInterrupt())
    assert frozen.state is TrialState.FAIL and frozen.system_attrs["fail_reason"] == (
        "KeyboardInterrupt()")


# -- finished candidates waiting to be told survive a kill -------------------------------

def test_a_stale_trial_with_a_recorded_outcome_is_finished_with_it(tmp_path):
    path = tmp_path / "pending.db"
    other = SQLiteStorage(path)  # the process that is about to die
    study = Study(storage=other, study_name="s", direction="maximize")
    done, waiting, failed = study.ask(), study.ask(), study.ask()
    done.report(0.7, step=0)
    study.record_outcome(done, 0.75, system_attrs={"folds": [1, 2]})
    waiting.report(0.2, step=0)
    study.record_outcome(waiting, state=TrialState.PRUNED)
    for trial in (done, waiting, failed):
        _age_heartbeat(path, trial.trial_id, 601)
    reader = SQLiteStorage(path)
    study_id = reader.get_study_id("s")
    assert sorted(reader.fail_running_trials(study_id)) == [0, 1, 2]
    recovered = reader.get_trial(done.trial_id)
    assert recovered.state is TrialState.COMPLETE and recovered.values == (0.75,)
    assert recovered.system_attrs["folds"] == [1, 2]
    assert "recorded" in recovered.system_attrs["recovered"]
    assert "pending_outcome" not in recovered.system_attrs
    pruned = reader.get_trial(waiting.trial_id)
    assert pruned.state is TrialState.PRUNED and pruned.values == (0.2,)
    assert reader.get_trial(failed.trial_id).state is TrialState.FAIL


def test_tell_drops_the_recorded_outcome_and_a_live_trial_keeps_running(tmp_path):
    path = tmp_path / "pending.db"
    storage = SQLiteStorage(path)
    study = Study(storage=storage, study_name="s")
    trial = study.ask()
    study.record_outcome(trial, 1.5)
    # recorded, but its process is alive: nobody finishes it
    assert SQLiteStorage(path).fail_running_trials(storage.get_study_id("s")) == []
    assert storage.get_trial(trial.trial_id).state is TrialState.RUNNING
    frozen = study.tell(trial, 1.5)
    assert frozen.value == 1.5 and "pending_outcome" not in frozen.system_attrs
    with pytest.raises(RuntimeError, match="already finished"):
        study.record_outcome(trial, 2.0)
    with pytest.raises(ValueError, match="state must be"):
        study.record_outcome(study.ask(), 1.0, state=TrialState.RUNNING)


@pytest.mark.parametrize("record, match", [
    ({"state": "COMPLETE", "values": None, "system_attrs": {}}, "without values"),
    ({"state": "WEIRD", "values": [1.0], "system_attrs": {}}, "is not COMPLETE"),
    ({"state": "COMPLETE", "values": [1.0, 2.0], "system_attrs": {}}, "1 finite"),
    ({"state": "COMPLETE", "values": ["x"], "system_attrs": {}}, "1 finite"),
    ({"state": "COMPLETE", "values": [1.0], "system_attrs": []}, "not a dict"),
    ("garbage", "not an outcome record"),
])
def test_a_damaged_recorded_outcome_fails_the_trial_saying_why(tmp_path, record, match):
    path = tmp_path / "pending.db"
    other = SQLiteStorage(path)
    study_id = other.create_new_study("s", ["minimize"])
    trial_id, _ = other.create_new_trial(study_id)
    other.set_trial_system_attr(trial_id, "pending_outcome", record)
    _age_heartbeat(path, trial_id, 601)
    reader = SQLiteStorage(path)
    assert reader.fail_running_trials(study_id) == [0]
    trial = reader.get_trial(trial_id)
    assert trial.state is TrialState.FAIL
    assert "recorded outcome could not be read" in trial.system_attrs["fail_reason"]
    assert match in trial.system_attrs["fail_reason"]


def test_in_memory_studies_record_nothing():
    study = Study()
    trial = study.ask()
    study.record_outcome(trial, 1.0)
    assert "pending_outcome" not in study.trials[0].system_attrs
