"""CMA-ES for continuous and integer parameters, with restarts.

``_CMA`` is the optimiser itself, framework-free: ``ask`` returns points of the
unit box, ``tell`` takes a generation of (point, loss) pairs. It follows
Hansen's tutorial (The CMA Evolution Strategy: A Tutorial, arXiv 1604.00772);
equation numbers are cited beside the lines. ``CmaEsSampler`` adapts it to a
study: the numerical parameters common to all trials are searched jointly in
their unit box (log-scaled ones by decades); categorical and conditional ones go
to an independent sampler (TPE).

Generations map onto trials: a trial records its generation and the unit-box
point it was sampled at (system attributes ``cma:generation``, ``cma:restart``,
``cma:x``); a generation is told once ``popsize`` of its trials are finished.
The optimiser state is a pure function of those records, so a resumed study, or
another process sharing it, rebuilds the same state by replaying the told
generations.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import math
import warnings

import numpy as np
from scipy.special import ndtri

from ..distributions import Categorical, NumericalDistribution
from ..trial import TrialState
from ._base import BaseSampler, intersection_search_space

__all__ = ["CmaEsSampler"]

_GEN, _RESTART, _X = "cma:generation", "cma:restart", "cma:x"


class _CMA:
    """(mu/mu_w, lambda)-CMA-ES in the unit box, minimising.

    Parameters
    ----------
    mean : ndarray of shape (n,)
    sigma : float
    popsize : int
    steps : ndarray of shape (n,)
        Width of one grid step in the unit box for integer or stepped
        dimensions, 0 for continuous ones (used by the margin).
    separable : bool
        Diagonal covariance only (sep-CMA, Ros & Hansen 2008), for many
        dimensions.
    """

    def __init__(self, mean, sigma, popsize, steps, separable=False):
        n = len(mean)
        self.dim, self.popsize, self.separable = n, popsize, separable
        self.mean, self.sigma = np.array(mean, dtype=float), float(sigma)
        self.steps = np.asarray(steps, dtype=float)
        mu = popsize // 2
        raw = math.log((popsize + 1) / 2) - np.log(np.arange(1, popsize + 1))  # eq. (49)
        positive, negative = raw[:mu], raw[mu:]
        self.mu_eff = positive.sum() ** 2 / np.sum(positive**2)  # eq. (8)
        me = self.mu_eff
        self.c_sigma = (me + 2) / (n + me + 5)  # eq. (55)
        self.d_sigma = 1 + 2 * max(0.0, math.sqrt((me - 1) / (n + 1)) - 1) + self.c_sigma
        self.c_c = (4 + me / n) / (n + 4 + 2 * me / n)  # eq. (56)
        self.c_1 = 2 / ((n + 1.3) ** 2 + me)  # eq. (57)
        self.c_mu = min(1 - self.c_1, 2 * (me - 2 + 1 / me) / ((n + 2) ** 2 + me))  # eq. (58)
        if separable:  # sep-CMA learns only n variances: faster rates
            self.c_1 *= (n + 2) / 3
            self.c_mu = min(1 - self.c_1, self.c_mu * (n + 2) / 3)
        # Active CMA (Jastrebski & Arnold 2006): the worse half of a generation
        # gets negative weights, which shrinks the covariance along bad
        # directions and learns ill-conditioned shapes much faster (eq. 50-53).
        mu_eff_minus = negative.sum() ** 2 / np.sum(negative**2) if len(negative) else 0.0
        alpha = min(1 + self.c_1 / self.c_mu, 1 + 2 * mu_eff_minus / (me + 2),
                    (1 - self.c_1 - self.c_mu) / (n * self.c_mu))
        self.weights_all = np.concatenate([
            positive / positive.sum(), alpha * negative / np.abs(negative).sum()])
        self.weights = self.weights_all[:mu]
        self.chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n**2))
        self.p_sigma, self.p_c = np.zeros(n), np.zeros(n)
        self.C = np.eye(n)
        self.B, self.D = np.eye(n), np.ones(n)
        self.generation = 0
        self._eigen_generation = 0
        self.best_losses = []

    # Eigendecomposition only when the covariance has moved enough (tutorial,
    # Sec. B.2): every 1 / (10 n (c_1 + c_mu)) generations.
    def _update_eigen(self):
        lag = max(1, int(1 / (10 * self.dim * (self.c_1 + self.c_mu))))
        if self.generation - self._eigen_generation < lag and self.generation > 0:
            return
        self._eigen_generation = self.generation
        if self.separable:
            self.B, self.D = np.eye(self.dim), np.sqrt(np.maximum(np.diag(self.C), 1e-30))
            return
        self.C = (self.C + self.C.T) / 2
        eigenvalues, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(eigenvalues, 1e-30))

    def ask(self, rng, size):
        """``size`` points in the unit box: samples outside are drawn again (up
        to 100 times, then clipped), which keeps them legal without moving the
        mean or shrinking the step the way clipping every sample would."""
        self._update_eigen()
        out = np.empty((size, self.dim))
        todo = np.arange(size)
        for _ in range(100):
            z = rng.standard_normal((len(todo), self.dim))
            x = self.mean + self.sigma * (z * self.D) @ self.B.T  # eq. (38)-(40)
            inside = np.all((x >= 0) & (x <= 1), axis=1)
            out[todo[inside]] = x[inside]
            todo = todo[~inside]
            if not len(todo):
                break
        if len(todo):
            out[todo] = np.clip(x[~inside], 0, 1)
        return out

    def tell(self, points, losses):
        """Update from one generation: ``points`` (lambda, n), ``losses`` (lambda,)."""
        self._update_eigen()
        order = np.argsort(losses, kind="stable")
        self.best_losses.append(float(np.min(losses)))
        mu = len(self.weights)
        y_all = (np.asarray(points)[order] - self.mean) / self.sigma  # eq. (41)
        y_w = self.weights @ y_all[:mu]
        old_mean = self.mean
        self.mean = old_mean + self.sigma * y_w  # eq. (42), c_m = 1
        inv_sqrt_c = (self.B / self.D) @ self.B.T
        self.p_sigma = ((1 - self.c_sigma) * self.p_sigma + math.sqrt(
            self.c_sigma * (2 - self.c_sigma) * self.mu_eff) * inv_sqrt_c @ y_w)  # eq. (43)
        norm_ps = np.linalg.norm(self.p_sigma)
        threshold = (1.4 + 2 / (self.dim + 1)) * self.chi_n * math.sqrt(
            1 - (1 - self.c_sigma) ** (2 * (self.generation + 1)))
        h_sigma = float(norm_ps < threshold)
        self.p_c = ((1 - self.c_c) * self.p_c + h_sigma * math.sqrt(
            self.c_c * (2 - self.c_c) * self.mu_eff) * y_w)  # eq. (45)
        rank_one = np.outer(self.p_c, self.p_c)
        weights = self.weights_all[: len(y_all)]
        # negative weights act on the Mahalanobis-normalised steps (eq. 46)
        norms = np.sum((y_all @ inv_sqrt_c.T) ** 2, axis=1)
        w_o = np.where(weights >= 0, weights, weights * self.dim / np.maximum(norms, 1e-30))
        rank_mu = (y_all.T * w_o) @ y_all
        delta = (1 - h_sigma) * self.c_c * (2 - self.c_c)
        self.C = ((1 + self.c_1 * delta - self.c_1 - self.c_mu * weights.sum()) * self.C
                  + self.c_1 * rank_one + self.c_mu * rank_mu)  # eq. (47)
        if self.separable:
            self.C = np.diag(np.diag(self.C))
        self.sigma *= math.exp(min(1.0, (self.c_sigma / self.d_sigma)
                                   * (norm_ps / self.chi_n - 1)))  # eq. (44)
        self._apply_margin()
        self.generation += 1

    def _apply_margin(self):
        """Keep integer and stepped dimensions moving: their marginal standard
        deviation stays large enough that a sample leaves the mean's grid cell
        with probability at least ``alpha = 1 / (n * lambda)`` — a diagonal form
        of the margin of Hamano et al. (2022), which otherwise lets CMA-ES freeze
        on one integer value."""
        discrete = self.steps > 0
        if not discrete.any():
            return
        alpha = 1.0 / (self.dim * self.popsize)
        needed = 0.5 * self.steps / ndtri(1 - alpha)
        std = self.sigma * np.sqrt(np.diag(self.C))
        scale = np.ones(self.dim)
        scale[discrete] = np.maximum(1.0, needed[discrete] / np.maximum(std[discrete], 1e-300))
        if np.any(scale > 1):
            self.C = self.C * np.outer(scale, scale)
            self._eigen_generation = -10**9  # force a fresh decomposition

    def should_stop(self):
        """Converged or degenerate: time to restart (Hansen's TolX, condition
        and TolHistFun criteria, with tolerances for hyperparameters: a step of
        1e-5 of the search box is precision no model needs)."""
        self._update_eigen()
        continuous = self.steps == 0
        if continuous.any() and self.sigma * np.max(
                np.sqrt(np.diag(self.C))[continuous]) < 1e-5:
            return True
        if np.max(self.D) > 1e7 * np.min(self.D):
            return True
        recent = self.best_losses[-(10 + int(30 * self.dim / self.popsize)):]
        if len(recent) < 10:
            return False
        spread = max(recent) - min(recent)
        return spread <= 1e-10 + 1e-9 * abs(min(recent))

    def state(self):
        """The state that determines future samples, for comparisons."""
        return {"mean": self.mean.copy(), "sigma": self.sigma, "C": self.C.copy(),
                "p_sigma": self.p_sigma.copy(), "p_c": self.p_c.copy(),
                "generation": self.generation}


class CmaEsSampler(BaseSampler):
    """CMA-ES over the numerical parameters, with IPOP restarts.

    Parameters
    ----------
    popsize : int or None, default=None
        Trials per generation; ``None`` is ``4 + floor(3 ln n)``.
    sigma0 : float or None, default=None
        Initial step size in the unit box (``None``: 1/6 of the box, which did
        better than 0.3 on every problem of our suite at 200 trials).
    x0 : dict or None, default=None
        Initial mean, by parameter name (values as the estimator takes them);
        the centre of the box for others.
    restart_strategy : {"ipop", None}, default="ipop"
        On convergence or stagnation, restart with twice the population
        (Auger & Hansen, 2005), from a fresh point of the box.
    separable : bool, default=False
        Learn a diagonal covariance only (sep-CMA): linear rather than cubic
        cost in the dimension, for spaces of dozens of parameters.
    n_startup_trials : int, default=0
        Random trials before CMA-ES starts.
    independent_sampler : BaseSampler or None, default=None
        For categorical and conditional parameters; ``None`` is TPE.
    seed : int or None, default=None

    Notes
    -----
    **Trials that do not complete.** A failed trial (or one with a non-finite
    value) is not part of its generation: another trial is sampled in its
    place. A pruned trial counts, ranked after every complete one of its
    generation (by its partial value), so CMA-ES moves away from it.
    ``learning-rate adaptation`` (Nomura et al., 2023) is not implemented.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import CmaEsSampler
    >>> study = Study(direction="minimize", sampler=CmaEsSampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2
    ...                + (t.suggest_float("y", -5, 5) + 2) ** 2, n_trials=120)
    >>> study.best_value < 1e-3
    True
    """

    def __init__(self, *, popsize=None, sigma0=None, x0=None, restart_strategy="ipop",
                 separable=False, n_startup_trials=0, independent_sampler=None, seed=None):
        if popsize is not None and (not isinstance(popsize, int) or popsize < 2):
            raise ValueError(f"popsize must be an int >= 2 or None, got {popsize!r}.")
        if sigma0 is not None and not (0 < sigma0 <= 1):
            raise ValueError(f"sigma0 must be in (0, 1] (a fraction of the box), got {sigma0!r}.")
        if restart_strategy not in ("ipop", None):
            raise ValueError(f"restart_strategy must be 'ipop' or None, got {restart_strategy!r}.")
        super().__init__(seed=seed)
        self.popsize = popsize
        self.sigma0 = sigma0
        self.x0 = x0
        self.restart_strategy = restart_strategy
        self.separable = separable
        self.n_startup_trials = n_startup_trials
        self.independent_sampler = independent_sampler
        self._fallback = None
        self._warned = False
        self._live = None  # (study key, restart, _CMA): the last state, to avoid replays

    def reseed_rng(self, seed):
        super().reseed_rng(seed)
        if self._fallback is not None:
            self._fallback.reseed_rng(seed)

    # -- independent fallback -------------------------------------------------------
    def _independent(self):
        if self._fallback is None:
            if self.independent_sampler is not None:
                self._fallback = self.independent_sampler
            else:
                from .tpe import TPESampler

                self._fallback = TPESampler(seed=self.seed)
        return self._fallback

    def sample_independent(self, study, trial, name, distribution):
        # Numerical parameters reach here only before the first trial finishes
        # (empty intersection) or when they are conditional (outside it).
        seen, space = getattr(self, "_intersection", ((None,), None))
        conditional = seen[0] == id(study) and bool(space) and name not in space
        if not self._warned and (trial.number >= self.n_startup_trials) and (
                conditional or not isinstance(distribution, NumericalDistribution)
                or isinstance(distribution, Categorical)):
            self._warned = True
            warnings.warn(
                f"CmaEsSampler searches numerical parameters only; {name!r} "
                f"({distribution!r}) and any other categorical or conditional parameter "
                "are sampled by an independent sampler (TPE).", UserWarning, stacklevel=2)
        return self._independent().sample_independent(study, trial, name, distribution)

    # -- joint sampling -----------------------------------------------------------------
    def _trials(self, study, trial):
        """The study's trials, read once per asked trial (infer and sample share it)."""
        key = (id(study), trial.trial_id, study._storage.get_n_trials(study._study_id))
        if getattr(self, "_trials_cache", (None,))[0] != key:
            self._trials_cache = (key, study.get_trials())
        return self._trials_cache[1]

    def infer_relative_search_space(self, study, trial):
        # The intersection only shrinks as trials finish, so it is updated with
        # the trials finished since the last ask instead of recomputed.
        finished = [t for t in self._trials(study, trial)
                    if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
        seen, space = getattr(self, "_intersection", (None, None))
        if seen is None or seen[0] != id(study):
            seen, space = (id(study), set()), None
        new = [t for t in finished if t.trial_id not in seen[1]]
        if new:
            merged = new if space is None else [_SpaceRecord(space)] + new
            space = intersection_search_space(merged)
            seen[1].update(t.trial_id for t in new)
        self._intersection = (seen, space)
        return {n: d for n, d in (space or {}).items()
                if isinstance(d, NumericalDistribution) and not isinstance(d, Categorical)}

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        finished = study._storage.get_n_trials(study._study_id,
                                               (TrialState.COMPLETE, TrialState.PRUNED))
        if finished < self.n_startup_trials:
            return {}
        names = sorted(search_space)
        dists = [search_space[n] for n in names]
        cma, restart, generation = self._state(study, trial, names, dists)
        point = cma.ask(self._rng, 1)[0]
        storage = study._storage
        storage.set_trial_system_attr(trial.trial_id, _RESTART, restart)
        storage.set_trial_system_attr(trial.trial_id, _GEN, generation)
        storage.set_trial_system_attr(trial.trial_id, _X, [float(v) for v in point])
        return {n: float(d._from_unit(v)) for n, d, v in zip(names, dists, point)}

    def _state(self, study, trial, names, dists):
        """Replay the told generations of the study into a ``_CMA`` and return it
        with the restart and generation the new trial belongs to."""
        sign = -1.0 if study.direction == "maximize" else 1.0
        records = {}
        assigned = {}
        for t in self._trials(study, trial):
            if _GEN not in t.system_attrs or t.trial_id == trial.trial_id:
                continue
            key = (t.system_attrs[_RESTART], t.system_attrs[_GEN])
            if t.state is TrialState.FAIL or (t.state is TrialState.COMPLETE and not (
                    t.value is not None and math.isfinite(t.value))):
                continue  # replaced by another sample of the same generation
            assigned[key] = assigned.get(key, 0) + 1
            if t.state in (TrialState.COMPLETE, TrialState.PRUNED):
                records.setdefault(key, []).append(t)
        steps = np.array([d._unit_step() for d in dists])
        study_key = (id(study), tuple(names))
        if self._live is not None and self._live[0] == study_key:
            # Told generations never change, so the last state is a valid prefix
            # of the replay; continue from a copy of it.
            restart, cma = self._live[1], copy.deepcopy(self._live[2])
        else:
            restart, cma = 0, self._fresh(0, names, dists, steps)
        while True:
            told = records.get((restart, cma.generation), [])
            if len(told) < cma.popsize:
                break
            cma.tell(*_generation(told, cma.popsize, sign))
            if self.restart_strategy == "ipop" and cma.should_stop():
                restart += 1
                cma = self._fresh(restart, names, dists, steps)
        self._live = (study_key, restart, copy.deepcopy(cma))
        generation = cma.generation
        if assigned.get((restart, generation), 0) >= cma.popsize:
            generation += 1  # this generation is fully handed out; ask ahead
        return cma, restart, generation

    def _fresh(self, restart, names, dists, steps):
        n = len(names)
        popsize = (self.popsize or 4 + int(3 * math.log(n))) * 2**restart
        if restart == 0:
            mean = np.full(n, 0.5)
            for i, (name, dist) in enumerate(zip(names, dists)):
                if self.x0 and name in self.x0:
                    mean[i] = float(dist._to_unit(dist.to_internal(self.x0[name])))
        else:  # IPOP: a new point of the box, reproducible from seed and restart
            mean = np.random.default_rng([self.seed or 0, restart]).uniform(0.1, 0.9, n)
        return _CMA(mean, self.sigma0 or 1 / 6, popsize, steps, separable=self.separable)

    def rebuild_state(self, study, names):
        """The optimiser state replayed from the study's trials alone (no cache);
        for checking that a resumed study continues the same search."""
        self._live = None
        dists = [study.trials[-1].distributions[n] for n in names]
        cma, _, _ = self._state(study, _NoTrial(), names, dists)
        return cma.state()

    def __repr__(self):
        return (f"CmaEsSampler(popsize={self.popsize}, restart_strategy="
                f"{self.restart_strategy!r}, separable={self.separable}, seed={self.seed!r})")


class _SpaceRecord:
    """A finished-trial stand-in carrying an already intersected space."""

    state = TrialState.COMPLETE

    def __init__(self, distributions):
        self.distributions = distributions


class _NoTrial:
    """Stands for "no trial is being sampled" when replaying."""

    trial_id = -1


def _generation(trials, popsize, sign):
    """Points and losses of a told generation: complete trials by value, pruned
    ones after all of them (by their partial value)."""
    trials = sorted(trials, key=lambda t: t.number)[:popsize]
    worst = max((sign * t.value for t in trials if t.state is TrialState.COMPLETE),
                default=0.0)
    losses = []
    for t in trials:
        loss = sign * t.value if t.value is not None and math.isfinite(t.value) else math.inf
        if t.state is TrialState.PRUNED:
            loss = abs(worst) + 1e6 + (loss if math.isfinite(loss) else 1e6)
        losses.append(loss)
    points = np.array([t.system_attrs[_X] for t in trials], dtype=float)
    return points, np.array(losses, dtype=float)
