"""The best value each scikit-learn scorer can reach, for the bound pruner."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

__all__ = ["score_upper_bound"]

# Scores in [.., 1]: a perfect prediction scores 1.
_AT_MOST_ONE = (
    "accuracy", "balanced_accuracy", "top_k_accuracy", "average_precision", "roc_auc",
    "f1", "precision", "recall", "jaccard", "r2", "explained_variance", "d2_",
    "adjusted_rand_score", "rand_score", "homogeneity_score", "completeness_score",
    "v_measure_score", "fowlkes_mallows_score", "adjusted_mutual_info_score",
    "normalized_mutual_info_score", "matthews_corrcoef",
)


def score_upper_bound(name):
    """The largest value scorer ``name`` can return, or ``None`` if unknown.

    Negated losses (``neg_*``) are at most 0; ratio-type and similarity scores
    that a perfect model reaches are at most 1.

    Examples
    --------
    >>> score_upper_bound("roc_auc_ovr"), score_upper_bound("neg_log_loss")
    (1.0, 0.0)
    >>> score_upper_bound("positive_likelihood_ratio") is None
    True
    """
    if not isinstance(name, str):
        return None
    if name.startswith("neg_"):
        return 0.0
    if any(name == prefix or name.startswith(prefix if prefix.endswith("_") else prefix + "_")
           for prefix in _AT_MOST_ONE):
        return 1.0
    return None
