"""What the scheduler is given, a frozen plan, and what it gives back, the outcome."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, field

__all__ = ["SearchOutcome", "SearchPlan"]


@dataclass(frozen=True)
class SearchPlan:
    """Everything the scheduler needs from the search estimator; built once,
    never changed (a change is a new plan, ``dataclasses.replace``).

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
    task_contexts : bool
        Whether each fold task gets a callback context (only when some
        scikit-learn callback listens).
    max_fold_fits : int or None
        Fold fits this run may use in all (``None``: no limit besides
        ``n_iter``); spent in trial order (see :mod:`.budget`).
    window : int or None
        A learning sampler's window fixed whatever ``n_workers`` (see
        :mod:`.gate`); ``None`` follows the workers.
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
    task_contexts: bool = False
    max_fold_fits: int = None
    window: int = None

    @property
    def pruning(self):
        return self.pruner is not None

    @property
    def n_splits(self):
        return len(self.splits)

    @property
    def n_rounds(self):
        """Rounds of a candidate: its folds times the increments of each."""
        return len(self.splits) * self.per_fold


@dataclass
class SearchOutcome:
    """What a run of the scheduler did."""

    params: dict = field(default_factory=dict)  # trial number -> estimator params
    records: list = field(default_factory=list)  # every finished fold's FoldRecord
    n_fold_fits: int = 0  # folds whose results were used
    n_increments: int = 0
    n_wasted: int = 0  # speculative folds a later decision threw away
    n_told: int = 0
