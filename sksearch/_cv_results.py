"""Build ``cv_results_`` in exactly scikit-learn's format.

Keys, dtypes, masking and ranking follow ``BaseSearchCV._format_results``, so
``pd.DataFrame(search.cv_results_)`` and every script reading it keep working.
Two additions for what a grid search never has: a ``status`` column
(``"complete"``, ``"pruned"`` or ``"fail"``) and NaN in the split columns of folds
a pruned candidate never ran.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from collections import defaultdict

import numpy as np
from numpy.ma import MaskedArray
from scipy.stats import rankdata

__all__ = ["format_cv_results", "rank_scores"]


def _masked_param_arrays(candidate_params):
    """One masked array per parameter, masked where a candidate lacks it
    (the same dtype rules as scikit-learn)."""
    n_candidates = len(candidate_params)
    by_param = defaultdict(dict)
    for index, params in enumerate(candidate_params):
        for name, value in params.items():
            by_param[f"param_{name}"][index] = value
    for key, values in by_param.items():
        try:
            arr = np.array(list(values.values()))
        except ValueError:
            dtype = np.dtype(object)
        else:
            dtype = arr.dtype if arr.dtype.kind != "U" and arr.ndim == 1 else object
        masked = MaskedArray(np.empty(n_candidates, dtype=dtype), mask=True)
        for index, value in values.items():
            masked[index] = value
        yield key, masked


def rank_scores(means, pruned):
    """Rank by mean score, greater first, with ties sharing the lowest rank.

    Non-finite means tie with the worst, as in scikit-learn. Pruned candidates
    rank after every other one, so they can never be chosen as best.
    """
    means = np.asarray(means, dtype=float)
    pruned = np.asarray(pruned, dtype=bool)
    ranks = np.empty(len(means), dtype=np.int32)
    offset = 0
    for group in (~pruned, pruned):
        values = means[group]
        if values.size == 0:
            continue
        if np.isnan(values).all():
            group_ranks = np.ones(values.size, dtype=np.int32)
        else:
            values = np.where(np.isnan(values), np.nanmin(values) - 1, values)
            group_ranks = rankdata(-values, method="min").astype(np.int32)
        ranks[group] = group_ranks + offset
        offset += values.size
    return ranks


def format_cv_results(candidate_params, fold_results, statuses, n_splits,
                      return_train_score):
    """Assemble the ``cv_results_`` dict.

    Parameters
    ----------
    candidate_params : list of dict
        Estimator parameters of each candidate, in trial order.
    fold_results : list of list
        For each candidate, ``n_splits`` entries: a
        :class:`~sksearch._records.FoldRecord`, or ``None`` for a fold that was
        not run (pruned).
    statuses : list of str
    n_splits : int
    return_train_score : bool
    """
    n_candidates = len(candidate_params)
    ran_mask = ~_unrun_mask(fold_results, n_splits)
    pruned = np.array([s == "pruned" for s in statuses], dtype=bool)
    results = {}

    def folds_of(key):
        return [[None if f is None else getattr(f, key) for f in folds]
                for folds in fold_results]

    def store(name, values, splits=False, rank=False):
        array = np.array(values, dtype=np.float64).reshape(n_candidates, n_splits)
        if splits:
            for split in range(n_splits):
                results[f"split{split}_{name}"] = array[:, split]
        means, stds = _mean_and_std(array, ran_mask)
        results[f"mean_{name}"] = means
        if name.startswith(("train_", "test_")) and np.any(~np.isfinite(means[~pruned])):
            warnings.warn(
                f"One or more of the {name.split('_')[0]} scores are non-finite: "
                f"{means}",
                category=UserWarning,
            )
        results[f"std_{name}"] = stds
        if rank:
            results[f"rank_{name}"] = rank_scores(means, pruned)

    store("fit_time", _fill(folds_of("fit_time")))
    store("score_time", _fill(folds_of("score_time")))
    for key, masked in _masked_param_arrays(candidate_params):
        results[key] = masked
    results["params"] = list(candidate_params)

    test_scores = _by_metric(folds_of("test_scores"))
    for metric, values in test_scores.items():
        store(f"test_{metric}", values, splits=True, rank=True)
        if return_train_score:
            train_values = _by_metric(folds_of("train_scores"))[metric]
            store(f"train_{metric}", train_values, splits=True)
    results["status"] = np.array(statuses, dtype=object)
    return results


def _mean_and_std(array, ran_mask):
    """Per-candidate mean and std over the folds that ran. Candidates that ran
    every fold use scikit-learn's exact formulas, so values match bit for bit."""
    means = np.full(array.shape[0], np.nan)
    stds = np.full(array.shape[0], np.nan)
    full = ran_mask.all(axis=1)
    if full.any():
        rows = array[full]
        means[full] = np.average(rows, axis=1)
        stds[full] = np.sqrt(np.average((rows - means[full][:, np.newaxis]) ** 2, axis=1))
    for i in np.flatnonzero(~full & ran_mask.any(axis=1)):
        row = array[i, ran_mask[i]]
        means[i] = np.average(row)
        stds[i] = np.sqrt(np.average((row - means[i]) ** 2))
    return means, stds


def _unrun_mask(fold_results, n_splits):
    return np.array([[f is None for f in folds] for folds in fold_results],
                    dtype=bool).reshape(len(fold_results), n_splits)


def _fill(rows):
    return [[np.nan if v is None else v for v in row] for row in rows]


def _by_metric(rows):
    """Split per-fold scores into ``{metric: rows}``; a single metric is
    called ``"score"`` as in scikit-learn.

    A failed fold of a callable multi-metric scorer holds the bare
    ``error_score`` (its metric names were unknown when it failed): it counts
    for every metric, as scikit-learn's ``_insert_error_scores`` does.
    """
    first = next((v for row in rows for v in row if isinstance(v, dict)), None)
    if first is None:
        return {"score": _fill(rows)}

    def value(v, metric):
        if v is None:
            return np.nan
        return v[metric] if isinstance(v, dict) else v

    return {m: [[value(v, m) for v in row] for row in rows] for m in first}
