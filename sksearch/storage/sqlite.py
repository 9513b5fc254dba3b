"""SQLite storage: an embedded file that outlives the process.

Every change of a trial is committed in its own transaction, so a search killed
at any instant loses at most the fold that was running. The file is in WAL mode
with a busy timeout and retries, so several processes (or threads) can share one
study. Only floats and JSON are written: parameters as their internal values
(a categorical choice as its index), distributions as their JSON description,
attributes as JSON. Nothing is pickled, so opening a study file never runs code.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import datetime
import json
import math
import os
import socket
import sqlite3
import threading
import time

from ..distributions import Categorical, distribution_from_json
from ..trial import FrozenTrial, TrialState
from ._base import BaseStorage, DuplicatedStudyError

__all__ = ["SQLiteStorage"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    study_id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, direction TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS study_attrs (
    study_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (study_id, key));
CREATE TABLE IF NOT EXISTS trials (
    trial_id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL, number INTEGER NOT NULL,
    state TEXT NOT NULL, value REAL, datetime_start TEXT, datetime_complete TEXT,
    UNIQUE (study_id, number));
CREATE TABLE IF NOT EXISTS trial_params (
    trial_id INTEGER NOT NULL, name TEXT NOT NULL, internal REAL NOT NULL,
    distribution TEXT NOT NULL, PRIMARY KEY (trial_id, name));
CREATE TABLE IF NOT EXISTS trial_values (
    trial_id INTEGER NOT NULL, step INTEGER NOT NULL, value REAL,
    PRIMARY KEY (trial_id, step));
CREATE TABLE IF NOT EXISTS trial_attrs (
    trial_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (trial_id, kind, key));
CREATE INDEX IF NOT EXISTS trials_by_study ON trials (study_id, number);
CREATE TABLE IF NOT EXISTS trial_finish_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, study_id INTEGER NOT NULL,
    trial_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS finish_log_by_study ON trial_finish_log (study_id, seq);
"""

_FINISHED = tuple(s.name for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))

_HEARTBEAT = "heartbeat"


def _now():
    return datetime.datetime.now()


def _dumps(value):
    return json.dumps(value, sort_keys=True)


def _canonical(distribution):
    return json.dumps(distribution.to_json(), sort_keys=True, default=repr)


class SQLiteStorage(BaseStorage):
    """A study file on disk, shared safely by threads and processes.

    Parameters
    ----------
    path : str or path-like
        The database file; created if missing.
    timeout : float, default=60.0
        Seconds a writer waits for a lock before retrying.

    Notes
    -----
    Categorical distributions over objects that JSON cannot hold (estimators)
    are stored as their description. A process that knows the live objects
    (BayesSearchCV registers its search space with
    :meth:`register_distributions`) gets them back; any other reader gets a
    ``Categorical`` of the choices' reprs, with the same indices.

    Examples
    --------
    >>> import tempfile, os
    >>> from sksearch import Study
    >>> from sksearch.storage import SQLiteStorage
    >>> path = os.path.join(tempfile.mkdtemp(), "study.db")
    >>> study = Study(storage=SQLiteStorage(path), study_name="demo", sampler="random")
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> len(Study(storage=SQLiteStorage(path), study_name="demo").trials)
    3
    """

    def __init__(self, path, timeout=60.0):
        self.path = os.fspath(path)
        self.timeout = timeout
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        self._distributions = {}
        # executescript manages its own transaction; the statements are idempotent
        self._retry(lambda: self._connection().executescript(_SCHEMA))

    # -- connections ---------------------------------------------------------------
    def __getstate__(self):
        return {"path": self.path, "timeout": self.timeout,
                "_distributions": dict(self._distributions)}

    def __setstate__(self, state):
        self.path, self.timeout = state["path"], state["timeout"]
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        self._distributions = state["_distributions"]

    def _connection(self):
        # One connection per thread and per process: a connection must not
        # cross a fork, so a child re-opens its own.
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _transaction(self):
        return _Transaction(self)

    def _read(self, sql, args=()):
        return self._retry(lambda: self._connection().execute(sql, args).fetchall())

    def _retry(self, operation):
        delay = 0.01
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return operation()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    # -- distributions -------------------------------------------------------------
    def register_distributions(self, distributions):
        """Remember live distribution objects, so trials read back from the file
        hold the user's choices (estimators included), not their reprs."""
        with self._cache_lock:
            for distribution in dict(distributions).values():
                self._distributions.setdefault(_canonical(distribution), distribution)

    def _distribution(self, text):
        cached = self._distributions.get(text)
        if cached is not None:
            return cached
        description = json.loads(text)
        distribution = distribution_from_json(description)
        if distribution is None:  # objects JSON cannot hold: keep indices, show reprs
            distribution = Categorical(description.get("choice_reprs", [text]))
        with self._cache_lock:
            return self._distributions.setdefault(text, distribution)

    # -- studies -------------------------------------------------------------------
    def create_new_study(self, study_name, direction):
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM studies WHERE name = ?", (study_name,)).fetchone():
                raise DuplicatedStudyError(f"A study named {study_name!r} already exists.")
            cursor = db.execute("INSERT INTO studies (name, direction) VALUES (?, ?)",
                                (study_name, direction))
            return cursor.lastrowid

    def get_study_id(self, study_name):
        rows = self._read("SELECT study_id FROM studies WHERE name = ?", (study_name,))
        return rows[0][0] if rows else None

    def get_study_direction(self, study_id):
        return self._read("SELECT direction FROM studies WHERE study_id = ?", (study_id,))[0][0]

    def set_study_system_attr(self, study_id, key, value):
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO study_attrs VALUES (?, ?, ?)",
                       (study_id, key, _dumps(value)))

    def get_study_system_attrs(self, study_id):
        rows = self._read("SELECT key, value FROM study_attrs WHERE study_id = ?", (study_id,))
        return {key: json.loads(value) for key, value in rows}

    # -- trials --------------------------------------------------------------------
    def create_new_trial(self, study_id):
        with self._transaction() as db:
            number = db.execute("SELECT COUNT(*) FROM trials WHERE study_id = ?",
                                (study_id,)).fetchone()[0]
            cursor = db.execute(
                "INSERT INTO trials (study_id, number, state, datetime_start) "
                "VALUES (?, ?, ?, ?)",
                (study_id, number, TrialState.RUNNING.name, _now().isoformat()))
            trial_id = cursor.lastrowid
            owner = {"pid": os.getpid(), "host": socket.gethostname()}
            db.executemany("INSERT INTO trial_attrs VALUES (?, 'system', ?, ?)", [
                (trial_id, "owner", _dumps(owner)),
                (trial_id, _HEARTBEAT, _dumps(time.time()))])
        return trial_id, number

    def _check_running(self, db, trial_id):
        row = db.execute("SELECT state, number FROM trials WHERE trial_id = ?",
                         (trial_id,)).fetchone()
        if row[0] != TrialState.RUNNING.name:
            raise RuntimeError(f"Trial {row[1]} is already finished ({row[0]}) and cannot "
                               "be changed.")
        db.execute("INSERT OR REPLACE INTO trial_attrs VALUES (?, 'system', ?, ?)",
                   (trial_id, _HEARTBEAT, _dumps(time.time())))

    def set_trial_param(self, trial_id, name, internal_value, distribution):
        text = _canonical(distribution)
        with self._cache_lock:
            self._distributions.setdefault(text, distribution)
        with self._transaction() as db:
            self._check_running(db, trial_id)
            db.execute("INSERT OR REPLACE INTO trial_params VALUES (?, ?, ?, ?)",
                       (trial_id, name, float(internal_value), text))

    def set_trial_intermediate_value(self, trial_id, step, value):
        value = float(value)
        with self._transaction() as db:
            self._check_running(db, trial_id)
            # SQLite has no NaN: a failed fold is stored as NULL and read back as NaN.
            db.execute("INSERT OR REPLACE INTO trial_values VALUES (?, ?, ?)",
                       (trial_id, int(step), None if math.isnan(value) else value))

    def _set_attr(self, trial_id, kind, key, value):
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO trial_attrs VALUES (?, ?, ?, ?)",
                       (trial_id, kind, key, _dumps(value)))

    def set_trial_user_attr(self, trial_id, key, value):
        self._set_attr(trial_id, "user", key, value)

    def set_trial_system_attr(self, trial_id, key, value):
        self._set_attr(trial_id, "system", key, value)

    def set_trial_state_values(self, trial_id, state, value=None):
        if state is TrialState.RUNNING:
            raise ValueError("A trial cannot be set back to RUNNING.")
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE trials SET state = ?, value = ?, datetime_complete = ? "
                "WHERE trial_id = ? AND state = ?",
                (state.name, None if value is None else float(value), _now().isoformat(),
                 trial_id, TrialState.RUNNING.name))
            if cursor.rowcount != 1:
                return False
            # The finish log orders finishes by commit: writers hold the lock
            # from BEGIN IMMEDIATE, so a reader that saw sequence s has seen
            # every finish numbered below s (get_trials_finished_since).
            db.execute("INSERT INTO trial_finish_log (study_id, trial_id) "
                       "SELECT study_id, trial_id FROM trials WHERE trial_id = ?", (trial_id,))
            return True

    def fail_running_trials(self, study_id, grace_seconds=600.0):
        """Mark FAIL the RUNNING trials whose process is gone.

        A trial is stale when its owner process no longer exists on this host,
        or, for another host, when it has not written for ``grace_seconds``.
        Trials of live processes, this one included, are left alone.

        Returns
        -------
        failed : list of int
            Numbers of the trials marked FAIL.
        """
        host = socket.gethostname()
        failed = []
        for trial in self.get_all_trials(study_id, states=(TrialState.RUNNING,)):
            owner = trial.system_attrs.get("owner", {})
            heartbeat = trial.system_attrs.get(_HEARTBEAT, 0.0)
            if owner.get("host") == host:
                stale = owner.get("pid") != os.getpid() and not _pid_alive(owner.get("pid"))
            else:
                stale = time.time() - heartbeat > grace_seconds
            if stale:
                self.set_trial_system_attr(trial.trial_id, "fail_reason",
                                           "stale: its process died")
                if self.set_trial_state_values(trial.trial_id, TrialState.FAIL):
                    failed.append(trial.number)
        return failed

    # -- reading -------------------------------------------------------------------
    def get_trial(self, trial_id):
        return self._load("t.trial_id = ?", (trial_id,))[0]

    def get_all_trials(self, study_id, states=None):
        where, args = "t.study_id = ?", [study_id]
        if states is not None:
            states = tuple(states)
            if not states:
                return []
            where += f" AND t.state IN ({','.join('?' * len(states))})"
            args += [s.name for s in states]
        return self._load(where, tuple(args))

    def get_trials_finished_since(self, study_id, cursor=None):
        """Trials finished after ``cursor`` (a sequence number of the file's
        finish log), and the new one; see
        :meth:`BaseStorage.get_trials_finished_since`.

        ``None`` reads every finished trial, including those of a file written
        before the log existed.
        """
        last = "SELECT COALESCE(MAX(seq), 0) FROM trial_finish_log WHERE study_id = ?"
        if cursor is None:
            where = f"t.study_id = ? AND t.state IN ({','.join('?' * len(_FINISHED))})"
            trials, (new_cursor,) = self._load(where, (study_id, *_FINISHED),
                                               extra=(last, (study_id,)))
        else:
            where = ("t.trial_id IN (SELECT trial_id FROM trial_finish_log "
                     "WHERE study_id = ? AND seq > ?)")
            trials, (new_cursor,) = self._load(where, (study_id, cursor),
                                               extra=(last, (study_id,)))
        return trials, new_cursor

    def get_n_trials(self, study_id, states=None):
        if states is None:
            return self._read("SELECT COUNT(*) FROM trials WHERE study_id = ?", (study_id,))[0][0]
        states = tuple(states)
        return self._read(
            f"SELECT COUNT(*) FROM trials WHERE study_id = ? AND state IN "
            f"({','.join('?' * len(states))})", (study_id, *[s.name for s in states]))[0][0]

    def _load(self, where, args, extra=None):
        """Trials matching ``where``; with ``extra = (sql, args)``, also the first
        row of that query, read in the same snapshot: ``(trials, row)``."""
        def read():
            db = self._connection()
            # One read transaction, so the queries see the same snapshot.
            db.execute("BEGIN")
            try:
                extra_row = None if extra is None else db.execute(*extra).fetchone()
                trials = db.execute(
                    "SELECT trial_id, number, state, value, datetime_start, datetime_complete "
                    f"FROM trials t WHERE {where} ORDER BY t.number", args).fetchall()
                params = db.execute(
                    "SELECT p.trial_id, p.name, p.internal, p.distribution FROM trial_params p "
                    f"JOIN trials t ON t.trial_id = p.trial_id WHERE {where}", args).fetchall()
                values = db.execute(
                    "SELECT v.trial_id, v.step, v.value FROM trial_values v "
                    f"JOIN trials t ON t.trial_id = v.trial_id WHERE {where} ORDER BY v.step",
                    args).fetchall()
                attrs = db.execute(
                    "SELECT a.trial_id, a.kind, a.key, a.value FROM trial_attrs a "
                    f"JOIN trials t ON t.trial_id = a.trial_id WHERE {where}", args).fetchall()
            finally:
                db.execute("COMMIT")
            return trials, params, values, attrs, extra_row

        trials, params, values, attrs, extra_row = self._retry(read)
        built = {}
        for trial_id, number, state, value, start, complete in trials:
            built[trial_id] = FrozenTrial(
                number=number, trial_id=trial_id, state=TrialState[state], value=value,
                internal_params={}, distributions={},
                datetime_start=_parse_time(start), datetime_complete=_parse_time(complete))
        for trial_id, name, internal, text in params:
            built[trial_id].internal_params[name] = internal
            built[trial_id].distributions[name] = self._distribution(text)
        for trial_id, step, value in values:
            built[trial_id].intermediate_values[step] = math.nan if value is None else value
        for trial_id, kind, key, value in attrs:
            target = built[trial_id].user_attrs if kind == "user" else built[trial_id].system_attrs
            target[key] = json.loads(value)
        if extra is not None:
            return list(built.values()), extra_row
        return list(built.values())


class _Transaction:
    """``with storage._transaction() as db``: BEGIN IMMEDIATE ... COMMIT, retried
    while another writer holds the lock."""

    def __init__(self, storage):
        self.storage = storage

    def __enter__(self):
        self.db = self.storage._connection()
        self.storage._retry(lambda: self.db.execute("BEGIN IMMEDIATE"))
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.storage._retry(lambda: self.db.execute("COMMIT"))
        else:
            self.db.execute("ROLLBACK")
        return False


def _parse_time(text):
    return None if text is None else datetime.datetime.fromisoformat(text)


def _pid_alive(pid):
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
