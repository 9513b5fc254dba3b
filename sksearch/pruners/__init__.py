"""Pruners: stop trials that cannot win, fold by fold."""

from ._base import BasePruner, NopPruner

__all__ = ["BasePruner", "NopPruner", "get_pruner"]


def get_pruner(pruner):
    """Resolve the ``pruner`` argument: ``None``, a name or an instance."""
    if pruner is None:
        return NopPruner()
    if isinstance(pruner, BasePruner):
        return pruner
    if isinstance(pruner, str):
        raise ValueError(f"pruner={pruner!r} is not a known pruner name; use None or a "
                         "BasePruner instance.")
    raise TypeError(f"pruner must be None, a str or a BasePruner, got {pruner!r}.")
