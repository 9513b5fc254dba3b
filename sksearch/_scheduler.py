"""What runs next: candidates and their folds, handed to workers as they free up.

The search is a stream of *tasks* -- one fold of one candidate, or one
increment of it -- run by ``n_workers`` workers (:mod:`sksearch._workers`).
When a task finishes, its scores are reported, the pruner decides, and the
freed worker at once gets the next task: without a pruner every fold of a
candidate is a task from the start (as in ``GridSearchCV``); with one, a
candidate's next fold becomes a task once the pruner let it go on. New
candidates are asked from the sampler when there is not enough work.

**Reproducible whatever the timing.** Every decision is a function of trial
order, never of which task happened to finish first. The scheduler keeps a
*window* of ``W`` candidates (counted in the order they were asked):

- candidate ``i`` is asked when candidate ``i - W`` is finished and told, and
  candidates are told to the study in order, candidate ``j`` only once
  ``j + W - 1`` has been asked; so the sampler proposing candidate ``i`` sees
  exactly the candidates before ``i - W + 1`` as finished and the others as
  running, whichever finished first in wall time;
- the pruner deciding for candidate ``i`` sees the trials that were finished
  when ``i`` was asked (a fixed set), so no decision waits for another task.

With one worker ``W = 1``: each candidate is asked after the previous one is
told, exactly the sequential search. With ``L > 1`` workers, ``W = L`` when
every fold of a candidate can run at once (no pruner); with a pruner a
candidate runs one fold at a time and would leave its worker idle whenever
the oldest candidate of the window is still running, so ``W = 2L``. A sampler
that does not learn from results (random, grid) has no window: without a
pruner every (candidate, fold) pair goes out as one stream; with one,
candidates are asked as workers need work, and candidate ``i``'s decisions
wait instead until the candidates before ``i - 2L + 1`` are told, so they read
exactly what they would read with the window (the same results), while the
workers run other candidates' first folds rather than wait for the oldest.

Among ready tasks the oldest candidate's go first: it gates the window, and
finishing it first lets the next candidate be asked soonest.

**A budget of fold fits** (``max_fold_fits``) is spent in trial order, so it
is exact and the same whatever the timing: candidate ``i`` may start another
fold when the candidates asked before it cannot, even if none of them is
pruned, use what is left (it goes on), or when they have used it whatever
they do (it is stopped, and told PRUNED with the folds it ran); otherwise it
waits for them. The oldest candidate never waits. A candidate asked when the
budget then turns out spent ran no fold: it is told FAIL without fold
results, so it is in no ``cv_results_``.

**Progress** (scikit-learn 1.9 callbacks). Without a pruner the task tree is
GridSearchCV's: the search task has one subtask per (candidate, fold). With a
pruner the number of folds that will run is unknown, so each candidate is a
subtask of the search (begun when asked, ended when told) with its fold tasks
under it: a ``ProgressBar`` then counts candidates done out of those to run,
pruned or not (see :func:`search_task_size`).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import time
import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from ._fold import FoldTask, fit_fold
from ._known import is_warm_start
from ._objectives import SearchObjectives
from ._records import FOLDS_ATTR, mean_score, records_to_json
from .trial import COST_KEY, INTERRUPTED_KEY, TrialState, best_of

__all__ = ["SearchPlan", "run_search", "search_task_size"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


@dataclass
class SearchPlan:
    """Everything the scheduler needs from the search estimator.

    Attributes
    ----------
    study : Study
    fold_context : FoldContext
        Sent with every task.
    splits : list of (train, test)
    n_iter : int
        The study's budget of candidates, counting earlier runs and other
        processes sharing the storage.
    propose : callable
        ``propose(trial) -> params``: the estimator parameters of a new
        trial (samples the space; raises before any fit on bad values).
    refit_score : callable
        Picks the optimised metric from a fold's test scores.
    objective_values : callable or None
        ``objective_values(folds) -> tuple``: the values told for a complete
        candidate of a study of several objectives (``None``: the mean of
        ``refit_score``). Pruners judge on ``refit_score`` in either case.
    pruner : BasePruner or None
        ``None`` scores every fold, as ``GridSearchCV``.
    per_fold : int
        Increments per fold (1 without increments).
    layout : StepLayout or None
        The study's steps, as the pruner was set up with them (for the steps
        where it may decide).
    n_workers : int
    learns : bool
        Whether the sampler learns from results (a window is then needed
        even without a pruner).
    deadline : float or None
        ``time.monotonic()`` after which no candidate starts.
    callbacks : list of callable
    seed : int or None
        For a pruner's per-candidate fold order.
    verbose : int
    search_ctx, caller
        The scikit-learn callback context of the search and its estimator.
    max_fold_fits : int or None
        Fold fits this run may use in all (``None``: no limit besides
        ``n_iter``); spent in trial order (see the module docs).
    """

    study: object
    fold_context: object
    splits: list
    n_iter: int
    propose: object
    refit_score: object
    objective_values: object = None
    pruner: object = None
    per_fold: int = 1
    layout: object = None
    n_workers: int = 1
    learns: bool = True
    deadline: float = None
    callbacks: list = field(default_factory=list)
    seed: int = None
    verbose: int = 0
    search_ctx: object = None
    caller: object = None
    task_contexts: bool = False  # give each fold task a callback context
    max_fold_fits: int = None


@dataclass
class SearchOutcome:
    """What a run of the scheduler did."""

    params: dict = field(default_factory=dict)  # trial number -> estimator params
    records: list = field(default_factory=list)  # every finished fold's FoldRecord
    n_fold_fits: int = 0  # folds whose results were used
    n_increments: int = 0
    n_wasted: int = 0  # speculative folds a later decision threw away
    n_told: int = 0


@dataclass
class _Candidate:
    """A trial in flight and what its folds produced so far."""

    index: int  # in the order this run asked
    first_untold: int  # candidates from here to index - 1 ran alongside it
    trial: object
    params: dict
    told_view: object  # the study's finished trials when it was asked
    frozen: object  # its FrozenTrial, with the values reported so far
    folds: list
    order: list  # fold indices in the order they run
    round: int = 0  # the next round (fold position * per_fold + increment)
    partial: dict = field(default_factory=dict)  # fold -> FoldOutcome in progress
    step_scores: dict = field(default_factory=dict)  # fold -> its scores, without a pruner
    queued: list = field(default_factory=list)  # tasks ready to hand out
    awaiting: bool = False  # a pruning decision is due
    pruned: bool = False
    finished: bool = False
    handed: int = 0  # rounds handed out so far (they go out in order)
    arrived: dict = field(default_factory=dict)  # round -> result not taken in yet
    callback_ctx: object = None  # its task, under the search's (with a pruner)
    allowed: int = 0  # folds the budget let it start (all of them without a budget)
    budget_wait: bool = False  # waiting for earlier candidates to settle the budget
    recorded: bool = False  # its outcome is recorded, waiting to be told
    told_upto: int = 0  # the candidates before it in told_view
    told: object = None  # its FrozenTrial once told

    def reached(self, step):
        """Whether a decision at ``step`` of another candidate may read this
        one: it reported ``step`` (steps are counted in the order its folds
        ran), or it is finished."""
        return self.finished or len(self.frozen.intermediate_values) > step

    def as_of(self, step):
        """This candidate as a decision at ``step`` sees it: its first
        ``step + 1`` values, as a finished (pruned) trial, whatever it did
        after -- the same record whichever of the two got there first."""
        values = dict(list(self.frozen.intermediate_values.items())[: step + 1])
        return replace(self.frozen, state=TrialState.PRUNED, values=None,
                       intermediate_values=values)


class _TrialsView:
    """The study as one pruning decision sees it. Pruners read it like a study."""

    def __init__(self, study, trials):
        # search scores are maximised; with several objectives the pruner sees
        # the refit metric's fold scores (the steps) and, for a complete
        # trial, their mean as its value
        self.direction = "maximize"
        self.study_name = study.study_name
        self._study = study
        if study.is_multi_objective:
            trials = tuple(_refit_metric_view(t) for t in trials)
        self._trials = trials

    def extended(self, trials):
        """This view with ``trials`` added."""
        view = _TrialsView(self._study, ())
        view._trials = self._trials + tuple(
            _refit_metric_view(t) if self._study.is_multi_objective else t for t in trials)
        return view

    def with_told(self, trials):
        """This view with the finished ``trials`` added among its told ones,
        in trial-number order (as the study lists them)."""
        view = _TrialsView(self._study, ())
        added = tuple(_refit_metric_view(t) if self._study.is_multi_objective else t
                      for t in trials)
        view._trials = tuple(sorted(self._trials + added, key=lambda t: t.number))
        return view

    def get_trials(self, states=None):
        if states is None:
            return list(self._trials)
        states = tuple(states)
        return [t for t in self._trials if t.state in states]

    def n_trials(self, states=None):
        return len(self.get_trials(states))

    @property
    def system_attrs(self):
        return self._study.system_attrs


def _refit_metric_view(trial):
    """A trial of several objectives as a pruner of the refit metric reads it:
    its value the mean of its steps (the refit metric's fold scores)."""
    if trial.values is None or len(trial.values) == 1:
        return trial
    steps = list(trial.intermediate_values.values())
    value = mean_score(steps) if steps else None
    return replace(trial, values=None if value is None or not np.isfinite(value)
                   else (value,))


class _Scheduler:
    def __init__(self, plan, workers):
        self.plan = plan
        self.workers = workers
        self.n_splits = len(plan.splits)
        self.n_rounds = self.n_splits * plan.per_fold
        self.pruning = plan.pruner is not None
        # the pruner's horizon: candidate i's decisions read the candidates
        # before i - H + 1 as told (finished), the later ones as of the step
        self.horizon = 1 if plan.n_workers == 1 else 2 * plan.n_workers
        if plan.n_workers == 1:
            self.window = 1
        elif not plan.learns:
            # proposals do not depend on results: candidates are asked as
            # workers need them (with a pruner, each decision waits instead
            # for the candidates before its horizon to be told)
            self.window = None
        elif self.pruning:
            self.window = self.horizon
        else:
            self.window = plan.n_workers
        self.candidates = []  # every candidate of this run, in ask order
        self.n_told = 0
        self.n_in_flight = 0
        self.n_speculative = 0
        # the steps inside a fold where the pruner may decide (None: any); a
        # task runs a fold's increments up to the next of them
        self.decision_steps = None
        if self.pruning and plan.per_fold > 1 and plan.layout is not None:
            self.decision_steps = plan.pruner.decision_steps(plan.layout)
        # later folds can run before the decision that allows them only when
        # they are independent: whole folds (a task that continues a fold
        # needs the model of the task before it)
        self.speculate = self.pruning and plan.n_workers > 1 and (
            plan.per_fold == 1 or self.decision_steps is not None)
        self.asking = True
        self.out = SearchOutcome()
        self._finished = []  # the study's finished trials, by number
        self._cursor = None
        self._best = None
        self._started = time.monotonic()
        self.budget = plan.max_fold_fits

    # -- the loop -------------------------------------------------------------------
    def run(self):
        study = self.plan.study
        study.clear_stop()
        self._absorb_finished()
        self._best = None if study.is_multi_objective else _best_value(self._finished)
        try:
            while True:
                self._settle_budget()
                self._tell_ready()
                self._ask_while_useful()
                self._hand_out()
                if self._in_flight() == 0:
                    if self.asking and self._may_ask():
                        continue
                    break
                token, outcome, error = self.workers.next_result()
                if error is not None:
                    raise error
                self._absorb(token, outcome)
            self.asking = False
            self._tell_ready()
            if self.n_told < len(self.candidates):
                # every path above ends in a tell; leaving a trial RUNNING would
                # make the search wait for it for ever
                raise RuntimeError(
                    f"sksearch's scheduler stopped with {len(self.candidates) - self.n_told} "
                    "candidates neither finished nor told; please report this as a bug.")
        except BaseException as exc:
            self._abandon(exc)
            raise
        self.out.n_told = self.n_told
        return self.out

    def _in_flight(self):
        return self.n_in_flight

    def _abandon(self, exc):
        """Leave nothing RUNNING: finished candidates are told as they are,
        the others as interrupted by ``exc`` -- FAIL, marked with
        :data:`~sksearch.trial.INTERRUPTED_KEY` and without fold results, so
        they are no result: their parameters run again when the search
        resumes."""
        self.asking = False
        for c in self.candidates[self.n_told:]:
            try:
                self._tell(c, interrupted=None if c.finished else exc, quiet=True)
            except Exception:  # noqa: BLE001 - the error being raised matters more
                self.n_told += 1
        self.out.n_told = self.n_told

    # -- asking -----------------------------------------------------------------------
    def _n_ready_tasks(self):
        return sum(len(c.queued) for c in self.candidates[self.n_told:])

    def _ask_while_useful(self):
        """Ask new candidates while workers would otherwise lack work."""
        while True:
            self._tell_ready()  # telling may open the window
            # speculative folds do not count: a new candidate is worth more
            regular = self._n_ready_tasks() + self.n_in_flight - self.n_speculative
            if not (self.asking and regular < self.workers.capacity and self._may_ask()):
                return
            self._ask()

    def _may_ask(self):
        """Whether the next candidate may be asked now; sets ``asking`` False
        once no candidate will be asked any more."""
        if not self.asking:
            return False
        plan, study = self.plan, self.plan.study
        index = len(self.candidates)
        if self.window is not None and index - self.window >= self.n_told:
            return False  # candidate index - W is not told yet: wait for it
        if study.stop_requested or (
                plan.deadline is not None and time.monotonic() >= plan.deadline):
            self.asking = False
            return False
        if self._n_counted() >= plan.n_iter:
            self.asking = False
            return False
        if self.budget is not None and sum(c.allowed for c in self.candidates) >= self.budget:
            self.asking = False  # spent, whatever the candidates in flight do
            return False
        return True

    def _n_counted(self):
        """Candidates that count towards n_iter: finished with fold results, or
        running (in this process or another one sharing the storage)."""
        self._absorb_finished()
        done = sum(FOLDS_ATTR in t.system_attrs for t in self._finished)
        return done + self.plan.study.n_trials((TrialState.RUNNING,))

    def _absorb_finished(self):
        new, self._cursor = self.plan.study.get_trials_finished_since(self._cursor)
        # a warm start's prior trials are the sampler's history, not candidates
        new = [t for t in new if not is_warm_start(t)]
        if new:
            self._finished.extend(new)
            self._finished.sort(key=lambda t: t.number)

    def _ask(self):
        plan, study = self.plan, self.plan.study
        trial = study.ask()
        try:
            params = plan.propose(trial)
        except BaseException as exc:
            study.fail_trial(trial, exc)
            raise
        self.out.params[trial.number] = params
        index = len(self.candidates)
        # with a window, exactly the candidates before index - H + 1 are told
        # now; without one, the decisions wait for them (see _decide)
        first_untold = self.n_told if self.window is not None else max(
            0, index - self.horizon + 1)
        told_upto = min(self.n_told, first_untold)
        mine = {c.trial.number for c in self.candidates[told_upto:]}
        told_view = _TrialsView(study, tuple(t for t in self._finished if t.number not in mine))
        frozen = study.get_trials((TrialState.RUNNING,))
        frozen = next(t for t in frozen if t.trial_id == trial.trial_id)
        c = _Candidate(index=index, first_untold=first_untold, trial=trial,
                       params=params, told_view=told_view, frozen=frozen,
                       folds=[None] * self.n_splits,
                       order=list(range(self.n_splits)), told_upto=told_upto)
        if self.pruning and plan.pruner.shuffle_folds:
            rng = np.random.default_rng([plan.seed or 0, trial.number])
            c.order = [int(i) for i in rng.permutation(self.n_splits)]
        self.candidates.append(c)
        if self.budget is None:
            c.allowed = self.n_splits
        if self.pruning and plan.task_contexts:
            c.callback_ctx = plan.search_ctx.subcontext(
                task_name="candidate", task_id=trial.number, max_subtasks=self.n_rounds,
                sequential_subtasks=False).call_on_fit_task_begin(estimator=plan.caller)
        if self.budget is not None:
            self._spend(c)
        elif self.pruning:
            c.queued.append(self._task_of_round(c, 0))
        else:
            c.queued.extend((fold, None) for fold in c.order)

    # -- the budget of fold fits ------------------------------------------------------------
    def _budget_verdict(self, c):
        """Whether ``c`` may start one more fold: ``"go"``, ``"stop"`` or
        ``"wait"``, from the candidates asked before it only (see the module
        docs), so the answer is the same whatever the timing."""
        earlier = self.candidates[:c.index]
        lower = sum(e.allowed for e in earlier)
        upper = lower + sum(self.n_splits - e.allowed for e in earlier
                            if not (e.finished or e.pruned))
        need = c.allowed + 1
        if upper + need <= self.budget:
            return "go"
        if lower + need > self.budget:
            return "stop"
        return "wait"

    def _spend(self, c):
        """Let ``c`` start the folds the budget allows now (one at a time with
        a pruner, all of them without); stop it when the budget is spent."""
        c.budget_wait = False
        wanted = self.n_splits if not self.pruning else min(
            self.n_splits, c.round // self.plan.per_fold + 1)
        while c.allowed < wanted:
            verdict = self._budget_verdict(c)
            if verdict == "wait":
                c.budget_wait = True
                return
            if verdict == "stop":
                self._stop_for_budget(c)
                return
            position = c.allowed
            c.allowed += 1
            if not self.pruning:
                c.queued.append((c.order[position], None))
            elif c.handed == c.round:
                c.queued.append(self._task_of_round(c, c.round))
        if self.pruning:
            self._advance(c)  # its result may be in already (a speculative fold)

    def _stop_for_budget(self, c):
        c.pruned = True
        if self.pruning:
            c.partial.clear()
            self.out.n_wasted += len(c.arrived)
            c.arrived.clear()
            c.finished = True
        elif self._all_folds_in(c):  # else once its folds in flight are in
            self._report_all(c)
            c.finished = True

    def _all_folds_in(self, c):
        return all(c.folds[f] is not None for f in c.order[:c.allowed])

    def _settle_budget(self):
        """Give the candidates waiting for the budget their answer, oldest
        first (an answer may settle the next one's)."""
        if self.budget is None:
            return
        for c in self.candidates[self.n_told:]:
            if c.budget_wait:
                self._spend(c)

    # -- handing out and taking back ------------------------------------------------------
    def _task_of_round(self, c, round_):
        """``(fold, steps)`` of the task that starts at ``round_``: with
        increments, the fold's increments from there through the next step
        where the pruner may decide, or to the fold's end (one increment when
        it may decide at any); a fit then grows the model once for all of
        them where the model allows (see ``Increments.fits_at_once``)."""
        per_fold = self.plan.per_fold
        position, increment = divmod(round_, per_fold)
        fold = c.order[position]
        if self.plan.fold_context.increments is None:
            return fold, None
        end = (position + 1) * per_fold
        if self.decision_steps is None:
            end = round_ + 1
        else:
            end = min([d + 1 for d in self.decision_steps if round_ <= d < end] + [end])
        return fold, range(increment, increment + end - round_)

    def _hand_out(self):
        """Fill free workers: ready tasks, oldest candidate first; then, on
        workers that would idle, speculative folds (see :meth:`_speculate`)."""
        free = self.workers.capacity - self.n_in_flight
        for c in self.candidates[self.n_told:]:
            while c.queued and free > 0:
                self._submit(c, c.queued.pop(0), speculative=False)
                free -= 1
            if free <= 0:
                return
        if self.speculate:
            # only on workers that would idle, never on queue places of the pool
            self._speculate(min(free, self.workers.n_workers - self.n_in_flight))

    def _speculate(self, free):
        """Run, on otherwise idle workers, later folds of candidates whose
        pruner has not let them go on yet (or not that far).

        The result of such a fold is held until the decisions before it say
        go on, and is thrown away if one says stop: no decision ever reads it
        early, so the results are those of the search without speculation;
        only idle workers are spent. Candidates in the order of
        :meth:`_by_promise`: the tail of a search is its survivors running
        their last folds while the other workers wait.
        """
        for c in self._by_promise():
            if c.finished or c.queued:
                continue
            while free > 0 and c.handed < self.n_rounds and self._whole_fold(c.handed):
                self._submit(c, self._task_of_round(c, c.handed), speculative=True)
                free -= 1
            if free <= 0:
                return

    def _whole_fold(self, round_):
        """Whether the task at ``round_`` is a whole fold: it needs no model of
        an earlier task, so it may run before the decisions that allow it."""
        per_fold = self.plan.per_fold
        if per_fold == 1:
            return True
        if round_ % per_fold or self.decision_steps is None:
            return False
        return not any(round_ <= d < round_ + per_fold - 1 for d in self.decision_steps)

    def _by_promise(self):
        """The unfinished candidates in the order their later folds are
        speculated: while candidates are still asked, the oldest first (it
        gates the window); then by the mean of the scores they reported so
        far, best first, a candidate without any taking the median of the
        others'. A fold of a likely survivor is the one least likely to be
        thrown away, and at the tail of a search, with workers to spare, the
        survivors' folds are what the wall waits for. Only speculation follows
        this order, so it changes no result."""
        live = [c for c in self.candidates[self.n_told:] if not c.finished]
        means = {}
        for c in live:
            values = [v for v in c.frozen.intermediate_values.values() if np.isfinite(v)]
            means[c.index] = float(np.mean(values)) if values else None
        known = [m for m in means.values() if m is not None]
        neutral = float(np.median(known)) if known else 0.0
        first = live[:1] if self.asking or self.window is None else []
        rest = sorted(live[len(first):], key=lambda c: -(
            neutral if means[c.index] is None else means[c.index]))
        return first + rest

    def _submit(self, c, task_round, speculative):
        fold, steps = task_round
        plan = self.plan
        train, test = plan.splits[fold]
        first = 0 if steps is None else steps.start
        round_ = c.handed
        callback_ctx = None
        if c.callback_ctx is not None:  # with a pruner: the candidate's round
            callback_ctx = _subcontext(c.callback_ctx, task_id=round_)
        elif plan.task_contexts:  # without: one task per fold, as GridSearchCV numbers them
            callback_ctx = _subcontext(plan.search_ctx,
                                       task_id=c.index * self.n_splits + fold)
        task = FoldTask(
            parameters=c.params, train=train, test=test, steps=steps,
            previous=c.partial.pop(fold, None), callback_ctx=callback_ctx,
            caller=plan.caller if plan.task_contexts else None,
            progress=((fold, self.n_splits), (c.trial.number, plan.n_iter)))
        c.handed += 1 if steps is None else len(steps)
        self.n_in_flight += 1
        self.n_speculative += speculative
        token = (c.index, fold, first, round_, speculative)
        self.workers.submit(token, fit_fold, plan.fold_context, task)

    def _absorb(self, token, outcome):
        index, fold, first, round_, speculative = token
        c = self.candidates[index]
        self.n_in_flight -= 1
        self.n_speculative -= speculative
        if not self.pruning:
            self._keep(c, fold, first, outcome)
            c.step_scores[fold] = outcome.step_scores
            if self._all_folds_in(c) and (c.allowed == self.n_splits or c.pruned):
                self._report_all(c)
                c.finished = True
            return
        if c.finished:
            self.out.n_wasted += 1  # a speculative fold past the candidate's end
            return
        c.arrived[round_] = (fold, first, outcome)
        self._advance(c)
        self._decide()

    def _keep(self, c, fold, first, outcome):
        self.out.n_fold_fits += first == 0
        self.out.n_increments += outcome.increments_run
        if outcome.finished:
            c.folds[fold] = outcome.record
            self.out.records.append(outcome.record)
        else:
            c.partial[fold] = outcome

    def _advance(self, c):
        """Take in, in round order, the results the decisions have let through."""
        per_fold = self.plan.per_fold
        while (not c.awaiting and not c.finished and c.round in c.arrived
               and c.round // per_fold < c.allowed):
            fold, first, outcome = c.arrived.pop(c.round)
            self._keep(c, fold, first, outcome)
            values = dict(c.frozen.intermediate_values)
            for j, score in enumerate(outcome.step_scores):
                step = fold * per_fold + first + j
                value = float(self.plan.refit_score(score))
                c.trial.report(value, step=step)
                values[step] = value
            c.frozen = replace(c.frozen, intermediate_values=values)
            # past the task's rounds (a failed one reported the rest of its fold)
            c.round += max(1, len(outcome.step_scores))
            c.handed = max(c.handed, c.round)
            if c.round < self.n_rounds:
                c.awaiting = True  # decided in _decide
            else:
                self._go_on(c)

    def _decide(self):
        """Make the pruning decisions whose inputs are all known, oldest
        first; returns whether any was made.

        Candidate ``i`` deciding at step ``s`` reads the trials told before it
        was asked and, as of step ``s``, the candidates that ran alongside it
        and were asked before it; it waits until each of those has reported
        step ``s`` or finished, so the decision is the same whatever the timing.
        """
        decided = False
        progress = True
        while progress:
            progress = False
            for c in self.candidates[self.n_told:]:
                if not c.awaiting:
                    continue
                step = len(c.frozen.intermediate_values) - 1
                if c.told_upto < c.first_untold:  # asked without a window
                    if self.n_told < c.first_untold:
                        continue
                    c.told_view = c.told_view.with_told(
                        m.told for m in self.candidates[c.told_upto:c.first_untold])
                    c.told_upto = c.first_untold
                alongside = self.candidates[c.first_untold:c.index]
                if not all(m.reached(step) for m in alongside):
                    continue
                view = c.told_view.extended(m.as_of(step) for m in alongside)
                c.awaiting = False
                progress = decided = True
                if self.plan.pruner.prune(view, c.frozen):
                    c.pruned = True
                    c.partial.clear()
                    self.out.n_wasted += len(c.arrived)
                    c.arrived.clear()
                    c.finished = True
                else:
                    self._go_on(c)
        return decided

    def _go_on(self, c):
        """Go on to the next round with something left to run (a failed
        increment ends its fold), or finish the candidate."""
        while c.round < self.n_rounds:
            fold_next, steps = self._task_of_round(c, c.round)
            if c.folds[fold_next] is None:
                break
            c.round += 1
            c.handed = max(c.handed, c.round)
        else:
            c.finished = True
            return
        if c.round // self.plan.per_fold >= c.allowed:
            self._spend(c)  # a new fold: the budget decides
            return
        if c.handed == c.round:
            c.queued.append((fold_next, steps))
        self._advance(c)  # its result may be in already (a speculative fold)

    def _report_all(self, c):
        """Without a pruner, a candidate's scores are reported once it is
        finished, in fold order, whichever fold finished first."""
        per_fold = self.plan.per_fold
        for fold in range(self.n_splits):
            for i, score in enumerate(c.step_scores.pop(fold, ())):
                c.trial.report(float(self.plan.refit_score(score)), step=fold * per_fold + i)

    # -- telling ---------------------------------------------------------------------------
    def _tell_ready(self):
        """Tell finished candidates in order, each once the window allows;
        record the outcome of those that must wait (see :meth:`_record`).
        Without a window a decision may wait for a tell (see :meth:`_decide`),
        so the decisions a tell lets through are made here too, and what they
        finish is told in turn."""
        while self.n_told < len(self.candidates):
            c = self.candidates[self.n_told]
            if not c.finished:
                if self.pruning and self._decide():
                    continue
                break
            if (self.asking and self.window is not None
                    and len(self.candidates) < c.index + self.window):
                break  # candidate c + W - 1 is not asked yet
            self._tell(c)
        self._record()

    def _record(self):
        """Record the outcome of every finished candidate that waits to be
        told, once: if this process is killed, a persistent storage then
        finishes its trial with it on resume instead of failing it (see
        ``Study.record_outcome``). Without it a kill could lose up to a
        window of finished candidates."""
        for c in self.candidates[self.n_told:]:
            if c.finished and not c.recorded:
                c.recorded = True
                value, state, system_attrs = self._outcome(c)
                self.plan.study.record_outcome(c.trial, value, state=state,
                                               system_attrs=system_attrs)

    def _outcome(self, c, interrupted=None):
        """``(value, state, system_attrs)`` that candidate ``c`` is told; a
        candidate ``interrupted`` by an exception is FAIL without its folds
        (a partial mean must never rank it)."""
        if interrupted is not None:
            reason = type(interrupted).__name__
            return None, TrialState.FAIL, {
                INTERRUPTED_KEY: reason,
                "fail_reason": f"interrupted by {reason} before its folds finished"}
        plan = self.plan
        scores = [plan.refit_score(f.test_scores) for f in c.folds if f is not None]
        value = mean_score(scores) if scores else None
        system_attrs = {FOLDS_ATTR: records_to_json(c.folds)}
        cost = SearchObjectives.metric_mean(c.folds, "fit_time")
        if not math.isnan(cost):
            # what the candidate cost, for samplers that weigh it
            system_attrs[COST_KEY] = cost
        if plan.objective_values is not None and scores:
            # several objectives: a complete candidate's values; a pruned one
            # has none (its evidence is its steps)
            value = None if c.pruned else plan.objective_values(c.folds)
            if value is not None and not all(np.isfinite(value)):
                value = float("nan")
        if c.allowed == 0:  # the budget was spent before its first fold
            state, value = TrialState.FAIL, None
            system_attrs = {"fail_reason": "the budget of fold fits was spent"}
        elif c.pruned:
            state = TrialState.PRUNED
        elif value is not None and np.all(np.isfinite(value)):
            state = TrialState.COMPLETE
        else:
            state, value = TrialState.FAIL, None
        return value, state, system_attrs

    def _tell(self, c, interrupted=None, quiet=False):
        plan, study = self.plan, self.plan.study
        value, state, system_attrs = self._outcome(c, interrupted)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            # the folds and the state in one transaction: a kill between them
            # cannot leave a trial with scores but no state, or the reverse
            frozen = study.tell(c.trial, value, state=state, system_attrs=system_attrs)
        c.told = frozen
        self.n_told += 1
        if c.callback_ctx is not None:
            c.callback_ctx.call_on_fit_task_end(estimator=plan.caller)
        if quiet:
            return
        if not study.is_multi_objective and best_of([frozen], "maximize") is not None and (
                self._best is None or frozen.value > self._best):
            self._best = frozen.value
        if plan.verbose > 0:
            elapsed = time.monotonic() - self._started
            print(f"[trial {frozen.number + 1}/{plan.n_iter}] "
                  f"{frozen.state.name.lower()} score={_fmt(frozen.values)} "
                  f"best={_fmt(self._best)} elapsed={elapsed:.1f}s params={c.params}")
        for callback in plan.callbacks:
            callback(study, frozen)


def run_search(plan, workers):
    """Run the candidates of ``plan`` on ``workers``; return a :class:`SearchOutcome`."""
    return _Scheduler(plan, workers).run()


def search_task_size(n_candidates, n_splits, pruning):
    """``max_subtasks`` of the search's callback task for ``n_candidates`` to
    run: a task per (candidate, fold) as GridSearchCV, or, with a pruner
    (how many folds run is not known in advance), a task per candidate."""
    return n_candidates if pruning else n_candidates * n_splits


def _subcontext(context, task_id):
    if context is None:
        return None
    return context.subcontext(task_name="candidate-split-evaluation", task_id=task_id)


def _best_value(trials):
    best = best_of(trials, "maximize")
    return None if best is None else best.value


def _fmt(value):
    if isinstance(value, tuple):  # a trial's values
        return ",".join(f"{v:.4f}" for v in value)
    return "nan" if value is None else f"{value:.4f}"
