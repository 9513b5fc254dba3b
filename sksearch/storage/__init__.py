"""Where a study keeps its trials."""

import os

from .._validation import AnyOf, InstanceOf, Redacted, validate
from ._base import BaseStorage, CorruptStorageError, DuplicatedStudyError, StorageError
from ._urls import parse_storage_string, redact
from .memory import InMemoryStorage
from .postgres import PostgreSQLStorage
from .sqlite import SQLiteStorage

__all__ = ["BaseStorage", "CorruptStorageError", "DuplicatedStudyError", "InMemoryStorage",
           "PostgreSQLStorage", "SQLiteStorage", "StorageError", "get_storage"]

#: What a ``storage`` argument (of a study, a search, :func:`get_storage`)
#: accepts; a refused value (the bytes of a URL) may hold a password, so the
#: message shows it redacted.
STORAGE_CONSTRAINT = Redacted(AnyOf(None, InstanceOf(
    str, os.PathLike, BaseStorage,
    description="a path, a 'sqlite:///...' or 'postgresql://...' URL or a BaseStorage "
                "instance")), redact)
_GET_STORAGE_CONSTRAINTS = {"storage": STORAGE_CONSTRAINT,
                            "read_only": InstanceOf(bool, description="a bool")}


def get_storage(storage, *, read_only=False):
    """Resolve the ``storage`` argument of a study or search.

    ``None`` gives a fresh :class:`InMemoryStorage`; a storage instance is used
    as is; ``"sqlite:///path.db"`` (``sqlite:////abs/path.db`` for an absolute
    path, as in SQLAlchemy URLs) or a plain file path gives a
    :class:`SQLiteStorage`; ``"postgresql://user:password@host/db"`` (or
    ``"postgresql:///db?host=/socket/dir"``) gives a :class:`PostgreSQLStorage`
    (the optional extra ``postgres``). A string that is neither a URL nor a
    plain path -- a libpq ``"host=... password=..."`` string, anything with
    ``=`` and white space -- is refused with a ``ValueError`` listing the
    accepted forms, never taken as a file name; errors show a storage string
    with its passwords as ``***``.

    With ``read_only=True`` (what readers pass: the dashboard, ``python -m
    sksearch studies``, :func:`~sksearch.list_studies`,
    :func:`~sksearch.load_study`) a URL or path opens a storage that writes
    nothing (see ``read_only`` of :class:`SQLiteStorage`); ``None`` and a
    storage instance are as without it (an instance is used as its maker
    opened it).

    Examples
    --------
    >>> get_storage(None)  # doctest: +ELLIPSIS
    <sksearch.storage.memory.InMemoryStorage object at ...>
    """
    validate(get_storage, {"storage": storage, "read_only": read_only},
             _GET_STORAGE_CONSTRAINTS)
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, os.PathLike):
        return SQLiteStorage(storage, read_only=read_only)
    kind, target = parse_storage_string(storage)  # a str: validate refused the rest
    if kind == "postgresql":
        return PostgreSQLStorage(target, read_only=read_only)
    if target in ("", ":memory:"):
        raise ValueError(
            f"storage={storage!r} names no file: an in-memory SQLite database "
            "cannot be shared by threads and worker processes. Use storage=None "
            "(the default) for an in-memory study, or 'sqlite:///path.db'."
        )
    return SQLiteStorage(target, read_only=read_only)
