"""SQLite storage: an embedded file that outlives the process.

The SQLite dialect of :class:`~sksearch.storage._sql.SQLStorage`, on the
standard library's ``sqlite3``. The file is in WAL mode with a busy timeout,
and every write transaction starts with ``BEGIN IMMEDIATE`` (it takes the
file's write lock at once, so trial numbers and the finish log are allocated
one writer at a time) and is retried while another writer holds the lock, so
several processes (or threads) can share one study.

A read-only storage connects through a ``mode=ro`` URI: it reads a file that
another process is writing (WAL or rollback journal) and a file on a read-only
mount, and changes neither the file nor its journal mode.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import sqlite3
import urllib.parse

from .._validation import InstanceOf, validate
from ._base import CorruptStorageError, StorageError
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
    read_only : bool, default=False
        Open the file as a reader: through a read-only connection, which works
        on a read-only mount and beside a writing process, and changes nothing
        (no tables created, no migration, no change of journal mode). A
        missing or empty file, or one of an older schema, is refused with a
        :class:`StorageError` naming it; every write raises one.

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

    # AUTOINCREMENT: the id of a deleted study or trial is never given to a new
    # one, so a reader that knew it cannot show one study's trials under
    # another's name (files created before keep SQLite's reuse of the last id)
    _TYPES = {"id": "INTEGER PRIMARY KEY AUTOINCREMENT",
              "seq": "INTEGER PRIMARY KEY AUTOINCREMENT", "real": "REAL"}
    # IMMEDIATE: the write lock from the start, so no two writers interleave
    _BEGIN_WRITE = "BEGIN IMMEDIATE"
    _BEGIN_READ = "BEGIN"
    _PARAMS = ("path", "timeout", "read_only")
    _parameter_constraints = {
        **SQLStorage._parameter_constraints,
        "path": InstanceOf(str, os.PathLike, description="a str or path-like")}

    def __init__(self, path, timeout=60.0, *, read_only=False):
        validate(self, {"path": path, "timeout": timeout, "read_only": read_only})
        self.path = _check_path(path)
        self.timeout = timeout
        self.read_only = read_only
        self._init_local()
        self._checked = False  # WAL mode only once the file is known to be ours
        if read_only and not os.path.isfile(self.path):
            raise StorageError(f"{self._label()}: no such file; a reader creates none.")
        try:
            self._open()
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
        if self.read_only:
            return _connect_read_only(self.path, self.timeout)
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
        self._checked = not self.read_only

    def _empty_words(self):
        try:
            empty = os.path.getsize(self.path) == 0
        except OSError:
            empty = False
        return "an empty file (0 bytes)" if empty else "an empty SQLite database (no tables)"

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

    def _translate(self, exc, what, timed_out):
        if isinstance(exc, sqlite3.IntegrityError):
            return None  # a race between writers, which the callers handle
        if _is_damage(exc):
            return CorruptStorageError(
                f"{self._label()} is damaged: {exc}. sksearch did not write this (a "
                "truncated, overwritten or hand-edited file); restore it from a copy.")
        if isinstance(exc, sqlite3.Error):
            return StorageError(f"{self._label()}: {exc}.")
        return None


def _is_damage(exc):
    """Whether a driver error says the file is not what SQLite or sksearch
    wrote (rather than busy, read-only or unreachable)."""
    if isinstance(exc, UnicodeDecodeError):
        return True
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    if not isinstance(exc, sqlite3.OperationalError):
        return True  # "file is not a database", "database disk image is malformed"
    text = str(exc).lower()
    return any(words in text for words in ("no such table", "no such column", "malformed",
                                           "decode", "corrupt", "not a database"))


def _connect_read_only(path, timeout):
    """A read-only connection to ``path`` (a URI with ``mode=ro``).

    A WAL file in a directory this process may not write cannot be opened so
    (SQLite needs its ``-shm`` beside it): it is then opened ``immutable``,
    which is exact only while nothing is pending in its ``-wal``; with a
    pending ``-wal`` it is refused.
    """
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                           check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        conn.close()
        if "readonly" not in str(exc).replace(" ", "") and "unable to open" not in str(exc):
            raise
        if os.access(os.path.dirname(os.path.abspath(path)), os.W_OK):
            raise
        wal = f"{path}-wal"
        if os.path.exists(wal) and os.path.getsize(wal) > 0:
            raise StorageError(
                f"SQLite storage {path!r}: a WAL-mode file in a read-only directory, with "
                f"writes still pending in {wal!r}; it cannot be read exactly there. Copy "
                "the file with its -wal to a writable directory.") from exc
    conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=timeout,
                           isolation_level=None, check_same_thread=False)
    return conn



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
