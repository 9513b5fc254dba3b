"""The tables of an SQL study database, their versions and migrations.

One schema for every SQL backend: the statements are written once, with the
few column types that differ between databases left as ``{id}`` (an integer
key the database assigns), ``{seq}`` (the same, never reused) and ``{real}``
(a double) for the dialect to fill in.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from ._base import CorruptStorageError, StorageError

SCHEMA_VERSION = 2

# Our tables and their columns, in order: what a database must have to be ours.
# Version 2 moved the study's direction and the trial's value into tables of
# one row per objective (several objectives); MIGRATIONS[2] rewrites a database
# of version 1, whose tables differ as TABLES_V1 says.
TABLES = {
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
TABLES_V1 = {
    **{k: v for k, v in TABLES.items()
       if k not in ("study_directions", "trial_objective_values")},
    "studies": ("study_id", "name", "direction"),
    "trials": ("trial_id", "study_id", "number", "state", "value", "datetime_start",
               "datetime_complete"),
}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    study_id {id}, name TEXT UNIQUE NOT NULL);
CREATE TABLE IF NOT EXISTS study_directions (
    study_id INTEGER NOT NULL, objective INTEGER NOT NULL, direction TEXT NOT NULL,
    PRIMARY KEY (study_id, objective));
CREATE TABLE IF NOT EXISTS study_attrs (
    study_id INTEGER NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (study_id, key));
CREATE TABLE IF NOT EXISTS trials (
    trial_id {id}, study_id INTEGER NOT NULL, number INTEGER NOT NULL,
    state TEXT NOT NULL, datetime_start TEXT, datetime_complete TEXT,
    UNIQUE (study_id, number));
CREATE TABLE IF NOT EXISTS trial_objective_values (
    trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, value {real},
    PRIMARY KEY (trial_id, objective));
CREATE TABLE IF NOT EXISTS trial_params (
    trial_id INTEGER NOT NULL, name TEXT NOT NULL, internal {real} NOT NULL,
    distribution TEXT NOT NULL, PRIMARY KEY (trial_id, name));
CREATE TABLE IF NOT EXISTS trial_values (
    trial_id INTEGER NOT NULL, step INTEGER NOT NULL, value {real},
    PRIMARY KEY (trial_id, step));
CREATE TABLE IF NOT EXISTS trial_attrs (
    trial_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (trial_id, kind, key));
CREATE INDEX IF NOT EXISTS trials_by_study ON trials (study_id, number);
CREATE TABLE IF NOT EXISTS trial_finish_log (
    seq {seq}, study_id INTEGER NOT NULL, trial_id INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS finish_log_by_study ON trial_finish_log (study_id, seq);
CREATE TABLE IF NOT EXISTS sksearch_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)
"""

# MIGRATIONS[v]: from version v - 1 to v, run in the transaction that opens
# the database. 1 -> 2: one row per objective, copied from the old columns,
# which are then dropped (SQLite >= 3.35). A database of version 0 or 1 has a
# subset of version 1's tables (older ones lack the finish log and the meta
# table); the tables a version lacks are created after the migrations.
MIGRATIONS = {2: """
CREATE TABLE study_directions (
    study_id INTEGER NOT NULL, objective INTEGER NOT NULL, direction TEXT NOT NULL,
    PRIMARY KEY (study_id, objective));
INSERT INTO study_directions SELECT study_id, 0, direction FROM studies;
CREATE TABLE trial_objective_values (
    trial_id INTEGER NOT NULL, objective INTEGER NOT NULL, value {real},
    PRIMARY KEY (trial_id, objective));
INSERT INTO trial_objective_values SELECT trial_id, 0, value FROM trials
    WHERE value IS NOT NULL;
ALTER TABLE studies DROP COLUMN direction;
ALTER TABLE trials DROP COLUMN value
"""}


def statements(version, types):
    """The statements that bring a database of ``version`` (``None`` for an
    empty one) to :data:`SCHEMA_VERSION`, with the dialect's column ``types``
    (a dict with the keys ``id``, ``seq`` and ``real``)."""
    texts = []
    if version is not None:
        texts += [MIGRATIONS[v] for v in range(max(version, 1) + 1, SCHEMA_VERSION + 1)]
    texts.append(_SCHEMA)
    return [statement.strip().format(**types) for text in texts
            for statement in text.split(";") if statement.strip()]


def check_tables(label, columns, meta_version):
    """The schema version of a database, from what it holds.

    Parameters
    ----------
    label : str
        The database, as messages name it (a path, or host and database).
    columns : dict of str -> tuple of str
        Every table of the database and its columns, in order.
    meta_version : callable
        Returns the text stored as ``schema_version`` in ``sksearch_meta``, or
        ``None``; called only when that table exists.

    Returns
    -------
    version : int or None
        ``None`` for an empty database, 0 for one of ours written before
        versions were recorded (read as version 1).

    Raises
    ------
    StorageError
        For a database of another program, a damaged one, or one that a newer
        sksearch wrote: nothing is written into it.
    """
    names = set(columns)
    if not names:
        return None
    old = "study_directions" not in names and "trial_objective_values" not in names
    _check_table_set(label, columns, TABLES_V1 if old else TABLES, old)
    text = meta_version() if "sksearch_meta" in names else None
    if text is None:
        if not old:
            raise StorageError(
                f"{label}: tables {sorted(names)!r} of schema version 2 but no "
                "schema_version in table sksearch_meta; the database was damaged.")
        return 0
    return _stored_version(label, text, old, names)


def _check_table_set(label, columns, tables, old):
    """Raise unless ``columns`` are sksearch's ``tables`` (of version 1 when
    ``old``), each with its columns, none missing that version 2 always had."""
    names = set(columns)
    foreign = sorted(names - set(tables))
    if foreign or not {"studies", "trials"} <= names:
        raise StorageError(
            f"{label} is a database of another program (it has the tables "
            f"{sorted(names)!r}), not an sksearch study database; nothing was written "
            "into it. Give a new (empty) database or one that sksearch wrote."
        )
    for table in sorted(names):
        if columns[table] != tables[table]:
            raise StorageError(
                f"{label}: table {table!r} has the columns {columns[table]!r}, not "
                f"sksearch's {tables[table]!r}; it is not an sksearch study database, or "
                "it was damaged. Nothing was written into it."
            )
    missing = sorted(set(tables) - names - {"sksearch_meta"})  # said below
    if not old and missing:
        # version 2 always had every table; a writer must not quietly recreate
        # one that was dropped (its rows would be lost without a word)
        raise CorruptStorageError(
            f"{label}: the tables {missing!r} of an sksearch study database are missing; "
            "the database was damaged or edited by hand. Nothing was written into it.")


def _stored_version(label, text, old, names):
    """The schema version ``text`` stored in ``sksearch_meta``, checked
    against this sksearch and against the tables (``old``: version 1's)."""
    try:
        version = int(text)
    except (TypeError, ValueError):
        version = None
    if version is None or version < 1:
        raise StorageError(f"{label}: schema_version {text!r} in table "
                           "sksearch_meta is not a version sksearch writes.")
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"{label} was written by a newer sksearch (schema version "
            f"{version}; this one reads up to {SCHEMA_VERSION}); upgrade sksearch."
        )
    if old != (version < 2):
        raise StorageError(
            f"{label}: schema_version {version} in table sksearch_meta does not "
            f"match its tables {sorted(names)!r}; the database was damaged.")
    return version


def check_readable(label, version, empty):
    """Refuse, for a reader, a database it cannot read without writing.

    Parameters
    ----------
    label : str
        The database, as messages name it.
    version : int or None
        What :func:`check_tables` returned.
    empty : str
        What an empty database is, in words (``"an empty file (0 bytes)"``).

    Raises
    ------
    StorageError
        For an empty database (a reader creates no tables) or one of an older
        schema (a reader does not migrate it).
    """
    if version is None:
        raise StorageError(
            f"{label} is {empty}, not an sksearch study database: there is nothing to "
            "read, and a reader creates nothing. A search or a Study that writes to "
            "it creates the tables.")
    if version < SCHEMA_VERSION:
        raise StorageError(
            f"{label} was written by an older sksearch (schema version {max(version, 1)}; "
            f"this one writes {SCHEMA_VERSION}). A reader does not migrate it: open it for "
            "writing once (a search with this storage, or sksearch.Study(storage=..., "
            "study_name=...)) to migrate it; older sksearch versions cannot read it then.")
