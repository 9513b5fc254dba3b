"""Trial history for the TPE sampler.

Holds the finished trials as numpy columns of internal values that grow as
trials finish (:class:`_TrialTable`), and the view one TPE step reads from
them (:class:`_History`): the trials ranked best first, the good/bad split of
the trials having a group's parameters, and the running trials added to the
bad set (constant liar).

The table absorbs only the trials finished since the previous ask, read from
the study's trial log (:attr:`sksearch.Study.trial_log`), so the per-ask cost
does not include re-reading the study. This bookkeeping is kept apart from
:mod:`sksearch.samplers.tpe`, which holds the sampler and its model (groups,
branches, the Parzen densities) and what it keeps of a study between asks,
so that each module is about one concept.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from ..multiobjective import crowding_distance, hypervolume, non_dominated_sort
from ..trial import TrialState

# Above this many members, a front of three or more objectives is ordered by
# crowding distance instead of greedy hypervolume subset selection (whose cost
# grows as members x picks x a hypervolume; see _History._order_cut_front).
_EXACT_CONTRIBUTIONS_UP_TO = 64


class _TrialTable:
    """Finished trials as columns of internal values, grown as trials finish.

    A finished trial never changes, so its row is written once, when the
    trial log first reports it finished (``position`` remembers how far the
    log has been read); each ask then reads numpy columns
    instead of the study's whole trial list. Columns are preallocated buffers
    that double when full, so a new row costs a few writes, not a copy.
    Absent parameters (or ones drawn from another distribution) are NaN. Rows
    are in the order trials were absorbed, which depends on how the table was
    filled; nothing downstream does (see :meth:`ranking`).
    """

    def __init__(self):
        self.position = 0  # in the study's trial log
        self.trials = []
        self.n = 0
        self._capacity = 0
        self._row_of = {}
        self._columns = {}  # (name, dist) -> _Column
        # one loss column per objective (values signed so that lower is
        # better); constraint columns appear with the first trial having them
        self._losses = np.empty((0, 1))
        self._constraints = None
        self._steps, self._numbers = np.empty(0), np.empty(0)
        self._complete = np.empty(0, dtype=bool)
        self.latest = {}  # name -> (trial number, distribution) of its latest use
        self._count_of = {}  # name -> rows having it
        self._variants = {}  # name -> {distribution: first trial number using it}
        self._multi = False  # whether a name was used with several distributions
        # whether some parameter is absent from some row (or changed its
        # distribution): when not, every column is full and the per-column
        # presence checks are skipped
        self.conditional = False
        self._blocks = {}  # plan -> (rows converted, unit-box buffer, columns)
        self._ranked = None  # (rows ranked, order best first, complete rows)
        # several objectives: each row's non-domination rank (-1: pruned) and
        # the reference point of hypervolume contributions, set by ranking()
        self.front_rank = None
        self.reference = None

    def _grow(self, needed):
        if needed <= self._capacity:
            return
        capacity = max(64, 2 * self._capacity, needed)

        def grown(buffer, fill):
            out = np.full((capacity, *buffer.shape[1:]), fill, dtype=buffer.dtype)
            out[:self.n] = buffer[:self.n]
            return out

        self._losses = grown(self._losses, math.inf)
        if self._constraints is not None:
            self._constraints = grown(self._constraints, math.nan)
        self._complete = grown(self._complete, False)
        self._steps = grown(self._steps, 0.0)
        self._numbers = grown(self._numbers, 0.0)
        for column in self._columns.values():
            column.values = grown(column.values, math.nan)
        self._capacity = capacity

    def update(self, finished, signs):
        """Absorb the usable trials of ``finished`` (complete with finite
        values, or pruned) not yet in the table; return how many. ``signs``
        holds, per objective, -1 where it is maximised and 1 where minimised."""
        signs = np.atleast_1d(np.asarray(signs, dtype=float))
        if self.n == 0 and self._losses.shape[1] != len(signs):
            self._losses = np.empty((0, len(signs)))
            self._capacity = 0
        new = self._claim_new(finished)
        if not new:
            return 0
        self._grow(self.n + len(new))
        # a loop over the newly finished trials only (one per ask, typically)
        for t in new:
            self._append(t, signs)
        self.conditional = self._multi or min(self._count_of.values(), default=self.n) < self.n
        return len(new)

    def _claim_new(self, finished):
        """The usable trials of ``finished`` not yet in the table, each
        claimed (so that a trial listed twice is absorbed once)."""
        new = []
        for t in finished:
            if _usable(t) and t.trial_id not in self._row_of:
                self._row_of[t.trial_id] = None
                new.append(t)
        return new

    def _append(self, t, signs):
        """Write trial ``t`` as the next row."""
        row = self.n
        self._row_of[t.trial_id] = row
        self.trials.append(t)
        values = t.values
        if values is not None and len(values) == len(signs) and _all_finite(values):
            self._losses[row] = signs * np.asarray(values)
        else:
            self._losses[row] = math.inf
        constraints = t.constraints
        if constraints:
            self._write_constraints(row, constraints)
        self._complete[row] = t.state is TrialState.COMPLETE
        self._steps[row] = len(t.intermediate_values)
        self._numbers[row] = t.number
        self._write_params(row, t)
        self._note_uses(t)
        self.n += 1

    def _write_constraints(self, row, constraints):
        """Write a row's constraint values, widening the columns to as many
        constraints as the row has."""
        if self._constraints is None or self._constraints.shape[1] < len(constraints):
            old = self._constraints
            self._constraints = np.full((self._capacity, len(constraints)), math.nan)
            if old is not None:
                self._constraints[:, :old.shape[1]] = old
        self._constraints[row, :len(constraints)] = constraints

    def _write_params(self, row, t):
        """Write a row's values in the columns asked for so far (NaN where
        ``t`` lacks the parameter or drew it from another distribution)."""
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

    def _note_uses(self, t):
        """Count the parameters ``t`` has, and keep each one's latest
        distribution and the first trial using each of its distributions."""
        for name, dist in t.distributions.items():
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
        blocks = self._blocks  # by plan object: the sampler keeps one per group
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
            buffer[done:self.n] = plan.box.to_unit(fresh)
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

    def losses(self, rows):
        """Loss vectors (lower is better) of ``rows``."""
        return self._losses[rows]

    @property
    def constraints(self):
        """Constraint values by row (NaN where none), or ``None`` if no trial
        has any."""
        return None if self._constraints is None else self._constraints[:self.n]

    def ranking(self):
        """Row order, best first: complete trials by loss, then pruned ones by
        steps reached (more first) and last value; ties go to the lower trial
        number, so the order does not depend on the order rows were absorbed in
        (a table rebuilt from the storage proposes the same points).

        Kept until rows are added: asks between two finishes (a batch) share it.
        """
        if self._ranked is not None and self._ranked[0] == self.n:
            return self._ranked[1], self._ranked[2]
        n = self.n
        losses, complete = self._losses[:n], self._complete[:n]
        steps, numbers = self._steps[:n], self._numbers[:n]
        rows = np.arange(n)
        done, pruned = rows[complete], rows[~complete]
        if losses.shape[1] == 1:
            losses = losses[:, 0]
            done = done[np.lexsort((numbers[done], losses[done]))]
        else:
            order, ranks = _multi_objective_order(losses[done], numbers[done])
            self.front_rank = np.full(n, -1)
            self.front_rank[done] = ranks
            if len(done):
                self.reference = _reference_point(losses[done])
            done = done[order]
            # a pruned trial of several objectives has no values: by steps only
            losses = np.zeros(n)
        pruned = pruned[np.lexsort((numbers[pruned], losses[pruned], -steps[pruned]))]
        self._ranked = (n, np.concatenate([done, pruned]), len(done))
        return self._ranked[1], self._ranked[2]


def _multi_objective_order(losses, numbers):
    """Order of complete trials of several objectives, best first (Ozaki et al.
    2020, 2022): by non-domination rank, then by number; and the rank of each
    trial. The front that the good set cuts is re-ordered by hypervolume
    contribution where the cut is known (:meth:`_History.split`)."""
    ranks = non_dominated_sort(losses)
    return np.lexsort((numbers, ranks)), ranks


def _greedy_subset(front, reference, k):
    """Indices of ``k`` members of ``front`` taken one at a time, each the one
    adding the most hypervolume to those taken before: the greedy solution of
    the hypervolume subset selection problem (Ozaki et al. 2020); ties go to
    the lower index."""
    inclusive = np.prod(reference - front, axis=1)
    gains = inclusive.copy()
    available = np.ones(len(front), dtype=bool)
    chosen = []
    for _ in range(k):
        candidates = np.flatnonzero(available)
        best = int(candidates[np.argmax(gains[candidates])])
        chosen.append(best)
        available[best] = False
        for i in np.flatnonzero(available):
            gains[i] = inclusive[i] - hypervolume(np.maximum(front[chosen], front[i]),
                                                  reference)
    return np.array(chosen, dtype=int)


def _reference_point(losses):
    """Just beyond the worst value seen, per objective."""
    low, high = losses.min(axis=0), losses.max(axis=0)
    return high + 0.1 * (high - low) + 1e-12


def _within_front_merit(front, reference):
    """How much each member of a front adds: its exclusive hypervolume with
    respect to the front (closed form in two dimensions); the crowding
    distance for three objectives or more."""
    if len(front) <= 2:
        return np.full(len(front), np.inf)
    if front.shape[1] == 2:
        order = np.argsort(front[:, 0], kind="stable")
        x, y = front[order, 0], front[order, 1]
        right = np.concatenate([x[1:], [reference[0]]])
        above = np.concatenate([[reference[1]], y[:-1]])
        merit = np.empty(len(front))
        merit[order] = np.maximum(right - x, 0.0) * np.maximum(above - y, 0.0)
        return merit
    return crowding_distance(front)


class _Column:
    """One parameter's internal values by row (a buffer the table grows) and
    how many rows have it."""

    __slots__ = ("name", "dist", "values", "count")

    def __init__(self, name, dist, values):
        self.name, self.dist, self.values = name, dist, values
        self.count = int(np.count_nonzero(~np.isnan(values)))


def _usable(trial):
    """Whether the table takes ``trial``: pruned, or complete with finite values."""
    state = trial.state
    return state is TrialState.PRUNED or (
        state is TrialState.COMPLETE and trial.values is not None
        and _all_finite(trial.values))


def _all_finite(values):
    return all(math.isfinite(v) for v in values)


def _value_of(trial, name, dist):
    return trial.internal_params[name] if trial.distributions.get(name) == dist else math.nan


class _History:
    """The trials one TPE step learns from: the finished ones from the
    sampler's table, ranked best first, plus the running ones (constant liar)."""

    def __init__(self, table, study, current, constant_liar):
        # Only the trials finished since the last ask are read and absorbed.
        finished, table.position = study.trial_log.since(table.position)
        table.update(finished, [-1.0 if d == "maximize" else 1.0 for d in study.directions])
        self.table = table
        self.order, n_complete = table.ranking()
        self.is_complete = np.arange(len(self.order)) < n_complete
        self.running = []
        if constant_liar:
            self.running = [t for t in study.get_trials((TrialState.RUNNING,))
                            if t.trial_id != current.trial_id]
        self.n_finished = len(self.order)
        self.constant_liar = constant_liar
        self.trial_id = current.trial_id
        self.n_trials = study.n_trials()
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
        if self.table.front_rank is not None and 0 < n_below < n_complete:
            values, rows = self._order_cut_front(values, rows, n_below)
        above = values[n_below:]
        running = [t for t in self.running
                   if all(t.distributions.get(n) == d for n, d in zip(plan.names, plan.dists))]
        if running:
            above = np.vstack([above, plan.box.to_unit(_rows(running, plan.names))])
        self._above = (rows[n_below:], running)
        return values[:n_below], above

    def constraint_splits(self, plan, gamma):
        """For each constraint, the unit-box values of the trials that satisfy
        it and of those that do not (c-TPE, Watanabe and Hutter 2023): the
        split is at the threshold (value <= 0), or, while no trial satisfies
        it, at the ``gamma`` best values. Constraints that every trial, or
        none, separates are left out. Rows are in trial-number order."""
        constraints = self.table.constraints
        if constraints is None:
            return []
        block = self.table.block(plan)
        has_params = ~np.isnan(block).any(axis=1)
        by_number = np.argsort(self.table.numbers, kind="stable")
        splits = []
        for column in constraints.T:
            rows = by_number[has_params[by_number] & ~np.isnan(column[by_number])]
            if len(rows) < 2:
                continue
            values = column[rows]
            good = values <= 0
            if not good.any():
                n_below = gamma(len(rows))
                good = np.zeros(len(rows), dtype=bool)
                good[np.lexsort((rows, values))[:n_below]] = True
            if good.all():
                continue
            splits.append((block[rows[good]], block[rows[~good]]))
        return splits

    def _order_cut_front(self, values, rows, n_below):
        """With several objectives, the members of the front that the good set
        cuts, best first (Ozaki et al. 2020: the good set takes whole fronts,
        then the members of the next that add the most hypervolume). With two
        objectives, by exclusive contribution within the front (closed form);
        with more, in the order greedy hypervolume subset selection picks them
        (on DTLZ2, seeds 0-6, 14.89 against 14.87 by one-shot contributions),
        or by crowding distance for a front over 64 members."""
        rank = self.table.front_rank[rows]
        cut = rank[n_below - 1]
        if rank[n_below] != cut:
            return values, rows
        members = np.flatnonzero(rank == cut)  # contiguous: rows are by rank
        front = self.table.losses(rows[members])
        if front.shape[1] > 2 and len(front) <= _EXACT_CONTRIBUTIONS_UP_TO:
            ranked = _greedy_subset(front, self.table.reference, n_below - members[0])
            ranked = np.concatenate([ranked, np.setdiff1d(np.arange(len(front)), ranked)])
        else:
            merit = _within_front_merit(front, self.table.reference)
            ranked = np.argsort(-merit, kind="stable")
        order = np.arange(len(rows))
        order[members] = members[ranked]
        return values[order], rows[order]

    @property
    def above_numbers(self):
        """Trial numbers of the bad rows of the last :meth:`split` (for
        weights that depend on age), in the rows' order."""
        rows, running = self._above
        return np.concatenate([self.table.numbers[rows], [t.number for t in running]])


def _rows(trials, names):
    return np.array([[t.internal_params[n] for n in names] for t in trials],
                    dtype=float).reshape(len(trials), len(names))


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
