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

With ``cost``, the candidate kept maximises expected improvement per second
(Snoek et al., 2012) instead of the ratio: :mod:`sksearch.samplers._cost`.

Conditional spaces are decomposed into groups of parameters that always occur
together (``group=True``): each group is modelled on the trials that have it, so
the trials of a pipeline's other branch are not dropped wholesale, they just
do not inform parameters they never had. Parameters first seen in the current
trial fall back to a univariate TPE on the trials that have them. A categorical
whose value decides which other parameters a trial has (a branch) is drawn
from the good density instead of by the ratio, so branches whose first, untuned
trials looked bad keep being tried (``explore_branches``).

The history is kept as numpy columns that absorb only the trials finished
since the previous ask, read from the study's trial log
(:attr:`sksearch.Study.trial_log`), so the per-ask cost does not include
re-reading the study; that machinery is in :mod:`sksearch.samplers._tpe_history`.
The unit box of each group of parameters is :class:`sksearch._box.UnitBox`.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
from dataclasses import dataclass, field

import numpy as np

from .._box import UnitBox
from .._validation import AnyOf, InstanceOf, Interval, IsCallable, Options, validate
from ..trial import measured_cost
from ._base import BaseSampler
from ._cost import MIN_COSTED_TRIALS, LogCostModel, log_expected_improvement
from ._tpe_history import _History, _TrialTable
from .parzen import ParzenEstimator
from .random import sample_uniform

__all__ = ["TPESampler", "default_gamma"]


def default_gamma(n):
    """Number of trials in the good set: 10% of ``n``, at least 1, at most 25."""
    return min(max(int(math.ceil(0.1 * n)), 1), 25)


_BOOL = InstanceOf(bool, description="a bool")

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
    explore_branches : bool, default=True
        Draw a branch choice (a categorical whose value decides which other
        parameters are present, such as the estimator of a list-of-dicts
        space) from the good density ``l`` instead of maximising ``l / g``.
        Among a few values the maximum is deterministic, and TPE would keep
        the branch that looked best in the random startup trials, before the
        other branches' own parameters were tuned. ``False`` is plain TPE.
    cost : None, "fit_time" or callable, default=None
        Keep the candidate with the best expected improvement per second
        (Snoek et al., 2012) instead of the best ratio: TPE's expected
        improvement, ``(gamma + (1 - gamma) g(x) / l(x)) ** -1``, divided by
        the candidate's cost as predicted from the finished trials' costs
        (a ridge regression of log cost; see Notes). ``"fit_time"`` measures
        it: in BayesSearchCV a trial's mean seconds per fold fit, in a plain
        Study a complete trial's duration. A callable ``cost(trial) -> float``
        gives it for a finished :class:`~sksearch.trial.FrozenTrial` (e.g.
        ``lambda t: t.params["n_estimators"] * 2 ** t.params["max_depth"]``;
        ``None``, NaN or a value <= 0 means unknown). ``None`` is plain TPE.
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

    **Branches.** With ``explore_branches``, each branch keeps at least the
    probability the prior component gives it in ``l``, about
    ``prior_weight / (k (n_good + prior_weight))`` for ``k`` branches, and more
    where good trials lie: exploration fades as good trials gather in one
    branch, instead of stopping after the startup trials.

    **Cost.** With ``cost``, the log cost of the finished trials is regressed
    on their parameters (linear and squared terms in the unit box, one-hot
    choices, ridge penalty 1) once at least 5 of them have a cost, and the
    candidate maximising ``log EI(x) - predicted log cost(x)`` is kept. TPE's
    expected improvement is bounded: among candidates that are surely good
    the cheapest wins, and a cheap one the densities rank low does not. With
    ``"fit_time"`` the proposals depend on measured times, so the same seed
    no longer gives the same trials bit for bit; a callable of the
    parameters keeps them reproducible. What it saves and costs on
    boosting models is measured in docs/benchmarks.md; on a problem whose
    best models are the slow ones it trades quality for time.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.samplers import TPESampler
    >>> study = Study(direction="minimize", sampler=TPESampler(seed=0))
    >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=40)
    >>> abs(study.best_params["x"] - 1) < 0.3
    True
    """

    _parameter_constraints = {**BaseSampler._parameter_constraints,
        "n_startup_trials": Interval(int, 0), "n_ei_candidates": Interval(int, 1),
        "gamma": AnyOf(None, IsCallable()), "weights": AnyOf(None, IsCallable()),
        "prior_weight": Interval(float, 0, closed="neither"),
        "multivariate": _BOOL, "group": _BOOL, "constant_liar": _BOOL,
        # a misspelled rule ("neighbour") used to pass for "fixed"
        "bandwidth": Options("neighbor", "fixed"),
        "bandwidth_factor": Interval(float, 0, closed="neither"),
        "min_bandwidth": AnyOf(Interval(float, 0, 1), Options("magic")),
        "explore_branches": _BOOL, "cost": AnyOf(None, Options("fit_time"), IsCallable())}

    def __init__(self, *, n_startup_trials=10, n_ei_candidates=24, gamma=None, weights=None,
                 prior_weight=1.0, multivariate=True, group=True, constant_liar=True,
                 bandwidth="neighbor", bandwidth_factor=1.0, min_bandwidth=0.03,
                 explore_branches=True, cost=None, seed=None):
        validate(self, {
            "n_startup_trials": n_startup_trials, "n_ei_candidates": n_ei_candidates,
            "gamma": gamma, "weights": weights, "prior_weight": prior_weight,
            "multivariate": multivariate, "group": group, "constant_liar": constant_liar,
            "bandwidth": bandwidth, "bandwidth_factor": bandwidth_factor,
            "min_bandwidth": min_bandwidth, "explore_branches": explore_branches,
            "cost": cost})
        super().__init__(seed=seed)
        self.cost = cost
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
        self.explore_branches = explore_branches

    # -- the joint part --------------------------------------------------------------
    def infer_relative_search_space(self, study, trial):
        if not self.multivariate:
            return {}
        history = self._memory(study, trial).history
        if history.n_finished < self.n_startup_trials:
            return {}
        latest = history.table.latest  # the latest distribution of each name wins
        if not self.group:
            # the parameters every finished trial has, with one distribution
            table = history.table
            return {name: latest[name][1] for name in sorted(latest)
                    if not latest[name][1].is_single()
                    and table.n_present(name, latest[name][1]) == table.n}
        return {name: latest[name][1] for name in sorted(latest)
                if not latest[name][1].is_single()}

    def sample_relative(self, study, trial, search_space):
        memory = self._memory(study, trial)
        history = memory.history
        if history.n_finished < self.n_startup_trials:
            return {}
        if not self.group:
            plan = memory.plan(list(search_space), list(search_space.values()))
            return self._sample_joint(memory, plan)
        # A name used with several distributions (``C`` of two estimators in a
        # list-of-dicts space) is modelled once per distribution, each on the
        # trials that used it; the value returned is that of the variant that
        # goes with the branch drawn for this trial.
        keys = history.table.variants(search_space)
        sampled, chosen = {}, {}
        for group in _groups(history, keys):
            names, dists = [k[0] for k in group], [k[1] for k in group]
            plan = memory.plan(names, dists)
            values = self._sample_joint(memory, plan)
            sampled.update({key: values[key[0]] for key in group if key[0] in values})
            chosen.update({group[j]: values[names[j]] for j in history.selectors(plan)
                           if names[j] in values})
        return _resolve(history.table, sampled, chosen)

    # -- the independent part --------------------------------------------------------
    def _memory(self, study, trial):
        """What TPE keeps of ``study`` between asks (a cache of its trial log,
        rebuilt from the storage with the log), its history brought up to the
        trials finished before ``trial`` is sampled."""
        memory = study.trial_log.cache("tpe", _Memory)
        # Independent sampling asks once per parameter; the history of one trial
        # only changes when another trial finishes, so it is read once.
        history = memory.history
        if (history is None or history.trial_id != trial.trial_id
                or history.constant_liar != self.constant_liar
                or history.n_trials != study.n_trials()):
            memory.history = _History(memory.table, study, trial, self.constant_liar)
        return memory

    def sample_independent(self, study, trial, name, distribution):
        memory = self._memory(study, trial)
        if memory.history.n_with(name, distribution) < self.n_startup_trials:
            return sample_uniform(distribution, self._rng)
        return self._sample_joint(memory, memory.plan([name], [distribution])).get(
            name, sample_uniform(distribution, self._rng))

    # -- the model ---------------------------------------------------------------------
    def _sample_joint(self, memory, plan):
        history, names, dists = memory.history, plan.names, plan.dists
        below, above = history.split(plan, self.gamma or default_gamma)
        if below is None:
            return {n: sample_uniform(d, self._rng) for n, d in zip(names, dists)}
        above_weights = None
        if self.weights is not None:
            # the callable weighs the bad trials oldest first; they are held
            # best first, so the weights go back to the rows by trial number
            by_age = np.argsort(history.above_numbers, kind="stable")
            above_weights = np.empty(len(above))
            above_weights[by_age] = np.asarray(self.weights(len(above)), dtype=float)
        kwargs = dict(prior_weight=self.prior_weight, bandwidth=self.bandwidth,
                      bandwidth_factor=self.bandwidth_factor, min_bandwidth=self.min_bandwidth,
                      step_widths=plan.step_widths)
        good = ParzenEstimator(below, None, plan.n_choices, **kwargs)
        bad = ParzenEstimator(above, above_weights, plan.n_choices, **kwargs)
        candidates = good.sample(self._rng, self.n_ei_candidates)
        if self.explore_branches:
            # A branch choice is drawn from the good density, not picked by the
            # ratio: among a few values the argmax of l/g is deterministic, so a
            # branch whose first (random, untuned) trials looked bad would never
            # be tried again. The draw keeps every branch's probability at least
            # its share of the prior component, shrinking as good trials gather
            # elsewhere; the rest of the group is then chosen by the ratio.
            for j in history.selectors(plan):
                candidates[:, j] = candidates[0, j]
        # Judge the candidates at the legal values that would be evaluated.
        internal = plan.box.from_unit(candidates)
        if plan.box.stepped:
            candidates = plan.box.to_unit(internal)
        score = _log_ratio(good, bad, candidates, plan.on_grid)
        # c-TPE (Watanabe and Hutter 2023, Eq. 5): the acquisition is the
        # product of the objective's density ratio and each constraint's,
        # whose good set is the trials satisfying it
        for feasible, infeasible in history.constraint_splits(plan, self.gamma or default_gamma):
            score = score + _log_ratio(ParzenEstimator(feasible, None, plan.n_choices, **kwargs),
                                       ParzenEstimator(infeasible, None, plan.n_choices,
                                                       **kwargs),
                                       candidates, plan.on_grid)
        if self.cost is not None:
            score = self._per_cost(score, memory, plan, candidates,
                                   len(below) / (len(below) + len(above)))
        return dict(zip(names, internal[int(np.argmax(score))].tolist()))

    # -- expected improvement per second ---------------------------------------------
    def _per_cost(self, log_ratio, memory, plan, candidates, gamma):
        """``log EI - predicted log cost`` of each candidate, or the ratio
        itself while too few finished trials have a cost."""
        table = memory.table
        log_costs = self._log_costs(memory)
        if np.count_nonzero(np.isfinite(log_costs)) < MIN_COSTED_TRIALS:
            return log_ratio
        model = LogCostModel(table.block(plan), log_costs, plan.n_choices)
        if model.n_samples < MIN_COSTED_TRIALS:
            return log_ratio
        return log_expected_improvement(log_ratio, gamma) - model.predict(candidates)

    def _log_costs(self, memory):
        """Log cost of each row of the memory's table (NaN where unknown),
        each trial's measured once (a finished trial does not change) and
        kept in the memory, by measure."""
        table = memory.table
        measure = measured_cost if self.cost == "fit_time" else self.cost
        costs = memory.log_costs.setdefault(measure, [])
        if len(costs) < table.n:
            for trial in table.trials[len(costs):table.n]:
                value = measure(trial)
                costs.append(math.log(value) if value is not None and math.isfinite(value)
                             and value > 0 else math.nan)
        return np.asarray(costs[:table.n], dtype=float)

    def __repr__(self):
        cost = "" if self.cost is None else f"cost={self.cost!r}, "
        return (f"TPESampler(n_startup_trials={self.n_startup_trials}, "
                f"multivariate={self.multivariate}, group={self.group}, {cost}"
                f"seed={self.seed!r})")


def _log_ratio(good, bad, points, on_grid):
    """``log l(x) - log g(x)`` at each row of ``points``.

    One parameter on a grid (a categorical, an integer) repeats values among
    the candidates, and each distinct value is scored once. A row's density
    does not depend on the rows scored with it (the arithmetic is row by row;
    with one dimension the matrix products are single multiplications), so
    the scores are those of scoring every candidate, to the last bit.
    """
    if on_grid:
        k = good.n_choices[0]
        if k is not None and k < len(points):  # a categorical: every choice
            distinct, where = np.arange(k, dtype=float), points[:, 0].astype(int)
        else:
            distinct, where = np.unique(points[:, 0], return_inverse=True)
            where = where.ravel()
        if len(distinct) < len(points):
            distinct = distinct[:, None]
            return (good.log_pdf(distinct) - bad.log_pdf(distinct))[where]
    return good.log_pdf(points) - bad.log_pdf(points)


def _groups(history, keys):
    """Partition ``keys`` (``(name, distribution)`` pairs) into groups present
    in exactly the same finished trials."""
    table = history.table
    if not table.conditional:  # every parameter in every trial
        return [list(keys)] if table.n else []
    signatures = {}
    for name, dist in keys:
        if table.n_present(name, dist):
            # the partition does not depend on the row order: unranked columns
            presence = ~np.isnan(table.column(name, dist))
            signatures.setdefault(presence.tobytes(), []).append((name, dist))
    return list(signatures.values())


def _resolve(table, sampled, chosen):
    """One value per name: for a name sampled under several distributions,
    the variant whose trials all took the branches drawn in ``chosen``
    (``{selector key: value}``); failing that, the latest-used one."""
    by_name = {}
    for (name, dist), value in sampled.items():
        by_name.setdefault(name, []).append((dist, value))
    out = {}
    for name, options in by_name.items():
        if len(options) == 1:
            out[name] = options[0][1]
            continue
        latest = table.latest[name][1]
        pick = next((v for d, v in options if d == latest), options[0][1])
        for dist, value in options:
            if _goes_with(table, name, dist, chosen):
                pick = value
                break
        out[name] = pick
    return out


def _goes_with(table, name, dist, chosen):
    """Whether the trials having ``name`` from ``dist`` took, for every drawn
    branch they have, the drawn value (and at least one such branch)."""
    has = ~np.isnan(table.column(name, dist))
    agreed = False
    for (selector, selector_dist), value in chosen.items():
        codes = table.column(selector, selector_dist)[has]
        codes = codes[~np.isnan(codes)]
        if len(codes):
            if np.any(codes != value):
                return False
            agreed = True
    return agreed


@dataclass
class _Memory:
    """What TPE keeps of one study between asks: the cache ``"tpe"`` of the
    study's trial log (:attr:`sksearch.Study.trial_log`), a function of the
    study's trials alone, so every TPE sampler of the study shares it, and a
    pickled study carries none of it (it is rebuilt from the storage, to the
    same proposals)."""

    #: the finished trials, as columns
    table: _TrialTable = field(default_factory=_TrialTable)
    #: the plan of each group of parameters, by ``(names, distributions)``
    plans: dict = field(default_factory=dict)
    #: per cost measure, the log cost of each row of ``table`` measured so far
    log_costs: dict = field(default_factory=dict)
    #: the history of the last ask, reused until another trial finishes
    history: _History = None

    def plan(self, names, dists):
        """The plan of the group ``names`` drawn from ``dists``, made once.

        Kept by the distributions' values, not their identities: a
        define-by-run ``suggest_*`` builds a new, equal distribution at every
        trial, and a plan per object would rebuild the plan, reconvert every
        finished trial to the unit box at every ask and keep one plan and one
        history buffer per ask. By value there is one plan per parameter
        group of the space (a distribution's hash is that of its cached key).
        """
        key = (tuple(names), tuple(dists))
        plan = self.plans.get(key)
        if plan is None:
            plan = self.plans[key] = _Plan(names, dists)
        return plan


class _Plan:
    """What the sampler needs about a group of parameters, computed once: its
    unit box (:class:`sksearch._box.UnitBox`) and the Parzen layout (choices,
    grid steps)."""

    def __init__(self, names, dists):
        self.names, self.dists = list(names), list(dists)
        self.box = box = UnitBox(dists)
        self.n_choices = box.n_choices
        # Kernel floors of the numerical columns: log-scaled integers have
        # unequal steps in the unit box; their neighbours are close at the
        # high end, so they get no floor
        self.step_widths = [0.0 if log else float(width) for log, width, k
                            in zip(box.log, box.unit_steps, box.n_choices) if k is None]
        # a single parameter taking few values: candidates repeat (see _log_ratio)
        self.on_grid = len(dists) == 1 and (box.stepped or bool(box.categorical[0]))
