"""NSGA-II: the elitist non-dominated sorting genetic algorithm.

Deb, Pratap, Agarwal and Meyarivan (2002), "A fast and elitist multiobjective
genetic algorithm: NSGA-II", IEEE TEVC 6(2). A generation of
``population_size`` trials is bred from the parent population, which is the
best ``population_size`` of the previous parents and their offspring, taken
front by front under constraint domination (Sec. III-C, Sec. VI) and, within
the last front, by crowding distance. Parents are picked by binary tournament
on (rank, crowding distance), crossed by simulated binary crossover and
mutated polynomially (Deb and Agrawal 1995; the operators of the paper's
experiments, Sec. IV) in the unit box (:class:`sksearch._box.UnitBox`), so log
scales, steps and integers are respected by rounding to the legal values;
categorical parameters are crossed uniformly and mutated to a random choice.

The generation of each trial is a system attribute, so a resumed or shared
study continues its generations; parent populations are rebuilt from the
storage (and cached in the study's trial log once a generation has finished).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause


import numpy as np

from .._box import UnitBox
from .._validation import AnyOf, Interval, validate
from ..multiobjective import (
    constrained_ranks,
    constraint_violation,
    crowding_distance,
    to_minimization,
)
from ..trial import TrialState
from ._base import BaseSampler, intersection_search_space
from .random import sample_uniform

__all__ = ["NSGAIISampler"]

_GENERATION = "nsga2:generation"


class NSGAIISampler(BaseSampler):
    """NSGA-II for studies of one or several objectives, with constraints.

    Parameters
    ----------
    population_size : int, default=50
        Trials per generation; the first generation is sampled at random.
    crossover_prob : float, default=0.9
        Probability that a child is a crossover of two parents (else a copy of
        the first), as in Deb et al. (2002).
    swapping_prob : float, default=0.5
        In a crossover, the probability that a categorical parameter (or a
        numerical one's pair of SBX children) comes from the second parent.
    mutation_prob : float or None, default=None
        Probability of mutating each parameter; ``None`` is ``1 / n_params``.
    eta_crossover, eta_mutation : float, default=20.0
        Distribution indices of SBX and of polynomial mutation: larger keeps
        children closer to their parents (Deb et al. 2002 use 20 and 20).
    seed : int or None, default=None
        Seed of the random stream.

    Notes
    -----
    Constraint values come from the study's ``constraints_func``
    (:attr:`FrozenTrial.constraints`); a trial without them counts as
    feasible. Pruned and failed trials take no part in selection.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import NSGAIISampler
    >>> study = Study(directions=["minimize", "minimize"],
    ...               sampler=NSGAIISampler(population_size=10, seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1),
    ...                           (1 - t.params["x"]) ** 2), n_trials=30)
    >>> len(study.best_trials) > 3
    True
    """

    _parameter_constraints = {**BaseSampler._parameter_constraints,
        "population_size": Interval(int, 2), "crossover_prob": Interval(float, 0, 1),
        "swapping_prob": Interval(float, 0, 1),
        "mutation_prob": AnyOf(Interval(float, 0, 1), None),
        "eta_crossover": Interval(float, 0), "eta_mutation": Interval(float, 0)}

    def __init__(self, *, population_size=50, crossover_prob=0.9, swapping_prob=0.5,
                 mutation_prob=None, eta_crossover=20.0, eta_mutation=20.0, seed=None):
        validate(self, {
            "population_size": population_size, "crossover_prob": crossover_prob,
            "swapping_prob": swapping_prob, "mutation_prob": mutation_prob,
            "eta_crossover": eta_crossover, "eta_mutation": eta_mutation})
        super().__init__(seed=seed)
        self.population_size = int(population_size)
        self.crossover_prob = crossover_prob
        self.swapping_prob = swapping_prob
        self.mutation_prob = mutation_prob
        self.eta_crossover = eta_crossover
        self.eta_mutation = eta_mutation

    # -- generations -------------------------------------------------------------------
    def before_trial(self, study, trial):
        counts = {}
        for t in study.get_trials():
            g = t.system_attrs.get(_GENERATION)
            if isinstance(g, int) and t.trial_id != trial.trial_id:
                counts[g] = counts.get(g, 0) + 1
        generation = max(counts, default=0)
        if counts.get(generation, 0) >= self.population_size:
            generation += 1
        study.set_trial_system_attr(trial, _GENERATION, generation)

    def _parents(self, study, generation, trials):
        """The parent population of ``generation`` (a list of complete trials)
        with each member's rank and crowding distance."""
        if generation == 0:
            return [], np.zeros(0), np.zeros(0)
        # kept in the study's trial log, for this sampler (the population
        # size decides them), once a generation has finished
        cache = study.trial_log.cache("nsga2-parents", dict, owner=self)
        if generation in cache:
            return cache[generation]
        previous, _, _ = self._parents(study, generation - 1, trials)
        of_previous = [t for t in trials if t.system_attrs.get(_GENERATION) == generation - 1]
        offspring = [t for t in of_previous if t.state is TrialState.COMPLETE
                     and t.values is not None]
        pool = {t.trial_id: t for t in [*previous, *offspring]}
        pool = sorted(pool.values(), key=lambda t: t.number)
        chosen, ranks, crowding = _select(pool, study.directions, self.population_size)
        result = (chosen, ranks, crowding)
        if all(t.state.is_finished() for t in of_previous):
            cache[generation] = result
        return result

    # -- sampling ----------------------------------------------------------------------
    def infer_relative_search_space(self, study, trial):
        if trial.system_attrs.get(_GENERATION, 0) == 0:
            return {}
        return intersection_search_space(study.get_trials((TrialState.COMPLETE,)),
                                         include_pruned=False)

    def sample_relative(self, study, trial, search_space):
        generation = trial.system_attrs.get(_GENERATION, 0)
        if not search_space or generation == 0:
            return {}
        trials = study.get_trials()
        parents, ranks, crowding = self._parents(study, generation, trials)
        names, dists = list(search_space), list(search_space.values())
        box = UnitBox(dists)
        keep = np.array([all(p.distributions.get(n) == d for n, d in search_space.items())
                         for p in parents], dtype=bool)
        ranks, crowding = ranks[keep], crowding[keep]
        parents = [p for p, k in zip(parents, keep) if k]
        if len(parents) < 2:
            return {}
        unit = box.to_unit(np.array([[p.internal_params[n] for n in names] for p in parents]))
        first = unit[self._tournament(ranks, crowding)]
        second = unit[self._tournament(ranks, crowding)]
        child = first.copy()
        if self._rng.random() < self.crossover_prob:
            child = self._crossover(first, second, box.categorical)
        child = self._mutate(child, box.categorical, box.n_choices)
        internal = box.from_unit(child[None, :])[0]
        return dict(zip(names, internal.tolist()))

    def _tournament(self, ranks, crowding):
        """Binary tournament (Deb et al. 2002, Sec. III-C): the lower rank wins,
        then the larger crowding distance."""
        i, j = self._rng.choice(len(ranks), size=2, replace=False)
        if ranks[i] != ranks[j]:
            return i if ranks[i] < ranks[j] else j
        return i if crowding[i] >= crowding[j] else j

    def _crossover(self, first, second, categorical):
        child = first.copy()
        swap = self._rng.random(len(first)) < self.swapping_prob
        child[categorical & swap] = second[categorical & swap]
        num = ~categorical
        if num.any():
            a, b = _sbx(first[num], second[num], self.eta_crossover, self._rng)
            child[num] = np.where(swap[num], b, a)
        return child

    def _mutate(self, child, categorical, n_choices):
        d = len(child)
        prob = self.mutation_prob if self.mutation_prob is not None else 1.0 / d
        mutate = self._rng.random(d) < prob
        for j in np.flatnonzero(mutate):
            if categorical[j]:
                child[j] = float(self._rng.integers(n_choices[j]))
            else:
                child[j] = _polynomial_mutation(child[j], self.eta_mutation, self._rng)
        return child

    def sample_independent(self, study, trial, name, distribution):
        return sample_uniform(distribution, self._rng)

    def __repr__(self):
        return (f"NSGAIISampler(population_size={self.population_size}, "
                f"seed={self.seed!r})")


def _select(pool, directions, size):
    """The best ``size`` of ``pool``: whole fronts under constraint domination,
    the last one cut by crowding distance (Deb et al. 2002, Fig. 2)."""
    if not pool:
        return [], np.zeros(0), np.zeros(0)
    losses = to_minimization([t.values for t in pool], directions)
    violation = np.array([constraint_violation(t.constraints) if t.constraints else 0.0
                          for t in pool])
    ranks = constrained_ranks(losses, violation)
    crowding = np.zeros(len(pool))
    for r in np.unique(ranks):
        members = np.flatnonzero(ranks == r)
        crowding[members] = crowding_distance(losses[members])
    # rank first, then crowding (larger first), then trial number
    order = np.lexsort((np.arange(len(pool)), -crowding, ranks))[:size]
    order = np.sort(order)
    return [pool[i] for i in order], ranks[order], crowding[order]


def _sbx(a, b, eta, rng):
    """Simulated binary crossover (Deb and Agrawal 1995) of two points of the
    unit box, per coordinate, with the spread factor of the bounded variant
    (Deb et al. 2002's experiments) so children stay inside ``[0, 1]``."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    gap = np.maximum(high - low, 1e-14)
    u = rng.random(len(a))

    def beta_q(beta):
        alpha = 2.0 - np.power(beta, -(eta + 1.0))
        return np.where(u <= 1.0 / alpha, np.power(u * alpha, 1.0 / (eta + 1.0)),
                        np.power(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0)))

    c1 = 0.5 * ((low + high) - beta_q(1.0 + 2.0 * low / gap) * gap)
    c2 = 0.5 * ((low + high) + beta_q(1.0 + 2.0 * (1.0 - high) / gap) * gap)
    same = high - low < 1e-14
    c1, c2 = np.where(same, a, c1), np.where(same, b, c2)
    return np.clip(c1, 0.0, 1.0), np.clip(c2, 0.0, 1.0)


def _polynomial_mutation(x, eta, rng):
    """Polynomial mutation (Deb and Goyal 1996) of a unit-box coordinate."""
    u = rng.random()
    if u < 0.5:
        delta = (2.0 * u + (1.0 - 2.0 * u) * (1.0 - x) ** (eta + 1.0)) ** (1.0 / (eta + 1.0)) - 1.0
    else:
        delta = 1.0 - (2.0 * (1.0 - u) + 2.0 * (u - 0.5) * x ** (eta + 1.0)) ** (1.0 / (eta + 1.0))
    return float(np.clip(x + delta, 0.0, 1.0))
