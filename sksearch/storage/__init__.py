"""Where a study keeps its trials."""

from ._base import BaseStorage, DuplicatedStudyError
from .memory import InMemoryStorage

__all__ = ["BaseStorage", "DuplicatedStudyError", "InMemoryStorage", "get_storage"]


def get_storage(storage):
    """Resolve the ``storage`` argument of a study or search.

    ``None`` gives a fresh :class:`InMemoryStorage`; a storage instance is used
    as is. Strings name persistent storages (``"sqlite:///path.db"``), added by
    the persistence module.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        raise ValueError(
            f"storage={storage!r} is not supported yet: pass None or a storage instance."
        )
    raise TypeError(
        f"storage must be None, a URL string or a BaseStorage instance, got {storage!r}."
    )
