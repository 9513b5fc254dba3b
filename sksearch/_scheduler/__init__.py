"""What runs next: candidates and their folds, handed to workers as they free up.

The search is a stream of *tasks* -- one fold of one candidate, or some
increments of it -- run by ``n_workers`` workers (:mod:`sksearch._workers`).
When a task finishes, its scores are reported, the pruner decides, and the
freed worker at once gets the next task: without a pruner every fold of a
candidate is a task from the start (as in ``GridSearchCV``); with one, a
candidate's next fold becomes a task once the pruner let it go on. New
candidates are asked from the sampler when there is not enough work.

**Reproducible whatever the timing.** Every decision is a function of trial
order, never of which task happened to finish first. The rooms:

- :mod:`.plan` -- the frozen :class:`SearchPlan` the search hands over, and
  the :class:`~.plan.SearchOutcome` it gets back;
- :mod:`.candidate` -- a candidate's :class:`~.candidate.Phase`, progress and
  one ``stop()``; the frozen :class:`~.candidate.TaskToken` of each task;
- :mod:`.gate` -- when a candidate may be asked and told (the window), and
  which trials its decisions read (the horizon);
- :mod:`.decisions` -- which pruning decisions may be made now, on what;
- :mod:`.budget` -- the budget of fold fits, spent in trial order;
- :mod:`.tasks` -- which steps each task covers (increments up to the
  pruner's next decision step);
- :mod:`.order` -- **what runs next**: the order of ready tasks and of
  speculative folds, the one place to change it;
- :mod:`.proposal` -- one ask of the sampler, beside the scheduler's thread
  with several workers (it keeps handing out tasks meanwhile);
- :mod:`.teller` -- outcomes recorded and told in order, callbacks, the
  verbose log;
- :mod:`.engine` -- the loop that drives them.

**Progress** (scikit-learn 1.9 callbacks). Without a pruner the task tree is
GridSearchCV's: the search task has one subtask per (candidate, fold). With a
pruner the number of folds that will run is unknown, so each candidate is a
subtask of the search (begun when asked, ended when told) with its fold tasks
under it: a ``ProgressBar`` then counts candidates done out of those to run,
pruned or not (see :func:`search_task_size`).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from .engine import Engine
from .plan import SearchOutcome, SearchPlan

__all__ = ["SearchOutcome", "SearchPlan", "run_search", "search_task_size"]


def run_search(plan, workers):
    """Run the candidates of ``plan`` on ``workers``; return a :class:`SearchOutcome`."""
    return Engine(plan, workers).run()


def search_task_size(n_candidates, n_splits, pruning):
    """``max_subtasks`` of the search's callback task for ``n_candidates`` to
    run: a task per (candidate, fold) as GridSearchCV, or, with a pruner
    (how many folds run is not known in advance), a task per candidate."""
    return n_candidates if pruning else n_candidates * n_splits
