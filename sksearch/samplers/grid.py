"""Exhaustive grid sampling in scikit-learn's ``ParameterGrid`` order (or in a
seeded random order: sampling a finite space without replacement)."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .._validation import InstanceOf, validate
from ..space import SearchSpace, make_search_space
from ..trial import is_interrupted
from ._base import BaseSampler

__all__ = ["GridSampler"]

_GRID_ID = "grid_id"


class GridSampler(BaseSampler):
    """Try every point of a finite space once, in ``ParameterGrid`` order.

    Each new trial takes the first grid point no earlier trial of the study has
    taken (whatever its outcome), so a resumed or shared study continues the
    grid instead of restarting it. Once every point is taken the sampler is
    exhausted: :meth:`Study.optimize` stops, and ``BayesSearchCV`` caps
    ``n_iter`` at the grid size.

    Parameters
    ----------
    search_space : dict, list of dicts or SearchSpace
        A finite space: lists of values, ``Categorical``, ``Int``, or ``Float``
        with ``step``.
    seed : int or None, default=None
        Seeds the order of the points with ``shuffle``; unused without.
    shuffle : bool, default=False
        Visit the points in a random order fixed by ``seed`` (at construction,
        so a resumed study keeps it): random sampling without replacement, as
        scikit-learn's ``ParameterSampler`` does on a space of lists.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import GridSampler
    >>> grid = {"x": [1, 2], "y": ["a", "b"]}
    >>> study = Study(sampler=GridSampler(grid))
    >>> study.optimize(lambda t: t.suggest_categorical("x", [1, 2]) +
    ...                (t.suggest_categorical("y", ["a", "b"]) == "b"))
    >>> [t.params for t in study.trials][:2]
    [{'x': 1, 'y': 'a'}, {'x': 1, 'y': 'b'}]
    """

    learns_from_results = False
    reproposes_interrupted = True

    _parameter_constraints = {
        **BaseSampler._parameter_constraints,
        # the type only: the space parser names what is wrong inside
        "search_space": InstanceOf(dict, list, tuple, SearchSpace,
                                   description="a dict, a list of dicts or a SearchSpace"),
        "shuffle": InstanceOf(bool, np.bool_, description="a bool")}

    def __init__(self, search_space, seed=None, shuffle=False):
        validate(self, {"search_space": search_space, "shuffle": shuffle})
        super().__init__(seed=seed)
        self.search_space = search_space
        self.shuffle = shuffle
        self._points = make_search_space(search_space, "search_space").grid_points()
        n = len(self._points)
        self._order = ([int(i) for i in np.random.default_rng(seed).permutation(n)]
                       if shuffle else list(range(n)))

    @property
    def n_points(self):
        """Number of points in the grid."""
        return len(self._points)

    @property
    def points(self):
        """The grid points, as dicts of external values (branches included)."""
        return [dict(p) for p in self._points]

    def _taken(self, study):
        # a point whose trial was cut short is free again: it is run again
        return {
            t.system_attrs[_GRID_ID]
            for t in study.get_trials()
            if _GRID_ID in t.system_attrs and not is_interrupted(t)
        }

    def is_exhausted(self, study):
        return len(self._taken(study)) >= len(self._points)

    def before_trial(self, study, trial):
        taken = self._taken(study)
        free = next((i for i in self._order if i not in taken), None)
        if free is None:
            # Every point is taken: revisit from the start, as a finite space
            # searched past its size must.
            free = self._order[trial.number % len(self._points)]
        study.set_trial_system_attr(trial, _GRID_ID, free)

    def sample_independent(self, study, trial, name, distribution):
        point = self._points[trial.system_attrs[_GRID_ID]]
        if name not in point:
            raise ValueError(
                f"Parameter {name!r} is not in the GridSampler's search space "
                f"(which has {sorted(point)!r}); give it a grid of values."
            )
        return distribution.to_internal(point[name])

    def __repr__(self):
        shuffled = ", shuffle=True" if self.shuffle else ""
        return f"GridSampler(n_points={len(self._points)}{shuffled})"
