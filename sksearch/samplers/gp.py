"""The Gaussian-process sampler: Bayesian optimisation with log expected improvement.

A GP (Rasmussen & Williams 2006) is fitted to the finished trials of the
joint space (pruned ones included, see :class:`_Data`), in its unit box
(:class:`sksearch._box.UnitBox`: log-scaled columns by decades, stepped
ones on their grid, categorical ones as choice indices); the next trial is
the legal point maximising log expected improvement (Snoek et al. 2012;
Ament et al. 2023). The model is in :mod:`sksearch.samplers._gp_model`,
the acquisition's optimisation in :mod:`sksearch.samplers._gp_acquisition`;
this module adapts them to a study.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .._box import UnitBox
from .._validation import AnyOf, InstanceOf, Interval, validate
from ..trial import TrialState
from ._base import BaseSampler, joint_space
from ._fallback import IndependentFallback
from ._gp_acquisition import legal, maximise_log_ei, sobol_points
from ._gp_model import fit_gp, transform_outputs
from ._gp_space import Branches, SpaceRecords

__all__ = ["GPSampler"]

_THETA = "gp:theta"  # trial system attribute: the fit's log-hyperparameters
_SOBOL_SEED = "gp:sobol_seed"  # study system attribute, unseeded samplers only
_N_GOOD = 5  # best observed points around which candidates are also drawn


class GPSampler(IndependentFallback, BaseSampler):
    """Gaussian-process Bayesian optimisation: fit a GP to the trials, propose
    the point of highest (log) expected improvement.

    Parameters
    ----------
    n_startup_trials : int, default=10
        Complete trials before the model is used. They are the points of a
        scrambled Sobol sequence (by trial number, seeded), which covers the
        box more evenly than independent draws; the study's first trial,
        before any space is known, is drawn at random.
    max_points : int, default=200
        The most trials the GP is fitted to. Beyond, it is fitted to the best
        half of that many and the most recent others, so the cost of an ask
        stops growing (see Notes).
    n_candidates : int, default=1024
        Sobol candidates scored before the best are refined.
    independent_sampler : BaseSampler or None, default=None
        For the parameters the GP does not model (see Notes) and every
        parameter of the first trial; ``None`` is TPE.
    seed : int or None, default=None

    Notes
    -----
    **Model.** A Matérn-5/2 kernel with one lengthscale per numerical
    parameter, times an overlap kernel on the categorical ones (one
    lengthscale each), plus a learned noise variance (its prior's median
    1e-6 of the outputs' variance, its floor 1e-10, so that a noiseless
    objective is fitted as one); hyperparameters by
    maximum a posteriori marginal likelihood, with log-normal priors
    (lengthscales about half the box);
    outputs power-transformed (Yeo-Johnson) and standardised. The fit starts
    from the prior's mode and from the hyperparameters of the last finished
    trial that recorded a fit (trial system attribute ``gp:theta``), so a
    resumed study fits as an uninterrupted one would have.

    **Which trials and parameters.** Complete trials with a finite value
    (pruned and failed ones are not modelled). The GP models the joint
    space (the parameters every finished trial has with the same
    distribution) and the conditional parameters whose presence one
    categorical of the joint space decides (a branch of a list-of-dicts
    space, a define-by-run ``if`` on a categorical): where such a parameter
    is inactive it is held at one fixed value of its column, in the trials
    fitted and in the candidates scored, so it is a constant there, never
    noise (:mod:`sksearch.samplers._gp_space`). Other parameters (nested
    branches, an ``if`` on a number) go to the independent sampler.

    **Parallel trials.** Running trials of the joint space are added at the
    GP's posterior mean with the hyperparameters kept ("kriging believer",
    Ginsbourger et al. 2010): the mean is unchanged and the variance shrinks
    near them, so parallel proposals spread out; which trials run at an ask
    is a function of the trial order, and so are the proposals.

    **Cost.** An ask fits the GP (L-BFGS-B over ``d + 2`` log-parameters,
    each step a Cholesky factorisation: ``O(n^3)`` in the ``n`` trials
    fitted) and optimises the acquisition (``O(n^2)`` per candidate). With
    ``max_points`` the cost is bounded; ``benchmarks/small_budget.py``
    measures the per-trial time.

    **Not supported.** One objective only (a study of several raises). With
    constraints (``constraints_func``) the joint parameters are proposed by
    TPE (c-TPE), with a warning.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import GPSampler
    >>> study = Study(direction="minimize", sampler=GPSampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=15)
    >>> abs(study.best_params["x"] - 1) < 0.1
    True
    """

    #: The GP models one objective.
    supports_multi_objective = False

    _parameter_constraints = {**BaseSampler._parameter_constraints,
        "n_startup_trials": Interval(int, 1), "max_points": Interval(int, 10),
        "n_candidates": Interval(int, 1),
        "independent_sampler": AnyOf(None, InstanceOf(BaseSampler))}

    def __init__(self, *, n_startup_trials=10, max_points=200, n_candidates=1024,
                 independent_sampler=None, seed=None):
        validate(self, {"n_startup_trials": n_startup_trials, "max_points": max_points,
                        "n_candidates": n_candidates,
                        "independent_sampler": independent_sampler})
        super().__init__(seed=seed)
        self.n_startup_trials = n_startup_trials
        self.max_points = max_points
        self.n_candidates = n_candidates
        self.independent_sampler = independent_sampler
        self._fallback = None
        self._warned = False

    def sample_independent(self, study, trial, name, distribution):
        return self._independent().sample_independent(study, trial, name, distribution)

    # -- joint sampling -----------------------------------------------------------------
    def infer_relative_search_space(self, study, trial):
        joint = joint_space(study).narrow(study)
        space = dict(joint)
        if joint:  # and the conditional parameters a categorical of it decides
            space.update({n: b[0] for n, b in self._branches(study, joint).items()})
        return {n: space[n] for n in sorted(space)}

    @staticmethod
    def _branches(study, joint):
        return study.trial_log.cache("gp-space", SpaceRecords).branches(study, joint)

    def sample_relative(self, study, trial, search_space):
        if not search_space:
            return {}
        names = list(search_space)
        dists = [search_space[n] for n in names]
        joint = joint_space(study).narrow(study)
        branches = {n: b for n, b in self._branches(study, joint).items()
                    if n in search_space and n not in joint} if joint else {}
        key = ("gp-data", tuple(names), tuple(dists),
               tuple((n, s, tuple(sorted(a))) for n, (_, s, a) in branches.items()))
        data = study.trial_log.cache(key, lambda: _Data(names, dists, branches))
        data.absorb(study)
        if data.constrained:
            return self._constrained(study, trial, names)
        if data.n < self.n_startup_trials or not data.n_valued:
            return self._startup(study, trial, data)
        return self._propose(study, trial, data)

    def _startup(self, study, trial, data):
        """The trial's point of the study's Sobol sequence (by trial number)."""
        u = sobol_points(data.box.n_dims, 1, self._sobol_seed(study), skip=trial.number)
        return data.values_at(legal(data.box, u)[0])

    def _propose(self, study, trial, data):
        box = data.box
        X, losses, rows = data.arrays(self.max_points)
        y = transform_outputs(losses)
        # from the last fit and from the prior's mode: the last fit alone (half
        # the cost) doubled the regret on ackley5 at 50 trials, stuck in a
        # poor optimum of the likelihood
        gp = fit_gp(X, y, box.categorical, starts=[data.last_theta()])
        study.set_trial_system_attr(trial, _THETA, [float(v) for v in gp.theta])
        fitted_mean = gp.predict(X)[0]
        best = float(fitted_mean.min())  # the noise-aware incumbent
        good = X[np.argsort(fitted_mean, kind="stable")[:_N_GOOD]]
        pending = data.pending(study, trial)
        if len(pending):  # kriging believer (Ginsbourger et al. 2010)
            gp = gp.condition_on(pending, gp.predict(pending)[0])
        point = maximise_log_ei(gp, box, best, self._rng, good, self.n_candidates,
                                impute=data.conditional.impute if data.conditional else None)
        del rows
        return data.values_at(point)

    def _constrained(self, study, trial, names):
        """Constraints are TPE's (c-TPE): the GP models one objective."""
        if not self._warned:
            self._warned = True
            warnings.warn("GPSampler does not model constraints; the study's parameters "
                          "are proposed by TPE, which does.", UserWarning, stacklevel=3)
        tpe = self._independent()
        values = tpe.sample_relative(study, trial, tpe.infer_relative_search_space(study, trial))
        return {n: v for n, v in values.items() if n in names}

    def _sobol_seed(self, study):
        """The seed of the startup's Sobol sequence: the sampler's ``seed``, or
        for an unseeded sampler one drawn once and stored in the study
        (system attribute ``gp:sobol_seed``)."""
        if self.seed is not None:
            return self.seed
        value = study.system_attrs.get(_SOBOL_SEED)
        if value is None:
            value = int(self._rng.integers(2**63))
            study.set_system_attr(_SOBOL_SEED, value)
        return value

    def __repr__(self):
        return (f"GPSampler(n_startup_trials={self.n_startup_trials}, "
                f"max_points={self.max_points}, seed={self.seed!r})")


@dataclass
class _Data:
    """The finished trials of one joint space, as rows of internal values
    grown as trials finish (a cache of the study's trial log).

    A pruned trial is evidence too: left out, the model would not know its
    region is poor and would propose there again, and with a pruner that
    stops most trials (halving) the startup would last until ten trials had
    *completed*. It is fitted at its own value where it has one (a search's
    pruned candidate: the mean score of the folds it ran, a noisy and, since
    it was stopped for looking poor, a pessimistic estimate of its CV score;
    a study's pruned trial: the last value it reported), else at the worst
    value observed (ranked below every complete trial, as
    TPE ranks it).
    """

    names: list
    dists: list
    branches: dict  # the conditional parameters among names (SpaceRecords.branches)
    position: int = 0
    rows: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    numbers: list = field(default_factory=list)
    thetas: dict = field(default_factory=dict)  # trial number -> recorded fit
    constrained: bool = False
    sign: float = None

    def __post_init__(self):
        self.box = UnitBox(self.dists)
        self.conditional = Branches(self.names, self.branches)
        self._required = [(n, d) for n, d in zip(self.names, self.dists)
                          if n not in self.branches]

    @property
    def n(self):
        return len(self.rows)

    @property
    def n_valued(self):
        """Trials with a value of their own (not imputed)."""
        return int(np.sum(np.isfinite(self.losses))) if self.losses else 0

    def absorb(self, study):
        if self.sign is None:
            self.sign = -1.0 if study.directions[0] == "maximize" else 1.0
        finished, self.position = study.trial_log.since(self.position)
        seen = set(self.numbers)
        for t in finished:
            if t.constraints:
                self.constrained = True
            loss = _loss(t, self.sign)
            if loss is None or t.number in seen or not _has(t, self._required):
                continue
            seen.add(t.number)
            self.rows.append(_row(t, self.names, self.dists))
            self.losses.append(loss)
            self.numbers.append(t.number)
            theta = t.system_attrs.get(_THETA)
            if theta is not None:
                self.thetas[t.number] = theta

    def last_theta(self):
        """The fit recorded by the latest finished trial that has one."""
        return self.thetas[max(self.thetas)] if self.thetas else ()

    def arrays(self, max_points):
        """Unit-box points and losses of the trials to fit, by trial number:
        all of them, or beyond ``max_points`` the best half of that many and
        the most recent others."""
        order = np.argsort(self.numbers, kind="stable")
        losses = np.asarray(self.losses, dtype=float)[order]
        # a pruned trial without a value of its own: the worst value observed
        losses[np.isnan(losses)] = np.nanmax(losses)
        if len(order) > max_points:
            by_loss = np.argsort(losses, kind="stable")
            keep = np.zeros(len(order), dtype=bool)
            keep[by_loss[:max_points // 2]] = True
            rest = np.flatnonzero(~keep)
            keep[rest[len(rest) - (max_points - max_points // 2):]] = True
            order, losses = order[keep], losses[keep]
        X = self._unit(np.asarray(self.rows, dtype=float)[order])
        return X, losses, order

    def _unit(self, rows):
        """Rows of internal values (NaN: absent) to the GP's points of the box."""
        X = self.box.to_unit(rows)
        return self.conditional.impute(X)[0] if self.conditional else X

    def pending(self, study, trial):
        """Unit-box points of the other running trials that have the space."""
        running = [t for t in study.get_trials((TrialState.RUNNING,))
                   if t.trial_id != trial.trial_id and _has(t, self._required)]
        if not running:
            return np.empty((0, self.box.n_dims))
        return self._unit(np.array([_row(t, self.names, self.dists) for t in running],
                                   dtype=float))

    def values_at(self, point):
        return dict(zip(self.names, self.box.from_unit(point[None, :])[0].tolist()))


def _loss(trial, sign):
    """The loss a finished trial is fitted at: a complete trial's finite value;
    a pruned trial's own value if it has one, else NaN (imputed in
    :meth:`_Data.arrays`); ``None`` for a trial not fitted at all."""
    values = trial.values
    value = values[0] if values is not None and len(values) == 1 else None
    finite = value is not None and math.isfinite(value)
    if trial.state is TrialState.COMPLETE:
        return sign * value if finite else None
    if trial.state is TrialState.PRUNED and (values is None or len(values) == 1):
        return sign * value if finite else math.nan
    return None


def _has(trial, pairs):
    """Whether ``trial`` has each ``(name, distribution)`` of ``pairs``."""
    used = trial.distributions
    return all(n in used and (used[n] is d or used[n] == d) for n, d in pairs)


def _row(trial, names, dists):
    """The trial's internal values of ``names`` (NaN where it lacks one or
    drew it from another distribution)."""
    used, params = trial.distributions, trial.internal_params
    return [params[n] if n in used and (used[n] is d or used[n] == d) else math.nan
            for n, d in zip(names, dists)]
