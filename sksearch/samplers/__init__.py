"""Samplers: which parameters to try next."""

import warnings

from ._base import BaseSampler, intersection_search_space
from .grid import GridSampler
from .random import RandomSampler
from .tpe import TPESampler

__all__ = [
    "BaseSampler",
    "GridSampler",
    "RandomSampler",
    "TPESampler",
    "get_sampler",
    "intersection_search_space",
]

SAMPLER_NAMES = ("tpe", "cmaes", "random", "grid")


def get_sampler(sampler, seed=None, search_space=None):
    """Resolve a ``sampler`` argument: ``None`` (TPE), a name or an instance.

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
        sampler = "tpe"
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
    if sampler == "cmaes":
        try:
            from .cmaes import CmaEsSampler as cls
        except ImportError:
            warnings.warn(
                f"sampler={sampler!r} is not available in this build; falling back "
                "to RandomSampler.", UserWarning, stacklevel=3,
            )
            return RandomSampler(seed=seed)
        return cls(seed=seed)
    raise ValueError(
        f"sampler must be one of {SAMPLER_NAMES} or a BaseSampler instance, got {sampler!r}."
    )
