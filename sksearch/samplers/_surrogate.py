"""A global linear-quadratic surrogate for CMA-ES, in the style of lq-CMA-ES.

After N. Hansen, "A Global Surrogate Assisted CMA-ES" (GECCO 2019): a
polynomial model of the objective -- linear, then with a diagonal quadratic
part, then fully quadratic as data accumulate -- is fitted by weighted least
squares to recently evaluated points. A generation's samples are evaluated in
the order the model ranks them, a few at a time; as soon as the model ranks
the recent evaluated points like the objective does (Kendall's tau above a
threshold), the rest of the generation is ranked by the model alone.

This module only fits, predicts and scores; :mod:`.cmaes` decides which
sample becomes a trial and tells CMA-ES. Written from the paper's description
(the threshold 0.85, the batch growth 1.5 and the tau window as we understand
it); the constants marked as ours were chosen on benchmark seeds 100 and up.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import functools
import math

import numpy as np
from scipy.linalg import get_lapack_funcs, lstsq

__all__ = ["QuadraticModel", "batch_sizes", "kendall_tau", "tau_window", "window_size"]

# Kendall's tau between model and objective on the recent points above which
# the model may stand in for the objective (Hansen 2019).
TAU_THRESHOLD = 0.85
# A model needs this many data per coefficient: fewer, and a fit that nearly
# interpolates its data ranks them well whatever the objective is, so the
# in-sample tau would say little. And the data window: the most recent
# points, this many times the coefficients of the richest model (older points
# describe a region the search has left). Both ours, chosen on benchmark seeds
# 100-119 among (1.1, 2), (1.5, 2), (2, 2), (1.5, 3), (1.5, 1.5), (1.2, 1.5)
# and (1.2, 1.25): smaller windows converge faster on the noiseless problems
# (rosenbrock5, ackley5) but, below 1.5, do worse on the noisy sphere.
MIN_DATA_PER_COEF = 1.5
WINDOW_FACTOR = 1.5
# The full quadratic model only up to this many coefficients (12 dimensions;
# ours): its fit costs O(m p^2) for p coefficients and m ~ 1.5 p data, 10 to
# 80 ms per fit at 20 dimensions (231 coefficients; single- or multi-threaded
# BLAS on a busy 2-core machine), against well under 1 ms for the diagonal
# model. Beyond it, the model stays diagonal-quadratic, which still captures
# scaling but not rotation.
MAX_FULL_COEFS = 91
# Batches of evaluations grow by this factor (Hansen 2019): few evaluations
# when the model is good, and at most about log_1.5(lambda) refits when it is not.
BATCH_GROWTH = 1.5


# Fits with at least this many coefficients run with one BLAS thread (ours):
# they are small enough that threads do not pay, and on a busy machine (other
# processes, or parallel trials) a multithreaded BLAS oversubscribes the
# cores: a 137 x 91 fit (12 dimensions) took 37 ms instead of 0.5 ms on 2
# busy cores. Smaller fits stay below OpenBLAS's own threading threshold and
# skip the switch, which costs about 0.3 ms.
ONE_THREAD_COEFS = 40
_controller = None


def _one_blas_thread(n_coefs):
    """A context in which BLAS uses one thread (for ``n_coefs`` at least
    ``ONE_THREAD_COEFS``; otherwise it does nothing)."""
    global _controller
    if n_coefs < ONE_THREAD_COEFS:
        return contextlib.nullcontext()
    if _controller is None:
        # threadpoolctl comes with scikit-learn; built once, since finding the
        # loaded libraries takes milliseconds
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def n_coefficients(dim, kind):
    """Coefficients of the linear, diagonal-quadratic or full-quadratic model."""
    return {"linear": dim + 1, "diagonal": 2 * dim + 1,
            "full": (dim + 1) * (dim + 2) // 2}[kind]


def model_kinds(dim):
    """The models allowed in ``dim`` dimensions, richest first."""
    kinds = ("full", "diagonal", "linear")
    return kinds if n_coefficients(dim, "full") <= MAX_FULL_COEFS else kinds[1:]


@functools.lru_cache(maxsize=64)
def window_size(dim, popsize):
    """Most recent evaluated points a model is fitted to: ``WINDOW_FACTOR``
    times the coefficients of the richest model, and at least the largest
    window of the tau test (in 2 dimensions the former is only 9)."""
    return max(int(math.ceil(WINDOW_FACTOR * n_coefficients(dim, model_kinds(dim)[0]))),
               tau_window(popsize, popsize))


def tau_window(popsize, evaluated):
    """How many of the most recent points Kendall's tau is computed on, after
    ``evaluated`` samples of the current generation: at least 15, so that one
    lucky batch cannot pass the test, and up to three quarters of a generation
    (Hansen 2019)."""
    return max(15, min(int(math.ceil(1.2 * evaluated)), int(math.ceil(0.75 * popsize))))


def batch_sizes(popsize):
    """Cumulative numbers of evaluated samples at which a generation is checked.

    The first batch is ``ceil(popsize / 10)`` samples; each next one brings the
    total to ``ceil(1.5 * total)`` (at least one more), up to the whole
    population, which is plain CMA-ES when the model never becomes good.

    Parameters
    ----------
    popsize : int

    Returns
    -------
    list of int
        Increasing, ending with ``popsize``.
    """
    sizes = [max(1, int(math.ceil(popsize / 10)))]
    while sizes[-1] < popsize:
        sizes.append(min(popsize, max(sizes[-1] + 1, int(math.ceil(BATCH_GROWTH * sizes[-1])))))
    return sizes


@functools.lru_cache(maxsize=64)
def batch_schedule(popsize):
    """:func:`batch_sizes` as a tuple, computed once per population size (it
    is read at every ask)."""
    return tuple(batch_sizes(popsize))


def kendall_tau(a, b):
    """Kendall's tau-b between two samples (ties counted as neither order).

    Vectorised over all pairs, which for the few dozen points it is used on
    is faster than :func:`scipy.stats.kendalltau`.

    Parameters
    ----------
    a, b : ndarray of shape (k,)

    Returns
    -------
    float
        In [-1, 1]; ``nan`` when either sample is constant.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    upper = _upper_pairs(len(a))
    sa = np.sign(a[:, None] - a[None, :])[upper]
    sb = np.sign(b[:, None] - b[None, :])[upper]
    denominator = math.sqrt(float(np.count_nonzero(sa)) * float(np.count_nonzero(sb)))
    return float(np.dot(sa, sb) / denominator) if denominator else math.nan


@functools.lru_cache(maxsize=64)
def _upper_pairs(n):
    """``np.triu_indices(n, 1)``, read-only: built once per size, since it
    costs more than the products it indexes (the tau test and the model's
    cross terms ask for the same few sizes at every ask)."""
    pairs = np.triu_indices(n, 1)
    for index in pairs:
        index.flags.writeable = False
    return pairs


class QuadraticModel:
    """Weighted least-squares polynomial model of the objective.

    The richest of linear, diagonal-quadratic and full-quadratic models for
    which there are ``MIN_DATA_PER_COEF`` data per coefficient (no full model
    beyond ``MAX_FULL_COEFS`` coefficients, i.e. 12 dimensions). Coordinates
    are centred on the best point and scaled by the data's spread per
    coordinate before the fit: the fit is then a function of the data alone
    (not of the CMA-ES state, so a stored study replays it exactly) and stays
    well conditioned when the search has contracted to a tiny region.

    Parameters
    ----------
    points : ndarray of shape (m, n)
        Evaluated points (unit box).
    values : ndarray of shape (m,)
        Their losses (to minimise).

    Attributes
    ----------
    kind : {"linear", "diagonal", "full"} or None
        ``None`` when there are too few data for even the linear model.
    """

    def __init__(self, points, values):
        points = np.asarray(points, dtype=float)
        values = np.asarray(values, dtype=float)
        m, n = points.shape
        self.kind = None
        for kind in model_kinds(n):
            if m >= MIN_DATA_PER_COEF * n_coefficients(n, kind):
                self.kind = kind
                break
        if self.kind is None:
            return
        # Rank weights, linear from the best point (1) to the worst (1/m):
        # the fit is most accurate where selection happens, and far, poor
        # points (where a quadratic fits a non-quadratic objective worst)
        # pull it least.
        ranks = np.empty(m)
        ranks[np.argsort(values, kind="stable")] = np.arange(m)
        weights = 1 - ranks / m
        self.centre = points[np.argmin(values)]
        scale = _std(points, axis=0)
        self.scale = np.where(scale > 0, scale, 1.0)
        features = self._features(points)
        # values are centred and scaled too, so that rcond acts the same way
        # on an objective of any magnitude
        self.offset, self.spread = _median(values), float(_std(values)) or 1.0
        root = np.sqrt(weights)[:, None]
        with _one_blas_thread(features.shape[1]):
            # QR with column pivoting (gelsy): rank-revealing like the SVD, for
            # data that do not determine every coefficient, and several times
            # faster
            self.coef = _gelsy(features * root, root[:, 0] * (values - self.offset) / self.spread)

    def _features(self, points):
        # filled into one array rather than stacked from pieces: the same
        # values, in the same (C-contiguous) layout, for fewer numpy calls
        z = (np.asarray(points, dtype=float) - self.centre) / self.scale
        k, n = z.shape
        features = np.empty((k, n_coefficients(n, self.kind)))
        features[:, 0] = 1.0
        features[:, 1:n + 1] = z
        if self.kind in ("diagonal", "full"):
            np.square(z, out=features[:, n + 1:2 * n + 1])
        if self.kind == "full":
            i, j = _upper_pairs(n)
            np.multiply(z[:, i], z[:, j], out=features[:, 2 * n + 1:])
        return features

    def predict(self, points):
        """Model values of ``points`` (ndarray of shape (k, n)), in loss units."""
        return self.offset + self.spread * (self._features(points) @ self.coef)


# The helpers below compute what numpy's and scipy's functions do, with the
# same arithmetic (so the same bits), without the Python layers around it:
# a fit happens at almost every ask, and those layers were most of its cost.

def _std(x, axis=None):
    """``np.std(x, axis=axis)``: the same reductions in the same order."""
    n = x.shape[0] if axis == 0 else x.size
    mean = np.add.reduce(x, axis=axis, keepdims=True)
    np.true_divide(mean, n, out=mean)
    deviation = x - mean
    np.square(deviation, out=deviation)
    return np.sqrt(np.add.reduce(deviation, axis=axis) / n)


def _median(values):
    """``float(np.median(values))`` of a non-empty 1-D array."""
    ordered = np.sort(values)
    m = len(ordered)
    low, high = float(ordered[(m - 1) // 2]), float(ordered[m // 2])
    if not (math.isfinite(ordered[-1]) and math.isfinite(ordered[0])) or low == 0 or high == 0:
        # NaN, infinities and signed zeros: as numpy treats them
        return float(np.median(values))
    return low if m % 2 else (low + high) / 2


@functools.lru_cache(maxsize=1)
def _gelsy_routines():
    probe = np.empty((1, 1))
    return get_lapack_funcs(("gelsy", "gelsy_lwork"), (probe, probe[:, 0]))


@functools.lru_cache(maxsize=256)
def _gelsy_work_size(m, n):
    """LAPACK's workspace for a gelsy least-squares fit of this shape, as
    ``scipy.linalg.lstsq`` asks for it (the shapes recur at every ask)."""
    _, query = _gelsy_routines()
    work, info = query(m, n, 1, np.finfo(float).eps)
    if info != 0:
        raise ValueError(f"LAPACK's work size query failed for a {m} x {n} fit: {info}")
    return int(work.real)


def _gelsy(a, b):
    """``scipy.linalg.lstsq(a, b, lapack_driver="gelsy", check_finite=False)[0]``
    for float64 ``a`` of shape (m, n), m >= n, and ``b`` of shape (m,): the
    same LAPACK call with the same arguments and workspace."""
    m, n = a.shape
    if m < n:
        return lstsq(a, b, lapack_driver="gelsy", check_finite=False)[0]
    routine, _ = _gelsy_routines()
    pivots = np.zeros((n, 1), dtype=np.int32)
    _, x, _, _, info = routine(a, b, pivots, np.finfo(float).eps, _gelsy_work_size(m, n),
                               False, False)
    if info < 0:
        raise ValueError(f"illegal value in argument {-info} of LAPACK's gelsy")
    return x[:n]
