"""The sampler interface.

A sampler reads trials and returns parameter values; it knows nothing about
estimators, storage formats or threads. It answers two questions, as in the
define-by-run design of Akiba et al. (2019):

* **joint** sampling of the part of the space it can know in advance
  (``infer_relative_search_space`` + ``sample_relative``), called once when a
  trial is asked for, which lets model-based samplers capture interactions;
* **independent** sampling of any other parameter, the first time a trial
  suggests it (``sample_independent``), which is what makes conditional and
  dynamically defined spaces work with any sampler.

Values crossing the interface are *internal* (see :mod:`sksearch.distributions`):
floats, with categorical choices as indices.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from .._validation import AnyOf, Interval, validate
from ..distributions import BaseDistribution
from ..trial import TrialState

__all__ = ["BaseSampler", "intersection_search_space"]


# what numpy.random.default_rng takes as a seed from a user
_SEED = AnyOf(Interval(int, 0), None)

class BaseSampler(ABC):
    """Base class of samplers.

    Subclasses implement :meth:`sample_independent` and optionally the joint pair
    :meth:`infer_relative_search_space` / :meth:`sample_relative` and the hooks
    :meth:`before_trial` / :meth:`after_trial`. Randomness must come only from
    ``self._rng``, a :class:`numpy.random.Generator` built from the ``seed``.
    """

    #: Whether proposals depend on the results of earlier trials. A search
    #: gives a sampler that learns a window of finished trials to learn from;
    #: one that does not (random, grid) gets every candidate at once.
    learns_from_results = True
    #: Whether the sampler handles a study of several objectives.
    supports_multi_objective = True
    #: Whether the sampler itself proposes again the parameters of trials that
    #: were cut short (:func:`~sksearch.trial.is_interrupted`); a resumed search
    #: re-queues them for a sampler that does not.
    reproposes_interrupted = False

    #: What each constructor argument accepts (:mod:`sksearch._validation`);
    #: a subclass declares its own arguments and the ``seed`` of this base.
    _parameter_constraints = {"seed": _SEED}

    def __init__(self, seed=None):
        validate(self, {"seed": seed}, BaseSampler._parameter_constraints)
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    @property
    def n_points(self):
        """How many distinct candidates the sampler can propose, or ``None``
        when there is no end to them (only a finite sampler has a size)."""
        return None

    def reseed_rng(self, seed):
        """Restart the random stream from ``seed`` (used by searches and workers)."""
        self._rng = np.random.default_rng(seed)

    def infer_relative_search_space(self, study, trial):
        """Return the ``{name: distribution}`` to sample jointly for ``trial``."""
        return {}

    def sample_relative(self, study, trial, search_space):
        """Return ``{name: internal value}`` for (part of) ``search_space``."""
        return {}

    @abstractmethod
    def sample_independent(self, study, trial, name, distribution):
        """Return one internal value for ``name`` drawn from ``distribution``."""

    def before_trial(self, study, trial):
        """Called when ``trial`` is created, before any sampling."""

    def after_trial(self, study, trial, state, values):
        """Called when ``trial`` has finished with ``state`` and ``values``
        (a tuple, one per objective, or ``None``)."""

    def is_exhausted(self, study):
        """Whether the sampler has nothing new to propose (finite samplers)."""
        return False

    def __repr__(self):
        return f"{type(self).__name__}(seed={self.seed!r})"


def intersection_search_space(trials, include_pruned=True):
    """The parameters every finished trial has, with the same distribution.

    Trials that failed are ignored; single-value distributions are left out
    since there is nothing to sample. The result is ordered by name, so it does
    not depend on the order in which an objective suggests parameters.

    Parameters
    ----------
    trials : list of FrozenTrial
    include_pruned : bool, default=True

    Returns
    -------
    search_space : dict of str -> BaseDistribution
    """
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (
        TrialState.COMPLETE,)
    space = None
    for trial in trials:
        if trial.state not in states:
            continue
        if space is None:
            space = dict(trial.distributions)
            continue
        space = {
            name: dist for name, dist in space.items()
            if trial.distributions.get(name) == dist
        }
    if not space:
        return {}
    return {
        name: space[name] for name in sorted(space)
        if isinstance(space[name], BaseDistribution) and not space[name].is_single()
    }


@dataclass
class JointSpace:
    """The intersection of one study's finished trials' spaces (see
    :func:`intersection_search_space`), narrowed by the trials finished
    since the last :meth:`narrow` instead of recomputed: it only shrinks.

    One per study, kept in the study's trial log by :func:`joint_space`, so
    every sampler of the study that models the joint space shares it (a
    function of the trials alone), and it is dropped when the study is
    pickled and rebuilt from the storage.
    """

    position: int = 0  # in the study's trial log
    space: dict = None  # None until a trial has finished

    def narrow(self, study):
        """Absorb the trials of ``study`` finished since the last call and
        return the joint space (a dict, empty before any trial finished)."""
        finished, self.position = study.trial_log.since(self.position)
        new = [t for t in finished if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        if new:
            merged = new if self.space is None else [_SpaceRecord(self.space)] + new
            self.space = intersection_search_space(merged)
        return self.space or {}


def joint_space(study):
    """The :class:`JointSpace` of ``study`` (created on first use)."""
    return study.trial_log.cache("joint-space", JointSpace)


class _SpaceRecord:
    """A finished-trial stand-in carrying an already intersected space."""

    state = TrialState.COMPLETE

    def __init__(self, distributions):
        self.distributions = distributions
