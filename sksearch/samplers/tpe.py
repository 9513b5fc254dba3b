"""The Tree-structured Parzen Estimator (TPE) sampler.

TPE (Bergstra et al., 2011) splits the trials seen so far into a "good" set
(the best ``gamma(n)`` of them) and a "bad" set, fits a Parzen density to each,
``l(x)`` and ``g(x)``, draws candidates from ``l`` and keeps the one maximising
``l(x) / g(x)``, which is proportional to expected improvement. The component
choices follow Watanabe (2023, "Tree-structured Parzen Estimator: Understanding
Its Algorithm Components and Their Roles for Better Empirical Performance",
arXiv 2304.11127):

* **split** ``gamma(n) = ceil(0.10 n)``, at most 25 (Sec. 3.1: a small linear
  quantile works well across benchmarks);
* **weights** uniform (Sec. 3.2); a callable may replace them;
* **prior** one uniform component of weight ``prior_weight`` in each density
  (Sec. 3.4), which keeps every region reachable;
* **bandwidth** per observation and dimension, the larger gap to its sorted
  neighbours (Bergstra et al., 2011), floored at 0.03 of the box (Sec. 3.3:
  the floor matters; on our suite Scott's rule and fixed widths did worse), in
  :mod:`sksearch.samplers.parzen`;
* **multivariate** kernels (Sec. 3.5; Falkner et al., 2018): dimensions of one
  observation are sampled together, so interactions are kept.

Conditional spaces are decomposed into groups of parameters that always occur
together (``group=True``): each group is modelled on the trials that have it, so
the trials of a pipeline's other branch are not dropped wholesale, they just
do not inform parameters they never had. Parameters first seen in the current
trial fall back to a univariate TPE on the trials that have them.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from ..distributions import Categorical
from ..trial import TrialState
from ._base import BaseSampler, intersection_search_space
from .parzen import ParzenEstimator
from .random import sample_uniform

__all__ = ["TPESampler", "default_gamma"]


def default_gamma(n):
    """Number of trials in the good set: 10% of ``n``, at least 1, at most 25."""
    return min(max(int(math.ceil(0.1 * n)), 1), 25)


class TPESampler(BaseSampler):
    """Tree-structured Parzen Estimator: model good and bad regions, sample where
    good is likely and bad is not.

    Parameters
    ----------
    n_startup_trials : int, default=10
        Trials sampled at random before the model is used.
    n_ei_candidates : int, default=24
        Candidates drawn from the good density at each step; the one with the
        best ratio ``l(x) / g(x)`` is proposed.
    gamma : callable or None, default=None
        ``gamma(n) -> int``, the size of the good set among ``n`` trials;
        ``None`` uses :func:`default_gamma`.
    weights : callable or None, default=None
        ``weights(n) -> array`` of observation weights (oldest first) for the
        bad density; ``None`` weighs all equally.
    prior_weight : float, default=1.0
        Weight of the uniform prior component in each density.
    multivariate : bool, default=True
        Sample the parameters known in advance jointly. ``False`` samples each
        parameter with its own univariate TPE.
    group : bool, default=True
        With ``multivariate``, model groups of parameters that co-occur
        separately (conditional spaces); ``False`` models only the parameters
        common to all trials jointly.
    constant_liar : bool, default=True
        Count running trials (of a parallel batch) as bad observations, so the
        candidates of one batch spread out instead of coinciding.
    bandwidth : {"neighbor", "fixed"}, default="neighbor"
        Kernel widths from neighbour gaps, or ``bandwidth_factor * n^(-1/(d+4))``.
    bandwidth_factor : float, default=1.0
        Multiplies the kernel widths.
    min_bandwidth : float or "magic", default=0.03
        Floor on kernel widths in the unit box; ``"magic"`` is ``1/min(100, n+1)``.
    seed : int or None, default=None
        Seed of the random stream.

    Notes
    -----
    **Evidence used.** Complete trials with a finite value, ranked by value in
    the study's direction. Pruned trials are ranked after all complete ones —
    those that reached more steps (folds) first, then by their value — so they
    inform the bad density and, only while there are too few complete trials,
    the good one. Failed trials and non-finite values are ignored. Running
    trials join the bad set when ``constant_liar`` is on.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import TPESampler
    >>> study = Study(direction="minimize", sampler=TPESampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=40)
    >>> abs(study.best_params["x"] - 1) < 0.3
    True
    """

    def __init__(self, *, n_startup_trials=10, n_ei_candidates=24, gamma=None, weights=None,
                 prior_weight=1.0, multivariate=True, group=True, constant_liar=True,
                 bandwidth="neighbor", bandwidth_factor=1.0, min_bandwidth=0.03, seed=None):
        if not (isinstance(n_startup_trials, int) and n_startup_trials >= 0):
            raise ValueError(f"n_startup_trials must be an int >= 0, got {n_startup_trials!r}.")
        if not (isinstance(n_ei_candidates, int) and n_ei_candidates >= 1):
            raise ValueError(f"n_ei_candidates must be an int >= 1, got {n_ei_candidates!r}.")
        if not prior_weight > 0:
            raise ValueError(f"prior_weight must be > 0, got {prior_weight!r}.")
        if gamma is not None and not callable(gamma):
            raise TypeError(f"gamma must be a callable n -> int or None, got {gamma!r}.")
        if weights is not None and not callable(weights):
            raise TypeError(f"weights must be a callable n -> array or None, got {weights!r}.")
        super().__init__(seed=seed)
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.gamma = gamma
        self.weights = weights
        self.prior_weight = prior_weight
        self.multivariate = multivariate
        self.group = group
        self.constant_liar = constant_liar
        self.bandwidth = bandwidth
        self.bandwidth_factor = bandwidth_factor
        self.min_bandwidth = min_bandwidth

    # -- the joint part --------------------------------------------------------------
    def infer_relative_search_space(self, study, trial):
        if not self.multivariate:
            return {}
        history = self._history(study, trial)
        if history.n_finished < self.n_startup_trials:
            return {}
        if not self.group:
            return intersection_search_space([history.table.trials[i] for i in history.order])
        latest = history.table.latest  # the latest distribution of each name wins
        return {name: latest[name][1] for name in sorted(latest)
                if not latest[name][1].is_single()}

    def sample_relative(self, study, trial, search_space):
        history = self._history(study, trial)
        if history.n_finished < self.n_startup_trials:
            return {}
        groups = (_groups(history, search_space) if self.group
                  else [list(search_space)])
        sampled = {}
        for names in groups:
            dists = [search_space[n] for n in names]
            sampled.update(self._sample_joint(history, names, dists))
        return sampled

    # -- the independent part --------------------------------------------------------
    def _history(self, study, trial):
        # Independent sampling asks once per parameter; the history of one trial
        # only changes when another trial finishes, so it is read once.
        cached = getattr(self, "_cached_history", None)
        if (cached is not None and cached.trial_id == trial.trial_id
                and cached.n_trials == study._storage.get_n_trials(study._study_id)):
            return cached
        key = (id(study), study._study_id)
        table = getattr(self, "_table", None)
        if table is None or table.study_key != key:
            table = self._table = _TrialTable(key)
        self._cached_history = _History(table, study, trial, self.constant_liar)
        return self._cached_history

    def sample_independent(self, study, trial, name, distribution):
        history = self._history(study, trial)
        if history.n_with([name], [distribution]) < self.n_startup_trials:
            return sample_uniform(distribution, self._rng)
        return self._sample_joint(history, [name], [distribution]).get(
            name, sample_uniform(distribution, self._rng))

    # -- the model ---------------------------------------------------------------------
    def _sample_joint(self, history, names, dists):
        below, above = history.split(names, dists, self.gamma or default_gamma)
        if below is None:
            return {n: sample_uniform(d, self._rng) for n, d in zip(names, dists)}
        n_choices = [len(d.choices) if isinstance(d, Categorical) else None for d in dists]
        below_unit = _to_unit(below, dists)
        above_unit = _to_unit(above, dists)
        above_weights = (np.ones(len(above_unit)) if self.weights is None
                         else np.asarray(self.weights(len(above_unit)), dtype=float))
        kwargs = dict(prior_weight=self.prior_weight, bandwidth=self.bandwidth,
                      bandwidth_factor=self.bandwidth_factor, min_bandwidth=self.min_bandwidth)
        # log-scaled integers have unequal steps in the unit box; their
        # neighbours are close at the high end, so they get no floor
        kwargs["step_widths"] = [0.0 if d.log else d._unit_step()
                                 for d in dists if not isinstance(d, Categorical)]
        good = ParzenEstimator(below_unit, np.ones(len(below_unit)), n_choices, **kwargs)
        bad = ParzenEstimator(above_unit, above_weights, n_choices, **kwargs)
        candidates = good.sample(self._rng, self.n_ei_candidates)
        candidates = _snap(candidates, dists)
        score = good.log_pdf(candidates) - bad.log_pdf(candidates)
        best = candidates[int(np.argmax(score))]
        return dict(zip(names, _from_unit(best, dists)))

    def __repr__(self):
        return (f"TPESampler(n_startup_trials={self.n_startup_trials}, "
                f"multivariate={self.multivariate}, group={self.group}, seed={self.seed!r})")


class _TrialTable:
    """Finished trials as columns of internal values, grown as trials finish.

    A finished trial never changes, so its row is written once; each ask then
    reads numpy columns instead of looping over every trial's dictionaries.
    Absent parameters (or ones drawn from another distribution) are NaN.
    """

    def __init__(self, study_key):
        self.study_key = study_key
        self.trials = []
        self._row_of = {}
        self._columns = {}
        self._arrays = {}
        self._losses, self._complete, self._steps = [], [], []
        self.latest = {}  # name -> (trial number, distribution) of its latest use

    @property
    def row_of(self):
        """Row of each trial already in the table, by trial id."""
        return self._row_of

    def update(self, finished, sign):
        new = [t for t in finished if t.trial_id not in self._row_of]
        for t in new:
            self._row_of[t.trial_id] = len(self.trials)
            self.trials.append(t)
            complete = t.state is TrialState.COMPLETE
            value = t.value if t.value is not None and math.isfinite(t.value) else math.inf
            self._losses.append(sign * value if math.isfinite(value) else math.inf)
            self._complete.append(complete)
            self._steps.append(len(t.intermediate_values))
            for (name, dist), column in self._columns.items():
                column.append(_value_of(t, name, dist))
            for name, dist in t.distributions.items():
                if self.latest.get(name, (-1, None))[0] < t.number:
                    self.latest[name] = (t.number, dist)
        if new:
            self._arrays = {}
        return len(new)

    def column(self, name, dist):
        key = (name, dist)
        if key not in self._columns:
            self._columns[key] = [_value_of(t, name, dist) for t in self.trials]
        if key not in self._arrays:
            self._arrays[key] = np.array(self._columns[key], dtype=float)
        return self._arrays[key]

    def ranking(self):
        """Row order, best first: complete trials by loss, then pruned ones by
        steps reached (more first) and last value."""
        losses = np.array(self._losses, dtype=float)
        complete = np.array(self._complete, dtype=bool)
        steps = np.array(self._steps, dtype=float)
        rows = np.arange(len(self.trials))
        done = rows[complete][np.argsort(losses[complete], kind="stable")]
        pruned = rows[~complete][np.lexsort((losses[~complete], -steps[~complete]))]
        return np.concatenate([done, pruned]).astype(int), int(complete.sum())


def _value_of(trial, name, dist):
    return trial.internal_params[name] if trial.distributions.get(name) == dist else math.nan


class _History:
    """The trials one TPE step learns from: the finished ones from the
    sampler's table, ranked best first, plus the running ones (constant liar)."""

    def __init__(self, table, study, current, constant_liar):
        trials = study.get_trials()
        sign = -1.0 if study.direction == "maximize" else 1.0
        # One pass: trials already in the table are skipped at once, so the
        # per-ask Python work is a dictionary lookup per trial.
        known = table.row_of
        new, running = [], []
        for t in trials:
            if t.trial_id in known:
                continue
            state = t.state
            if state is TrialState.PRUNED or (state is TrialState.COMPLETE and t.value is not None
                                              and math.isfinite(t.value)):
                new.append(t)
            elif state is TrialState.RUNNING and t.trial_id != current.trial_id:
                running.append(t)
        table.update(new, sign)
        self.table = table
        self.order, n_complete = table.ranking()
        self.is_complete = np.arange(len(self.order)) < n_complete
        self.running = running if constant_liar else []
        self.n_finished = len(self.order)
        self.trial_id = current.trial_id
        self.n_trials = len(trials)
        self._presence = {}

    def presence(self, name, dist):
        """Which finished trials (in ranked order) have ``name`` from ``dist``."""
        key = (name, dist)
        if key not in self._presence:
            self._presence[key] = ~np.isnan(self.table.column(name, dist)[self.order])
        return self._presence[key]

    def _joint_presence(self, names, dists):
        mask = np.ones(len(self.order), dtype=bool)
        for name, dist in zip(names, dists):
            mask &= self.presence(name, dist)
        return mask

    def n_with(self, names, dists):
        return int(self._joint_presence(names, dists).sum())

    def split(self, names, dists, gamma):
        """Internal values of the good and bad trials having all ``names``."""
        mask = self._joint_presence(names, dists)
        if not mask.any():
            return None, None
        index = np.flatnonzero(mask)
        n_below = gamma(len(index))
        n_complete = int(self.is_complete[index].sum())
        if n_complete:
            n_below = min(n_below, n_complete)
        rows = self.order[index]
        values = np.column_stack([self.table.column(n, d)[rows] for n, d in zip(names, dists)])
        running = [t for t in self.running
                   if all(t.distributions.get(n) == d for n, d in zip(names, dists))]
        above = np.vstack([values[n_below:], _rows(running, names)])
        return values[:n_below], above


def _rows(trials, names):
    return np.array([[t.internal_params[n] for n in names] for t in trials],
                    dtype=float).reshape(len(trials), len(names))


def _groups(history, search_space):
    """Partition ``search_space`` into groups of parameters present in exactly
    the same finished trials (with the same distribution)."""
    signatures = {}
    for name, dist in search_space.items():
        presence = history.presence(name, dist)
        if presence.any():
            signatures.setdefault(presence.tobytes(), []).append(name)
    return list(signatures.values())


def _to_unit(internal, dists):
    out = np.empty_like(internal)
    for j, dist in enumerate(dists):
        column = internal[:, j]
        out[:, j] = column if isinstance(dist, Categorical) else dist._to_unit(column)
    return out


def _snap(unit, dists):
    """Round candidates onto legal values (step grids) so the ratio is judged at
    the points that would really be evaluated."""
    for j, dist in enumerate(dists):
        if not isinstance(dist, Categorical) and dist.step is not None:
            unit[:, j] = dist._to_unit(dist._from_unit(unit[:, j]))
    return unit


def _from_unit(point, dists):
    return [float(v) if isinstance(d, Categorical) else float(d._from_unit(v))
            for v, d in zip(point, dists)]
