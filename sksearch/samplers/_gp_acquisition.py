"""Maximising the GP sampler's acquisition, log expected improvement, over a unit box.

Three stages, each on legal points of the box (stepped and categorical
columns snapped by :meth:`sksearch._box.UnitBox.snap` before the acquisition
is evaluated):

1. **candidates**: a scrambled Sobol sample of the box (quasi-random, so it
   covers the box evenly; categorical columns cut into equal cells) and
   Gaussian perturbations of the best observed points, where the optimum
   usually is once a few good trials are known;
2. **local refinement** of the best few candidates at once: L-BFGS-B on the
   numerical columns (stepped ones relaxed to the continuum, then snapped),
   with the analytic gradient of log EI;
3. **coordinate moves** on the discrete columns (every other choice of a
   categorical, one and two steps either way of a stepped one), kept while
   they raise log EI.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
from scipy.optimize import minimize
from scipy.stats import qmc

from ._gp_model import log_expected_improvement

__all__ = ["maximise_log_ei"]

_N_STARTS = 5  # candidates refined by L-BFGS-B
_N_LOCAL = 20  # perturbations per good observed point
_LOCAL_SCALE = 0.05  # their standard deviation in the box
_SWEEPS = 2  # passes of coordinate moves


def sobol_points(n_dims, n, seed, skip=0):
    """``n`` points of a scrambled Sobol sequence in ``[0, 1)^n_dims``, from
    position ``skip`` on (warnings about sizes that are not powers of two
    silenced)."""
    engine = qmc.Sobol(n_dims, scramble=True, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if skip:
            engine.fast_forward(skip)
        return engine.random(n)


def legal(box, u):
    """Points of ``[0, 1)^d`` to legal points of the box: categorical columns
    cut into one equal cell per choice, stepped ones snapped."""
    u = np.array(u, dtype=float)
    for j in np.flatnonzero(box.categorical):
        u[:, j] = np.minimum(np.floor(u[:, j] * box.n_choices[j]), box.n_choices[j] - 1)
    return box.snap(u)


def _log_ei(gp, best, X):
    """Log EI at points already legal (and imputed)."""
    mean, var = gp.predict(X)
    return log_expected_improvement(mean, var, best)[0]


def _candidates(gp, box, rng, good, n_candidates):
    """Sobol points of the box and perturbations of the ``good`` points."""
    seed = int(rng.integers(2**32))
    points = [legal(box, sobol_points(box.n_dims, n_candidates, seed))]
    num = np.flatnonzero(~box.categorical)
    if len(good) and len(num):
        local = np.repeat(good, _N_LOCAL, axis=0)
        local[:, num] += rng.normal(0.0, _LOCAL_SCALE, (len(local), len(num)))
        local[:, num] = np.clip(local[:, num], 0.0, 1.0)
        points.append(box.snap(local))
    return np.vstack(points)


def _refine(gp, box, best, starts, impute):
    """L-BFGS-B on the numerical columns of all ``starts`` at once (a sum of
    independent terms), then snapped; inactive conditional coordinates are
    held at their imputed value (no gradient)."""
    num = np.flatnonzero(~box.categorical)
    if not len(num):
        return starts
    B, p = len(starts), len(num)

    def objective(flat):
        X = starts.copy()
        X[:, num] = flat.reshape(B, p)
        X, mask = impute(X)
        mean, var, dmean, dvar = gp.predict_with_gradient(X)
        value, d_mean, d_var = log_expected_improvement(mean, var, best)
        grad = d_mean[:, None] * dmean + d_var[:, None] * dvar
        grad[mask[:, num]] = 0.0
        return -value.sum(), -grad.ravel()

    with np.errstate(all="ignore"):
        result = minimize(objective, starts[:, num].ravel(), jac=True, method="L-BFGS-B",
                          bounds=[(0.0, 1.0)] * (B * p), options={"maxiter": 200})
    out = starts.copy()
    if np.all(np.isfinite(result.x)):
        out[:, num] = np.clip(result.x.reshape(B, p), 0.0, 1.0)
    return impute(box.snap(out))[0]


def _neighbours(box, x):
    """Points differing from ``x`` in one discrete column: every other
    choice of a categorical, one and two grid steps of a stepped column."""
    rows = []
    for j in np.flatnonzero(box.categorical):
        for c in range(box.n_choices[j]):
            if c != x[j]:
                row = x.copy()
                row[j] = c
                rows.append(row)
    stepped = [j for j in np.flatnonzero(~box.categorical)
               if box.distributions[j].step is not None]
    if stepped:
        internal = box.from_unit(x[None, :])[0]
        for j in stepped:
            step = float(box.distributions[j].step)
            for delta in (-2, -1, 1, 2):
                row = internal.copy()
                row[j] = internal[j] + delta * step
                if box.distributions[j].low <= row[j] <= box.distributions[j]._grid_high:
                    rows.append(box.snap(box.to_unit(row[None, :]))[0])
    return np.array(rows).reshape(-1, box.n_dims)


def _coordinate_moves(gp, box, best, x, value, impute):
    """Greedy moves of one discrete coordinate at a time from ``x``."""
    for _ in range(_SWEEPS):
        moves = impute(_neighbours(box, x))[0]
        if not len(moves):
            break
        values = _log_ei(gp, best, moves)
        k = int(np.argmax(values))
        if not values[k] > value:
            break
        x, value = moves[k], values[k]
    return x, value


def _no_imputation(X):
    return X, np.zeros(np.shape(X), dtype=bool)


def maximise_log_ei(gp, box, best, rng, good=(), n_candidates=1024, impute=None):
    """The legal point of the box with the highest log EI found.

    Parameters
    ----------
    gp : GaussianProcess
    box : UnitBox
    best : float
        The incumbent, in the GP's standardised values.
    rng : numpy.random.Generator
    good : ndarray of shape (k, d)
        Good observed points, around which candidates are also drawn.
    n_candidates : int, default=1024
        Sobol candidates.
    impute : callable or None, default=None
        ``impute(X) -> (X, mask)``: points with their inactive conditional
        coordinates set to the value the GP was fitted with, and the mask of
        those (:meth:`sksearch.samplers._gp_space.Branches.impute`).

    Returns
    -------
    point : ndarray of shape (d,)
    """
    impute = impute or _no_imputation
    candidates = impute(_candidates(gp, box, rng,
                                    np.asarray(good, float).reshape(-1, box.n_dims),
                                    n_candidates))[0]
    values = _log_ei(gp, best, candidates)
    order = np.argsort(-values, kind="stable")
    _, first = np.unique(candidates[order], axis=0, return_index=True)
    starts = candidates[order[np.sort(first)[:_N_STARTS]]]
    refined = _refine(gp, box, best, starts, impute)
    pool = np.vstack([starts, refined])
    pool_values = _log_ei(gp, best, pool)
    discrete = box.categorical.any() or box.stepped
    if discrete:
        top = np.argsort(-pool_values, kind="stable")[:_N_STARTS]
        moved = [_coordinate_moves(gp, box, best, pool[i], pool_values[i], impute)
                 for i in top]
        pool = np.vstack([pool, [m[0] for m in moved]])
        pool_values = np.concatenate([pool_values, [m[1] for m in moved]])
    return pool[int(np.argmax(pool_values))]
