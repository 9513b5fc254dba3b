"""Expected improvement per second for TPE (``TPESampler(cost=...)``).

Snoek, Larochelle and Adams (2012, "Practical Bayesian Optimization of
Machine Learning Algorithms", Sec. 3.2) choose the next point by expected
improvement per second: the improvement a candidate may bring divided by the
time it is predicted to take, both modelled from the trials seen so far. Here
the improvement is TPE's own: with the good set the best fraction ``gamma``
of the trials, the expected improvement is proportional to ``(gamma + (1 -
gamma) g(x) / l(x)) ** -1`` (Bergstra et al., 2011, Eq. 4), so its log is
:func:`log_expected_improvement` of TPE's log density ratio. It is bounded:
candidates that are surely in the good set are worth the same, and the
cheapest of them wins, while a candidate the densities rank far lower is not
made good by being cheap.

The cost is a finished trial's measured seconds (or any positive number a
callable gives), modelled on the log scale by ridge regression on the unit-box
coordinates of the sampler's parameter group (linear and squared terms,
one-hot choices): boosting rounds, depth and data size multiply a fit's time,
so their effects add on that scale. This module fits and predicts only;
:mod:`.tpe` decides.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = ["LogCostModel", "MIN_COSTED_TRIALS", "log_expected_improvement"]

#: Finished trials with a known cost before the model is used (ours): fewer
#: leave the candidates' ratio alone. Five was the smallest tried (15 and 5 on
#: benchmarks/boosting.py, seed 0): with 15 the model came too late to matter.
MIN_COSTED_TRIALS = 5
#: Ridge penalty on the (centred) features, in units of the unit box (ours):
#: with a handful of trials the model stays near the mean cost.
RIDGE = 1.0


def log_expected_improvement(log_ratio, gamma):
    """``log (gamma + (1 - gamma) exp(-log_ratio)) ** -1``: TPE's expected
    improvement, up to a constant, from ``log l(x) / g(x)``."""
    return -np.logaddexp(np.log(gamma), np.log1p(-gamma) - np.asarray(log_ratio, dtype=float))


class LogCostModel:
    """Ridge regression of log cost on unit-box points.

    Parameters
    ----------
    points : ndarray of shape (n, d)
        Unit-box coordinates (categorical columns hold choice indices); rows
        with a NaN (a parameter the trial did not have) are left out.
    log_costs : ndarray of shape (n,)
        Log cost of each row; NaN where unknown, left out too.
    n_choices : list of (int or None)
        Per column, the number of choices of a categorical, else ``None``.
    ridge : float, default=RIDGE
        Penalty on the feature weights (the intercept is not penalised).
    """

    def __init__(self, points, log_costs, n_choices, ridge=RIDGE):
        self.n_choices = list(n_choices)
        points = np.asarray(points, dtype=float)
        log_costs = np.asarray(log_costs, dtype=float)
        keep = np.isfinite(log_costs) & np.all(np.isfinite(points), axis=1)
        self.n_samples = int(keep.sum())
        if self.n_samples == 0:
            self._mean, self._weights, self._centre = 0.0, None, None
            return
        features = self._features(points[keep])
        target = log_costs[keep]
        self._centre = features.mean(axis=0)
        self._mean = float(target.mean())
        centred = features - self._centre
        gram = centred.T @ centred + ridge * np.eye(centred.shape[1])
        self._weights = np.linalg.solve(gram, centred.T @ (target - self._mean))

    def _features(self, points):
        columns = []
        for j, k in enumerate(self.n_choices):
            x = points[:, j]
            if k is None:
                columns += [x, x * x]
            else:
                index = np.clip(np.round(x).astype(int), 0, k - 1)
                columns += [(index == c).astype(float) for c in range(k)]
        return np.column_stack(columns) if columns else np.empty((len(points), 0))

    def predict(self, points):
        """Predicted log cost of each row of ``points``."""
        points = np.asarray(points, dtype=float)
        if self._weights is None:
            return np.full(len(points), self._mean)
        return self._mean + (self._features(points) - self._centre) @ self._weights
