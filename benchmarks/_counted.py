"""Steps that count their fits in a file, for benchmarks/reuse.py.

In a module of their own (not the script's ``__main__``) so that loky's
worker processes import them by name: a class of ``__main__`` cannot be
hashed there (by ``Pipeline(memory=...)`` or by sksearch's reuse key).
"""

import os
import tempfile
import threading

from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

# every process (loky's workers too, started after this line) appends to it
COUNTS = os.environ.setdefault("SKSEARCH_BENCH_COUNTS",
                               tempfile.mkstemp(prefix="reuse-counts-")[1])
# nesting depth of counted calls per thread (fit_transform may call fit):
# a plain dict, since loky pickles these classes by value with their module's
# globals and a threading.local cannot be pickled
_DEPTH = {}


class _Counted:
    """Counts the step's fits (``fit`` or ``fit_transform``, once per call)."""

    def _count(self, method, *args, **kwargs):
        thread = threading.get_ident()
        if not _DEPTH.get(thread):
            with open(os.environ["SKSEARCH_BENCH_COUNTS"], "a") as f:
                f.write(type(self).__name__ + "\n")
        _DEPTH[thread] = _DEPTH.get(thread, 0) + 1
        try:
            return method(*args, **kwargs)
        finally:
            _DEPTH[thread] -= 1

    def fit(self, X, y=None, **kw):
        return self._count(super().fit, X, y, **kw)

    def fit_transform(self, X, y=None, **kw):
        return self._count(super().fit_transform, X, y, **kw)


class Tfidf(_Counted, TfidfVectorizer):
    pass


class Scaler(_Counted, StandardScaler):
    pass


class Pca(_Counted, PCA):
    pass


class Svc(_Counted, SVC):
    pass


class LinSvc(_Counted, LinearSVC):
    pass


class LogReg(_Counted, LogisticRegression):
    pass


