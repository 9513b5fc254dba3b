"""Parzen (kernel density) estimators over the unit box, for TPE.

A :class:`ParzenEstimator` is a weighted mixture with one component per
observation plus one prior component. Numerical dimensions use Gaussians
truncated to ``[0, 1]`` (the unit representation of
:mod:`sksearch.distributions`, so log scales are already linear here);
categorical dimensions use an Aitchison-Aitken style kernel that puts most of
its mass on the observed category and the rest uniformly on the others.

Components are *multivariate* products of per-dimension kernels sharing the
observation, as in BOHB (Falkner et al., 2018) and the multivariate TPE that
Watanabe (2023, arXiv 2304.11127, Sec. 3.5) found better than independent
per-dimension estimators. Everything is vectorised over components and
candidates: ``log_pdf`` of C candidates under M components is one
(C, M, d) computation followed by a log-sum-exp over M.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import functools

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["ParzenEstimator"]

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
_EPS = 1e-12
# Log-density terms more than this far below a candidate's largest term are
# clipped before ``exp``: their share is below exp(-100) each, but an ``exp``
# that underflows to zero takes libm's slow path, which made the bad density's
# (candidates x ~1000 components) log-sum-exp cost a millisecond per ask.
_LOG_FLOOR = -100.0
_TAIL = 8.5


class ParzenEstimator:
    """A mixture density over a mixed box of numerical and categorical dimensions.

    Parameters
    ----------
    observations : ndarray of shape (n_obs, d)
        Numerical columns in ``[0, 1]``; categorical columns hold indices.
    weights : ndarray of shape (n_obs,) or None
        Non-negative observation weights; ``None`` weighs them equally.
    n_choices : list of int or None, length d
        ``None`` for a numerical dimension, the number of choices otherwise.
    prior_weight : float
        Weight of the prior component (uniform over the box).
    bandwidth : {"neighbor", "fixed"}
        How kernel widths are chosen; see :func:`_bandwidths`.
    bandwidth_factor : float
        Multiplies the widths.
    step_widths : array of shape (n_numerical,) or None
        Grid step of each numerical dimension in the unit box (0 if
        continuous): a kernel is never narrower than one step, or an integer
        parameter whose good values agree could never move to a neighbour.
    min_bandwidth : float or "magic"
        Floor on the numerical bandwidths (in unit-box units); ``"magic"`` is
        ``1 / min(100, n + 1)`` (Bergstra et al., 2011).
    """

    def __init__(self, observations, weights, n_choices, *, prior_weight=1.0,
                 bandwidth="neighbor", bandwidth_factor=1.0, min_bandwidth=0.03,
                 step_widths=None):
        observations = np.asarray(observations, dtype=float).reshape(-1, len(n_choices))
        n_obs, n_dims = observations.shape
        self.n_choices = list(n_choices)
        self._numerical = np.array([k is None for k in self.n_choices], dtype=bool)
        self._has_numerical = None in self.n_choices
        # Components: the observations, then the prior.
        if weights is None:
            self.log_weights = _equal_log_weights(n_obs, float(prior_weight))
        else:
            weights = np.append(np.asarray(weights, dtype=float), prior_weight)
            self.log_weights = _log_weights(weights)
        self.n_components = n_obs + 1

        # Numerical kernels: mean at the observation, the prior at the centre
        # with a width covering the box.
        if self._has_numerical:
            num = observations[:, self._numerical]
            sigma = _bandwidths(num, bandwidth, bandwidth_factor, min_bandwidth)
            if step_widths is not None:
                sigma = np.maximum(sigma, np.asarray(step_widths, dtype=float))
            self.means = np.vstack([num, np.full((1, num.shape[1]), 0.5)])
            self.sigmas = np.vstack([sigma, np.ones((1, num.shape[1]))])
            # Truncation to [0, 1]: log of the mass each component keeps inside.
            self._cdf_low, high = _normal_cdf_at_edges(self.means, self.sigmas)
            self._log_mass = np.log(np.maximum(high - self._cdf_low, _EPS))
        else:  # categorical only (an independent categorical): nothing to fit
            self.means = self.sigmas = np.empty((n_obs + 1, 0))
            self._cdf_low = self._log_mass = self.means

        # Categorical kernels: mass 1 - eps on the observed choice and eps
        # spread evenly, eps shrinking as data accumulates; the prior is uniform.
        # Each kernel takes one of two values, so only the observed choices and
        # those two logs are kept, not an (n_components, k) table per dimension.
        self._categorical = np.array([j for j, k in enumerate(self.n_choices) if k is not None],
                                     dtype=np.intp)
        self._observed = observations[:, self._categorical].astype(int)
        self._k, self._log_miss, self._log_hit, self._log_uniform = _categorical_logs(
            n_obs, tuple(int(k) for k in self.n_choices if k is not None))

    def sample(self, rng, size):
        """Draw ``size`` points; returns an array of shape (size, d)."""
        components = _choice(rng, size, np.exp(self.log_weights))
        out = np.empty((size, len(self.n_choices)))
        if self._has_numerical:
            mu, sigma = self.means[components], self.sigmas[components]
            low = self._cdf_low[components]
            mass = np.exp(self._log_mass[components])
            # Inverse-CDF sampling of the truncated normal: exact and vectorised.
            u = low + rng.random(mu.shape) * mass
            x = mu + sigma * ndtri(_clip(u, _EPS, 1 - _EPS))
            out[:, self._numerical] = _clip(x, 0.0, 1.0)
        n_obs = len(self._observed)
        observation = components < n_obs  # the others drew the prior
        for j, column in enumerate(self._categorical):
            k = int(self._k[j])
            log_probs = np.full((size, k), self._log_miss[j])
            log_probs[observation, self._observed[components[observation], j]] = self._log_hit[j]
            log_probs[~observation] = self._log_uniform[j]
            cumulative = np.cumsum(np.exp(log_probs), axis=1)
            draws = rng.random((size, 1)) * cumulative[:, -1:]
            out[:, column] = np.minimum((draws > cumulative).sum(axis=1), k - 1)
        return out

    def log_pdf(self, points):
        """Log density of each row of ``points`` (shape (C, d)); returns (C,)."""
        points = np.asarray(points, dtype=float)
        log_p = np.empty((len(points), self.n_components))
        log_p[:] = self.log_weights
        if self._has_numerical:
            # sum_d ((x - mu) / sigma)^2 from the differences themselves, not
            # expanded into matrix products: with narrow kernels (sigma ~ 1e-6
            # on fine grids) the expansion cancels catastrophically, and its
            # error -- up to 1e-3 in a log density -- depends on whether the
            # BLAS kernel fuses multiply-adds, so proposals moved between CPUs
            x = points[:, self._numerical]
            z = (x[:, None, :] - self.means) / self.sigmas
            squares = np.add.reduce(z * z, axis=2)
            constant = -np.sum(np.log(self.sigmas) + self._log_mass + _LOG_SQRT_2PI, axis=1)
            log_p += -0.5 * squares + constant
        n_obs = len(self._observed)
        for j, column in enumerate(self._categorical):
            # one row per choice (k of them), then gathered per candidate
            k = int(self._k[j])
            by_choice = np.empty((k, n_obs + 1))
            by_choice[:, :n_obs] = np.where(self._observed[:, j] == np.arange(k)[:, None],
                                            self._log_hit[j], self._log_miss[j])
            by_choice[:, n_obs] = self._log_uniform[j]
            log_p += by_choice[points[:, column].astype(int)]
        return _logsumexp_rows(log_p)


def _log_weights(weights):
    """Log of the normalised component weights (floored at ``_EPS``)."""
    return np.log(np.maximum(weights, _EPS) / np.add.reduce(weights))


# The constants below depend only on the number of observations (and the
# choices): the good density's are the same from one ask to the next (its
# size is capped), so they are computed once, by the same calls, and shared
# read-only.

@functools.lru_cache(maxsize=256)
def _equal_log_weights(n_obs, prior_weight):
    """:func:`_log_weights` of ``n_obs`` unit weights and the prior's."""
    weights = np.ones(n_obs + 1)
    weights[-1] = prior_weight
    return _read_only(_log_weights(weights))


@functools.lru_cache(maxsize=256)
def _categorical_logs(n_obs, n_choices):
    """Per categorical dimension: the number of choices, and the logs of a
    kernel's mass off and on its observed choice and of the prior's (uniform)
    mass on each choice, with ``n_obs`` observations."""
    eps = 1.0 / (1.0 + n_obs)
    k = np.array(n_choices, dtype=float)
    return (_read_only(k), _read_only(np.log(eps / k)),
            _read_only(np.log(eps / k + (1.0 - eps))), _read_only(np.log(1.0 / k)))


def _read_only(array):
    array.flags.writeable = False
    return array


def _logsumexp_rows(log_p):
    """``log(sum(exp(log_p), axis=1))`` with the terms far below each row's
    maximum clipped (see ``_LOG_FLOOR``)."""
    # the reductions called directly: ndarray.max and .sum are the same
    # ufunc reductions behind a Python layer that cost as much as them here
    peak = np.maximum.reduce(log_p, axis=1)
    shifted = np.maximum(log_p - peak[:, None], _LOG_FLOOR)
    return peak + np.log(np.add.reduce(np.exp(shifted), axis=1))


def _choice(rng, size, p):
    """``rng.choice(len(p), size=size, p=p)``: the same inverse-CDF draw from
    the same ``rng.random(size)``, so the same indices and the same generator
    state after, without ``choice``'s checks of ``p`` (a normalised
    ``exp(log_weights)`` here), which cost three times the draw. A test holds
    this to ``rng.choice`` itself."""
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right")


def _normal_cdf_at_edges(means, sigmas):
    """Normal CDFs of the box edges 0 and 1 under each kernel.

    ``ndtr`` is slow in the tails, where its value is 0 or 1 to double
    precision (beyond 8.5 standard deviations the error is below 1e-17); most
    kernels are narrow and far from both edges, so only the others are computed.
    """
    z_low = (-means / sigmas).ravel()
    z_high = ((1.0 - means) / sigmas).ravel()
    low, high = np.zeros(z_low.size), np.ones(z_high.size)
    near = np.flatnonzero(z_low > -_TAIL)
    low[near] = ndtr(z_low[near])
    near = np.flatnonzero(z_high < _TAIL)
    high[near] = ndtr(z_high[near])
    return low.reshape(means.shape), high.reshape(means.shape)


def _bandwidths(points, rule, factor, min_bandwidth):
    """Per-observation, per-dimension kernel widths in the unit box.

    ``"neighbor"``: each observation's width is the larger gap to its sorted
    neighbours in that dimension (Bergstra et al., 2011), which adapts to local
    density. ``"fixed"``: ``factor * n ** (-1 / (d + 4))`` regardless of spread.
    """
    n, d = points.shape
    if n == 0 or d == 0:
        return np.empty((n, d))
    shrink = n ** (-1.0 / (d + 4))
    if rule == "neighbor":
        # Sorted along rows of the transposed (d, n) copy: contiguous sorts are
        # faster than sorting the (n, d) array down its columns.
        # Stable: tied observations (a repeated value) get their gaps in trial
        # order; the default sort's tie order is the SIMD kernel's, which
        # differs between CPUs and so moved the density and every proposal.
        columns = np.ascontiguousarray(points.T)
        order = np.argsort(columns, axis=1, kind="stable")
        ranked = columns[np.arange(d)[:, None], order]
        gaps = np.ones((d, n))  # a single observation spans the box
        if n > 1:
            step = np.diff(ranked, axis=1)
            # The outermost observations take the gap to their one neighbour, not
            # to the box edge, which would make the kernels at the edges
            # needlessly wide.
            gaps[:, 0], gaps[:, -1] = step[:, 0], step[:, -1]
            gaps[:, 1:-1] = np.maximum(step[:, :-1], step[:, 1:])
        sigma_t = np.empty((d, n))
        sigma_t[np.arange(d)[:, None], order] = factor * gaps
        sigma = sigma_t.T
    else:
        sigma = np.full((n, d), factor * shrink)
    if min_bandwidth == "magic":
        # Bergstra et al.'s "magic clip": no kernel narrower than the box over
        # the number of observations, so few points never collapse the density.
        min_bandwidth = 1.0 / min(100, n + 1)
    return _clip(sigma, min_bandwidth, 1.0)


def _clip(x, low, high):
    """``np.clip`` for ``low <= high``, the same values (NaN kept) without its
    Python wrapper's cost, which is most of a small array's clip."""
    return np.minimum(np.maximum(x, low), high)
