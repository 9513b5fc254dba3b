"""Fit and score one candidate on one cross-validation fold.

This is the unit of work that runs in joblib workers. It mirrors what
scikit-learn's ``_fit_and_score`` does for ``GridSearchCV`` (same cloning of
parameters, same pairwise splitting, same ``error_score`` semantics and warning
texts) but is written against public APIs only, so an upgrade of scikit-learn's
private internals cannot break it.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers
import os
import pickle
import platform
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field, replace
from traceback import format_exc

import numpy as np
from joblib.logger import short_format_time
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import _safe_indexing, get_tags

from . import _compat
from ._increments import IncrementsError, fit_increment
from ._records import FoldRecord
from ._reuse import plan_prefix

__all__ = ["FoldContext", "FoldOutcome", "FoldTask", "PackedModel", "fit_fold",
           "slice_sample_params", "warn_about_fit_failures"]


def _n_samples(value):
    if hasattr(value, "shape") and len(getattr(value, "shape", ())) > 0:
        return value.shape[0]
    if hasattr(value, "__len__") and not isinstance(value, (str, bytes, dict)):
        return len(value)
    return None


def slice_sample_params(params, n_samples, indices):
    """Index the sample-aligned entries of ``params`` (those whose length is
    ``n_samples``, as ``sample_weight``) with ``indices``; pass others as is."""
    if indices is None:
        return dict(params)
    sliced = {}
    for key, value in params.items():
        if value is not None and _n_samples(value) == n_samples:
            sliced[key] = _safe_indexing(value, indices)
        else:
            sliced[key] = value
    return sliced


def _split(estimator, X, y, indices, train_indices=None):
    """Rows ``indices`` of X and y; for pairwise estimators (precomputed kernels)
    the columns are the training samples, as scikit-learn does."""
    if get_tags(estimator).input_tags.pairwise:
        if not hasattr(X, "shape"):
            raise ValueError(
                "Precomputed kernels or affinity matrices have to be passed as "
                "arrays or sparse matrices."
            )
        if X.shape[0] != X.shape[1]:
            raise ValueError("X should be a square kernel matrix")
        columns = indices if train_indices is None else train_indices
        X_subset = X[np.ix_(indices, columns)]
    else:
        X_subset = _safe_indexing(X, indices)
    y_subset = None if y is None else _safe_indexing(y, indices)
    return X_subset, y_subset


def _error_scores(scorer_names, error_score):
    if scorer_names is None:
        return error_score
    return dict.fromkeys(scorer_names, error_score)


def _score(estimator, X, y, scorer, score_params, error_score):
    """Call the scorer, applying ``error_score`` to a failure."""
    try:
        if y is None:  # as scikit-learn: a scorer(estimator, X) of unsupervised models
            scores = scorer(estimator, X, **score_params)
        else:
            scores = scorer(estimator, X, y, **score_params)
    except Exception:
        if error_score == "raise":
            raise
        by_name = _compat.scorers_by_name(scorer)
        names = None if by_name is None else list(by_name)
        scores = _error_scores(names, error_score)
        warnings.warn(
            "Scoring failed. The score on this train-test partition for these "
            f"parameters will be set to {error_score}. Details: \n{format_exc()}",
            UserWarning,
        )
        return scores
    if isinstance(scores, dict):
        for name, value in scores.items():
            if isinstance(value, str):
                # a multimetric scorer built with raise_exc=False returns the
                # traceback of a failed metric as a string
                if error_score == "raise":
                    raise RuntimeError(value)
                warnings.warn(
                    f"Scoring failed. The score on this train-test partition for "
                    f"these parameters will be set to {error_score}. Details: \n{value}",
                    UserWarning,
                )
                scores[name] = error_score
            else:
                scores[name] = _check_number(value, name)
        return scores
    return _check_number(scores, scorer)


def _check_number(value, scorer):
    if hasattr(value, "item"):
        try:
            value = value.item()
        except ValueError:
            pass
    if not isinstance(value, numbers.Number):
        raise ValueError(
            f"scoring must return a number, got {value!s} ({type(value)}) instead. "
            f"(scorer={scorer})"
        )
    return value


#: this process, told apart from the one that built a FoldContext
_PROCESS = uuid.uuid4().hex


@dataclass
class FoldContext:
    """What every fold task of one search shares: the data, the scoring and how
    failures count. Built once in ``fit`` and sent with each task."""

    estimator: object
    X: object
    y: object
    scorer: object
    fit_params: dict
    score_params: dict
    return_train_score: bool
    error_score: object
    scorer_names: list = None
    verbose: int = 0
    increments: object = None  # an Increments, or None for plain fits
    classes: object = None  # for partial_fit of classifiers
    #: a ReuseSpec: share fitted Pipeline prefixes (see sksearch._reuse); None: off
    reuse: object = None
    #: the process that built the context (see :class:`PackedModel`)
    origin: str = field(default_factory=lambda: _PROCESS)


@dataclass
class FoldTask:
    """One unit of work: fold ``train``/``test`` of the candidate ``parameters``,
    all of it or (with increments) the increments in ``steps``, continuing from
    ``previous``, the :class:`FoldOutcome` of the fold's earlier increments."""

    parameters: dict
    train: object
    test: object
    steps: range = None
    previous: object = None
    callback_ctx: object = None
    caller: object = None
    progress: tuple = None  # ((fold, n_splits), (candidate, n_candidates)), for verbose


@dataclass
class FoldOutcome:
    """What a task returns.

    Attributes
    ----------
    record : FoldRecord
        The fold so far (times over every increment run); final once ``finished``.
    step_scores : list
        The test scores after each increment this task covered (one entry
        without increments); after a failure the remaining increments of the
        fold score as failed, so every candidate reports the same steps.
    increments_run : int
        Increments this task actually ran (several in one fit, for a model
        scored by its first rounds).
    finished : bool
        Whether the fold's last increment is done.
    estimator : estimator, PackedModel or None
        The partly fitted model to continue from, while not finished.
    """

    record: FoldRecord
    step_scores: list = field(default_factory=list)
    increments_run: int = 0
    finished: bool = True
    estimator: object = None


class PackedModel:
    """A partly fitted model pickled where it was fitted.

    Between two increments of a fold the model goes from the worker that fitted
    it to the scheduler, which only keeps it, and back to a worker with the
    next task. Sent as itself, it would be pickled and unpickled on each leg;
    the scheduler's process would rebuild a booster of hundreds of trees it
    never uses (0.3-0.5 s each way for an XGBoost model of 400 deep trees).
    A model leaving a worker process is therefore sent as these bytes, which
    cross processes as a copy, and unpickled once, by the next worker.
    """

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data

    @classmethod
    def of(cls, estimator):
        """The packed ``estimator``, or ``estimator`` itself if the standard
        pickle cannot take it (a class defined in a script's ``__main__``,
        which the backend's own pickler sends by value)."""
        try:
            return cls(pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))
        except (pickle.PicklingError, AttributeError, TypeError):
            return estimator

    def unpack(self):
        return pickle.loads(self.data)


def _unpacked(estimator):
    return estimator.unpack() if isinstance(estimator, PackedModel) else estimator


def fit_fold(context, task):
    """Fit ``clone(estimator).set_params(**parameters)`` on the fold and score it.

    Mirrors scikit-learn's ``_fit_and_score`` (cloning of parameters, pairwise
    splitting, ``error_score``, warnings). With ``context.increments`` the fit is
    cut into increments (see :mod:`sksearch._increments`) and the model scored
    after each; a plain fit is the one-increment case of the same loop.
    """
    return _FoldFit(context, task).run()


def _starting_model(context, task):
    """The model and record a task starts from: a fresh clone with the
    candidate's parameters, or where the fold's earlier increments left them."""
    previous = task.previous
    if previous is not None:
        estimator = _unpacked(previous.estimator)
        return estimator, replace(previous.record, spans=list(previous.record.spans))
    estimator = clone(context.estimator)
    if task.parameters:
        # clone the parameters too: an estimator given as a parameter (a
        # Pipeline step choice) must not be fitted in place and shared
        # between folds.
        estimator = estimator.set_params(**clone(task.parameters, safe=False))
    return estimator, FoldRecord(test_scores=None)


class _FoldFit:
    """One run of :func:`fit_fold`: the model, the fold's data and the outcome,
    which its steps (fit a span of increments, score it, record a failure,
    score the train split, close the task) share and update in turn."""

    def __init__(self, context, task):
        self.context, self.task = context, task
        increments = self.increments = context.increments
        self.n_steps = 1 if increments is None else increments.n
        self.steps = range(self.n_steps) if task.steps is None else task.steps
        # the schedule reads the grown parameter's final value from the estimator
        # as given, before an increment changed it
        self.schedule = None if increments is None else increments.schedule(
            context.estimator, task.parameters)
        self.estimator, self.record = _starting_model(context, task)
        self._split_fold()
        # the shareable prefix of a Pipeline (None: fitted as a whole), and
        # after the fit what scoring it needs (a SharedFit)
        self.prefix = None if task.previous is not None else plan_prefix(
            context, task, self.estimator, self.fit_params, context.origin == _PROCESS)
        self.shared = None
        self.outcome = FoldOutcome(record=self.record)
        self.begun = False  # whether the callbacks heard the task begin

    def _split_fold(self):
        """The train and test rows of X, y and of the sample-aligned fit and
        score parameters."""
        context, task = self.context, self.task
        X, y = context.X, context.y
        n_samples = _n_samples(X)
        self.fit_params = slice_sample_params(context.fit_params or {}, n_samples, task.train)
        score_params = context.score_params or {}
        self.score_params_train = slice_sample_params(score_params, n_samples, task.train)
        self.score_params_test = slice_sample_params(score_params, n_samples, task.test)
        self.X_train, self.y_train = _split(self.estimator, X, y, task.train)
        self.X_test, self.y_test = _split(self.estimator, X, y, task.test, task.train)
        self.record.n_test_samples = _n_samples(self.X_test)
        self.metadata = None
        if self.fit_params.get("sample_weight") is not None:
            self.metadata = {"sample_weight": self.fit_params["sample_weight"]}

    def _fits(self):
        """The increments each fit runs: all of the task's at once where the
        model can be scored after each by its first rounds, else one per fit."""
        steps = self.steps
        if (self.increments is not None and len(steps) > 1
                and self.increments.fits_at_once(self.estimator)):
            return [steps]
        return [range(index, index + 1) for index in steps]

    def run(self):
        """Fit and score the task's increments; the :class:`FoldOutcome`."""
        context, task, outcome = self.context, self.task, self.outcome
        if context.verbose > 9:
            start_msg = f"[CV{_progress_message(context.verbose, task.progress)}] START " + (
                _params_message(task.parameters))
            print(f"{start_msg}{(80 - len(start_msg)) * '.'}")
        task_start = time.time()
        try:
            for span in self._fits():
                if not self._fit_and_score(span):
                    break
            else:
                self._finish()
        finally:
            self._close(task_start)
        if not outcome.finished:
            # in the scheduler's own process (threads, n_jobs=1) nothing is pickled
            outcome.estimator = (self.estimator if context.origin == _PROCESS
                                 else PackedModel.of(self.estimator))
        if context.verbose > 1 and outcome.finished:
            print(_end_message(task.parameters, self.record, context.verbose, task.progress))
        return outcome

    def _fit_and_score(self, span):
        """Fit the increments of ``span`` and score the model after each;
        False when the fit failed, which ends the fold."""
        start = time.time()
        try:
            refitted = self._fit_span(span)
        except IncrementsError:
            raise
        except Exception as exc:
            self.record.fit_time += time.time() - start
            if self.context.error_score == "raise":
                raise
            self._fail(span, getattr(exc, "fit_error", None))
            return False
        self.record.fit_time += time.time() - start
        if self.shared is not None:
            self.record.fit_time += self.shared.fit_adjust
        self.outcome.increments_run += len(span)
        self._score_span(span, refitted)
        return True

    def _fit_span(self, span):
        """Run the increments in ``span``, the task's callbacks told it began;
        False when they changed nothing (a grown parameter that kept its
        value), so the previous score stands."""
        ctx = self.task.callback_ctx
        with _compat.propagate(ctx, self.estimator):
            if ctx is not None and not self.begun:
                # inside the propagation, as scikit-learn does: a callback
                # propagated to the estimator hears this task's begin from
                # the estimator's own root task (the same task), once
                ctx.call_on_fit_task_begin(estimator=self.task.caller, X=self.X_train,
                                           y=self.y_train, metadata=self.metadata)
                self.begun = True
            if self.prefix is not None:
                self.shared = self.prefix.fit(self.X_train, self.y_train, self.X_test)
                # a model grown from a smaller one is a new object
                self.estimator = self.shared.estimator
                return True
            if self.increments is None:
                _fit(self.estimator, self.X_train, self.y_train, self.fit_params)
                return True
            # a CatBoost model continues into a new object: keep the one returned
            self.estimator, refitted = fit_increment(
                self.estimator, self.X_train, self.y_train, self.fit_params, self.increments,
                self.schedule, span.start, self.context.classes, last=span[-1])
            return refitted

    def _score_span(self, span, refitted):
        """Score the model after each increment of ``span``; an increment that
        left the model as it was repeats the previous score."""
        context, outcome, schedule = self.context, self.outcome, self.schedule
        start = time.time()
        for index in span:
            repeats = (not refitted if index == span.start else
                       schedule[index] == schedule[index - 1])
            if repeats and outcome.step_scores:
                scores = outcome.step_scores[-1]
            else:
                model, X_test = self._scored_model(index, span[-1])
                scores = _score(model, X_test, self.y_test, context.scorer,
                                self.score_params_test, context.error_score)
            outcome.step_scores.append(scores)
        self.record.test_scores = outcome.step_scores[-1]
        self.record.score_time += time.time() - start
        if self.shared is not None:
            self.record.score_time += self.shared.score_adjust

    def _scored_model(self, index, last):
        """The model to score after increment ``index`` and the test rows it
        takes: the fitted tail and the shared prefix's transform of the test
        rows, when a prefix was shared and the scorer only predicts."""
        shared = self.shared
        if shared is not None and shared.tail is not None and shared.Xt_test is not None:
            return shared.tail, shared.Xt_test
        if self.increments is None:
            return self.estimator, self.X_test
        return self.increments.scored_model(self.estimator, self.schedule, index,
                                            last), self.X_test

    def _fail(self, span, fit_error=None):
        """Record a failed fit: the fold is over, and its remaining increments
        score as failed too. ``fit_error``: the traceback text of a shared
        prefix's failure, the same for every candidate sharing it."""
        context, outcome, record = self.context, self.outcome, self.record
        failed = _error_scores(context.scorer_names, context.error_score)
        outcome.increments_run += len(span)
        outcome.step_scores.extend([failed] * (self.n_steps - span.start))
        record.test_scores = failed
        if context.return_train_score:
            record.train_scores = failed
        record.fit_error = fit_error or format_exc()
        outcome.finished = True

    def _finish(self):
        """After the task's last increment: whether the fold is done, and then
        its train scores when asked for."""
        context, outcome = self.context, self.outcome
        outcome.finished = self.steps.stop >= self.n_steps
        if outcome.finished and context.return_train_score:
            # not in score_time, which times the test scoring as in scikit-learn
            self.record.train_scores = _score(self.estimator, self.X_train, self.y_train,
                                              context.scorer, self.score_params_train,
                                              context.error_score)

    def _close(self, task_start):
        """The task's span on the timeline, and its end told to the callbacks
        that heard it begin (also after an exception)."""
        self.record.spans.append([_worker_name(), task_start, max(task_start, time.time())])
        ctx = self.task.callback_ctx
        if ctx is not None and self.begun:
            ctx.call_on_fit_task_end(estimator=self.task.caller, X=self.X_train,
                                     y=self.y_train, metadata=self.metadata)


def _worker_name():
    """Host, process and thread: the worker a timeline gives a row."""
    return f"{platform.node()}:{os.getpid()}:{threading.current_thread().name}"


def _fit(estimator, X_train, y_train, fit_params):
    if y_train is None:
        estimator.fit(X_train, **fit_params)
    else:
        estimator.fit(X_train, y_train, **fit_params)


def _progress_message(verbose, progress):
    """`` 2/5`` (fold) at ``verbose > 2`` and ``; 3/10`` (candidate) at
    ``verbose > 9``, as scikit-learn prints them."""
    if progress is None or verbose <= 2:
        return ""
    (fold, n_splits), (candidate, n_candidates) = progress
    message = f" {fold + 1}/{n_splits}"
    if verbose > 9:
        message += f"; {candidate + 1}/{n_candidates}"
    return message


def _params_message(parameters):
    return ", ".join(f"{k}={parameters[k]}" for k in sorted(parameters))


def _end_message(parameters, record, verbose, progress):
    """The line GridSearchCV prints at the end of a fold at ``verbose > 1``:
    ``[CV 1/5] END ....C=1, gamma=0.1;, score=0.950 total time=   0.0s``."""
    end_msg = f"[CV{_progress_message(verbose, progress)}] END "
    params_msg = _params_message(parameters)
    result_msg = params_msg + (";" if params_msg else "")
    if verbose > 2:
        test, train = record.test_scores, record.train_scores
        if isinstance(test, dict):
            for name in sorted(test):
                result_msg += f" {name}: ("
                if train is not None:
                    result_msg += f"train={train[name]:.3f}, "
                result_msg += f"test={test[name]:.3f})"
        elif train is not None:
            result_msg += f", score=(train={train:.3f}, test={test:.3f})"
        else:
            result_msg += f", score={test:.3f}"
    total = record.fit_time + record.score_time
    result_msg += f" total time={short_format_time(total)}"
    return end_msg + "." * (80 - len(end_msg) - len(result_msg)) + result_msg


def warn_about_fit_failures(results, error_score):
    """Warn, as scikit-learn's searches do, when some fits failed; raise when
    every one of them did."""
    errors = [r.fit_error for r in results if r.fit_error is not None]
    if not errors:
        return
    n_fits, n_failed = len(results), len(errors)
    counts = {}
    for error in errors:
        counts[error] = counts.get(error, 0) + 1
    summary = "\n".join(
        f"{'-' * 80}\n{n} fits failed with the following error:\n{error}"
        for error, n in counts.items()
    )
    if n_failed == n_fits:
        raise ValueError(
            f"\nAll the {n_fits} fits failed.\nIt is very likely that your model is "
            "misconfigured.\nYou can try to debug the error by setting "
            f"error_score='raise'.\n\nBelow are more details about the failures:\n{summary}"
        )
    warnings.warn(
        f"\n{n_failed} fits failed out of a total of {n_fits}.\nThe score on these "
        f"train-test partitions for these parameters will be set to {error_score}.\n"
        "If these failures are not expected, you can try to debug them by setting "
        f"error_score='raise'.\n\nBelow are more details about the failures:\n{summary}",
        FitFailedWarning,
    )
