"""A Gaussian-process regression model for the GP sampler (numpy and scipy only).

Framework-free: points are rows of the unit box (:class:`sksearch._box.UnitBox`),
numerical columns in ``[0, 1]`` and categorical ones holding a choice index;
values are losses (lower is better). The sampler in
:mod:`sksearch.samplers.gp` decides what to fit; this module is the maths.

* **Kernel.** A product of a Matérn-5/2 kernel with one lengthscale per
  numerical column (automatic relevance determination; Rasmussen & Williams
  2006, "Gaussian Processes for Machine Learning", eq. 4.17) and, for the
  categorical columns, an overlap kernel ``exp(-sum_j [x_j != x'_j] / l_j)``,
  positive definite as a product over columns of ``a + (1 - a) [x_j = x'_j]``
  with ``0 < a < 1``. Times a signal variance, plus a learned noise variance
  on the diagonal (cross-validated scores are noisy, and ties are common).
* **Hyperparameters.** Maximum a posteriori: the log marginal likelihood
  (R&W eq. 2.30) plus log-normal priors, maximised by L-BFGS-B on the
  log-parameters with the analytic gradient (R&W eq. 5.9). Lengthscales
  (in the unit box) have the prior ``log l ~ N(log 0.5, 1)``: on a handful
  of points a fit is neither a needle nor a plane. Hvarfner, Hellsten & Nardi
  (2024, "Vanilla Bayesian Optimization Performs Great in High Dimensions")
  argue for ``N(sqrt(2) + log(d) / 2, 3)``, whose lengthscales grow with the
  dimension; on our problems of 2 to 10 parameters it was worse at 20
  trials (rosenbrock5 6.4e3 against 1.9e3, styblinski_tang10 198 against 136,
  medians of seeds 0-4), and at 50 on some problems better (rosenbrock5),
  on others worse (styblinski_tang10 184 against 84). The noise variance
  (a fraction of the standardised outputs' variance) has the broad prior
  ``log noise ~ N(log 1e-6, 3)`` and the floor 1e-10, so a noiseless
  objective is fitted as noiseless and the model keeps ranking points near
  the optimum at regrets of 1e-8; the fit starts from a noise of 1e-3, from
  which a noisy objective's noise is found.
* **Outputs.** Standardised after a Yeo-Johnson power transform fitted by
  maximum likelihood (as in HEBO, Cowen-Rivers et al. 2022), which tames
  objectives whose values span decades (Rosenbrock) without changing their
  order.
* **Acquisition.** The logarithm of expected improvement (Jones et al. 1998;
  Snoek et al. 2012, eq. 2), computed as in Ament et al. (2023,
  "Unexpected Improvements to Expected Improvement for Bayesian
  Optimization", eq. 9): finite and accurate far into the tail where EI
  itself underflows to 0, so the optimiser still has a slope there.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import warnings

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, ndtr
from scipy.stats import yeojohnson

__all__ = ["GaussianProcess", "fit_gp", "log_expected_improvement", "transform_outputs"]

_SQRT5 = math.sqrt(5.0)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF_PI = math.sqrt(math.pi / 2)
# bounds of the log-parameters: lengthscales, signal variance, noise variance
_LOG_LENGTHSCALE = (math.log(5e-3), math.log(1e2))
_LOG_SIGNAL = (math.log(1e-2), math.log(1e2))
# the noise floor is 1e-10 of the standardised outputs' variance: a noiseless
# objective is then fitted as one, and the model can still resolve regrets of
# 1e-8 near an optimum (with a floor of 1e-6 it stopped at 1e-6 on the
# log-scaled bowl of benchmarks/small_budget.py)
_LOG_NOISE = (math.log(1e-10), math.log(1.0))
# priors (means and standard deviations of the log-parameters); outputs are
# standardised, so the signal variance is about 1 and the noise a fraction of it
_LENGTHSCALE_PRIOR = (math.log(0.5), 1.0)
_SIGNAL_PRIOR = (0.0, 1.5)
# the noise prior's median is 1e-6 of that variance, broad (sd 3 in log): a
# noiseless objective is fitted as one (the likelihood barely moves once the
# noise is below the kernel's small eigenvalues, so the prior decides; with a
# median of 1e-3 the fitted noise of a smooth bowl stayed near 1e-4), and a
# noisy one, whose likelihood does move, still gets its noise
_NOISE_PRIOR = (math.log(1e-6), 3.0)
# but the fit starts from a noise of 1e-3, not from the prior's median: from
# 1e-6 L-BFGS-B stays in a poorer optimum that interpolates noisy values with
# short lengthscales (the likelihood is flat there); from 1e-3 it reaches
# both the noise of a noisy objective and 1e-10 on a noiseless one
_NOISE_START = math.log(1e-3)
_JITTER = 1e-10  # added to the kernel's diagonal; raised tenfold while Cholesky fails
_MAX_JITTER = 1e-6


def transform_outputs(losses):
    """Losses to the standardised values the GP models, order kept.

    Standardise, apply the Yeo-Johnson transform whose exponent maximises
    the likelihood of a normal sample, standardise again. Constant losses
    give zeros.

    Parameters
    ----------
    losses : ndarray of shape (n,)

    Returns
    -------
    values : ndarray of shape (n,)
    """
    y = _standardise(np.asarray(losses, dtype=float))
    if len(y) >= 3 and np.ptp(y) > 0:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                warped, _ = yeojohnson(y)
            except (ValueError, FloatingPointError):
                warped = y
        if np.all(np.isfinite(warped)) and np.ptp(warped) > 0:
            y = _standardise(warped)
    return y


def _standardise(y):
    scale = y.std()
    return (y - y.mean()) / (scale if scale > 0 else 1.0)


class _Layout:
    """Which columns are numerical and which categorical."""

    def __init__(self, categorical):
        categorical = np.asarray(categorical, dtype=bool)
        self.num = np.flatnonzero(~categorical)
        self.cat = np.flatnonzero(categorical)
        self.n_params = len(self.num) + len(self.cat) + 2

    def unpack(self, theta):
        """``(numerical lengthscales, categorical lengthscales, signal, noise)``."""
        p, q = len(self.num), len(self.cat)
        e = np.exp(theta)
        return e[:p], e[p:p + q], e[p + q], e[p + q + 1]

    def prior(self):
        """Means, standard deviations and bounds of the log-parameters."""
        n_ls = len(self.num) + len(self.cat)
        mean = np.array([_LENGTHSCALE_PRIOR[0]] * n_ls + [_SIGNAL_PRIOR[0], _NOISE_PRIOR[0]])
        std = np.array([_LENGTHSCALE_PRIOR[1]] * n_ls + [_SIGNAL_PRIOR[1], _NOISE_PRIOR[1]])
        bounds = [_LOG_LENGTHSCALE] * n_ls + [_LOG_SIGNAL, _LOG_NOISE]
        return mean, std, bounds


def _correlation(layout, A, B, ls, cat_ls):
    """Kernel correlations between rows of ``A`` and ``B`` (no signal
    variance): Matérn-5/2 of the scaled distance (R&W eq. 4.17) times the
    categorical overlap factor; and the Matérn factor's pieces for gradients."""
    if len(layout.num):
        a, b = A[:, layout.num] / ls, B[:, layout.num] / ls
        r2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
        r = np.sqrt(np.maximum(r2, 0.0))
    else:
        r = np.zeros((len(A), len(B)))
    decay = np.exp(-_SQRT5 * r)
    matern = (1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r) * decay
    if len(layout.cat):
        mismatch = (A[:, layout.cat][:, None, :] != B[:, layout.cat][None, :, :])
        matern = matern * np.exp(-(mismatch / cat_ls).sum(-1))
    return matern, r, decay


class GaussianProcess:
    """The posterior of a fitted GP (R&W Algorithm 2.1).

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Standardised values (:func:`transform_outputs`).
    categorical : array-like of bool, shape (d,)
    theta : ndarray
        Log-parameters: numerical lengthscales, categorical lengthscales,
        signal variance, noise variance.
    """

    def __init__(self, X, y, categorical, theta):
        self.layout = _Layout(categorical)
        self.X, self.y, self.theta = np.asarray(X, float), np.asarray(y, float), theta
        self.ls, self.cat_ls, self.signal, self.noise = self.layout.unpack(theta)
        K = self.signal * _correlation(self.layout, self.X, self.X, self.ls, self.cat_ls)[0]
        self._chol = _robust_cholesky(K, self.noise)
        self.alpha = cho_solve(self._chol, self.y, check_finite=False)

    def condition_on(self, X_new, y_new):
        """The posterior with the points ``X_new`` observed at ``y_new``, the
        hyperparameters kept (for pending trials: kriging believer)."""
        return GaussianProcess(np.vstack([self.X, X_new]), np.concatenate([self.y, y_new]),
                               np.isin(np.arange(self.X.shape[1]), self.layout.cat), self.theta)

    def predict(self, Xs):
        """Posterior mean and variance of the latent function at ``Xs``
        (R&W eqs. 2.25-2.26)."""
        k = self.signal * _correlation(self.layout, Xs, self.X, self.ls, self.cat_ls)[0]
        mean = k @ self.alpha
        v = solve_triangular(self._chol[0], k.T, lower=True, check_finite=False)
        var = np.maximum(self.signal - (v * v).sum(0), 1e-12)
        return mean, var

    def predict_with_gradient(self, Xs):
        """Mean, variance and their gradients along the numerical columns.

        The Matérn-5/2 derivative is ``dk/dx_i = -(5/3) s c (1 + sqrt5 r)
        exp(-sqrt5 r) (x_i - x'_i) / l_i^2`` (``c`` the categorical factor),
        finite at ``r = 0``; ``dvar/dx = -2 (K^-1 k)^T dk/dx``.

        Returns
        -------
        mean, var : ndarray of shape (m,)
        dmean, dvar : ndarray of shape (m, n_numerical)
        """
        layout = self.layout
        corr, r, _ = _correlation(layout, Xs, self.X, self.ls, self.cat_ls)
        k = self.signal * corr
        mean = k @ self.alpha
        w = cho_solve(self._chol, k.T, check_finite=False)  # (n, m)
        var = np.maximum(self.signal - (k * w.T).sum(1), 1e-12)
        # common factor of dk/dx_i: -(5/3) s c (1 + sqrt5 r) e^{-sqrt5 r}, where
        # c e^{-sqrt5 r}(1 + sqrt5 r + 5r^2/3) = corr
        safe = 1.0 + _SQRT5 * r + (5.0 / 3.0) * r * r
        factor = -(5.0 / 3.0) * k * (1.0 + _SQRT5 * r) / safe  # (m, n)
        diff = (Xs[:, layout.num][:, None, :] - self.X[:, layout.num][None, :, :]) / self.ls**2
        dk = factor[:, :, None] * diff  # (m, n, p)
        dmean = np.einsum("mnp,n->mp", dk, self.alpha)
        dvar = -2.0 * np.einsum("mnp,nm->mp", dk, w)
        return mean, var, dmean, dvar


def _robust_cholesky(S, noise):
    """The lower Cholesky factor of ``S + (noise + jitter) I``, the jitter
    raised from ``_JITTER`` tenfold until the factorisation succeeds (a
    nearly noiseless fit of close points can be singular in floating point)."""
    jitter = _JITTER
    while True:
        K = S.copy()
        K[np.diag_indices_from(K)] += noise + jitter
        try:
            return cho_factor(K, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            if jitter >= _MAX_JITTER:
                raise
            jitter *= 10.0


def _neg_log_posterior(theta, layout, y, sq_diffs, mismatches, prior_mean, prior_std):
    """Minus the log marginal likelihood (R&W eq. 2.30) minus the log prior,
    and its gradient (R&W eq. 5.9) in the log-parameters."""
    ls, cat_ls, signal, noise = layout.unpack(theta)
    n = len(y)
    p = len(ls)
    r2 = np.tensordot(1.0 / ls**2, sq_diffs, axes=1) if p else np.zeros((n, n))
    r = np.sqrt(r2)
    decay = np.exp(-_SQRT5 * r)
    matern = (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2) * decay
    cat = np.exp(-np.tensordot(1.0 / cat_ls, mismatches, axes=1)) if len(cat_ls) else 1.0
    S = signal * matern * cat
    K = S.copy()
    K[np.diag_indices(n)] += noise + _JITTER
    try:
        chol = cho_factor(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e25, np.zeros_like(theta)
    alpha = cho_solve(chol, y, check_finite=False)
    log_det = 2.0 * np.log(np.diag(chol[0])).sum()
    nll = 0.5 * y @ alpha + 0.5 * log_det + n * _LOG_SQRT_2PI
    W = np.outer(alpha, alpha) - cho_solve(chol, np.eye(n), check_finite=False)
    grad = np.empty_like(theta)
    # dK/dlog l_i = s c (5/3)(1 + sqrt5 r) e^{-sqrt5 r} (x_i - x'_i)^2 / l_i^2
    common = signal * cat * (5.0 / 3.0) * (1.0 + _SQRT5 * r) * decay
    for i in range(p):
        grad[i] = -0.5 * np.sum(W * common * sq_diffs[i]) / ls[i] ** 2
    for j in range(len(cat_ls)):  # dK/dlog l_j = S [x_j != x'_j] / l_j
        grad[p + j] = -0.5 * np.sum(W * S * mismatches[j]) / cat_ls[j]
    grad[-2] = -0.5 * np.sum(W * S)
    grad[-1] = -0.5 * noise * np.trace(W)
    z = (theta - prior_mean) / prior_std
    nll += 0.5 * np.sum(z * z)
    grad += z / prior_std
    return nll, grad


def fit_gp(X, y, categorical, starts=(), prior_start=True, maxiter=100):
    """The MAP hyperparameters of a GP on ``(X, y)`` and its posterior.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
        Standardised values.
    categorical : array-like of bool, shape (d,)
    starts : sequence of ndarray
        Log-parameter vectors to start L-BFGS-B from (e.g. the previous
        fit's); those of the wrong length are ignored.
    prior_start : bool, default=True
        Also start from the prior's mode, the noise at 1e-3 of the signal
        (always, when no start is usable).
    maxiter : int, default=100

    Returns
    -------
    gp : GaussianProcess
    """
    X, y = np.asarray(X, float), np.asarray(y, float)
    layout = _Layout(categorical)
    prior_mean, prior_std, bounds = layout.prior()
    num, cat = X[:, layout.num], X[:, layout.cat]
    sq_diffs = np.stack([(num[:, i, None] - num[None, :, i]) ** 2 for i in range(num.shape[1])]
                        ) if num.shape[1] else np.zeros((0, len(X), len(X)))
    mismatches = np.stack([(cat[:, j, None] != cat[None, :, j]).astype(float)
                           for j in range(cat.shape[1])]
                          ) if cat.shape[1] else np.zeros((0, len(X), len(X)))
    lows, highs = np.array(bounds).T
    candidates = [np.clip(np.asarray(s, float), lows, highs)
                  for s in starts if len(s) == layout.n_params]
    if prior_start or not candidates:
        start = prior_mean.copy()
        start[-1] = _NOISE_START
        candidates.insert(0, start)
    best_theta, best_value = prior_mean, math.inf
    args = (layout, y, sq_diffs, mismatches, prior_mean, prior_std)
    for start in candidates:
        with np.errstate(all="ignore"):
            result = minimize(_neg_log_posterior, start, args=args, jac=True,
                              method="L-BFGS-B", bounds=bounds,
                              options={"maxiter": maxiter})
        if np.isfinite(result.fun) and result.fun < best_value:
            best_theta, best_value = result.x, result.fun
    return GaussianProcess(X, y, categorical, best_theta)


def log_h(z):
    """``log(phi(z) + z Phi(z))``, the log of EI for unit variance, finite for
    every ``z`` (Ament et al. 2023, eq. 9).

    For ``z > -1`` directly; below, ``log phi(z) + log(1 - |z| m(z))`` with
    ``m(z) = Phi(z) / phi(z) = sqrt(pi/2) erfcx(-z / sqrt2)`` (Mills' ratio),
    the second log by ``log1mexp``; for ``z < -1e3``, where ``1 - |z| m(z)``
    is below the precision of ``|z| m(z)``, by its asymptotic series
    ``z^-2 - 3 z^-4 + 15 z^-6``.
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _LOG_SQRT_2PI) + zu * ndtr(zu))
    mid = (~upper) & (z >= -1e3)
    zm = z[mid]
    log_phi = -0.5 * zm * zm - _LOG_SQRT_2PI
    a = np.log(-zm) + np.log(_SQRT_HALF_PI * erfcx(-zm / math.sqrt(2.0)))  # log(|z| m(z)) < 0
    out[mid] = log_phi + _log1mexp(a)
    tail = z < -1e3
    zt = z[tail]
    inv2 = 1.0 / (zt * zt)
    out[tail] = (-0.5 * zt * zt - _LOG_SQRT_2PI) + np.log(inv2 * (1 - 3 * inv2 + 15 * inv2**2))
    return out


def _log1mexp(a):
    """``log(1 - exp(a))`` for ``a < 0`` (Mächler 2012)."""
    return np.where(a > -math.log(2.0), np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def log_expected_improvement(mean, var, best):
    """Log expected improvement below ``best`` (minimisation) and its
    derivatives in the mean and the variance.

    ``EI = sigma h(z)``, ``z = (best - mean) / sigma``, ``h(z) = phi(z) + z
    Phi(z)``; ``d log h / dz = Phi(z) / h(z)``, so ``d log EI / d mean =
    -Phi(z) / (sigma h(z))`` and ``d log EI / d var = phi(z) / (2 var h(z))``.

    Parameters
    ----------
    mean, var : ndarray of shape (m,)
    best : float

    Returns
    -------
    log_ei, d_mean, d_var : ndarray of shape (m,)
    """
    sigma = np.sqrt(var)
    z = (best - mean) / sigma
    lh = log_h(z)
    log_ei = np.log(sigma) + lh
    d_mean = -np.exp(log_ndtr(z) - lh) / sigma
    d_var = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - lh) / (2.0 * var)
    return log_ei, d_mean, d_var
