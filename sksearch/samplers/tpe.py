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
trial fall back to a univariate TPE on the trials that have them. A categorical
whose value decides which other parameters a trial has (a branch) is drawn
from the good density instead of by the ratio, so branches whose first, untuned
trials looked bad keep being tried (``explore_branches``).

The history is kept as numpy columns that absorb only the trials the storage
reports finished since the previous ask
(:meth:`~sksearch.storage.BaseStorage.get_trials_finished_since`), so the
per-ask cost does not include re-reading the study.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from ..distributions import Categorical
from ..trial import TrialState
from ._base import BaseSampler
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
    explore_branches : bool, default=True
        Draw a branch choice (a categorical whose value decides which other
        parameters are present, such as the estimator of a list-of-dicts
        space) from the good density ``l`` instead of maximising ``l / g``.
        Among a few values the maximum is deterministic, and TPE would keep
        the branch that looked best in the random startup trials, before the
        other branches' own parameters were tuned. ``False`` is plain TPE.
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
                 bandwidth="neighbor", bandwidth_factor=1.0, min_bandwidth=0.03,
                 explore_branches=True, seed=None):
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
        self.explore_branches = explore_branches

    # -- the joint part --------------------------------------------------------------
    def infer_relative_search_space(self, study, trial):
        if not self.multivariate:
            return {}
        history = self._history(study, trial)
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
        history = self._history(study, trial)
        if history.n_finished < self.n_startup_trials:
            return {}
        if not self.group:
            return self._sample_joint(history, list(search_space), list(search_space.values()))
        # A name used with several distributions (``C`` of two estimators in a
        # list-of-dicts space) is modelled once per distribution, each on the
        # trials that used it; the value returned is that of the variant that
        # goes with the branch drawn for this trial.
        keys = history.table.variants(search_space)
        sampled, chosen = {}, {}
        for group in _groups(history, keys):
            names, dists = [k[0] for k in group], [k[1] for k in group]
            values = self._sample_joint(history, names, dists)
            plan = self._plan(names, dists)
            sampled.update({key: values[key[0]] for key in group if key[0] in values})
            chosen.update({group[j]: values[names[j]] for j in history.selectors(plan)
                           if names[j] in values})
        return _resolve(history.table, sampled, chosen)

    # -- the independent part --------------------------------------------------------
    def _history(self, study, trial):
        # Independent sampling asks once per parameter; the history of one trial
        # only changes when another trial finishes, so it is read once.
        cached = getattr(self, "_cached_history", None)
        if (cached is not None and cached.trial_id == trial.trial_id
                and cached.table.matches(study)
                and cached.n_trials == study._storage.get_n_trials(study._study_id)):
            return cached
        table = getattr(self, "_table", None)
        if table is None or not table.matches(study):
            table = self._table = _TrialTable(study._storage, study._study_id)
        self._cached_history = _History(table, study, trial, self.constant_liar)
        return self._cached_history

    def __getstate__(self):
        # The history caches are rebuilt from the storage on the next ask (to
        # the same proposals), so a pickled sampler does not carry the trials.
        state = self.__dict__.copy()
        state.pop("_table", None)
        state.pop("_cached_history", None)
        state.pop("_plans", None)
        return state

    def sample_independent(self, study, trial, name, distribution):
        history = self._history(study, trial)
        if history.n_with(name, distribution) < self.n_startup_trials:
            return sample_uniform(distribution, self._rng)
        return self._sample_joint(history, [name], [distribution]).get(
            name, sample_uniform(distribution, self._rng))

    # -- the model ---------------------------------------------------------------------
    def _plan(self, names, dists):
        # Keyed by the distributions' identities: hashing distributions is a
        # Python call each, and storages hand out one object per distribution.
        # A plan holds its distributions, so their ids are not reused while it
        # lives; an equal but distinct object only makes a second, equal plan.
        key = (tuple(names), tuple(map(id, dists)))
        plans = self.__dict__.setdefault("_plans", {})
        if key not in plans:
            plans[key] = _Plan(names, dists)
        return plans[key]

    def _sample_joint(self, history, names, dists):
        plan = self._plan(names, dists)
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
        internal = plan.from_unit(candidates)
        if plan.stepped:
            candidates = plan.to_unit(internal)
        score = good.log_pdf(candidates) - bad.log_pdf(candidates)
        return dict(zip(names, internal[int(np.argmax(score))].tolist()))

    def __repr__(self):
        return (f"TPESampler(n_startup_trials={self.n_startup_trials}, "
                f"multivariate={self.multivariate}, group={self.group}, seed={self.seed!r})")


class _TrialTable:
    """Finished trials as columns of internal values, grown as trials finish.

    A finished trial never changes, so its row is written once, when the
    storage first reports it finished (``cursor`` remembers how far the
    storage's finish log has been read); each ask then reads numpy columns
    instead of the study's whole trial list. Columns are preallocated buffers
    that double when full, so a new row costs a few writes, not a copy.
    Absent parameters (or ones drawn from another distribution) are NaN. Rows
    are in the order trials were absorbed, which depends on how the table was
    filled; nothing downstream does (see :meth:`ranking`).
    """

    def __init__(self, storage, study_id):
        self.storage = storage
        self.study_id = study_id
        self.cursor = None
        self.trials = []
        self.n = 0
        self._capacity = 0
        self._row_of = {}
        self._columns = {}  # (name, dist) -> _Column
        self._losses, self._steps, self._numbers = np.empty(0), np.empty(0), np.empty(0)
        self._complete = np.empty(0, dtype=bool)
        self.latest = {}  # name -> (trial number, distribution) of its latest use
        self._count_of = {}  # name -> rows having it
        self._variants = {}  # name -> {distribution: first trial number using it}
        self._multi = False  # whether a name was used with several distributions
        # whether some parameter is absent from some row (or changed its
        # distribution): when not, every column is full and the per-column
        # presence checks are skipped
        self.conditional = False

    def matches(self, study):
        return self.storage is study._storage and self.study_id == study._study_id

    def _grow(self, needed):
        if needed <= self._capacity:
            return
        capacity = max(64, 2 * self._capacity, needed)

        def grown(buffer, fill):
            out = np.full(capacity, fill, dtype=buffer.dtype)
            out[:self.n] = buffer[:self.n]
            return out

        self._losses = grown(self._losses, math.inf)
        self._complete = grown(self._complete, False)
        self._steps = grown(self._steps, 0.0)
        self._numbers = grown(self._numbers, 0.0)
        for column in self._columns.values():
            column.values = grown(column.values, math.nan)
        self._capacity = capacity

    def update(self, finished, sign):
        """Absorb the usable trials of ``finished`` (complete with a finite
        value, or pruned) not yet in the table; return how many."""
        new = []
        for t in finished:
            state = t.state
            usable = state is TrialState.PRUNED or (
                state is TrialState.COMPLETE and t.value is not None and math.isfinite(t.value))
            if usable and t.trial_id not in self._row_of:
                self._row_of[t.trial_id] = None
                new.append(t)
        if not new:
            return 0
        self._grow(self.n + len(new))
        # a loop over the newly finished trials only (one per ask, typically)
        for t in new:
            row = self.n
            self._row_of[t.trial_id] = row
            self.trials.append(t)
            value = t.value if t.value is not None and math.isfinite(t.value) else math.inf
            self._losses[row] = sign * value if math.isfinite(value) else math.inf
            self._complete[row] = t.state is TrialState.COMPLETE
            self._steps[row] = len(t.intermediate_values)
            self._numbers[row] = t.number
            # identity first: storages hand out one object per distribution,
            # and comparing distributions is a Python call
            used, params = t.distributions, t.internal_params
            for column in self._columns.values():
                dist = used.get(column.name)
                if dist is column.dist or (dist is not None and dist == column.dist):
                    column.values[row] = params[column.name]
                    column.count += 1
                else:
                    column.values[row] = math.nan
            for name, dist in used.items():
                self._count_of[name] = self._count_of.get(name, 0) + 1
                last = self.latest.get(name)
                if last is None or last[1] is not dist or t.number < last[0]:
                    # first use, another distribution, or absorbed out of order
                    if last is not None and last[1] != dist:
                        self._multi = True
                    first = self._variants.setdefault(name, {})
                    first[dist] = min(first.get(dist, t.number), t.number)
                if last is None or last[0] < t.number:
                    self.latest[name] = (t.number, dist)
            self.n += 1
        self.conditional = self._multi or min(self._count_of.values(), default=self.n) < self.n
        return len(new)

    def _column(self, name, dist):
        key = (name, dist)
        column = self._columns.get(key)
        if column is None:
            # a parameter first asked for: one pass over the rows, once
            values = np.full(self._capacity, math.nan)
            values[:self.n] = [_value_of(t, name, dist) for t in self.trials]
            column = self._columns[key] = _Column(name, dist, values)
        return column

    def column(self, name, dist):
        """Internal values of ``name`` drawn from ``dist``, by row (a view)."""
        return self._column(name, dist).values[:self.n]

    def block(self, plan):
        """Unit-box values of the plan's parameters, by row (NaN where absent).

        Kept per plan and extended by the rows added since the last call, so
        each row is converted once.
        """
        blocks = self.__dict__.setdefault("_blocks", {})  # by plan object
        if plan not in blocks:
            columns = [self._column(n, d) for n, d in zip(plan.names, plan.dists)]
            blocks[plan] = (0, np.empty((0, len(columns))), columns)
        done, buffer, columns = blocks[plan]
        if done < self.n:
            if len(buffer) < self.n:
                grown = np.empty((max(self._capacity, self.n), len(columns)))
                grown[:done] = buffer[:done]
                buffer = grown
            fresh = np.column_stack([c.values[done:self.n] for c in columns])
            buffer[done:self.n] = plan.to_unit(fresh)
            blocks[plan] = (self.n, buffer, columns)
        return buffer[:self.n]

    @property
    def numbers(self):
        """Trial number of each row."""
        return self._numbers[:self.n]

    def variants(self, names):
        """``(name, distribution)`` for each of ``names`` and each distribution
        it was used with (single-valued ones left out), ordered by name and
        first use, so the order does not depend on how rows were absorbed."""
        keys = []
        for name in names:
            firsts = self._variants.get(name, {})
            keys += [(name, d) for d in sorted(firsts, key=firsts.get) if not d.is_single()]
        return keys

    def n_present(self, name, dist):
        """How many rows have ``name`` drawn from ``dist``."""
        return self._column(name, dist).count

    def ranking(self):
        """Row order, best first: complete trials by loss, then pruned ones by
        steps reached (more first) and last value; ties go to the lower trial
        number, so the order does not depend on the order rows were absorbed in
        (a table rebuilt from the storage proposes the same points)."""
        n = self.n
        losses, complete = self._losses[:n], self._complete[:n]
        steps, numbers = self._steps[:n], self._numbers[:n]
        rows = np.arange(n)
        done, pruned = rows[complete], rows[~complete]
        done = done[np.lexsort((numbers[done], losses[done]))]
        pruned = pruned[np.lexsort((numbers[pruned], losses[pruned], -steps[pruned]))]
        return np.concatenate([done, pruned]), len(done)


class _Column:
    """One parameter's internal values by row (a buffer the table grows) and
    how many rows have it."""

    __slots__ = ("name", "dist", "values", "count")

    def __init__(self, name, dist, values):
        self.name, self.dist, self.values = name, dist, values
        self.count = int(np.count_nonzero(~np.isnan(values)))


def _value_of(trial, name, dist):
    return trial.internal_params[name] if trial.distributions.get(name) == dist else math.nan


class _History:
    """The trials one TPE step learns from: the finished ones from the
    sampler's table, ranked best first, plus the running ones (constant liar)."""

    def __init__(self, table, study, current, constant_liar):
        storage, study_id = study._storage, study._study_id
        # Only the trials finished since the last ask are read and absorbed.
        finished, table.cursor = storage.get_trials_finished_since(study_id, table.cursor)
        table.update(finished, -1.0 if study.direction == "maximize" else 1.0)
        self.table = table
        self.order, n_complete = table.ranking()
        self.is_complete = np.arange(len(self.order)) < n_complete
        self.running = []
        if constant_liar:
            self.running = [t for t in storage.get_all_trials(study_id, (TrialState.RUNNING,))
                            if t.trial_id != current.trial_id]
        self.n_finished = len(self.order)
        self.trial_id = current.trial_id
        self.n_trials = storage.get_n_trials(study_id)
        self._selectors = {}

    def selectors(self, plan):
        """Columns of ``plan`` that are branch choices: categorical parameters
        whose value decides whether some other parameter is present."""
        if plan not in self._selectors:
            self._selectors[plan] = [
                j for j, (name, dist) in enumerate(zip(plan.names, plan.dists))
                if plan.n_choices[j] is not None and _decides_presence(self.table, name, dist)]
        return self._selectors[plan]

    def n_with(self, name, dist):
        """How many finished trials have ``name`` from ``dist``."""
        return self.table.n_present(name, dist)

    def split(self, plan, gamma):
        """Unit-box values of the good and bad trials having all of the plan's
        parameters (running trials join the bad ones)."""
        block = self.table.block(plan)[self.order]
        if not self.table.conditional or all(
                self.table.n_present(n, d) == self.n_finished
                for n, d in zip(plan.names, plan.dists)):
            values, is_complete, rows = block, self.is_complete, self.order
        else:
            keep = ~np.isnan(block).any(axis=1)
            values, is_complete = block[keep], self.is_complete[keep]
            rows = self.order[keep]
        if not len(values):
            return None, None
        n_below = gamma(len(values))
        n_complete = int(is_complete.sum())
        if n_complete:
            n_below = min(n_below, n_complete)
        above = values[n_below:]
        running = [t for t in self.running
                   if all(t.distributions.get(n) == d for n, d in zip(plan.names, plan.dists))]
        if running:
            above = np.vstack([above, plan.to_unit(_rows(running, plan.names))])
        # trial numbers of the bad rows, for weights that depend on age
        self.above_numbers = np.concatenate([
            self.table.numbers[rows[n_below:]], [t.number for t in running]])
        return values[:n_below], above


def _rows(trials, names):
    return np.array([[t.internal_params[n] for n in names] for t in trials],
                    dtype=float).reshape(len(trials), len(names))


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


def _decides_presence(table, name, dist):
    """Whether the value of the categorical ``name`` decides, among the trials
    that have it, whether some other parameter is present (a branch choice:
    a list-of-dicts space's branch, or a define-by-run ``if``)."""
    if not table.conditional:
        return False
    codes = table.column(name, dist)
    has = ~np.isnan(codes)
    choice = codes[has].astype(int)
    n_per_choice = np.bincount(choice, minlength=len(dist.choices))
    for other, other_dist in table.variants(table.latest):
        if other == name or table.n_present(other, other_dist) == table.n:
            continue
        present = ~np.isnan(table.column(other, other_dist)[has])
        if present.all() or not present.any():
            continue
        with_other = np.bincount(choice, weights=present, minlength=len(dist.choices))
        if np.all((with_other == 0) | (with_other == n_per_choice)):
            return True
    return False


class _Plan:
    """What the sampler needs about a group of parameters, computed once: the
    Parzen layout (choices, grid steps) and the unit-box transforms of all its
    columns at once.

    The transforms are those of :mod:`sksearch.distributions` (``_to_unit`` and
    ``_from_unit``, same operations in the same order, so the same floats),
    applied to every column in one pass instead of one call per parameter;
    categorical columns hold choice indices and pass through unchanged.
    """

    def __init__(self, names, dists):
        self.names, self.dists = list(names), list(dists)
        categorical = np.array([isinstance(d, Categorical) for d in dists], dtype=bool)
        self.n_choices = [len(d.choices) if isinstance(d, Categorical) else None for d in dists]
        numerical = [d for d in dists if not isinstance(d, Categorical)]
        # log-scaled integers have unequal steps in the unit box; their
        # neighbours are close at the high end, so they get no floor
        self.step_widths = [0.0 if d.log else d._unit_step() for d in numerical]
        self._num = np.flatnonzero(~categorical)
        bounds = np.array([d._unit_bounds() for d in numerical], dtype=float).reshape(-1, 2)
        self._lo, self._width = bounds[:, 0], bounds[:, 1] - bounds[:, 0]
        self._flat = self._width == 0
        self._log = np.array([bool(d.log) for d in numerical], dtype=bool)
        self._low = np.array([float(d.low) for d in numerical])
        self._top = np.array([float(d._grid_high) for d in numerical])
        steps = [j for j, d in enumerate(numerical) if d.step is not None]
        self._steps = np.array(steps, dtype=int)
        self._step = np.array([float(numerical[j].step) for j in steps])
        self.stepped = bool(steps)

    def to_unit(self, internal):
        """Internal values (rows) to the unit box."""
        out = np.array(internal, dtype=float)
        x = out[:, self._num]
        if self._log.any():
            x[:, self._log] = np.log(x[:, self._log])
        with np.errstate(invalid="ignore", divide="ignore"):
            u = np.clip((x - self._lo) / self._width, 0.0, 1.0)
        u[:, self._flat] = 0.5
        out[:, self._num] = u
        return out

    def from_unit(self, unit):
        """Unit-box points (rows) to legal internal values."""
        out = np.array(unit, dtype=float)
        u = np.clip(out[:, self._num], 0.0, 1.0)
        x = self._lo + u * self._width
        if self._log.any():
            x[:, self._log] = np.exp(x[:, self._log])
        if self.stepped:
            low, step = self._low[self._steps], self._step
            x[:, self._steps] = low + np.round((x[:, self._steps] - low) / step) * step
        out[:, self._num] = np.clip(x, self._low, self._top)
        return out
