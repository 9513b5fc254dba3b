"""Which conditional parameters the GP sampler models, and how it sees them.

A parameter outside the joint space (not in every finished trial) is
modelled by the GP when one categorical parameter of the joint space decides
whether a trial has it: a branch of a list-of-dicts space, or a
define-by-run ``if`` on a categorical. Such a parameter is *inactive* in the
trials of the other branches, and there it is given one fixed value (the
middle of its column of the box) instead of a random one, both in the
trials the GP is fitted to and in the candidates it scores: an inactive
parameter is then a constant, not noise, and two trials of a branch that
lacks it do not differ by it. The branch choice itself, a categorical of the
joint space, tells the kernel (its overlap factor) how far the branches are
apart. Parameters whose presence no such categorical decides (nested
conditions, or an ``if`` on a number) stay with the independent sampler.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, field

import numpy as np

from ..distributions import Categorical
from ..trial import TrialState

__all__ = ["Branches", "SpaceRecords"]

INACTIVE = 0.5  # where an inactive parameter sits in its column of the box


@dataclass
class SpaceRecords:
    """The parameters of each finished trial (a cache of the study's trial
    log, a function of the trials alone)."""

    position: int = 0
    records: list = field(default_factory=list)  # (distributions, categorical codes)
    _memo: tuple = None

    def absorb(self, study):
        finished, self.position = study.trial_log.since(self.position)
        for t in finished:
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED):
                codes = {n: t.internal_params[n] for n, d in t.distributions.items()
                         if isinstance(d, Categorical)}
                self.records.append((t.distributions, codes))

    def branches(self, study, joint):
        """``{name: (distribution, selector, active codes)}`` for the parameters
        outside ``joint`` whose presence a categorical of ``joint`` decides."""
        self.absorb(study)
        return self.branches_of(joint)

    def branches_of(self, joint):
        """:meth:`branches` for the records absorbed so far."""
        key = (len(self.records), tuple(joint))
        if self._memo is None or self._memo[0] != key:
            self._memo = (key, _decided(self.records, joint))
        return self._memo[1]


def _variants(records, joint):
    """Each parameter outside ``joint`` and its distribution, for those used
    with one distribution only (and not single-valued)."""
    seen = {}
    for dists, _ in records:
        for name, dist in dists.items():
            if name not in joint:
                seen.setdefault(name, set()).add(dist)
    return {n: next(iter(d)) for n, d in sorted(seen.items())
            if len(d) == 1 and not next(iter(d)).is_single()}


def _decided(records, joint):
    selectors = [n for n in sorted(joint) if isinstance(joint[n], Categorical)]
    out = {}
    for name, dist in _variants(records, joint).items():
        for selector in selectors:
            active = _active_codes(records, name, selector)
            if active is not None:
                out[name] = (dist, selector, active)
                break
    return out


def _active_codes(records, name, selector):
    """The codes of ``selector`` whose trials all have ``name``, when every
    code's trials all have it or all lack it; else ``None``."""
    has = {}
    for dists, codes in records:
        code = codes.get(selector)
        present = name in dists
        if has.setdefault(code, present) != present:
            return None
    active = frozenset(c for c, p in has.items() if p)
    return active or None


class Branches:
    """The conditional columns of a GP's box: for each, the column of its
    selector and the selector's codes where it is active.

    Parameters
    ----------
    names : list of str
        The columns' parameters.
    branches : dict
        :meth:`SpaceRecords.branches`.
    """

    def __init__(self, names, branches):
        index = {n: j for j, n in enumerate(names)}
        self.columns = [(index[n], index[s], np.array(sorted(a), dtype=float))
                        for n, (_, s, a) in branches.items() if n in index]

    def __bool__(self):
        return bool(self.columns)

    def impute(self, X):
        """``X`` with each inactive (or absent) conditional coordinate set to
        :data:`INACTIVE`, and the mask of those coordinates."""
        X = np.array(X, dtype=float)
        mask = np.zeros(X.shape, dtype=bool)
        for j, s, active in self.columns:
            mask[:, j] = ~np.isin(X[:, s], active) | np.isnan(X[:, j])
        X[mask] = INACTIVE
        return X, mask
