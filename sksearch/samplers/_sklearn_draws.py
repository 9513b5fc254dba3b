"""scikit-learn's own draws, for ``RandomizedSearchCV(sampler="random")``.

The drop-in ``RandomizedSearchCV`` must propose the candidates that
scikit-learn's proposes for the same ``param_distributions``, ``n_iter`` and
``random_state``, in the same order. Rather than re-implement
``ParameterSampler``'s stream (its order of draws, when it samples without
replacement, how it picks a dict of a list), the candidates are taken from
``ParameterSampler`` itself. It is called on a *tagged* copy of the space:
every list is replaced by a sequence of the same length whose items say
which dict and which position they are, every distribution by one that
forwards ``rvs`` and tags its draw. ``ParameterSampler`` only reads lengths
and calls ``rvs``, so the random stream is the one it would consume on the
user's space, and each draw then says exactly which branch and which list
position it is -- which a comparison of values could not (arrays, ``1`` and
``True``, equal tuples).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.model_selection import ParameterSampler

from .._compat import parameter_sampler_without_replacement
from ..space import BRANCH_PARAM
from ..trial import is_interrupted
from ._base import BaseSampler

__all__ = ["SklearnDrawsSampler", "draws_apply"]

#: The trial system attribute holding the position of the trial's draw.
DRAW_ATTR = "sksearch:draw"

_LISTS = (list, tuple, np.ndarray, range)


def draws_apply(param_distributions):
    """Whether ``ParameterSampler`` takes this space as scikit-learn's
    ``RandomizedSearchCV`` would: a dict or list of dicts whose values are
    lists (tuples, arrays, ranges) or objects with ``rvs``. sksearch's own
    distributions and callable spaces are not scikit-learn's input: those are
    drawn by sksearch's samplers."""
    dicts = ([param_distributions] if isinstance(param_distributions, Mapping)
             else param_distributions)
    if not isinstance(dicts, (list, tuple)) or not dicts:
        return False
    return all(isinstance(d, Mapping) and all(
        isinstance(v, _LISTS) or (hasattr(v, "rvs") and not hasattr(v, "to_internal"))
        for v in d.values()) for d in dicts)


class _Tag:
    """A draw that knows where it came from: ``branch``, and ``index`` (a list
    position) or ``value`` (a distribution's draw)."""

    __slots__ = ("branch", "index", "value")

    def __init__(self, branch, index=None, value=None):
        self.branch, self.index, self.value = branch, index, value


class _TaggedList(Sequence):
    """Stands for a list of ``n`` values of dict ``branch``: the same length,
    items that tag their position."""

    def __init__(self, branch, n):
        self.branch, self.n = branch, n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if not 0 <= index < self.n:
            raise IndexError(index)
        return _Tag(self.branch, index=int(index))


class _TaggedDistribution:
    """Stands for a distribution of dict ``branch``: ``rvs`` draws from it
    with the same arguments (so the same random numbers) and tags the draw."""

    def __init__(self, branch, distribution):
        self.branch, self.distribution = branch, distribution

    def rvs(self, *args, **kwargs):
        return _Tag(self.branch, value=self.distribution.rvs(*args, **kwargs))


def _tagged(dicts):
    return [{name: (_TaggedDistribution(b, v) if hasattr(v, "rvs")
                    else _TaggedList(b, len(v)))
             for name, v in d.items()} for b, d in enumerate(dicts)]


def _same_draw(stored, branch, tags, branched):
    """Whether stored internal params are those of a draw (its branch and
    list positions; a distribution's draw is not compared)."""
    if branched and stored.get(BRANCH_PARAM) != branch:
        return False
    return all(stored.get(name) == t.index for name, t in tags.items()
               if t.index is not None)


class SklearnDrawsSampler(BaseSampler):
    """The candidates of ``sklearn.model_selection.ParameterSampler``, in order.

    Trial ``k`` of a search (counting the trials that were not cut short)
    takes draw ``k`` of ``ParameterSampler(param_distributions, n_iter,
    random_state=random_state)``; a resumed search continues the same list,
    and a trial cut short gives its draw to the next trial, as
    :class:`GridSampler` does with its points.

    Parameters
    ----------
    param_distributions : dict or list of dicts
        scikit-learn's input (see :func:`draws_apply`).
    n_iter : int
        Number of draws.
    random_state : int, RandomState instance or None
        Passed to ``ParameterSampler`` untouched (a ``RandomState`` is
        advanced, as scikit-learn's search advances it).
    """

    learns_from_results = False
    reproposes_interrupted = True

    def __init__(self, param_distributions, n_iter, random_state=None):
        super().__init__(seed=None)
        dicts = ([param_distributions] if isinstance(param_distributions, Mapping)
                 else list(param_distributions))
        self._dicts = dicts
        self._assigned = {}  # trial_id -> draw, for the trials this process asks
        self._branched = len(dicts) > 1
        sampler = ParameterSampler(_tagged(dicts), n_iter, random_state=random_state)
        self.without_replacement = parameter_sampler_without_replacement(sampler)
        with warnings.catch_warnings():
            # the search warns, once, with the same words (n_iter beyond the grid)
            warnings.simplefilter("ignore", UserWarning)
            self._draws = [self._resolve(draw) for draw in sampler]

    def _resolve(self, draw):
        """``(branch, exact params, {name: tag})`` of one tagged draw."""
        tags = dict(draw)
        branches = {t.branch for t in tags.values()}
        # a dict with no parameter ({}) draws nothing to tag: the first empty dict
        branch = branches.pop() if branches else next(
            b for b, d in enumerate(self._dicts) if not d)
        original = self._dicts[branch]
        exact = {name: (original[name][t.index] if t.index is not None else t.value)
                 for name, t in tags.items()}
        return branch, exact, tags

    @property
    def n_points(self):
        """Number of draws: the size of the candidate list."""
        return len(self._draws)

    def _taken(self, study, trial):
        return {t.system_attrs[DRAW_ATTR] for t in study.get_trials()
                if DRAW_ATTR in t.system_attrs and not is_interrupted(t)
                and t.trial_id != trial.trial_id}

    def is_exhausted(self, study):
        taken = {t.system_attrs[DRAW_ATTR] for t in study.get_trials()
                 if DRAW_ATTR in t.system_attrs and not is_interrupted(t)}
        return len(taken) >= len(self._draws)

    def before_trial(self, study, trial):
        taken = self._taken(study, trial)
        free = next((k for k in range(len(self._draws)) if k not in taken), None)
        if free is None:
            # a search run past its draws (a resumed study given a smaller
            # n_iter) repeats them in order rather than inventing others
            free = trial.number % len(self._draws)
        self._assigned[trial.trial_id] = free
        study.set_trial_system_attr(trial, DRAW_ATTR, free)

    def sample_independent(self, study, trial, name, distribution):
        branch, _, tags = self._draws[trial.system_attrs[DRAW_ATTR]]
        if name == BRANCH_PARAM:
            return float(branch)
        if name not in tags:
            raise ValueError(
                f"Parameter {name!r} is not in scikit-learn's draw for trial "
                f"{trial.number} (which has {sorted(tags)!r}).")
        tag = tags[name]
        if tag.index is not None:
            return float(tag.index)  # the position in the list is the internal value
        return distribution.to_internal(tag.value)

    def exact_params(self, trial):
        """The estimator params of ``trial``'s draw, exactly as scikit-learn
        draws them (numpy scalars, the list's own objects, its key order), or
        ``None`` for a trial that took no draw of this list."""
        attrs = getattr(trial, "system_attrs", None) or {}
        k = attrs.get(DRAW_ATTR, self._assigned.get(trial.trial_id))
        if k is None or not 0 <= k < len(self._draws):
            return None
        branch, exact, tags = self._draws[k]
        stored = getattr(trial, "internal_params", None)
        if stored is not None and not _same_draw(stored, branch, tags, self._branched):
            return None  # a trial of an earlier run, drawn from another list
        return dict(exact)

    def __repr__(self):
        kind = "without" if self.without_replacement else "with"
        return f"SklearnDrawsSampler(n_draws={len(self._draws)}, {kind} replacement)"
