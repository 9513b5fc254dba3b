"""Multi-objective primitives: Pareto dominance, crowding, hypervolume.

Pure numpy, vectorised, on an ``(n_points, n_objectives)`` array of values
to **minimise** (:func:`to_minimization` turns a study's values into that
form). These are what :attr:`sksearch.Study.best_trials`, the NSGA-II and
multi-objective TPE samplers and the analysis plots share.

References
----------
Deb, Pratap, Agarwal and Meyarivan (2002), "A fast and elitist multiobjective
genetic algorithm: NSGA-II", IEEE TEVC 6(2): non-dominated sorting (Sec. III-A),
crowding distance (III-B), constraint domination (Sec. VI, Definition 1).

While, Bradstreet and Barone (2012), "A fast way of calculating exact
hypervolumes", IEEE TEVC 16(1): the WFG algorithm (exclusive hypervolumes of
limited sets), used for three objectives and more.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = ["constrained_ranks", "constraint_violation", "crowding_distance",
           "hypervolume", "hypervolume_contributions", "non_dominated_sort",
           "pareto_front_mask", "pareto_front_trials", "to_minimization"]


def to_minimization(values, directions):
    """``values`` (n, m) with the maximised columns negated.

    Examples
    --------
    >>> to_minimization([[1.0, 2.0]], ["maximize", "minimize"]).tolist()
    [[-1.0, 2.0]]
    """
    values = np.asarray(values, dtype=float).reshape(-1, len(directions))
    signs = np.array([-1.0 if d == "maximize" else 1.0 for d in directions])
    return values * signs


def _domination_matrix(points):
    """``dom[i, j]``: point i Pareto-dominates point j (no worse everywhere,
    better somewhere)."""
    le = (points[:, None, :] <= points[None, :, :]).all(axis=2)
    lt = (points[:, None, :] < points[None, :, :]).any(axis=2)
    return le & lt


def pareto_front_mask(points):
    """Boolean mask of the points no other point dominates (equal points are
    all kept).

    Examples
    --------
    >>> pareto_front_mask([[1, 3], [2, 2], [3, 3], [2, 2]]).tolist()
    [True, True, False, True]
    """
    points = np.asarray(points, dtype=float)
    if len(points) == 0:
        return np.zeros(0, dtype=bool)
    if points.shape[1] == 2:
        return _front_mask_2d(points)
    return ~_domination_matrix(points).any(axis=0)


def _front_mask_2d(points):
    # Sort by the first objective (ties by the second); a point is on the
    # front when its second value is below every earlier point's, or equal to
    # an identical earlier point's: O(n log n).
    order = np.lexsort((points[:, 1], points[:, 0]))
    x, y = points[order, 0], points[order, 1]
    prev_min = np.minimum.accumulate(np.concatenate([[np.inf], y[:-1]]))
    mask_sorted = y < prev_min
    # an exact duplicate of a front point is on the front too
    same = np.concatenate([[False], (x[1:] == x[:-1]) & (y[1:] == y[:-1])])
    for i in np.flatnonzero(same):
        mask_sorted[i] = mask_sorted[i - 1]
    mask = np.empty(len(points), dtype=bool)
    mask[order] = mask_sorted
    return mask


def non_dominated_sort(points):
    """Rank of each point: 0 for the Pareto front, 1 for the front of what
    remains, and so on (Deb et al. 2002, Sec. III-A).

    Examples
    --------
    >>> non_dominated_sort([[1, 4], [2, 2], [3, 3], [4, 4], [0, 5]]).tolist()
    [0, 0, 1, 2, 0]
    """
    points = np.asarray(points, dtype=float)
    n = len(points)
    ranks = np.full(n, -1, dtype=int)
    if n == 0:
        return ranks
    dom = _domination_matrix(points)
    n_dominating = dom.sum(axis=0)
    remaining = np.ones(n, dtype=bool)
    rank = 0
    while remaining.any():
        front = remaining & (n_dominating == 0)
        ranks[front] = rank
        remaining &= ~front
        n_dominating = n_dominating - dom[front].sum(axis=0)
        rank += 1
    return ranks


def crowding_distance(points):
    """Crowding distance of each point within its set (Deb et al. 2002,
    Sec. III-B): the boundary points of each objective get ``inf``; the others
    the sum over objectives of the gap between their neighbours, divided by
    the objective's range (a constant objective adds nothing).

    Examples
    --------
    >>> crowding_distance([[0, 4], [1, 2], [2, 1], [4, 0]]).tolist()
    [inf, 1.25, 1.25, inf]
    """
    points = np.asarray(points, dtype=float)
    n, m = points.shape if points.ndim == 2 else (len(points), 0)
    distance = np.zeros(n)
    if n <= 2:
        distance[:] = np.inf
        return distance
    for k in range(m):
        order = np.argsort(points[:, k], kind="stable")
        column = points[order, k]
        span = column[-1] - column[0]
        distance[order[[0, -1]]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (column[2:] - column[:-2]) / span
    return distance


def constraint_violation(constraints):
    """Total violation of each row of constraint values: the sum of their
    positive parts (0 for a feasible point)."""
    constraints = np.asarray(constraints, dtype=float)
    return np.clip(constraints, 0.0, None).sum(axis=-1)


def constrained_ranks(points, violation):
    """Non-domination ranks under constraint domination (Deb et al. 2002,
    Definition 1): a feasible point (violation 0) dominates an infeasible one;
    of two infeasible points the smaller violation dominates; of two feasible
    points, Pareto dominance decides. Infeasible points rank after every
    feasible one, in order of violation (equal violations share a rank).

    Examples
    --------
    >>> constrained_ranks([[1, 1], [0, 0], [2, 0], [0, 2]], [0, 0.5, 0, 0.2]).tolist()
    [0, 2, 0, 1]
    """
    points = np.asarray(points, dtype=float)
    violation = np.asarray(violation, dtype=float)
    feasible = violation <= 0
    ranks = np.empty(len(points), dtype=int)
    ranks[feasible] = non_dominated_sort(points[feasible])
    start = ranks[feasible].max() + 1 if feasible.any() else 0
    _, infeasible_rank = np.unique(violation[~feasible], return_inverse=True)
    ranks[~feasible] = start + infeasible_rank.reshape(-1)
    return ranks


def hypervolume(points, reference):
    """The volume dominated by ``points`` and bounded by ``reference``
    (minimisation): the Lebesgue measure of the union of the boxes
    ``[p, reference]``. Points not strictly better than the reference in every
    objective add nothing.

    Exact for any number of objectives: a sweep for two, slabs of
    two-dimensional sweeps for three, the WFG algorithm (While et al. 2012)
    for more.

    Examples
    --------
    >>> hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4])
    6.0
    >>> hypervolume([[0, 0, 0]], [1, 2, 3])
    6.0
    """
    points, reference = _inside(points, reference)
    if len(points) == 0:
        return 0.0
    points = points[pareto_front_mask(points)]
    return float(_wfg(points, reference))


def _inside(points, reference):
    points = np.asarray(points, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if points.size == 0:
        return points.reshape(0, len(reference)), reference
    points = points.reshape(-1, len(reference))
    return points[(points < reference).all(axis=1)], reference


def _hv2d(points, reference):
    order = np.argsort(points[:, 0], kind="stable")
    x, y = points[order, 0], points[order, 1]
    best_y = np.minimum.accumulate(y)
    widths = np.diff(np.concatenate([x, [reference[0]]]))
    return float(np.sum(widths * (reference[1] - best_y)))


def _hv3d(points, reference):
    """Three objectives: sweep the third, summing the area the first two
    cover below each level times the slab's height."""
    order = np.argsort(points[:, 2], kind="stable")
    points = points[order]
    levels = np.append(points[1:, 2], reference[2])
    total = 0.0
    for k in range(len(points)):
        height = levels[k] - points[k, 2]
        if height > 0:
            total += _hv2d(points[:k + 1, :2], reference[:2]) * height
    return total


def _wfg(points, reference):
    """Hypervolume of a non-dominated set: the sum of each point's exclusive
    volume with respect to the points after it (While et al. 2012, Eq. 3)."""
    n, m = points.shape
    if n == 0:
        return 0.0
    if m == 2:
        return _hv2d(points, reference)
    if m == 3:
        return _hv3d(points, reference)
    if n == 1:
        return float(np.prod(reference - points[0]))
    # sorting by the last objective keeps the limited sets small
    points = points[np.argsort(points[:, -1], kind="stable")[::-1]]
    total = 0.0
    for i in range(n):
        total += _exclusive(points[i], points[i + 1:], reference)
    return total


def _exclusive(point, others, reference):
    inclusive = float(np.prod(reference - point))
    if len(others) == 0:
        return inclusive
    limited = np.maximum(others, point)
    limited = limited[pareto_front_mask(limited)]
    return inclusive - _wfg(limited, reference)


def hypervolume_contributions(points, reference):
    """Each point's exclusive contribution: how much the hypervolume of the
    set shrinks without it (0 for a dominated or duplicated point).

    Examples
    --------
    >>> hypervolume_contributions([[1, 3], [2, 2], [3, 1]], [4, 4]).tolist()
    [1.0, 1.0, 1.0]
    """
    points = np.asarray(points, dtype=float)
    reference = np.asarray(reference, dtype=float)
    n = len(points)
    contributions = np.zeros(n)
    if n == 0:
        return contributions
    inside = (points < reference).all(axis=1)
    on_front = pareto_front_mask(points) & inside
    # a point equal to another contributes nothing exclusive
    _, first, counts = np.unique(points, axis=0, return_index=True, return_counts=True)
    unique_once = np.zeros(n, dtype=bool)
    unique_once[first[counts == 1]] = True
    candidates = np.flatnonzero(on_front & unique_once)
    for i in candidates:
        others = np.delete(points, i, axis=0)
        others = others[(others < reference).all(axis=1)]
        contributions[i] = _exclusive(points[i], others, reference)
    return contributions


def pareto_front_trials(trials, directions):
    """The trials of ``trials`` (COMPLETE, with values) that no other one
    dominates, in the order given."""
    trials = [t for t in trials if t.values is not None]
    if not trials:
        return []
    points = to_minimization([t.values for t in trials], directions)
    mask = pareto_front_mask(points)
    return [t for t, keep in zip(trials, mask) if keep]
