"""The CMA-ES optimiser in the unit box, framework-free.

``_CMA.ask`` returns points of ``[0, 1]^n``; ``_CMA.tell`` takes one generation
of (point, loss) pairs. It follows Hansen's tutorial (The CMA Evolution
Strategy: A Tutorial, arXiv 1604.00772); equation numbers are cited beside the
lines. It knows nothing about studies or trials: :mod:`.cmaes` maps
generations onto trials and decides restarts.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
from scipy.special import ndtri

__all__ = ["_CMA"]

_all, _any = np.logical_and.reduce, np.logical_or.reduce


class _CMA:
    """(mu/mu_w, lambda)-CMA-ES in the unit box, minimising.

    Parameters
    ----------
    mean : ndarray of shape (n,)
    sigma : float
    popsize : int
    steps : ndarray of shape (n,)
        Width of one grid step in the unit box for integer or stepped
        dimensions, 0 for continuous ones (used by the margin).
    separable : bool
        Diagonal covariance only (sep-CMA, Ros & Hansen 2008), for many
        dimensions.
    lr_adapt : bool
        Learning-rate adaptation (Nomura, Akimoto & Ono, 2023, "CMA-ES with
        Learning Rate Adaptation"): the mean and covariance updates are scaled
        by rates ``eta_mean``, ``eta_cov`` in (0, 1], adapted to keep the
        signal-to-noise ratio of the updates constant; see :meth:`_adapt_rates`.
    """

    # Learning-rate adaptation constants (Nomura et al. 2023, Sec. 4): target
    # SNR per unit rate alpha, moving-average factors beta for the mean and the
    # covariance, and the damping gamma of the rate change.
    LRA_ALPHA, LRA_BETA_MEAN, LRA_BETA_COV, LRA_GAMMA = 1.4, 0.1, 0.03, 0.1
    # Stopping tolerances (Hansen's tutorial, Sec. B.3; Auger & Hansen 2005;
    # Hansen 2009 for BBOB): TolX relative to the initial step, TolHistFun
    # relative to the best value, and the largest condition number of C.
    TOL_X, TOL_HIST_FUN, MAX_CONDITION = 1e-12, 1e-12, 1e14

    def __init__(self, mean, sigma, popsize, steps, separable=False, lr_adapt=False):
        n = len(mean)
        self.dim, self.popsize, self.separable = n, popsize, separable
        self.lr_adapt = lr_adapt
        self.eta_mean = self.eta_cov = 1.0
        # moving averages of the local-coordinate updates and of their squared
        # norms (E and V of the paper), for the mean and the covariance
        self._e_mean, self._v_mean = np.zeros(n), 0.0
        self._e_cov, self._v_cov = np.zeros((n, n)), 0.0
        self.mean, self.sigma = np.array(mean, dtype=float), float(sigma)
        self.sigma0 = self.sigma
        self.steps = np.asarray(steps, dtype=float)
        self._continuous = self.steps == 0  # read at every stop test
        mu = popsize // 2
        raw = math.log((popsize + 1) / 2) - np.log(np.arange(1, popsize + 1))  # eq. (49)
        positive, negative = raw[:mu], raw[mu:]
        self.mu_eff = positive.sum() ** 2 / np.sum(positive**2)  # eq. (8)
        me = self.mu_eff
        self.c_sigma = (me + 2) / (n + me + 5)  # eq. (55)
        self.d_sigma = 1 + 2 * max(0.0, math.sqrt((me - 1) / (n + 1)) - 1) + self.c_sigma
        self.c_c = (4 + me / n) / (n + 4 + 2 * me / n)  # eq. (56)
        self.c_1 = 2 / ((n + 1.3) ** 2 + me)  # eq. (57)
        self.c_mu = min(1 - self.c_1, 2 * (me - 2 + 1 / me) / ((n + 2) ** 2 + me))  # eq. (58)
        if separable:  # sep-CMA learns only n variances: faster rates
            self.c_1 *= (n + 2) / 3
            self.c_mu = min(1 - self.c_1, self.c_mu * (n + 2) / 3)
        # Active CMA (Jastrebski & Arnold 2006): the worse half of a generation
        # gets negative weights, which shrinks the covariance along bad
        # directions and learns ill-conditioned shapes much faster (eq. 50-53).
        mu_eff_minus = negative.sum() ** 2 / np.sum(negative**2) if len(negative) else 0.0
        alpha = min(1 + self.c_1 / self.c_mu, 1 + 2 * mu_eff_minus / (me + 2),
                    (1 - self.c_1 - self.c_mu) / (n * self.c_mu))
        self.weights_all = np.concatenate([
            positive / positive.sum(), alpha * negative / np.abs(negative).sum()])
        self.weights = self.weights_all[:mu]
        self.chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n**2))
        self.p_sigma, self.p_c = np.zeros(n), np.zeros(n)
        self.C = np.eye(n)
        self.B, self.D = np.eye(n), np.ones(n)
        self._sqrt_c = np.eye(n)
        self.generation = 0
        self._eigen_generation = 0
        self.best_losses = []

    # Eigendecomposition only when the covariance has moved enough (tutorial,
    # Sec. B.2): every 1 / (10 n (c_1 + c_mu)) generations.
    def _update_eigen(self):
        lag = max(1, int(1 / (10 * self.dim * (self.c_1 + self.c_mu))))
        if self.generation - self._eigen_generation < lag and self.generation > 0:
            return
        self._eigen_generation = self.generation
        if self.separable:
            self.B, self.D = np.eye(self.dim), np.sqrt(np.maximum(np.diag(self.C), 1e-30))
            self._sqrt_c = np.diag(self.D)
            return
        self.C = (self.C + self.C.T) / 2
        eigenvalues, self.B = np.linalg.eigh(self.C)
        self.D = np.sqrt(np.maximum(eigenvalues, 1e-30))
        # Samples go through the symmetric root C^(1/2) = B D B^T, not B D
        # (tutorial eq. 39): both give N(0, C), but B is not unique -- the signs
        # of its columns and any basis of a near-degenerate eigenspace are
        # LAPACK's choice, which differs between CPU kernels -- while C^(1/2)
        # is, so a seeded run proposes the same points on every machine.
        self._sqrt_c = (self.B * self.D) @ self.B.T

    def ask(self, rng, size):
        """``size`` points in the unit box: samples outside are drawn again (up
        to 100 times, then clipped), which keeps them legal without moving the
        mean or shrinking the step the way clipping every sample would."""
        self._update_eigen()
        out = np.empty((size, self.dim))
        todo = np.arange(size)
        for _ in range(100):
            z = rng.standard_normal((len(todo), self.dim))
            x = self.mean + self.sigma * z @ self._sqrt_c  # eq. (38)-(40), symmetric root
            inside = np.all((x >= 0) & (x <= 1), axis=1)
            out[todo[inside]] = x[inside]
            todo = todo[~inside]
            if not len(todo):
                break
        if len(todo):
            out[todo] = np.clip(x[~inside], 0, 1)
        return out

    def tell(self, points, losses):
        """Update from one generation: ``points`` (lambda, n), ``losses`` (lambda,)."""
        self._update_eigen()
        order = np.argsort(losses, kind="stable")
        self.best_losses.append(float(np.minimum.reduce(losses)))
        # only TolHistFun's window is ever read; a bounded list keeps the state
        # (copied at every ask) small however many generations a run has
        del self.best_losses[:-(10 + math.ceil(30 * self.dim / self.popsize))]
        mu = len(self.weights)
        y_all = (np.asarray(points)[order] - self.mean) / self.sigma  # eq. (41)
        y_w = self.weights @ y_all[:mu]
        old_mean = self.mean
        self.mean = old_mean + self.sigma * y_w  # eq. (42), c_m = 1
        inv_sqrt_c = (self.B / self.D) @ self.B.T
        self.p_sigma = ((1 - self.c_sigma) * self.p_sigma + math.sqrt(
            self.c_sigma * (2 - self.c_sigma) * self.mu_eff) * inv_sqrt_c @ y_w)  # eq. (43)
        norm_ps = np.sqrt(self.p_sigma.dot(self.p_sigma))  # np.linalg.norm's own arithmetic
        threshold = (1.4 + 2 / (self.dim + 1)) * self.chi_n * math.sqrt(
            1 - (1 - self.c_sigma) ** (2 * (self.generation + 1)))
        h_sigma = float(norm_ps < threshold)
        self.p_c = ((1 - self.c_c) * self.p_c + h_sigma * math.sqrt(
            self.c_c * (2 - self.c_c) * self.mu_eff) * y_w)  # eq. (45)
        rank_one = np.outer(self.p_c, self.p_c)
        weights = self.weights_all[: len(y_all)]
        # negative weights act on the Mahalanobis-normalised steps (eq. 46)
        norms = np.sum((y_all @ inv_sqrt_c.T) ** 2, axis=1)
        w_o = np.where(weights >= 0, weights, weights * self.dim / np.maximum(norms, 1e-30))
        rank_mu = (y_all.T * w_o) @ y_all
        delta = (1 - h_sigma) * self.c_c * (2 - self.c_c)
        new_c = ((1 + self.c_1 * delta - self.c_1 - self.c_mu * weights.sum()) * self.C
                 + self.c_1 * rank_one + self.c_mu * rank_mu)  # eq. (47)
        if self.separable:
            new_c = np.diag(np.diag(new_c))
        log_step = min(1.0, (self.c_sigma / self.d_sigma) * (norm_ps / self.chi_n - 1))  # (44)
        if self.lr_adapt:
            self._adapt_rates(y_w, new_c, math.exp(log_step), inv_sqrt_c)
            # m <- m + eta_m * Delta_m; Sigma <- Sigma + eta_Sigma * Delta_Sigma,
            # Sigma = sigma^2 C: sigma takes the fraction eta_Sigma of its log
            # change and C the rest, so that sigma^2 C is exactly the update.
            self.mean = old_mean + self.eta_mean * self.sigma * y_w
            ratio = math.exp(log_step) ** 2
            new_c = ((1 - self.eta_cov) * self.C + self.eta_cov * ratio * new_c) / math.exp(
                2 * self.eta_cov * log_step)
            log_step *= self.eta_cov
        self.C = new_c
        self.sigma *= math.exp(log_step)
        self._apply_margin()
        self.generation += 1

    def _adapt_rates(self, y_w, new_c, sigma_ratio, inv_sqrt_c):
        """Learning-rate adaptation (Nomura, Akimoto & Ono 2023, Alg. 1).

        The default (rate 1) updates are expressed in the local coordinates of
        the current distribution, ``Sigma^(-1/2) Delta_m`` and
        ``Sigma^(-1/2) Delta_Sigma Sigma^(-1/2) / sqrt(2)`` (the Fisher metric),
        and averaged over generations: ``E <- (1 - beta) E + beta Delta``,
        ``V <- (1 - beta) V + beta |Delta|^2``. Their signal-to-noise ratio is
        ``SNR = (|E|^2 - beta / (2 - beta) V) / (V - |E|^2)``; each rate moves
        towards ``SNR / alpha`` by ``eta <- eta exp(min(gamma eta, beta)
        clip(SNR / (alpha eta) - 1, -1, 1))``, capped at 1. A noisy update (low
        SNR) gets a small rate, which averages the noise out over generations.
        """
        n = self.dim
        delta_mean = inv_sqrt_c @ y_w  # Sigma^(-1/2) (m' - m) = C^(-1/2) y_w
        delta_cov = (sigma_ratio**2 * (inv_sqrt_c @ new_c @ inv_sqrt_c) - np.eye(n)) / math.sqrt(2)
        for name, delta, beta in (("mean", delta_mean, self.LRA_BETA_MEAN),
                                  ("cov", delta_cov, self.LRA_BETA_COV)):
            e = (1 - beta) * getattr(self, f"_e_{name}") + beta * delta
            v = (1 - beta) * getattr(self, f"_v_{name}") + beta * float(np.sum(delta**2))
            setattr(self, f"_e_{name}", e)
            setattr(self, f"_v_{name}", v)
            e2 = float(np.sum(e**2))
            snr = (e2 - beta / (2 - beta) * v) / max(v - e2, 1e-300)
            eta = getattr(self, f"eta_{name}")
            change = np.clip(snr / (self.LRA_ALPHA * eta) - 1, -1.0, 1.0)
            setattr(self, f"eta_{name}",
                    min(1.0, eta * math.exp(min(self.LRA_GAMMA * eta, beta) * change)))

    def _apply_margin(self):
        """Keep integer and stepped dimensions moving: their marginal standard
        deviation stays large enough that a sample leaves the mean's grid cell
        with probability at least ``alpha = 1 / (n * lambda)`` — a diagonal form
        of the margin of Hamano et al. (2022), which otherwise lets CMA-ES freeze
        on one integer value."""
        discrete = self.steps > 0
        if not discrete.any():
            return
        alpha = 1.0 / (self.dim * self.popsize)
        needed = 0.5 * self.steps / ndtri(1 - alpha)
        std = self.sigma * np.sqrt(np.diag(self.C))
        scale = np.ones(self.dim)
        scale[discrete] = np.maximum(1.0, needed[discrete] / np.maximum(std[discrete], 1e-300))
        if np.any(scale > 1):
            self.C = self.C * np.outer(scale, scale)
            self._eigen_generation = -10**9  # force a fresh decomposition

    def should_stop(self):
        """Whether the search is stuck and a restart should take over.

        The criteria of Hansen's tutorial (Sec. B.3) with its default
        tolerances (as in Auger & Hansen 2005 and Hansen 2009), so that a
        search that is still converging keeps refining:

        * TolX: ``sigma * max(|p_c_i|, sqrt(C_ii)) < 1e-12 sigma0`` for every
          continuous coordinate;
        * TolHistFun: the best values of the last ``10 + ceil(30 n / lambda)``
          generations lie within ``1e-12 |f_best|`` of each other (relative,
          since objectives come in any scale; a range of zero, a plateau,
          always stops);
        * NoEffectAxis: adding ``0.1 sigma sqrt(d_i) b_i`` to the mean, for the
          principal axis ``i = g mod n``, leaves it unchanged in floating point;
        * NoEffectCoord: adding ``0.2 sigma sqrt(C_ii)`` to a continuous
          coordinate of the mean leaves it unchanged;
        * ConditionCov: the condition number of C exceeds 1e14.

        Integer and stepped coordinates are left out of TolX and NoEffectCoord:
        the margin keeps their spread at one grid step, so they never shrink.
        """
        self._update_eigen()
        # (the reductions called as ufuncs: the same results without numpy's
        # Python wrappers, which were most of this test's cost)
        continuous = self._continuous
        sd = self.sigma * np.sqrt(self.C.diagonal())
        if _any(continuous):
            spread = np.maximum(sd, self.sigma * np.abs(self.p_c))[continuous]
            if _all(spread < self.TOL_X * self.sigma0):  # TolX
                return True
            m = self.mean[continuous]
            if _any(m == m + 0.2 * sd[continuous]):  # NoEffectCoord
                return True
        i = self.generation % self.dim
        if _all(self.mean == self.mean + 0.1 * self.sigma * self.D[i] * self.B[:, i]):
            return True  # NoEffectAxis (D holds the square roots of the eigenvalues)
        # ConditionCov
        if np.maximum.reduce(self.D) ** 2 > self.MAX_CONDITION * np.minimum.reduce(self.D) ** 2:
            return True
        window = 10 + math.ceil(30 * self.dim / self.popsize)
        if len(self.best_losses) < window:
            return False
        recent = self.best_losses[-window:]
        return max(recent) - min(recent) <= self.TOL_HIST_FUN * abs(min(recent))  # TolHistFun

    def state(self):
        """The state that determines future samples, for comparisons."""
        return {"mean": self.mean.copy(), "sigma": self.sigma, "C": self.C.copy(),
                "p_sigma": self.p_sigma.copy(), "p_c": self.p_c.copy(),
                "generation": self.generation, "eta_mean": self.eta_mean,
                "eta_cov": self.eta_cov}
