"""Fitting a search for a benchmark: timed, with its warnings silenced."""

import time
import warnings


def timed_fit(search, X, y):
    """Fit ``search`` on ``X, y``; return the wall time in seconds."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    return time.perf_counter() - start
