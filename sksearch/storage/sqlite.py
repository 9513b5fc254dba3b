"""SQLite storage: an embedded file that outlives the process.

The SQLite dialect of :class:`~sksearch.storage._sql.SQLStorage`, on the
standard library's ``sqlite3``. The file is in WAL mode with a busy timeout,
and every write transaction starts with ``BEGIN IMMEDIATE`` (it takes the
file's write lock at once, so trial numbers and the finish log are allocated
one writer at a time) and is retried while another writer holds the lock, so
several processes (or threads) can share one study.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import sqlite3

from ._base import StorageError
from ._sql import SQLStorage

__all__ = ["SQLiteStorage"]


class SQLiteStorage(SQLStorage):
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
    Every change of a trial is committed in its own transaction, so a search
    killed at any instant loses at most the fold that was running. Only floats
    and JSON are written: parameters as their internal values (a categorical
    choice as its index), distributions as their JSON description, attributes
    as JSON. Nothing is pickled, so opening a study file never runs code.

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

    _TYPES = {"id": "INTEGER PRIMARY KEY", "seq": "INTEGER PRIMARY KEY AUTOINCREMENT",
              "real": "REAL"}
    # IMMEDIATE: the write lock from the start, so no two writers interleave
    _BEGIN_WRITE = "BEGIN IMMEDIATE"
    _BEGIN_READ = "BEGIN"
    _PARAMS = ("path", "timeout")

    def __init__(self, path, timeout=60.0):
        self.path = _check_path(path)
        self.timeout = timeout
        self._init_local()
        self._checked = False  # WAL mode only once the file is known to be ours
        try:
            self._open_schema()
        except sqlite3.Error as exc:
            self._discard_connection()
            raise StorageError(
                f"Cannot open the SQLite storage {self.path!r}: {exc}. Give the path of "
                "a new file, or of a study file sksearch wrote."
            ) from exc
        except StorageError:
            self._discard_connection()
            raise

    def _connect(self):
        # No pragma that writes here: the file is checked to be ours first
        # (WAL mode is itself a write into the file, see _before_writing).
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        if self._checked:
            self._before_writing(conn)
        return conn

    def _before_writing(self, db):
        self._retry(lambda: db.execute("PRAGMA journal_mode=WAL"))
        db.execute("PRAGMA synchronous=NORMAL")
        self._checked = True

    def __setstate__(self, state):
        super().__setstate__(state)
        self._checked = True

    def _label(self):
        return f"SQLite storage {self.path!r}"

    def _table_columns(self, db):
        names = [name for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")]
        return {name: tuple(row[1] for row in db.execute(f'PRAGMA table_info("{name}")'))
                for name in names}

    def _is_transient(self, exc):
        return isinstance(exc, sqlite3.OperationalError) and (
            "locked" in str(exc) or "busy" in str(exc))

    def _insert(self, db, sql, args, key):
        return db.execute(sql, args).lastrowid  # RETURNING needs SQLite >= 3.35



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
