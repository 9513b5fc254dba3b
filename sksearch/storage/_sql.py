"""What every SQL storage shares: the statements, transactions and retries,
heartbeats of running trials, and the distribution cache.

A backend is a small dialect subclass of :class:`SQLStorage` (see
``sqlite.py`` and ``postgres.py``): how to connect, the column types, how a
transaction starts, how a study row is locked, which driver errors are worth a
retry, and how to list the tables. Statements are written once, with ``?``
placeholders; a dialect whose driver wants another style converts them in
:meth:`SQLStorage._execute`.

The contract, whatever the database: every state change is its own
transaction (retried as a whole when the database is busy, a transaction lost a
race, or the connection dropped); trial numbers are allocated inside the
transaction that creates the trial; only floats and JSON are written, never a
pickle; every value is checked when read (``_sql_rows``).

A storage opened with ``read_only=True`` (what the dashboard, ``python -m
sksearch studies``, ``list_studies`` and ``load_study`` open) connects
read-only, never creates, migrates or reconfigures the database, and refuses
one it could not read without doing so. :meth:`SQLStorage.defer_writes` lets
the Study of ``load_study`` write later: its first write reopens the database
for writing.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import datetime
import json
import math
import os
import socket
import sys
import threading
import time
import uuid
import warnings

from .._validation import InstanceOf, Interval
from ..distributions import stand_in_from_json
from ..trial import INTERRUPTED_KEY, TrialState
from . import _checks, _sql_schema
from ._base import (
    PENDING_OUTCOME,
    BaseStorage,
    CorruptStorageError,
    DuplicatedStudyError,
    StorageError,
    pending_outcome_from_json,
    pending_outcome_to_json,
)
from ._heartbeat import HEARTBEAT, Heartbeats, malformed_reason, stale_reason
from ._sql_rows import TrialRows, build_trials, loads

__all__ = ["SQLStorage"]

_FINISHED = tuple(s.name for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL))
_RUNNING = TrialState.RUNNING.name

_UPSERT_ATTR = ("INSERT INTO trial_attrs VALUES (?, ?, ?, ?) ON CONFLICT (trial_id, kind, key) "
                "DO UPDATE SET value = excluded.value")


def _now():
    return datetime.datetime.now()


def _dumps(value):
    # what sksearch writes itself (heartbeats, owners); the user's values go
    # through _checks.dumps, which checks them first
    return json.dumps(value, sort_keys=True)


def _operation_name(function):
    """The storage method that defined ``function`` (a transaction's body),
    as errors name the operation: ``SQLStorage.create_new_trial.<locals>.create``
    gives ``create_new_trial``."""
    name = getattr(function, "__qualname__", "") or "an operation"
    return name.split(".<locals>")[0].rsplit(".", 1)[-1]


def _canonical(distribution):
    return json.dumps(distribution.to_json(), sort_keys=True, default=repr)


class SQLStorage(BaseStorage):
    """The storage of a study in an SQL database; subclasses are dialects.

    A subclass sets :attr:`timeout` and :attr:`read_only`, calls
    :meth:`_init_local` and :meth:`_open`, and defines the ``_``-prefixed
    hooks below that raise ``NotImplementedError``.
    """

    #: Seconds between two heartbeats of a running trial; well below the grace
    #: period of :meth:`fail_running_trials`.
    heartbeat_interval = 60.0

    # -- the dialect ---------------------------------------------------------------
    #: Column types of the schema (see ``_sql_schema``).
    _TYPES = {"id": "INTEGER PRIMARY KEY", "seq": "INTEGER PRIMARY KEY", "real": "REAL"}
    #: Starts a transaction that writes; one that only reads (one snapshot).
    _BEGIN_WRITE = "BEGIN"
    _BEGIN_READ = "BEGIN"
    #: Appended to the SELECT of a row that the transaction then changes.
    _FOR_UPDATE = ""
    #: The constructor's parameters: what a pickled storage keeps.
    _PARAMS = ()
    #: What the options every dialect takes accept (a dialect adds where its
    #: database is); checked when the storage is built, before it connects.
    _parameter_constraints = {
        "timeout": Interval(float, 0, closed="neither"),
        "read_only": InstanceOf(bool, description="a bool")}

    def _connect(self):
        """A new connection, in autocommit mode (transactions are explicit)."""
        raise NotImplementedError

    def _label(self):
        """The database, as messages name it (never a password)."""
        raise NotImplementedError

    def _table_columns(self, db):
        """``{table: (column, ...)}`` of every table of the database."""
        raise NotImplementedError

    def _is_transient(self, exc):
        """Whether the operation that raised ``exc`` is worth running again."""
        raise NotImplementedError

    def _translate(self, exc, what, timed_out):
        """The :class:`StorageError` (a :class:`CorruptStorageError` for a
        damaged database) to raise instead of the driver's error ``exc``, or
        ``None`` to let it through (a constraint violation, which callers
        handle; an error of sksearch's own). ``what`` names the operation
        (``"set_trial_user_attr"``); ``timed_out`` says that ``exc`` was
        transient and retried until :attr:`timeout`."""
        return None

    def _empty_words(self):
        """What an empty database is, in the words of a reader's error."""
        return "an empty database"

    def _recover(self):
        """After a transient error: drop this thread's connection if the error
        broke it (the next operation opens another)."""

    def _execute(self, db, sql, args=()):
        return db.execute(sql, args)

    def _executemany(self, db, sql, rows):
        db.executemany(sql, rows)

    def _insert(self, db, sql, args, key):
        """Run an INSERT and return the ``key`` column the database gave the row."""
        return self._execute(db, f"{sql} RETURNING {key}", args).fetchone()[0]

    def _lock_study(self, db, study_id):
        """Hold the study's row until the transaction ends, so that its trial
        numbers and finish-log entries are taken one transaction at a time;
        ``KeyError`` if the study is not there (deleted, by another process
        perhaps, while a Study object still held it)."""
        row = self._execute(db, f"SELECT 1 FROM studies WHERE study_id = ?{self._FOR_UPDATE}",
                            (study_id,)).fetchone()
        if row is None:
            raise KeyError(f"No study with id {study_id!r} in {self._label()}: it was "
                           "deleted, or never existed.")

    def _lock_schema(self, db):
        """Hold off other processes creating or migrating the tables."""

    def _before_writing(self, db):
        """Settings of a database found to be ours, before the first write."""

    # -- connections, transactions, retries ----------------------------------------
    def _init_local(self):
        self._local = threading.local()
        self._mode_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._distributions = {}
        # trials this object created and has not finished
        self._heartbeats = Heartbeats(lambda: self.heartbeat_interval, self._beat)

    @property
    def _beat_thread(self):
        return self._heartbeats.thread

    def __getstate__(self):
        state = {name: getattr(self, name) for name in self._PARAMS}
        return {**state, "_distributions": dict(self._distributions),
                "_deferred": self._deferred}

    def __setstate__(self, state):
        for name in self._PARAMS:
            setattr(self, name, state[name])
        self._init_local()
        self._distributions = state["_distributions"]
        self._deferred = state["_deferred"]

    def _connection(self):
        # One connection per thread and per process: a connection must not
        # cross a fork, so a child opens its own; nor outlive a switch from
        # reading to writing (defer_writes), so a thread reopens it then.
        conn = getattr(self._local, "conn", None)
        if (conn is None or self._local.pid != os.getpid()
                or self._local.read_only != self.read_only):
            if conn is not None and self._local.pid == os.getpid():
                self._discard_connection()
            conn = self._connect()
            self._local.conn, self._local.pid = conn, os.getpid()
            self._local.read_only = self.read_only
        return conn

    def _discard_connection(self):
        conn, self._local.conn = getattr(self._local, "conn", None), None
        if conn is not None and self._local.pid == os.getpid():
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass

    def _retry(self, operation, what=None):
        """Run ``operation()`` until it succeeds, raises an error that is not
        transient, or :attr:`timeout` seconds have passed; ``what`` names the
        operation in errors (by default, the method that defined
        ``operation``)."""
        delay = 0.01
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return operation()
            except Exception as exc:
                transient = self._is_transient(exc)
                if not transient or time.monotonic() > deadline:
                    translated = self._translate(exc, what or _operation_name(operation),
                                                 transient)
                    if translated is None:
                        raise
                    raise translated from exc
                self._recover()
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _in_transaction(self, begin, body):
        db = self._connection()
        self._execute(db, begin)
        try:
            result = body(db)
            self._execute(db, "COMMIT")
        except BaseException:
            try:
                self._execute(db, "ROLLBACK")
            except Exception:  # noqa: BLE001 - a lost connection: open a new one
                self._discard_connection()
            raise
        return result

    def _write(self, body):
        """``body(db)`` in one write transaction, run again from the start
        while it fails for a transient reason; returns what it returns."""
        if self.read_only:
            self._start_writing()
        return self._retry(lambda: self._in_transaction(self._BEGIN_WRITE, body),
                           _operation_name(body))

    def _start_writing(self):
        """Before the first write of a read-only storage: refuse it, or, after
        :meth:`defer_writes`, reopen the database for writing."""
        with self._mode_lock:
            if not self.read_only:
                return
            if not self._deferred:
                raise StorageError(
                    f"The {self._label()} was opened read-only (by a reader: the dashboard, "
                    "python -m sksearch studies, list_studies); it writes nothing. Open it "
                    "with a Study or a search to write.")
            self.read_only = False
            try:
                self._open_schema()
            except BaseException:
                self.read_only = True
                raise

    def defer_writes(self):
        """Let a read-only storage write: not now, but at its first write,
        which reopens the database for writing (and does what a writer does on
        opening it: SQLite's WAL mode). What ``load_study`` gives its Study,
        so that loading writes nothing but the Study can still ask and tell
        (:meth:`BaseStorage.defer_writes`)."""
        self._deferred = True

    def _read(self, sql, args=()):
        # errors name the method that reads, not this helper
        return self._retry(lambda: self._execute(self._connection(), sql, args).fetchall(),
                           sys._getframe(1).f_code.co_name)

    # -- the schema ------------------------------------------------------------------
    def _open(self):
        """What a constructor does once connected: a writer creates or migrates
        the tables; a reader only checks that it can read them."""
        self._deferred = False
        if not self.read_only:
            self._open_schema()
            return
        version = self._retry(lambda: self._schema_version(self._connection()))
        _sql_schema.check_readable(self._label(), version, self._empty_words())

    def _schema_version(self, db):
        def meta_version():
            row = self._execute(db, "SELECT value FROM sksearch_meta WHERE key = "
                                "'schema_version'").fetchone()
            return None if row is None else row[0]

        return _sql_schema.check_tables(self._label(), self._table_columns(db), meta_version)

    def _open_schema(self):
        """Check that the database is ours (or empty) before writing anything
        into it, then create or migrate the tables in one transaction."""
        self._retry(lambda: self._schema_version(self._connection()))
        self._before_writing(self._connection())

        def create(db):
            self._lock_schema(db)
            version = self._schema_version(db)  # again: another process may have written
            if version is not None and version >= _sql_schema.SCHEMA_VERSION:
                return
            for statement in _sql_schema.statements(version, self._TYPES):
                self._execute(db, statement)
            self._execute(db, "INSERT INTO sksearch_meta VALUES ('schema_version', ?) ON "
                          "CONFLICT (key) DO UPDATE SET value = excluded.value",
                          (str(_sql_schema.SCHEMA_VERSION),))

        self._write(create)

    # -- distributions -------------------------------------------------------------
    def register_distributions(self, distributions):
        """Remember live distribution objects, so trials read back from the
        database hold the user's choices (estimators included), not their reprs.

        Parameters
        ----------
        distributions : dict of str -> BaseDistribution, or iterable of BaseDistribution
        """
        if isinstance(distributions, dict):
            distributions = distributions.values()
        for distribution in distributions:
            self._remember(_canonical(distribution), distribution)

    def _remember(self, text, distribution):
        # A live distribution replaces a stand-in read from the database before
        # it was known; a stand-in never replaces anything.
        with self._cache_lock:
            if self._distributions.get(text, (None, True))[1]:
                self._distributions[text] = (distribution, False)

    def _distribution(self, text):
        cached = self._distributions.get(text)
        if cached is not None:
            return cached[0]
        distribution = stand_in_from_json(loads(text))
        with self._cache_lock:
            return self._distributions.setdefault(text, (distribution, True))[0]

    # -- studies -------------------------------------------------------------------
    def create_new_study(self, study_name, directions):
        _checks.check_name(study_name, "study_name")
        directions = list(directions)
        if self.read_only and not self._deferred:
            # said here, not by the write: a reader asked for a missing study
            raise StorageError(
                f"No study named {study_name!r} in the {self._label()}, and this storage "
                "was opened read-only (by a reader), so it creates none.")

        def create(db):
            if self._execute(db, "SELECT 1 FROM studies WHERE name = ?",
                             (study_name,)).fetchone():
                raise DuplicatedStudyError(f"A study named {study_name!r} already exists.")
            study_id = self._insert(db, "INSERT INTO studies (name) VALUES (?)",
                                    (study_name,), "study_id")
            self._executemany(db, "INSERT INTO study_directions VALUES (?, ?, ?)",
                              [(study_id, k, d) for k, d in enumerate(directions)])
            return study_id

        try:
            return self._write(create)
        except DuplicatedStudyError:
            raise
        except Exception as exc:
            # another process created it between our check and our insert
            if self.get_study_id(study_name) is not None:
                raise DuplicatedStudyError(
                    f"A study named {study_name!r} already exists.") from exc
            raise

    def get_study_id(self, study_name):
        _checks.check_name(study_name, "study_name")  # what the database cannot hold
        rows = self._read("SELECT study_id FROM studies WHERE name = ?", (study_name,))
        return rows[0][0] if rows else None

    def get_all_studies(self):
        return [(study_id, name) for study_id, name in
                self._read("SELECT study_id, name FROM studies ORDER BY study_id")]

    def delete_study(self, study_id):
        trials = "(SELECT trial_id FROM trials WHERE study_id = ?)"

        def delete(db):  # all of it or nothing
            self._lock_study(db, study_id)
            for table in ("trial_params", "trial_values", "trial_attrs",
                          "trial_objective_values"):
                self._execute(db, f"DELETE FROM {table} WHERE trial_id IN {trials}",
                              (study_id,))
            for table in ("trial_finish_log", "trials", "study_attrs", "study_directions",
                          "studies"):
                self._execute(db, f"DELETE FROM {table} WHERE study_id = ?", (study_id,))

        self._write(delete)

    def get_study_directions(self, study_id):
        rows = self._read("SELECT objective, direction FROM study_directions "
                          "WHERE study_id = ? ORDER BY objective", (study_id,))
        if not rows:
            if not self._read("SELECT 1 FROM studies WHERE study_id = ?", (study_id,)):
                raise KeyError(f"No study with id {study_id!r} in {self._label()}.")
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
        text = _checks.check_attr(key, value, "the study's system_attrs")
        self._write(lambda db: self._execute(
            db, "INSERT INTO study_attrs VALUES (?, ?, ?) ON CONFLICT (study_id, key) "
            "DO UPDATE SET value = excluded.value", (study_id, key, text)))

    def get_study_system_attrs(self, study_id):
        rows = self._read("SELECT key, value FROM study_attrs WHERE study_id = ?", (study_id,))
        attrs = {}
        for key, value in rows:
            try:
                attrs[key] = loads(value)
            except ValueError as exc:
                self._corrupt(study_id, None, f"study_attrs.value of {key!r}", str(exc))
        return attrs

    def _corrupt(self, study_id, number, column, problem):
        try:
            rows = self._read("SELECT name FROM studies WHERE study_id = ?", (study_id,))
            study = repr(rows[0][0]) if rows else f"id {study_id!r}"
        except Exception:  # noqa: BLE001 - the message matters more than the name
            study = f"id {study_id!r}"
        where = f"study {study}" + ("" if number is None else f", trial {number!r}")
        raise CorruptStorageError(
            f"{self._label()}, {where}, column {column}: {problem}. The database "
            "was damaged or edited by hand; sksearch did not write this."
        )

    # -- trials --------------------------------------------------------------------
    def create_new_trial(self, study_id):
        # The token names this trial, so that a retry after a connection lost
        # during COMMIT finds the trial that commit may have created.
        owner = _dumps({"host": socket.gethostname(), "pid": os.getpid(),
                        "token": uuid.uuid4().hex})
        attempts = []

        def create(db):
            attempts.append(None)
            if len(attempts) > 1:
                row = self._execute(
                    db, "SELECT t.trial_id, t.number FROM trials t JOIN trial_attrs a ON "
                    "a.trial_id = t.trial_id WHERE t.study_id = ? AND a.kind = 'system' "
                    "AND a.key = 'owner' AND a.value = ?", (study_id, owner)).fetchone()
                if row is not None:
                    return tuple(row)
            self._lock_study(db, study_id)
            # MAX + 1, not COUNT: numbers stay unique when a row was removed
            number = self._execute(db, "SELECT COALESCE(MAX(number) + 1, 0) FROM trials "
                                   "WHERE study_id = ?", (study_id,)).fetchone()[0]
            trial_id = self._insert(
                db, "INSERT INTO trials (study_id, number, state, datetime_start) "
                "VALUES (?, ?, ?, ?)", (study_id, number, _RUNNING, _now().isoformat()),
                "trial_id")
            self._executemany(db, "INSERT INTO trial_attrs VALUES (?, 'system', ?, ?)", [
                (trial_id, "owner", owner), (trial_id, HEARTBEAT, _dumps(time.time()))])
            return trial_id, number

        trial_id, number = self._write(create)
        self._heartbeats.start(trial_id)
        return trial_id, number

    def create_finished_trial(self, study_id, trial):
        # the whole record checked before the transaction; the number of
        # values against the study's inside it, before anything is written
        values, user, system = _checks.check_finished_record(trial)
        params = []
        for name, internal in trial.internal_params.items():
            text = _canonical(trial.distributions[name])
            self._remember(text, trial.distributions[name])
            params.append((name, float(internal), text))
        attrs = [("user", k, v) for k, v in user.items()]
        attrs += [("system", k, v) for k, v in system.items()]
        now = _now()
        start, complete = trial.datetime_start or now, trial.datetime_complete or now

        def create(db):  # the whole trial at once
            self._lock_study(db, study_id)
            self._check_n_values(db, study_id, trial.state, values)
            number = self._execute(db, "SELECT COALESCE(MAX(number) + 1, 0) FROM trials "
                                   "WHERE study_id = ?", (study_id,)).fetchone()[0]
            trial_id = self._insert(
                db, "INSERT INTO trials (study_id, number, state, datetime_start, "
                "datetime_complete) VALUES (?, ?, ?, ?, ?)",
                (study_id, number, trial.state.name, start.isoformat(), complete.isoformat()),
                "trial_id")
            self._executemany(db, "INSERT INTO trial_objective_values VALUES (?, ?, ?)",
                              [(trial_id, k, v) for k, v in enumerate(values)])
            # a recorded outcome has served its purpose once the trial is finished
            self._execute(db, "DELETE FROM trial_attrs WHERE trial_id = ? AND kind = ? "
                          "AND key = ?", (trial_id, "system", PENDING_OUTCOME))
            self._executemany(db, "INSERT INTO trial_params VALUES (?, ?, ?, ?)",
                              [(trial_id, *row) for row in params])
            self._executemany(db, "INSERT INTO trial_values VALUES (?, ?, ?)", [
                (trial_id, int(step), float(v) if math.isfinite(v) else None)
                for step, v in trial.intermediate_values.items()])
            self._executemany(db, "INSERT INTO trial_attrs VALUES (?, ?, ?, ?)",
                              [(trial_id, *row) for row in attrs])
            self._execute(db, "INSERT INTO trial_finish_log (study_id, trial_id) "
                          "VALUES (?, ?)", (study_id, trial_id))
            return trial_id, number

        return self._write(create)

    def _beat(self, trial_ids):
        beats = [(_dumps(time.time()), i, HEARTBEAT) for i in trial_ids]
        self._write(lambda db: self._executemany(
            db, "UPDATE trial_attrs SET value = ? WHERE trial_id = ? AND kind = 'system' "
            f"AND key = ? AND trial_id IN (SELECT trial_id FROM trials WHERE state = "
            f"'{_RUNNING}')", beats))

    def _check_running(self, db, trial_id):
        row = self._execute(db, "SELECT state, number FROM trials WHERE trial_id = ?"
                            f"{self._FOR_UPDATE}", (trial_id,)).fetchone()
        if row[0] != _RUNNING:
            raise RuntimeError(f"Trial {row[1]} is already finished ({row[0]}) and cannot "
                               "be changed.")
        self._execute(db, _UPSERT_ATTR, (trial_id, "system", HEARTBEAT, _dumps(time.time())))

    def set_trial_param(self, trial_id, name, internal_value, distribution):
        _checks.check_param(name, internal_value, distribution)
        text = _canonical(distribution)
        self._remember(text, distribution)
        row = (trial_id, name, float(internal_value), text)

        def write(db):
            self._check_running(db, trial_id)
            self._execute(db, "INSERT INTO trial_params VALUES (?, ?, ?, ?) ON CONFLICT "
                          "(trial_id, name) DO UPDATE SET internal = excluded.internal, "
                          "distribution = excluded.distribution", row)

        self._write(write)

    def set_trial_intermediate_value(self, trial_id, step, value):
        _checks.check_intermediate(step, value)
        value = float(value)
        # a failed step (or an infinite one, which is no evidence either) is
        # stored as NULL (SQLite has no NaN) and read back as NaN
        row = (trial_id, int(step), value if math.isfinite(value) else None)

        def write(db):
            self._check_running(db, trial_id)
            self._execute(db, "INSERT INTO trial_values VALUES (?, ?, ?) ON CONFLICT "
                          "(trial_id, step) DO UPDATE SET value = excluded.value", row)

        self._write(write)

    def _set_attr(self, trial_id, kind, key, text):
        row = (trial_id, kind, key, text)
        self._write(lambda db: self._execute(db, _UPSERT_ATTR, row))

    def set_trial_user_attr(self, trial_id, key, value):
        self._set_attr(trial_id, "user", key, _checks.check_attr(key, value, "user_attrs"))

    def set_trial_system_attr(self, trial_id, key, value):
        self._set_attr(trial_id, "system", key,
                       _checks.check_attr(key, value, "system_attrs"))

    def _check_n_values(self, db, study_id, state, values):
        """Inside a write transaction, before it writes: ValueError unless
        ``values`` has one value per objective of the study (a trial with
        another number of values could not be read back)."""
        if values:
            n = self._execute(db, "SELECT COUNT(*) FROM study_directions WHERE "
                              "study_id = ?", (study_id,)).fetchone()[0]
            _checks.check_outcome(state, values, n)

    def set_trial_pending_outcome(self, trial_id, state, values=None, system_attrs=None):
        values = _checks.check_outcome(state, values)
        _checks.check_attrs(system_attrs, "system_attrs")
        text = _dumps(pending_outcome_to_json(state, values or None, system_attrs))

        def write(db):
            row = self._execute(db, "SELECT study_id FROM trials WHERE trial_id = ?",
                                (trial_id,)).fetchone()
            if row is not None:
                self._check_n_values(db, row[0], state, values)
            self._execute(db, _UPSERT_ATTR, (trial_id, "system", PENDING_OUTCOME, text))

        self._write(write)

    def set_trial_state_values(self, trial_id, state, values=None, system_attrs=None):
        if state is TrialState.RUNNING:
            raise ValueError("A trial cannot be set back to RUNNING.")
        values = _checks.check_outcome(state, values)
        attrs = _checks.check_attrs(system_attrs, "system_attrs")

        def finish(db):  # state, values and attributes: all or nothing
            row = self._execute(db, "SELECT study_id FROM trials WHERE trial_id = ?",
                                (trial_id,)).fetchone()
            if row is None:
                return False
            self._lock_study(db, row[0])
            self._check_n_values(db, row[0], state, values)
            cursor = self._execute(
                db, "UPDATE trials SET state = ?, datetime_complete = ? "
                "WHERE trial_id = ? AND state = ?",
                (state.name, _now().isoformat(), trial_id, _RUNNING))
            if cursor.rowcount != 1:
                return False
            self._executemany(db, "INSERT INTO trial_objective_values VALUES (?, ?, ?)",
                              [(trial_id, k, v) for k, v in enumerate(values)])
            # a recorded outcome has served its purpose once the trial is finished
            self._execute(db, "DELETE FROM trial_attrs WHERE trial_id = ? AND kind = ? "
                          "AND key = ?", (trial_id, "system", PENDING_OUTCOME))
            self._executemany(db, _UPSERT_ATTR, [(trial_id, "system", key, text)
                                                 for key, text in attrs.items()])
            # The finish log orders finishes by commit: the study's row is held
            # from here to COMMIT, so a reader that saw sequence s has seen
            # every finish of the study numbered below s
            # (get_trials_finished_since).
            self._execute(db, "INSERT INTO trial_finish_log (study_id, trial_id) "
                          "VALUES (?, ?)", (row[0], trial_id))
            return True

        changed = self._write(finish)
        self._heartbeats.stop(trial_id)
        return changed

    def fail_running_trials(self, study_id, grace_seconds=600.0):
        """Finish the RUNNING trials whose process is gone.

        A running trial's heartbeat is refreshed every
        :attr:`heartbeat_interval` seconds by the process that runs it. A trial
        is stale when its heartbeat is older than ``grace_seconds``, whoever its
        owner seems to be (after a container restart a new process may have the
        dead one's pid and host name); and, at once, when its owner's pid no
        longer exists on this host. Trials this storage object is running are
        never stale. A stale trial with a recorded outcome
        (:meth:`set_trial_pending_outcome`: it had finished and was waiting to
        be told) is finished with that outcome; the others are marked FAIL.

        Returns
        -------
        finished : list of int
            Numbers of the trials finished, either way.
        """
        host, now, mine = socket.gethostname(), time.time(), self._heartbeats.running()
        n_objectives = None
        finished = []
        for trial in self.get_all_trials(study_id, states=(TrialState.RUNNING,)):
            if trial.trial_id in mine:
                continue
            malformed = malformed_reason(trial.system_attrs)
            reason = malformed or stale_reason(trial.system_attrs, grace_seconds, now, host)
            if reason is None:
                continue
            if malformed:
                # no process could be waiting on a record this damaged: say so,
                # rather than wait out the grace period in silence
                warnings.warn(f"{self._label()}, study id {study_id}, trial "
                              f"{trial.number}: {reason}; it is finished now.",
                              RuntimeWarning, stacklevel=2)
            # a dead process's trial was cut short, not failed by its parameters
            state, values, attrs = TrialState.FAIL, None, {"fail_reason": reason,
                                                           INTERRUPTED_KEY: reason}
            if PENDING_OUTCOME in trial.system_attrs:
                if n_objectives is None:
                    n_objectives = len(self.get_study_directions(study_id))
                try:
                    state, values, attrs = pending_outcome_from_json(
                        trial.system_attrs[PENDING_OUTCOME], n_objectives)
                    attrs = {**attrs, "recovered": f"{reason}; finished with the "
                             "outcome it had recorded"}
                except ValueError as exc:
                    attrs["fail_reason"] = (f"{reason}; its recorded outcome could not "
                                            f"be read ({exc})")
            if self.set_trial_state_values(trial.trial_id, state, values,
                                           system_attrs=attrs):
                finished.append(trial.number)
        return finished

    # -- reading -------------------------------------------------------------------
    def get_trial(self, trial_id):
        trials = self._load("t.trial_id = ?", (trial_id,))
        if not trials:
            raise KeyError(f"No trial with id {trial_id!r} in {self._label()}.")
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
        """Trials finished after ``cursor`` (a sequence number of the
        database's finish log), and the new one; see
        :meth:`BaseStorage.get_trials_finished_since`.

        ``None`` reads every finished trial, including those of a database
        written before the log existed.
        """
        last = "SELECT COALESCE(MAX(seq), 0) FROM trial_finish_log WHERE study_id = ?"
        if cursor is None:
            where = f"t.study_id = ? AND t.state IN ({','.join('?' * len(_FINISHED))})"
            args = (study_id, *_FINISHED)
        else:
            where = ("t.trial_id IN (SELECT trial_id FROM trial_finish_log "
                     "WHERE study_id = ? AND seq > ?)")
            args = (study_id, cursor)
        trials, (new_cursor,) = self._load(where, args, extra=(last, (study_id,)))
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
        def read(db):
            run = self._execute
            extra_row = None if extra is None else run(db, *extra).fetchone()
            rows = TrialRows(
                trials=run(db, "SELECT trial_id, study_id, number, state, datetime_start, "
                           f"datetime_complete FROM trials t WHERE {where} ORDER BY t.number",
                           args).fetchall(),
                objectives=run(db, "SELECT o.trial_id, o.objective, o.value FROM "
                               "trial_objective_values o JOIN trials t ON t.trial_id = "
                               f"o.trial_id WHERE {where} ORDER BY o.trial_id, o.objective",
                               args).fetchall(),
                n_directions=dict(run(db, "SELECT study_id, COUNT(*) FROM study_directions "
                                      "GROUP BY study_id").fetchall()),
                params=run(db, "SELECT p.trial_id, p.name, p.internal, p.distribution FROM "
                           "trial_params p JOIN trials t ON t.trial_id = p.trial_id "
                           f"WHERE {where}", args).fetchall(),
                values=run(db, "SELECT v.trial_id, v.step, v.value FROM trial_values v JOIN "
                           f"trials t ON t.trial_id = v.trial_id WHERE {where} ORDER BY v.step",
                           args).fetchall(),
                attrs=run(db, "SELECT a.trial_id, a.kind, a.key, a.value FROM trial_attrs a "
                          f"JOIN trials t ON t.trial_id = a.trial_id WHERE {where}",
                          args).fetchall())
            return rows, extra_row

        # One read transaction, so the queries see the same snapshot.
        rows, extra_row = self._retry(lambda: self._in_transaction(self._BEGIN_READ, read),
                                      sys._getframe(1).f_code.co_name)
        trials = build_trials(rows, self._distribution, self._corrupt)
        return trials if extra is None else (trials, extra_row)

