"""The loop that asks candidates, has their tasks run, and has them decided and told."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace
from functools import partial

import numpy as np

from ..trial import TrialState
from .budget import FoldBudget, Verdict
from .candidate import Candidate, Phase
from .decisions import DecisionBoard
from .dispatch import Dispatcher
from .gate import ProposalGate
from .order import TaskOrder
from .plan import SearchOutcome
from .proposal import PROPOSAL, Proposal
from .tasks import RoundLayout
from .teller import Teller

__all__ = ["Engine"]


class Engine:
    """One run of a search's candidates on ``workers``."""

    def __init__(self, plan, workers, order=None):
        self.plan = plan
        self.workers = workers
        self.n_splits = plan.n_splits
        self.pruning = plan.pruning
        self.rounds = RoundLayout(plan)
        self.gate = ProposalGate(plan)
        self.board = DecisionBoard(
            partial(plan.pruner.reads_as_of, layout=plan.layout)
            if plan.pruning and plan.layout is not None else None)
        self.budget = None if plan.max_fold_fits is None else FoldBudget(
            plan.max_fold_fits, self.n_splits)
        self.teller = Teller(plan, None if plan.study.is_multi_objective
                             else self.gate.best_value())
        # later folds run before the decision that allows them (on workers
        # that would idle) only when they are independent of earlier tasks
        self.dispatcher = Dispatcher(
            plan, workers, self.rounds, order or TaskOrder(),
            speculate=self.pruning and plan.n_workers > 1 and self.rounds.speculable)
        self.candidates = []  # every candidate of this run, in ask order
        self._asking = None  # the Proposal while an ask is out
        self.n_told = 0
        self.out = SearchOutcome()

    # -- the loop -------------------------------------------------------------------
    def run(self):
        self.plan.study.clear_stop()
        try:
            while True:
                self._settle_budget()
                self._tell_ready()
                self._ask_while_useful()
                self.dispatcher.hand_out(self.candidates[self.n_told:],
                                         oldest_first=self.gate.asking or self.gate.window is None)
                if self.dispatcher.n_in_flight == 0 and self._asking is None:
                    if self._may_ask():
                        continue
                    break
                token, outcome = self.dispatcher.next_result()
                if token is PROPOSAL:
                    self._take(outcome)
                else:
                    self._absorb(token, outcome)
            self.gate.asking = False
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

    def _abandon(self, exc):
        """Leave nothing RUNNING: finished candidates are told as they are,
        the others as interrupted by ``exc`` -- FAIL, marked with
        :data:`~sksearch.trial.INTERRUPTED_KEY` and without fold results, so
        they are no result: their parameters run again when the search
        resumes."""
        self.gate.asking = False
        if self._asking is not None:  # an ask in progress: let it end, then settle it
            self._asking.abandon(self.teller, exc)
            self._asking = None
        for c in self.candidates[self.n_told:]:
            try:
                self.teller.tell(c, interrupted=None if c.finished else exc)
            except Exception:  # noqa: BLE001 - the error being raised matters more
                pass
            self.n_told += 1
        self.out.n_told = self.n_told

    # -- asking ---------------------------------------------------------------------
    def _may_ask(self):
        return self.gate.may_ask(len(self.candidates), self.n_told, self.budget,
                                 self.candidates)

    def _ask_while_useful(self):
        """Ask new candidates while workers would otherwise lack work."""
        while True:
            self._tell_ready()  # telling may open the window
            if self._asking is not None:
                return  # one ask at a time
            # speculative folds do not count: a new candidate is worth more
            queued = sum(len(c.queued) for c in self.candidates[self.n_told:])
            if not (queued + self.dispatcher.n_regular < self.workers.capacity
                    and self._may_ask()):
                return
            self._ask()

    def _ask(self):
        """Ask the next candidate (:mod:`.proposal`): beside the scheduler's
        thread with several workers and a window, its result taken in
        :meth:`_take` when it comes; without a window (a sampler that does not
        learn, whose asks cost little) here and now."""
        proposal = Proposal(self.plan)
        self._asking = proposal  # set first: Ctrl-C from here on abandons it
        if self.gate.window is None:
            self._take(proposal())
            return
        self.dispatcher.run_aside(proposal)

    def _take(self, proposal):
        """Make the asked ``proposal`` a candidate, and queue its first tasks."""
        plan = self.plan
        if proposal.error is not None:  # the proposal failed: its trial fails
            self._asking = None
            proposal.settle(self.teller)
            raise proposal.error
        trial, params = proposal.trial, proposal.params
        self.out.params[trial.number] = params
        self.candidates.append(self._candidate(trial, params))
        proposal.taken = True
        self._asking = None
        c = self.candidates[-1]
        if self.pruning and plan.task_contexts:
            c.callback_ctx = plan.search_ctx.subcontext(
                task_name="candidate", task_id=trial.number, max_subtasks=plan.n_rounds,
                sequential_subtasks=False).call_on_fit_task_begin(estimator=plan.caller)
        if self.budget is not None:
            self._spend(c)
            return
        c.allowed = self.n_splits
        if self.pruning:
            c.queued.append(self.rounds.task_at(c.order, 0))
        else:
            c.queued.extend((fold, None) for fold in c.order)

    def _candidate(self, trial, params):
        index = len(self.candidates)
        first_untold, told_upto, told_view = self.gate.reads_of(
            index, self.n_told, self.candidates)
        frozen = next(t for t in self.plan.study.get_trials((TrialState.RUNNING,))
                      if t.trial_id == trial.trial_id)
        return Candidate(index=index, first_untold=first_untold, trial=trial, params=params,
                         told_view=told_view, frozen=frozen, folds=[None] * self.n_splits,
                         order=self._fold_order(trial), told_upto=told_upto)

    def _fold_order(self, trial):
        """The order a candidate's folds run in: shuffled per trial (and
        seeded) for a pruner that asks for it."""
        if self.pruning and self.plan.pruner.shuffle_folds:
            rng = np.random.default_rng([self.plan.seed or 0, trial.number])
            return [int(i) for i in rng.permutation(self.n_splits)]
        return list(range(self.n_splits))

    # -- the budget of fold fits ------------------------------------------------------------
    def _spend(self, c):
        """Let ``c`` start the folds the budget allows now (one at a time with
        a pruner, all of them without); stop it when the budget is spent."""
        c.phase = Phase.RUNNING
        wanted = self.n_splits if not self.pruning else min(
            self.n_splits, c.round // self.plan.per_fold + 1)
        granted, verdict = self.budget.grant(c, self.candidates[:c.index], wanted)
        for position in granted:
            if not self.pruning:
                c.queued.append((c.order[position], None))
            elif c.handed == c.round:
                c.queued.append(self.rounds.task_at(c.order, c.round))
        if verdict is Verdict.WAIT:
            c.phase = Phase.AWAITING_BUDGET
        elif verdict is Verdict.STOP:
            self._stop_for_budget(c)
        elif self.pruning:
            self._advance(c)  # its result may be in already (a speculative fold)

    def _stop_for_budget(self, c):
        if self.pruning:
            self.out.n_wasted += c.stop()
            return
        c.pruned = True
        if self._all_folds_in(c):  # else once its folds in flight are in
            self._report_all(c)
            c.phase = Phase.FINISHED

    def _settle_budget(self):
        """Give the candidates waiting for the budget their answer, oldest
        first (an answer may settle the next one's)."""
        for c in self.candidates[self.n_told:]:
            if c.phase is Phase.AWAITING_BUDGET:
                self._spend(c)

    def _all_folds_in(self, c):
        return all(c.folds[f] is not None for f in c.order[:c.allowed])

    # -- taking results back ----------------------------------------------------------
    def _absorb(self, token, outcome):
        c = self.candidates[token.candidate]
        if not self.pruning:
            self._keep(c, token.fold, token.first, outcome)
            c.step_scores[token.fold] = outcome.step_scores
            if self._all_folds_in(c) and (c.allowed == self.n_splits or c.pruned):
                self._report_all(c)
                c.phase = Phase.FINISHED
            return
        if c.finished:
            self.out.n_wasted += 1  # a speculative fold past the candidate's end
            return
        c.arrived[token.round] = (token.fold, token.first, outcome)
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
        while (c.phase is Phase.RUNNING and c.round in c.arrived
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
            if c.round < self.plan.n_rounds:
                c.phase = Phase.AWAITING_DECISION  # decided in _decide
            else:
                self._go_on(c)

    def _decide(self):
        """Make the pruning decisions whose inputs are all known, oldest
        first (:class:`~.decisions.DecisionBoard`); returns whether any was
        made."""
        decided = False
        while True:
            progress = False
            for c, view in self.board.due(self.candidates, self.n_told):
                progress = decided = True
                if self.plan.pruner.prune(view, c.frozen):
                    self.out.n_wasted += c.stop()
                else:
                    self._go_on(c)
            if not progress:
                return decided

    def _go_on(self, c):
        """Go on to the next round with something left to run (a failed
        increment ends its fold), or finish the candidate."""
        while c.round < self.plan.n_rounds:
            fold_next, steps = self.rounds.task_at(c.order, c.round)
            if c.folds[fold_next] is None:
                break
            c.round += 1
            c.handed = max(c.handed, c.round)
        else:
            c.phase = Phase.FINISHED
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
        """Tell finished candidates in order, each once the gate allows;
        record the outcome of those that must wait (``Teller.record``).
        Without a window a decision may wait for a tell (see :meth:`_decide`),
        so the decisions a tell lets through are made here too, and what they
        finish is told in turn."""
        while self.n_told < len(self.candidates):
            c = self.candidates[self.n_told]
            if not c.finished:
                if self.pruning and self._decide():
                    continue
                break
            if not self.gate.may_tell(c, len(self.candidates)):
                break  # candidate c + W - 1 is not asked yet
            self.teller.tell(c)
            self.n_told += 1
            self.teller.announce(c)
        self.teller.record(self.candidates[self.n_told:])
