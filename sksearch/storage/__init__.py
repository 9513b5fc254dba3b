"""Where a study keeps its trials."""

import os

from ._base import BaseStorage, CorruptStorageError, DuplicatedStudyError, StorageError
from ._urls import parse_storage_string
from .memory import InMemoryStorage
from .postgres import PostgreSQLStorage
from .sqlite import SQLiteStorage

__all__ = ["BaseStorage", "CorruptStorageError", "DuplicatedStudyError", "InMemoryStorage",
           "PostgreSQLStorage", "SQLiteStorage", "StorageError", "get_storage"]



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
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if not isinstance(read_only, bool):
        raise TypeError(f"read_only must be a bool, got {read_only!r}.")
    if isinstance(storage, os.PathLike):
        return SQLiteStorage(storage, read_only=read_only)
    if isinstance(storage, str):
        kind, target = parse_storage_string(storage)
        if kind == "postgresql":
            return PostgreSQLStorage(target, read_only=read_only)
        if target in ("", ":memory:"):
            raise ValueError(
                f"storage={storage!r} names no file: an in-memory SQLite database "
                "cannot be shared by threads and worker processes. Use storage=None "
                "(the default) for an in-memory study, or 'sqlite:///path.db'."
            )
        return SQLiteStorage(target, read_only=read_only)
    raise TypeError(
        f"storage must be None, a path, a 'sqlite:///...' or 'postgresql://...' URL or a "
        f"BaseStorage instance, got {storage!r}."
    )
