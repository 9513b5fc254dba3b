"""Pruners: stop trials that cannot win, fold by fold."""

from ._base import BasePruner, NopPruner, StepLayout
from .bound import BoundPruner
from .halving import SuccessiveHalvingPruner
from .hyperband import HyperbandPruner
from .percentile import MedianPruner, PercentilePruner
from .wilcoxon import WilcoxonPruner

__all__ = [
    "BasePruner",
    "BoundPruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PercentilePruner",
    "StepLayout",
    "SuccessiveHalvingPruner",
    "WilcoxonPruner",
    "PRUNER_NAMES",
    "get_pruner",
]

_BY_NAME = {
    "none": NopPruner,
    "median": MedianPruner,
    "percentile": lambda: PercentilePruner(25.0),
    "halving": SuccessiveHalvingPruner,
    "hyperband": HyperbandPruner,
    "wilcoxon": WilcoxonPruner,
    "bound": BoundPruner,
}


#: The names ``pruner=`` takes.
PRUNER_NAMES = tuple(sorted(_BY_NAME))


def get_pruner(pruner):
    """Resolve the ``pruner`` argument: ``None``, a name or an instance.

    Names: "median", "percentile" (25th percentile), "halving", "hyperband",
    "wilcoxon", "bound", "none", each with its default settings.
    """
    if pruner is None:
        return NopPruner()
    if isinstance(pruner, BasePruner):
        return pruner
    if isinstance(pruner, str):
        if pruner not in _BY_NAME:
            raise ValueError(
                f"pruner={pruner!r} is not a known pruner name; use one of "
                f"{sorted(_BY_NAME)}, None or a BasePruner instance."
            )
        return _BY_NAME[pruner]()
    raise TypeError(f"pruner must be None, a str or a BasePruner, got {pruner!r}.")
