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
