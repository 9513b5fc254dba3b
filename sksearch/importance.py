"""Which hyperparameters mattered: fANOVA and permutation importances.

Both fit a random forest to the complete trials (parameters -> objective value)
and ask how much of its variation each parameter explains.

``method="fanova"`` (Hutter, Hoos & Leyton-Brown, 2014, "An Efficient Approach
for Assessing Hyperparameter Importance") computes, for every tree, the variance
of the tree's *marginal* prediction as a function of one parameter (all others
integrated out over the search space) relative to the tree's total variance,
exactly from the tree's partition, and averages over trees. ``"permutation"``
measures how much the forest's fit worsens when one parameter's column is
shuffled (cheaper to explain, biased towards correlated parameters).

Parameters are encoded in the unit box of their distribution (so a log-scaled
parameter counts by decades, not by raw value). A categorical choice ``c`` of
``K`` is encoded at ``(c + 0.5) / K``, so every choice has the same measure. A
conditional parameter, absent from some trials (a branch of a list-of-dicts
space, or a define-by-run ``if``), is filled there with random draws from its
box: a sentinel value would tell the forest which branch ran, and the
parameter would take credit for the branch choice itself.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
from sklearn.ensemble import RandomForestRegressor

from ._box import unit_of
from ._validation import Options, validate
from .distributions import Categorical
from .trial import TrialState

__all__ = ["param_importances"]

_CONSTRAINTS = {"method": Options("fanova", "permutation")}


def param_importances(study_or_search, *, method="fanova", n_trees=64, max_depth=64,
                      random_state=None, objective=None):
    """Share of the objective's variation explained by each parameter.

    Parameters
    ----------
    study_or_search : Study or fitted BayesSearchCV
    method : {"fanova", "permutation"}, default="fanova"
    objective : int or None, default=None
        With several objectives, the index of the one to explain (required);
        ``None`` for a study of one.
    n_trees : int, default=64
        Trees of the random forest.
    max_depth : int, default=64
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    importances : dict of str -> float
        Non-negative shares summing to 1, largest first.

    Examples
    --------
    >>> from sksearch import Study
    >>> from sksearch.importance import param_importances
    >>> study = Study(direction="minimize", sampler="random", random_state=0)
    >>> study.optimize(lambda t: 10 * t.suggest_float("x", -1, 1) ** 2
    ...                + t.suggest_float("y", -1, 1) + 0 * t.suggest_float("z", -1, 1),
    ...                n_trials=100)
    >>> shares = param_importances(study, random_state=0)
    >>> list(shares)[0], shares["z"] < 0.05
    ('x', True)

    Per objective of a study of several:

    >>> study = Study(directions=["minimize", "minimize"], sampler="random", random_state=0)
    >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)),
    ...                n_trials=60)
    >>> [list(param_importances(study, objective=k, random_state=0))[0] for k in (0, 1)]
    ['x', 'y']
    """
    validate(param_importances, {"method": method}, _CONSTRAINTS)
    study = getattr(study_or_search, "study_", study_or_search)
    rng = np.random.default_rng(_seed(random_state))
    names, X, y = _encode(study, rng, _objective_index(study, objective))
    forest = RandomForestRegressor(n_estimators=n_trees, max_depth=max_depth,
                                   min_samples_leaf=1, random_state=random_state)
    forest.fit(X, y)
    if method == "permutation":
        from sklearn.inspection import permutation_importance

        scores = permutation_importance(forest, X, y, n_repeats=10,
                                        random_state=random_state).importances_mean
    else:
        scores = np.mean([_tree_main_effects(tree.tree_, X.shape[1])
                          for tree in forest.estimators_], axis=0)
    scores = np.clip(np.nan_to_num(scores), 0.0, None)
    total = scores.sum()
    shares = scores / total if total > 0 else np.full(len(names), 1.0 / len(names))
    order = np.argsort(-shares, kind="stable")
    return {names[i]: float(shares[i]) for i in order}


def _seed(random_state):
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    return int(random_state.randint(0, 2**31 - 1))


def _objective_index(study, objective):
    n_objectives = len(study.directions)
    if objective is None:
        if n_objectives > 1:
            raise ValueError(
                f"The study has {n_objectives} objectives; pass objective=0 .. "
                f"{n_objectives - 1} to say which one to explain.")
        return 0
    if not (isinstance(objective, (int, np.integer)) and not isinstance(objective, bool)
            and 0 <= objective < n_objectives):
        raise ValueError(
            f"objective must be an int in [0, {n_objectives - 1}] or None, got {objective!r}.")
    return int(objective)


def _encode(study, rng, objective=0):
    trials = [t for t in study.get_trials((TrialState.COMPLETE,))
              if t.values is not None and math.isfinite(t.values[objective])]
    if len(trials) < 2:
        raise ValueError(
            f"Parameter importances need at least 2 complete trials; the study has "
            f"{len(trials)}."
        )
    distributions = {}
    for trial in trials:  # the latest distribution of each name wins
        distributions.update(trial.distributions)
    names = [n for n in sorted(distributions) if not distributions[n].is_single()]
    if not names:
        raise ValueError("No parameter varies between the complete trials.")
    X = rng.random((len(trials), len(names)))  # absent parameters stay random
    for j, name in enumerate(names):
        dist = distributions[name]
        rows = [i for i, t in enumerate(trials) if t.distributions.get(name) == dist]
        values = np.array([trials[i].internal_params[name] for i in rows], dtype=float)
        if isinstance(dist, Categorical):
            X[rows, j] = (values + 0.5) / len(dist.choices)
        else:
            X[rows, j] = unit_of(dist, values)
    y = np.array([t.values[objective] for t in trials], dtype=float)
    return names, X, y


def _leaf_boxes(tree, n_features):
    """Lower and upper bounds of every leaf's box in the unit cube, and its value."""
    lower, upper, values = [], [], []
    stack = [(0, np.zeros(n_features), np.ones(n_features))]
    while stack:
        node, low, high = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == -1:
            lower.append(low)
            upper.append(high)
            values.append(tree.value[node].ravel()[0])
            continue
        feature, threshold = tree.feature[node], tree.threshold[node]
        left_high = high.copy()
        left_high[feature] = min(high[feature], threshold)
        right_low = low.copy()
        right_low[feature] = max(low[feature], threshold)
        stack.append((left, low, left_high))
        stack.append((right, right_low, high))
    return np.array(lower), np.array(upper), np.array(values)


def _tree_main_effects(tree, n_features):
    """Variance of each feature's marginal prediction over the tree's total
    variance (Hutter et al., 2014, Sec. 3), from the leaves' boxes."""
    lower, upper, values = _leaf_boxes(tree, n_features)
    widths = np.clip(upper - lower, 0.0, None)  # the domain of every feature is [0, 1]
    volume = widths.prod(axis=1)
    mean = np.sum(volume * values)
    total = np.sum(volume * (values - mean) ** 2)
    effects = np.zeros(n_features)
    if total <= 0:
        return effects
    for j in range(n_features):
        cuts = np.unique(np.concatenate([[0.0, 1.0], lower[:, j], upper[:, j]]))
        cuts = cuts[(cuts >= 0.0) & (cuts <= 1.0)]
        centres = 0.5 * (cuts[:-1] + cuts[1:])
        segment = np.diff(cuts)
        # other dimensions integrated out: each leaf weighs its volume without j
        others = np.divide(volume, widths[:, j], out=np.zeros_like(volume),
                           where=widths[:, j] > 0)
        inside = (centres[:, None] >= lower[None, :, j]) & (centres[:, None] < upper[None, :, j])
        marginal = inside @ (others * values)
        effects[j] = np.sum(segment * (marginal - mean) ** 2) / total
    return effects
