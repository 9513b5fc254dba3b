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

from ..distributions import stand_in_from_json
from ..trial import FrozenTrial, TrialState
from ._base import BaseStorage, CorruptStorageError, DuplicatedStudyError, StorageError

__all__ = ["SQLiteStorage"]

_SCHEMA_VERSION = 2

# Our tables and their columns, in order: what a file must have to be ours.
# Version 2 moved the study's direction and the trial's value into tables of
# one row per objective (several objectives); _migrate_to_2 rewrites a file of
# version 1, whose tables differ as _TABLES_V1 says.
_TABLES = {
    "studies": ("study_id", "name"),
    "study_directions": ("study_id", "objective", "direction"),
    "study_attrs": ("study_id", "key", "value"),
    "trials": ("trial_id", "study_id", "number", "state", "datetime_start",
               "datetime_complete"),
    "trial_objective_values": ("trial_id", "objective", "value"),
    "trial_params": ("trial_id", "name", "internal", "distribution"),
    "trial_values": ("trial_id", "step", "value"),
    "trial_attrs": ("trial_id", "kind", "key", "value"),
    "trial_finish_log": ("seq", "study_id", "trial_id"),
    "sksearch_meta": ("key", "value"),
}
_TABLES_V1 = {
    **{k: v for k, v in _TABLES.items()
       if k not in ("study_directions", "trial_objective_values")},
    "studies": ("study_id", "name", "direction"),
    "trials": ("trial_id", "study_id", "number", "state", "value", "datetime_start",
               "datetime_complete"),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    study_id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS study_directions (
    study_id INTEGER NOT NULL, objective INTEGER NOT NULL, direction TEXT NOT NULL,
    PRIMARY KEY (study_id, objective));
CREATE TABLE IF NOT EXISTS study_attrs (
    study_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (study_id, key));
CREATE TABLE IF NOT EXISTS trials (
    trial_id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL, number INTEGER NOT NULL,
    state TEXT NOT NULL, datetime_start TEXT, datetime_complete TEXT,
    UNIQUE (study_id, number));
CREATE TABLE IF NOT EXISTS trial_objective_values (
    trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, value REAL,
    PRIMARY KEY (trial_id, objective));
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
CREATE TABLE IF NOT EXISTS sksearch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Version 1 to 2: one row per objective, copied from the old columns, which
# are then dropped (SQLite >= 3.35). A file of version 0 or 1 has a subset of
# version 1's tables (older files lack the finish log and the meta table).
_MIGRATE_TO_2 = """
CREATE TABLE study_directions (
    study_id INTEGER NOT NULL, objective INTEGER NOT NULL, direction TEXT NOT NULL,
    PRIMARY KEY (study_id, objective));
INSERT INTO study_directions SELECT study_id, 0, direction FROM studies;
CREATE TABLE trial_objective_values (
    trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, value REAL,
    PRIMARY KEY (trial_id, objective));
INSERT INTO trial_objective_values SELECT trial_id, 0, value FROM trials
    WHERE value IS NOT NULL;
ALTER TABLE studies DROP COLUMN direction;
ALTER TABLE trials DROP COLUMN value
"""

_FINISHED = tuple(s.name for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))

_HEARTBEAT = "heartbeat"


def _now():
    return datetime.datetime.now()


def _dumps(value):
    return json.dumps(value, sort_keys=True)


def _canonical(distribution):
    return json.dumps(distribution.to_json(), sort_keys=True, default=repr)


def _loads(text):
    """``json.loads`` that fails with ValueError only (a deeply nested text
    exhausts the recursion limit; a non-str is not JSON)."""
    if not isinstance(text, str):
        raise ValueError(f"expected JSON text, got {text!r}")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc}): {text[:80]!r}") from None


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class SQLiteStorage(BaseStorage):
    """A study file on disk, shared safely by threads and processes.

    Parameters
    ----------
    path : str or path-like
        The database file; created if missing. An existing file must be an
        sksearch study file: the database of another program is refused
        before anything is written into it.
    timeout : float, default=60.0
        Seconds a writer waits for a lock before retrying.

    Notes
    -----
    Categorical distributions over objects that JSON cannot hold (estimators)
    are stored as their description. A process that knows the live objects
    (BayesSearchCV registers its search space with
    :meth:`register_distributions`) gets them back; any other reader gets a
    ``Categorical`` of the choices' reprs, with the same indices (and, for a
    frozen ``scipy.stats`` distribution, the quantile instead of the value).

    Every value read back is checked against what sksearch writes (a state, a
    finite value, a parameter inside its distribution, JSON attributes): a
    damaged or hand-edited file raises :class:`CorruptStorageError` naming the
    study, the trial and the column.

    While a trial of this process runs, a background thread refreshes its
    heartbeat every ``heartbeat_interval`` seconds, so another process can tell
    it from the trial of a process that died (see :meth:`fail_running_trials`).

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

    #: Seconds between two heartbeats of a running trial; well below the grace
    #: period of :meth:`fail_running_trials`.
    heartbeat_interval = 60.0

    def __init__(self, path, timeout=60.0):
        self.path = _check_path(path)
        self.timeout = timeout
        self._init_local()
        self._distributions = {}
        self._open()

    def _init_local(self):
        self._local = threading.local()
        self._cache_lock = threading.Lock()
        # Trials this object created and has not finished: their heartbeats are
        # kept fresh by one daemon thread, which ends when there are none.
        self._beating = set()
        self._beat_lock = threading.Lock()
        self._beat_thread = None
        self._beat_pid = os.getpid()

    # -- opening -------------------------------------------------------------------
    def _open(self):
        """Check that the file is ours (or empty) before writing anything into
        it, then create the tables a new or older file lacks."""
        db = None
        try:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                 check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
            # read-only first: WAL mode is itself a write into the file
            try:
                self._retry(lambda: self._inspect(db))
            except StorageError:
                db.close()
                raise
            self._retry(lambda: db.execute("PRAGMA journal_mode=WAL"))
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = db, os.getpid()
            with self._transaction() as db:
                version = self._inspect(db)  # again: another process may have written
                if version is not None and version < 2:
                    for statement in _MIGRATE_TO_2.split(";"):
                        db.execute(statement)
                if version is None or version < _SCHEMA_VERSION:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute("INSERT OR REPLACE INTO sksearch_meta VALUES "
                               "('schema_version', ?)", (str(_SCHEMA_VERSION),))
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise StorageError(
                f"Cannot open the SQLite storage {self.path!r}: {exc}. Give the path of "
                "a new file, or of a study file sksearch wrote."
            ) from exc

    def _inspect(self, db):
        """The file's schema version: ``None`` for an empty database, 0 for an
        sksearch file written before versions were recorded (read as version 1).
        Raises for anything that is not ours."""
        tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        names = {name for (name,) in tables if not name.startswith("sqlite_")}
        if not names:
            return None
        old = "study_directions" not in names and "trial_objective_values" not in names
        tables = _TABLES_V1 if old else _TABLES
        foreign = sorted(names - set(tables))
        if foreign or not {"studies", "trials"} <= names:
            raise StorageError(
                f"{self.path!r} is an SQLite database of another program (it has the "
                f"tables {sorted(names)!r}), not an sksearch study file; nothing was "
                "written into it. Give the path of a new file or of an sksearch study file."
            )
        for table in sorted(names):
            columns = tuple(row[1] for row in db.execute(f'PRAGMA table_info("{table}")'))
            if columns != tables[table]:
                raise StorageError(
                    f"{self.path!r}: table {table!r} has the columns {columns!r}, not "
                    f"sksearch's {tables[table]!r}; it is not an sksearch study file, or "
                    "it was damaged. Nothing was written into it."
                )
        if "sksearch_meta" not in names:
            return self._unversioned(old, names)
        row = db.execute(
            "SELECT value FROM sksearch_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            return self._unversioned(old, names)
        try:
            version = int(row[0])
        except (TypeError, ValueError):
            version = None
        if version is None or version < 1:
            raise StorageError(f"{self.path!r}: schema_version {row[0]!r} in table "
                               "sksearch_meta is not a version sksearch writes.")
        if version > _SCHEMA_VERSION:
            raise StorageError(
                f"{self.path!r} was written by a newer sksearch (schema version "
                f"{version}; this one reads up to {_SCHEMA_VERSION}); upgrade sksearch."
            )
        if old != (version < 2):
            raise StorageError(
                f"{self.path!r}: schema_version {version} in table sksearch_meta does not "
                f"match its tables {sorted(names)!r}; the file was damaged.")
        return version

    def _unversioned(self, old, names):
        if not old:
            raise StorageError(
                f"{self.path!r}: tables {sorted(names)!r} of schema version 2 but no "
                "schema_version in table sksearch_meta; the file was damaged.")
        return 0

    # -- connections ---------------------------------------------------------------
    def __getstate__(self):
        return {"path": self.path, "timeout": self.timeout,
                "_distributions": dict(self._distributions)}

    def __setstate__(self, state):
        self.path, self.timeout = state["path"], state["timeout"]
        self._init_local()
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
        hold the user's choices (estimators included), not their reprs.

        Parameters
        ----------
        distributions : dict of str -> BaseDistribution, or iterable of BaseDistribution
        """
        if isinstance(distributions, dict):
            distributions = distributions.values()
        for distribution in distributions:
            self._remember(_canonical(distribution), distribution)

    def _remember(self, text, distribution):
        # A live distribution replaces a stand-in read from the file before it
        # was known; a stand-in never replaces anything.
        with self._cache_lock:
            if self._distributions.get(text, (None, True))[1]:
                self._distributions[text] = (distribution, False)

    def _distribution(self, text):
        cached = self._distributions.get(text)
        if cached is not None:
            return cached[0]
        distribution = stand_in_from_json(_loads(text))
        with self._cache_lock:
            return self._distributions.setdefault(text, (distribution, True))[0]

    # -- studies -------------------------------------------------------------------
    def create_new_study(self, study_name, directions):
        with self._transaction() as db:
            if db.execute("SELECT 1 FROM studies WHERE name = ?", (study_name,)).fetchone():
                raise DuplicatedStudyError(f"A study named {study_name!r} already exists.")
            study_id = db.execute("INSERT INTO studies (name) VALUES (?)",
                                  (study_name,)).lastrowid
            db.executemany("INSERT INTO study_directions VALUES (?, ?, ?)",
                           [(study_id, k, d) for k, d in enumerate(directions)])
            return study_id

    def get_study_id(self, study_name):
        rows = self._read("SELECT study_id FROM studies WHERE name = ?", (study_name,))
        return rows[0][0] if rows else None

    def get_all_studies(self):
        return [(study_id, name) for study_id, name in
                self._read("SELECT study_id, name FROM studies ORDER BY study_id")]

    def get_study_directions(self, study_id):
        rows = self._read("SELECT objective, direction FROM study_directions "
                          "WHERE study_id = ? ORDER BY objective", (study_id,))
        if not rows:
            if not self._read("SELECT 1 FROM studies WHERE study_id = ?", (study_id,)):
                raise KeyError(f"No study with id {study_id!r} in {self.path!r}.")
            self._corrupt(study_id, None, "study_directions", "the study has no direction")
        for position, (objective, direction) in enumerate(rows):
            if objective != position:
                self._corrupt(study_id, None, "study_directions.objective",
                              f"objectives {[r[0] for r in rows]!r} are not 0, 1, ...")
            if direction not in ("maximize", "minimize"):
                self._corrupt(study_id, None, "study_directions.direction",
                              f"{direction!r} is neither 'maximize' nor 'minimize'")
        return [direction for _, direction in rows]

    def set_study_system_attr(self, study_id, key, value):
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO study_attrs VALUES (?, ?, ?)",
                       (study_id, key, _dumps(value)))

    def get_study_system_attrs(self, study_id):
        rows = self._read("SELECT key, value FROM study_attrs WHERE study_id = ?", (study_id,))
        attrs = {}
        for key, value in rows:
            try:
                attrs[key] = _loads(value)
            except ValueError as exc:
                self._corrupt(study_id, None, f"study_attrs.value of {key!r}", str(exc))
        return attrs

    def _corrupt(self, study_id, number, column, problem):
        try:
            rows = self._read("SELECT name FROM studies WHERE study_id = ?", (study_id,))
            study = repr(rows[0][0]) if rows else f"id {study_id!r}"
        except sqlite3.Error:
            study = f"id {study_id!r}"
        where = f"study {study}" + ("" if number is None else f", trial {number!r}")
        raise CorruptStorageError(
            f"SQLite storage {self.path!r}, {where}, column {column}: {problem}. The file "
            "was damaged or edited by hand; sksearch did not write this."
        )

    # -- trials --------------------------------------------------------------------
    def create_new_trial(self, study_id):
        with self._transaction() as db:
            # MAX + 1, not COUNT: numbers stay unique when a row was removed
            number = db.execute("SELECT COALESCE(MAX(number) + 1, 0) FROM trials "
                                "WHERE study_id = ?", (study_id,)).fetchone()[0]
            cursor = db.execute(
                "INSERT INTO trials (study_id, number, state, datetime_start) "
                "VALUES (?, ?, ?, ?)",
                (study_id, number, TrialState.RUNNING.name, _now().isoformat()))
            trial_id = cursor.lastrowid
            owner = {"pid": os.getpid(), "host": socket.gethostname()}
            db.executemany("INSERT INTO trial_attrs VALUES (?, 'system', ?, ?)", [
                (trial_id, "owner", _dumps(owner)),
                (trial_id, _HEARTBEAT, _dumps(time.time()))])
        self._start_beating(trial_id)
        return trial_id, number

    # -- heartbeats ----------------------------------------------------------------
    def _start_beating(self, trial_id):
        with self._beat_lock:
            if self._beat_pid != os.getpid():  # a forked child: the thread stayed behind
                self._beating, self._beat_thread = set(), None
                self._beat_pid = os.getpid()
            self._beating.add(trial_id)
            if self._beat_thread is None:
                self._beat_thread = threading.Thread(
                    target=self._beat, name="sksearch-heartbeat", daemon=True)
                self._beat_thread.start()

    def _stop_beating(self, trial_id):
        with self._beat_lock:
            self._beating.discard(trial_id)

    def _beat(self):
        while True:
            time.sleep(self.heartbeat_interval)
            with self._beat_lock:
                ids = sorted(self._beating)
                if not ids:
                    self._beat_thread = None
                    return
            try:
                with self._transaction() as db:
                    db.executemany(
                        "UPDATE trial_attrs SET value = ? WHERE trial_id = ? AND "
                        "kind = 'system' AND key = ? AND trial_id IN "
                        "(SELECT trial_id FROM trials WHERE state = 'RUNNING')",
                        [(_dumps(time.time()), i, _HEARTBEAT) for i in ids])
            except sqlite3.Error:  # a busy file: the next beat will do
                pass

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
        self._remember(text, distribution)
        with self._transaction() as db:
            self._check_running(db, trial_id)
            db.execute("INSERT OR REPLACE INTO trial_params VALUES (?, ?, ?, ?)",
                       (trial_id, name, float(internal_value), text))

    def set_trial_intermediate_value(self, trial_id, step, value):
        value = float(value)
        with self._transaction() as db:
            self._check_running(db, trial_id)
            # SQLite has no NaN: a failed step (or an infinite one, which is no
            # evidence either) is stored as NULL and read back as NaN.
            db.execute("INSERT OR REPLACE INTO trial_values VALUES (?, ?, ?)",
                       (trial_id, int(step), value if math.isfinite(value) else None))

    def _set_attr(self, trial_id, kind, key, value):
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO trial_attrs VALUES (?, ?, ?, ?)",
                       (trial_id, kind, key, _dumps(value)))

    def set_trial_user_attr(self, trial_id, key, value):
        self._set_attr(trial_id, "user", key, value)

    def set_trial_system_attr(self, trial_id, key, value):
        self._set_attr(trial_id, "system", key, value)

    def set_trial_state_values(self, trial_id, state, values=None, system_attrs=None):
        if state is TrialState.RUNNING:
            raise ValueError("A trial cannot be set back to RUNNING.")
        with self._transaction() as db:  # state, values and attributes: all or nothing
            cursor = db.execute(
                "UPDATE trials SET state = ?, datetime_complete = ? "
                "WHERE trial_id = ? AND state = ?",
                (state.name, _now().isoformat(), trial_id, TrialState.RUNNING.name))
            if cursor.rowcount != 1:
                return False
            db.executemany("INSERT INTO trial_objective_values VALUES (?, ?, ?)",
                           [(trial_id, k, float(v)) for k, v in enumerate(values or ())])
            db.executemany("INSERT OR REPLACE INTO trial_attrs VALUES (?, 'system', ?, ?)",
                           [(trial_id, key, _dumps(v)) for key, v in (system_attrs or {}).items()])
            # The finish log orders finishes by commit: writers hold the lock
            # from BEGIN IMMEDIATE, so a reader that saw sequence s has seen
            # every finish numbered below s (get_trials_finished_since).
            db.execute("INSERT INTO trial_finish_log (study_id, trial_id) "
                       "SELECT study_id, trial_id FROM trials WHERE trial_id = ?", (trial_id,))
        self._stop_beating(trial_id)
        return True

    def fail_running_trials(self, study_id, grace_seconds=600.0):
        """Mark FAIL the RUNNING trials whose process is gone.

        A running trial's heartbeat is refreshed every
        :attr:`heartbeat_interval` seconds by the process that runs it. A trial
        is stale when its heartbeat is older than ``grace_seconds``, whoever its
        owner seems to be (after a container restart a new process may have the
        dead one's pid and host name); and, at once, when its owner's pid no
        longer exists on this host. Trials this storage object is running are
        never stale.

        Returns
        -------
        failed : list of int
            Numbers of the trials marked FAIL.
        """
        host = socket.gethostname()
        now = time.time()
        with self._beat_lock:
            mine = set(self._beating) if self._beat_pid == os.getpid() else set()
        failed = []
        for trial in self.get_all_trials(study_id, states=(TrialState.RUNNING,)):
            if trial.trial_id in mine:
                continue
            owner = trial.system_attrs.get("owner")
            owner = owner if isinstance(owner, dict) else {}
            heartbeat = trial.system_attrs.get(_HEARTBEAT)
            heartbeat = heartbeat if _is_number(heartbeat) else 0.0
            if now - heartbeat > grace_seconds:
                reason = f"stale: no heartbeat for {now - heartbeat:.0f} s"
            elif (owner.get("host") == host and owner.get("pid") != os.getpid()
                  and not _pid_alive(owner.get("pid"))):
                reason = "stale: its process died"
            else:
                continue
            if self.set_trial_state_values(trial.trial_id, TrialState.FAIL,
                                           system_attrs={"fail_reason": reason}):
                failed.append(trial.number)
        return failed

    # -- reading -------------------------------------------------------------------
    def get_trial(self, trial_id):
        trials = self._load("t.trial_id = ?", (trial_id,))
        if not trials:
            raise KeyError(f"No trial with id {trial_id!r} in {self.path!r}.")
        return trials[0]

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
                    "SELECT trial_id, study_id, number, state, datetime_start, "
                    f"datetime_complete FROM trials t WHERE {where} ORDER BY t.number",
                    args).fetchall()
                objectives = db.execute(
                    "SELECT o.trial_id, o.objective, o.value FROM trial_objective_values o "
                    f"JOIN trials t ON t.trial_id = o.trial_id WHERE {where} "
                    "ORDER BY o.trial_id, o.objective", args).fetchall()
                n_directions = dict(db.execute(
                    "SELECT study_id, COUNT(*) FROM study_directions GROUP BY study_id"
                ).fetchall())
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
            return trials, objectives, n_directions, params, values, attrs, extra_row

        trials, objectives, n_directions, params, values, attrs, extra_row = self._retry(read)
        built, studies = {}, {}
        for row in trials:
            trial_id, study_id = row[0], row[1]
            studies[trial_id] = study_id
            built[trial_id] = self._trial_from_row(row)
        self._attach_objective_values(built, studies, objectives, n_directions)
        for trial_id, name, internal, text in params:
            trial = built[trial_id]
            column = f"trial_params.internal of parameter {name!r}"
            try:
                distribution = self._distribution(text)
            except ValueError as exc:
                self._corrupt(studies[trial_id], trial.number,
                              f"trial_params.distribution of parameter {name!r}", str(exc))
            if not (_is_number(internal) and math.isfinite(internal)):
                self._corrupt(studies[trial_id], trial.number, column,
                              f"{internal!r} is not a finite number")
            if not distribution.contains_internal(internal):
                self._corrupt(studies[trial_id], trial.number, column,
                              f"internal value {internal!r} is not in {distribution!r}")
            trial.internal_params[name] = float(internal)
            trial.distributions[name] = distribution
        for trial_id, step, value in values:
            trial = built[trial_id]
            if not (isinstance(step, int) and step >= 0):
                self._corrupt(studies[trial_id], trial.number, "trial_values.step",
                              f"{step!r} is not an int >= 0")
            if value is not None and not (_is_number(value) and math.isfinite(value)):
                self._corrupt(studies[trial_id], trial.number,
                              f"trial_values.value of step {step}",
                              f"{value!r} is neither a finite number nor NULL")
            trial.intermediate_values[step] = math.nan if value is None else float(value)
        for trial_id, kind, key, value in attrs:
            trial = built[trial_id]
            if kind not in ("user", "system"):
                self._corrupt(studies[trial_id], trial.number, "trial_attrs.kind",
                              f"{kind!r} is neither 'user' nor 'system'")
            try:
                decoded = _loads(value)
            except ValueError as exc:
                self._corrupt(studies[trial_id], trial.number,
                              f"trial_attrs.value of {kind} attribute {key!r}", str(exc))
            (trial.user_attrs if kind == "user" else trial.system_attrs)[key] = decoded
        if extra is not None:
            return list(built.values()), extra_row
        return list(built.values())

    def _trial_from_row(self, row):
        trial_id, study_id, number, state, start, complete = row
        if not (isinstance(number, int) and number >= 0):
            self._corrupt(study_id, number, "trials.number", f"{number!r} is not an int >= 0")
        if not (isinstance(state, str) and state in TrialState.__members__):
            self._corrupt(study_id, number, "trials.state",
                          f"{state!r} is not one of {list(TrialState.__members__)!r}")
        state = TrialState[state]
        times = []
        for column, text in (("datetime_start", start), ("datetime_complete", complete)):
            try:
                times.append(_parse_time(text))
            except (TypeError, ValueError):
                self._corrupt(study_id, number, f"trials.{column}",
                              f"{text!r} is not an ISO date and time")
        return FrozenTrial(
            number=number, trial_id=trial_id, state=state, internal_params={},
            distributions={}, datetime_start=times[0], datetime_complete=times[1])

    def _attach_objective_values(self, built, studies, objectives, n_directions):
        """Set each trial's ``values`` from its rows (ordered by trial and
        objective), checking that they are what sksearch writes: finite, one per
        direction of the study, and present on every COMPLETE trial."""
        rows = {}
        for trial_id, objective, value in objectives:
            trial = built[trial_id]
            column = f"trial_objective_values.value of objective {objective!r}"
            if not (_is_number(value) and math.isfinite(value)):
                self._corrupt(studies[trial_id], trial.number, column,
                              f"{value!r} is not a finite number")
            if objective != len(rows.setdefault(trial_id, [])):
                self._corrupt(studies[trial_id], trial.number,
                              "trial_objective_values.objective",
                              f"objective {objective!r} does not follow 0, 1, ...")
            rows[trial_id].append(float(value))
        for trial_id, trial in built.items():
            values = rows.get(trial_id)
            expected = n_directions.get(studies[trial_id], 0)
            if values is None:
                if trial.state is TrialState.COMPLETE:
                    self._corrupt(studies[trial_id], trial.number,
                                  "trial_objective_values", "a COMPLETE trial has no value")
                continue
            if len(values) != expected:
                self._corrupt(studies[trial_id], trial.number, "trial_objective_values",
                              f"{len(values)} values for a study of {expected} objectives")
            trial.values = tuple(values)


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
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(text)
    return datetime.datetime.fromisoformat(text)


def _check_path(path):
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"path must be a str or path-like, got {path!r}.")
    if path == "" or path == ":memory:":
        raise ValueError(
            f"SQLiteStorage path {path!r} names no file (an in-memory SQLite database "
            "is private to one connection, so threads and worker processes could not "
            "share it); use storage=None for an in-memory study, or give a file path."
        )
    return path


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
