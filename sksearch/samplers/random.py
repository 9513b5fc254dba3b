"""Uniform random sampling: the baseline and the start-up phase of model samplers."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from .._box import value_at
from ..distributions import Categorical
from ._base import BaseSampler

__all__ = ["RandomSampler"]


def sample_uniform(distribution, rng, size=None):
    """Draw internal values uniformly: uniform in ``log`` for log-scaled
    distributions, and with every step-grid value equally likely.

    Returns a float if ``size`` is None, else an array of ``size`` floats.
    """
    if isinstance(distribution, Categorical):
        draw = rng.integers(len(distribution.choices), size=size)
    else:
        draw = value_at(distribution, rng.random(size=size))
    return float(draw) if size is None else draw.astype(float)


class RandomSampler(BaseSampler):
    """Sample every parameter independently and uniformly.

    ``Float``/``Int`` with ``log=True`` are uniform in the logarithm, which is
    what ``scipy.stats.loguniform`` gives ``RandomizedSearchCV``; a
    :class:`~sksearch.distributions.ScipyDistribution` is uniform in its
    quantiles, i.e. it follows the scipy distribution exactly.

    Parameters
    ----------
    seed : int or None, default=None
        Seed of the random stream.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import RandomSampler
    >>> study = Study(sampler=RandomSampler(seed=0))
    >>> study.optimize(lambda t: -t.suggest_float("x", 0, 1) ** 2, n_trials=5)
    >>> len(study.trials)
    5
    """

    learns_from_results = False

    def sample_independent(self, study, trial, name, distribution):
        return sample_uniform(distribution, self._rng)
