"""No candidate paid for twice: a sampler's proposals in a finite space,
with repeats replaced by points not yet taken.

A learning sampler models the space as if it were continuous; in a small
finite space (lists of values, or the finite dicts of a list of dicts) its
proposals soon repeat points already evaluated -- or running -- and each
repeat costs a full cross-validation for a result the search already has.
:class:`UniquePointsSampler` wraps any sampler for such a space. Per trial
it runs the wrapped sampler's proposal exactly as :meth:`Study.ask` and
:class:`Trial` would (``infer_relative_search_space``, ``sample_relative``,
then ``sample_independent`` for each parameter the space suggests), so that
the wrapped sampler's random stream and model are those of a search
without the wrapper; only when the proposed point is taken is it replaced,
by a point of the same dict not taken yet (any finite dict's when that one
is used up), drawn from a stream of the wrapper's own. The point a trial
gets is kept in a trial system attribute, so concurrent and resumed trials
see it before their parameters are written.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .._known import ENQUEUED_ATTR, WARM_START_ATTR
from ..distributions import Categorical
from ..space import BRANCH_PARAM, BranchSpace, DictSpace
from ..trial import is_interrupted, proposed_internal
from ._base import BaseSampler

__all__ = ["UniquePointsSampler", "finite_parts"]

#: The trial system attribute holding the point (internal values) a trial got.
POINT_ATTR = "sksearch:point"


def finite_parts(space):
    """``{branch: [point, ...]}`` of the finite parts of ``space`` -- the whole
    of a finite dict (branch ``None``), or each finite dict of a list of
    dicts -- each point a dict of internal values; empty when no part is
    finite (a callable space, continuous distributions)."""
    if isinstance(space, DictSpace):
        return {None: _points(space.params)} if space.is_finite else {}
    if isinstance(space, BranchSpace):
        return {b: [{BRANCH_PARAM: float(b), **p} for p in _points(branch.params)]
                for b, branch in enumerate(space.branches) if branch.is_finite}
    return {}


def _points(params):
    """The internal values of every point of a finite dict of distributions."""
    names = sorted(params)
    axes = [_internal_values(params[name]) for name in names]
    grids = np.meshgrid(*axes, indexing="ij") if axes else []
    columns = [g.ravel() for g in grids]
    n = len(columns[0]) if columns else 1
    return [{name: float(col[i]) for name, col in zip(names, columns)} for i in range(n)]


def _internal_values(distribution):
    if isinstance(distribution, Categorical):
        return np.arange(len(distribution.choices), dtype=float)
    return np.asarray([float(v) for v in distribution._grid_values()])


def _key(point):
    # internal values of a step grid may differ in their last bits
    return tuple(sorted((name, round(float(v), 9)) for name, v in point.items()))


class _DryTrial:
    """What the space suggests through, when the wrapped sampler's proposal
    is computed ahead of the trial: each value as :class:`Trial` would get it."""

    def __init__(self, sampler, study, frozen, relative, forced=None):
        self._sampler, self._study, self._frozen = sampler, study, frozen
        self._relative = relative
        self.values = dict(forced or {})

    def suggest(self, name, distribution):
        if name not in self.values:
            self.values[name] = proposed_internal(
                self._relative, name, distribution,
                lambda: self._sampler.sample_independent(
                    self._study, self._frozen, name, distribution))
        return distribution.to_external(self.values[name])


class UniquePointsSampler(BaseSampler):
    """Wrap ``sampler`` so that no point of a finite part of ``space`` is
    proposed while a trial of the study has it (evaluated or running).

    Parameters
    ----------
    sampler : BaseSampler
        The sampler whose proposals are kept when their point is free.
    space : SearchSpace
        The search space; its finite parts are enumerated once.
    seed : int or None, default=None
        Seeds the choice of the replacement points.
    """

    def __init__(self, sampler, space, seed=None):
        super().__init__(seed=sampler.seed)
        self.sampler = sampler
        self.space = space
        self._replace_rng = np.random.default_rng(seed)
        self._parts = finite_parts(space)
        self._part_of = {_key(p): b for b, points in self._parts.items() for p in points}
        self._infinite_branches = [b for b in range(len(getattr(space, "branches", [])))
                                   if b not in self._parts]
        # what the search reads of a sampler is the wrapped one's
        self.learns_from_results = sampler.learns_from_results
        self.supports_multi_objective = sampler.supports_multi_objective
        self.reproposes_interrupted = sampler.reproposes_interrupted

    @property
    def n_points(self):
        return self.sampler.n_points

    def reseed_rng(self, seed):
        self.sampler.reseed_rng(seed)
        self._replace_rng = np.random.default_rng(seed)

    def before_trial(self, study, trial):
        self.sampler.before_trial(study, trial)

    def after_trial(self, study, trial, state, values):
        self.sampler.after_trial(study, trial, state, values)

    def is_exhausted(self, study):
        return self.sampler.is_exhausted(study)

    def infer_relative_search_space(self, study, trial):
        if ENQUEUED_ATTR in trial.system_attrs:
            # an enqueued trial's values are fixed: the wrapped sampler sees it
            # exactly as it would without the wrapper
            return self.sampler.infer_relative_search_space(study, trial)
        relative_space = self.sampler.infer_relative_search_space(study, trial)
        relative = (self.sampler.sample_relative(study, trial, relative_space) or {}
                    if relative_space else {})
        dry = _DryTrial(self.sampler, study, trial, relative)
        self.space.sample(dry)
        point = self._free_point(study, trial, dry.values)
        if point is None:
            # every finite point is taken: a dict with a continuous part still
            # has new candidates, proposed by the wrapped sampler
            branch = self._infinite_branches[
                int(self._replace_rng.integers(len(self._infinite_branches)))]
            dry = _DryTrial(self.sampler, study, trial, relative,
                            forced={BRANCH_PARAM: float(branch)})
            self.space.sample(dry)
            point = dry.values
        study.set_trial_system_attr(trial, POINT_ATTR, point)
        return {}

    def sample_relative(self, study, trial, search_space):
        # reached only for an enqueued trial (see infer_relative_search_space)
        return self.sampler.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, name, distribution):
        point = trial.system_attrs.get(POINT_ATTR)
        if point is not None and name in point:
            return point[name]
        return self.sampler.sample_independent(study, trial, name, distribution)

    def _taken(self, study, trial):
        taken = set()
        for t in study.get_trials():
            if (t.trial_id == trial.trial_id or is_interrupted(t)
                    or WARM_START_ATTR in t.system_attrs):
                continue  # a trial cut short, or of another search, is no candidate
            point = t.system_attrs.get(POINT_ATTR, t.internal_params)
            taken.add(_key(point))
        return taken

    def _free_point(self, study, trial, proposed):
        """``proposed`` if it is free or in no finite part, else a free point of
        its part (of any finite part when its own is used up); ``None`` when
        every finite point is taken and a dict with a continuous part remains."""
        part = self._part_of.get(_key(proposed), "infinite")
        if part == "infinite":
            return proposed
        taken = self._taken(study, trial)
        if _key(proposed) not in taken:
            return proposed
        for candidates in (self._parts[part],
                           [p for points in self._parts.values() for p in points]):
            free = [p for p in candidates if _key(p) not in taken]
            if free:
                return dict(free[int(self._replace_rng.integers(len(free)))])
        if self._infinite_branches:
            return None
        return proposed  # every point is taken: the space is searched past its size

    def __repr__(self):
        return f"UniquePointsSampler({self.sampler!r})"
