"""Stand-in estimators for benchmarks that measure the search, not the model."""

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class MajorityClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the majority class after sleeping ``fit_seconds`` in fit.

    ``alpha`` and ``beta`` do nothing: they give a search something to vary.
    ``fit_seconds=0`` makes fits near-instant (to measure overhead); a positive
    value stands in for a real fit that releases the GIL, as numpy, BLAS and
    tree code do (to measure parallel efficiency independent of machine load).
    """

    def __init__(self, alpha=1.0, beta=1.0, fit_seconds=0.0):
        self.alpha = alpha
        self.beta = beta
        self.fit_seconds = fit_seconds

    def fit(self, X, y):
        if self.fit_seconds:
            time.sleep(self.fit_seconds)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)


class SleepyClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose fit time and accuracy both depend on ``C``.

    ``fit`` sleeps from ``min_seconds`` (at ``C=1e-2``) to ``max_seconds`` (at
    ``C=1e3``), log-linearly, so that with threads the benchmark measures
    scheduling, not the CPU. Accuracy peaks at ``C = 10 ** peak``: a sample is
    predicted right when a fixed per-sample draw is below that accuracy, so
    folds differ and a search has something to find and to prune.
    """

    def __init__(self, C=1.0, min_seconds=0.02, max_seconds=0.4, peak=1.3):
        self.C = C
        self.min_seconds = min_seconds
        self.max_seconds = max_seconds
        self.peak = peak

    def _accuracy(self):
        distance = np.log10(self.C) - self.peak
        return 0.95 - 0.08 * distance ** 2

    def fit(self, X, y):
        position = np.clip((np.log10(self.C) + 2) / 5, 0, 1)
        time.sleep(self.min_seconds + (self.max_seconds - self.min_seconds) * position)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        X = np.asarray(X)
        draw = (np.abs(X[:, 0]) * 1e4) % 1.0  # fixed per sample
        y_true = (X[:, 1] > 0).astype(int)
        return np.where(draw < self._accuracy(), y_true, 1 - y_true)


# -- how often the training data reaches a worker ------------------------------------
_UNPICKLED = [0]  # in this process


def _rebuild_counted(array):
    _UNPICKLED[0] += 1
    return CountedArray(array)


def times_unpickled():
    """How many times a :class:`CountedArray` was unpickled in this process."""
    return _UNPICKLED[0]


class CountedArray(np.ndarray):
    """An array that counts its unpicklings in each process: run
    :func:`times_unpickled` on every dask worker to learn how often the
    training data reached it."""

    def __new__(cls, array):
        return np.asarray(array).view(cls)

    def __reduce__(self):
        return (_rebuild_counted, (np.asarray(self),))
