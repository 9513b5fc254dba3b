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
import time
import warnings
from traceback import format_exc

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import _safe_indexing, get_tags

from . import _compat
from ._increments import IncrementsError, fit_increment

__all__ = ["fit_and_score_fold", "slice_sample_params"]


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
        scores = scorer(estimator, X, y, **score_params)
    except Exception:
        if error_score == "raise":
            raise
        names = list(scorer._scorers) if hasattr(scorer, "_scorers") else None
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


def fit_and_score_fold(estimator, X, y, *, train, test, parameters, scorer,
                       fit_params, score_params, return_train_score, error_score,
                       scorer_names=None, callback_ctx=None, caller=None,
                       verbose=0, progress=None, increments=None, steps=None,
                       previous=None, classes=None):
    """Fit ``clone(estimator).set_params(**parameters)`` on ``train`` and score it.

    Returns a dict with ``test_scores`` (a float, or a dict for several metrics),
    ``train_scores`` if asked, ``fit_time``, ``score_time``, ``n_test_samples``
    and ``fit_error`` (the formatted traceback, or ``None``).

    With ``increments`` (an :class:`~sksearch._increments.Increments`) the fit
    is cut into increments and the model scored after each: this call runs the
    increments in ``steps`` (a range; all by default), continuing from
    ``previous``, what the call that ran the earlier increments of the same
    fold returned (its estimator and times). The dict then also has
    ``increment_scores`` (the test scores after each increment run),
    ``increments_run`` (fewer than the scores when a failure ended the fold:
    its remaining increments score as failed), ``finished`` (whether the
    fold's last increment is done), and, when it is not, ``estimator`` to
    continue from; ``train_scores`` come with the last increment, and the
    times are the fold's so far.
    """
    # the schedule reads the grown parameter's final value from the estimator
    # as given, before an increment changed it
    schedule = None if increments is None else increments.schedule(estimator, parameters)
    if previous is None:
        estimator = clone(estimator)
        if parameters:
            # clone the parameters too: an estimator given as a parameter (a
            # Pipeline step choice) must not be fitted in place and shared
            # between folds.
            estimator = estimator.set_params(**clone(parameters, safe=False))
    else:
        estimator = previous["estimator"]
    if increments is None:
        steps = range(1)
    elif steps is None:
        steps = range(increments.n)
    n_samples = _n_samples(X)
    fit_params = slice_sample_params(fit_params or {}, n_samples, train)
    score_params = score_params or {}
    score_params_train = slice_sample_params(score_params, n_samples, train)
    score_params_test = slice_sample_params(score_params, n_samples, test)

    X_train, y_train = _split(estimator, X, y, train)
    X_test, y_test = _split(estimator, X, y, test, train)
    metadata = None
    if fit_params.get("sample_weight") is not None:
        metadata = {"sample_weight": fit_params["sample_weight"]}

    result = {"n_test_samples": _n_samples(X_test), "fit_error": None,
              "fit_time": 0.0 if previous is None else previous["fit_time"],
              "score_time": 0.0 if previous is None else previous["score_time"]}
    scores_by_step = []
    if callback_ctx is not None:
        callback_ctx.call_on_fit_task_begin(
            estimator=caller, X=X_train, y=y_train, metadata=metadata)
    try:
        for index in steps:
            start = time.time()
            try:
                with _compat.propagate(callback_ctx, estimator):
                    if increments is None:
                        _fit(estimator, X_train, y_train, fit_params)
                        refitted = True
                    else:
                        refitted = fit_increment(estimator, X_train, y_train, fit_params,
                                                 increments, schedule, index, classes)
            except IncrementsError:
                raise
            except Exception:
                result["fit_time"] += time.time() - start
                if error_score == "raise":
                    raise
                # The fold is over: its remaining increments score as failed too,
                # so every candidate reports the same number of steps.
                failed = _error_scores(scorer_names, error_score)
                result["increments_run"] = len(scores_by_step) + 1
                fold_end = 1 if increments is None else increments.n
                scores_by_step.extend([failed] * (fold_end - index))
                result["test_scores"] = failed
                if return_train_score:
                    result["train_scores"] = failed
                result["fit_error"] = format_exc()
                result["finished"] = True
                break
            result["fit_time"] += time.time() - start
            start = time.time()
            if refitted or not scores_by_step:
                scores = _score(estimator, X_test, y_test, scorer, score_params_test,
                                error_score)
            else:  # the grown parameter kept its value: the model did not change
                scores = scores_by_step[-1]
            scores_by_step.append(scores)
            result["test_scores"] = scores
            result["score_time"] += time.time() - start
        else:
            result["finished"] = increments is None or steps.stop >= increments.n
            if result["finished"] and return_train_score:
                # not in score_time, which times the test scoring as in scikit-learn
                result["train_scores"] = _score(
                    estimator, X_train, y_train, scorer, score_params_train, error_score)
    finally:
        if callback_ctx is not None:
            callback_ctx.call_on_fit_task_end(
                estimator=caller, X=X_train, y=y_train, metadata=metadata)

    if increments is None:
        del result["finished"]
        result.pop("increments_run", None)
    else:
        result["increment_scores"] = scores_by_step
        result.setdefault("increments_run", len(scores_by_step))
        if not result["finished"]:
            result["estimator"] = estimator
    if verbose > 1 and result.get("finished", True):
        print(_end_message(parameters, result, verbose, progress))
    return result


def _fit(estimator, X_train, y_train, fit_params):
    if y_train is None:
        estimator.fit(X_train, **fit_params)
    else:
        estimator.fit(X_train, y_train, **fit_params)


def _end_message(parameters, result, verbose, progress):
    """A line in the format GridSearchCV prints at ``verbose > 1``."""
    progress_msg = ""
    if progress is not None:
        (fold, n_splits), (candidate, n_candidates) = progress
        progress_msg = f" {fold + 1}/{n_splits}; {candidate + 1}/{n_candidates}"
    params_msg = ""
    if verbose > 2 and parameters:
        params_msg = ", ".join(f"{k}={v}" for k, v in sorted(parameters.items()))
    message = f"[CV{progress_msg}] END " + params_msg + (";" if params_msg else "")
    if verbose > 2:
        scores = result["test_scores"]
        if isinstance(scores, dict):
            for name in sorted(scores):
                message += f" {name}: (test={scores[name]:.3f})"
        else:
            message += f" score=(test={scores:.3f})"
    total = result["fit_time"] + result["score_time"]
    message += f" total time={total:>6.1f}s"
    return message


def warn_about_fit_failures(results, error_score):
    """Warn, as scikit-learn's searches do, when some fits failed; raise when
    every one of them did."""
    errors = [r["fit_error"] for r in results if r["fit_error"] is not None]
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
