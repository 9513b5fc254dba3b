"""Samplers: which parameters to try next."""

from ._base import BaseSampler, intersection_search_space
from .auto import AutoSampler
from .cmaes import CmaEsSampler
from .gp import GPSampler
from .grid import GridSampler
from .nsga2 import NSGAIISampler
from .random import RandomSampler
from .tpe import TPESampler

__all__ = [
    "AutoSampler",
    "BaseSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIISampler",
    "RandomSampler",
    "TPESampler",
    "get_sampler",
    "intersection_search_space",
]

SAMPLER_NAMES = ("tpe", "auto", "gp", "cmaes", "random", "grid", "nsga2")


def get_sampler(sampler, seed=None, search_space=None):
    """Resolve a ``sampler`` argument: ``None`` (TPE), a name or an instance.

    The one registry of sampler names.

    Parameters
    ----------
    sampler : None, str or BaseSampler
    seed : int or None
        Seed for a sampler built from a name.
    search_space : dict, list of dicts or SearchSpace, optional
        Needed by ``"grid"``.
    """
    if isinstance(sampler, BaseSampler):
        return sampler
    if sampler is None:
        sampler = "auto"
    if not isinstance(sampler, str):
        raise TypeError(
            f"sampler must be one of {SAMPLER_NAMES} or a BaseSampler instance, "
            f"got {sampler!r}."
        )
    if sampler == "random":
        return RandomSampler(seed=seed)
    if sampler == "grid":
        if search_space is None:
            raise ValueError('sampler="grid" needs a search space to enumerate.')
        return GridSampler(search_space, seed=seed)
    if sampler == "tpe":
        return TPESampler(seed=seed)
    if sampler == "nsga2":
        return NSGAIISampler(seed=seed)
    if sampler == "cmaes":
        return CmaEsSampler(seed=seed)
    if sampler == "gp":
        return GPSampler(seed=seed)
    if sampler == "auto":
        return AutoSampler(seed=seed)
    raise ValueError(
        f"sampler must be one of {SAMPLER_NAMES} or a BaseSampler instance, got {sampler!r}."
    )
