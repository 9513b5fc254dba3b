"""scikit-optimize's ``BayesSearchCV``, as a face of sksearch's search."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers
import warnings

import numpy as np
from scipy.optimize import OptimizeResult

from .._params import validate_params
from .._search_base import AdaptiveOptions, _finished_with_folds
from .._validation import AnyOf, InstanceOf, Interval, Options, Predicate, validate
from ..samplers import AutoSampler
from ..search import BayesSearchCV as _BayesSearchCV
from ..space import BRANCH_PARAM
from ._dimensions import from_skopt
from ._warning import MigrationWarning

__all__ = ["BayesSearchCV"]

_DIFFERENCES = (
    "sksearch.compat.BayesSearchCV proposes its candidates with sksearch's "
    "sampler='auto' (its own Gaussian process on numerical and mixed spaces, TPE on "
    "others), not scikit-optimize's: the same random_state gives "
    "other candidates than skopt, optimizer_kwargs other than n_initial_points are "
    "ignored, and a list of search spaces is searched as one conditional space "
    "(its n_iter summed). See the guide page 'Migrating from other searches' "
    "(docs/guide/migrating.rst).")


def _initial_points_ok(kwargs):
    start = kwargs.get("n_initial_points")
    return start is None or Interval(int, 0).accepts(start)


def _callables(value):
    values = value if isinstance(value, (list, tuple)) else [value]
    return all(callable(c) for c in values)


class BayesSearchCV(_BayesSearchCV):
    """scikit-optimize's ``BayesSearchCV`` signature over sksearch's search.

    Change ``from skopt import BayesSearchCV`` to ``from sksearch.compat
    import BayesSearchCV`` and keep the rest: ``search_spaces`` may hold
    ``skopt.space`` dimensions (``Real(low, high, prior="log-uniform")``,
    ``Integer``, ``Categorical``, recognised by their attributes, so
    scikit-optimize need not be installed), skopt's shorthands
    (``(low, high)``, ``(low, high, "log-uniform")``, lists of categories),
    sksearch distributions, or a list of such dicts or of ``(dict, n_iter)``
    tuples. The candidates are proposed by sksearch's ``sampler="auto"`` (its
    own Gaussian process on numerical and mixed spaces, as scikit-optimize's
    default, and TPE on others), so the same ``random_state`` gives other
    candidates than scikit-optimize (a ``MigrationWarning`` says so once per
    fit).

    Parameters
    ----------
    estimator : estimator object
        Cloned for every fit.
    search_spaces : dict, list of dict or list of (dict, int)
        The space, as scikit-optimize takes it.
    optimizer_kwargs : dict or None, default=None
        ``n_initial_points`` sets TPE's random start-up candidates; the other
        keys of skopt's ``Optimizer`` have no equivalent and are ignored.
    n_iter : int, default=50
        Candidates per search space.
    scoring, n_jobs, refit, cv, verbose, pre_dispatch, random_state, \
error_score, return_train_score
        As in scikit-optimize (``error_score`` defaults to ``"raise"``).
    fit_params : dict or None, default=None
        Passed to the estimator's ``fit`` (merged with those given to ``fit``).
    n_points : int, default=1
        Candidates proposed at once, before their results are known: sksearch's
        ``window``.
    iid : str, default="deprecated"
        Ignored, as in scikit-optimize.

    Attributes
    ----------
    cv_results_, best_estimator_, best_score_, best_params_, best_index_, \
scorer_, n_splits_, refit_time_, study_
        As in :class:`sksearch.BayesSearchCV`.
    optimizer_results_ : list of scipy.optimize.OptimizeResult
        One per search space, as scikit-optimize's: ``x`` (the best point, its
        values in the sorted order of the parameter names), ``fun`` (its
        negated score), ``x_iters`` and ``func_vals`` (every candidate of that
        space and its negated score); no ``models`` or ``space``.
    total_iterations : int
        Candidates in all: the sum of each space's ``n_iter``.

    See Also
    --------
    sksearch.BayesSearchCV : The search underneath, with sksearch's signature.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sksearch.compat import BayesSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(SVC(), {"C": (1e-2, 1e2, "log-uniform"),
    ...                                "kernel": ["linear", "rbf"]},
    ...                        n_iter=6, cv=3, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     search = search.fit(X, y)
    >>> search.total_iterations, len(search.optimizer_results_[0].x_iters)
    (6, 6)
    """

    # what sksearch's machinery reads and skopt's signature has not
    pruner = None
    timeout = None
    storage = None
    study_name = None
    increments = None
    reuse = True  # sksearch's default: shared pipeline prefixes fitted once

    # skopt's own arguments (the shared ones come from sksearch._params); the
    # type of search_spaces only: _subspaces names what is wrong inside
    _own_constraints = {
        "search_spaces": InstanceOf(dict, list, tuple, description="a dict, a list of dicts "
                                    "or a list of (dict, n_iter) tuples"),
        "optimizer_kwargs": AnyOf(None, Predicate(
            "a dict, whose 'n_initial_points' (if given) is an int in the range [0, inf)",
            lambda v: isinstance(v, dict) and _initial_points_ok(v),
            invalid=["GP", {"n_initial_points": -1}, {"n_initial_points": 1.5}])),
        "n_iter": Interval(int, 1),
        "fit_params": AnyOf(None, InstanceOf(dict, description="a dict")),
        "n_points": Interval(int, 1),
        "iid": AnyOf(Options("deprecated"), InstanceOf(bool, np.bool_, description="a bool")),
    }
    #: What ``fit`` takes besides the data.
    _fit_constraints = {"callback": AnyOf(None, Predicate(
        "a callable or a list of callables", _callables, invalid=["x", [1]]))}

    def __init__(self, estimator, search_spaces, optimizer_kwargs=None, n_iter=50,
                 scoring=None, fit_params=None, n_jobs=1, n_points=1, iid="deprecated",
                 refit=True, cv=None, verbose=0, pre_dispatch="2*n_jobs",
                 random_state=None, error_score="raise", return_train_score=False):
        self.estimator = estimator
        self.search_spaces = search_spaces
        self.optimizer_kwargs = optimizer_kwargs
        self.n_iter = n_iter
        self.scoring = scoring
        self.fit_params = fit_params
        self.n_jobs = n_jobs
        self.n_points = n_points
        self.iid = iid
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score

    @property
    def callbacks(self):
        # skopt takes its callbacks in fit; they are the search's for that fit
        return getattr(self, "_fit_callbacks", None)

    # -- the hooks: skopt's arguments in sksearch's terms ------------------------------
    def _subspaces(self):
        """``[(dict, n_iter)]``, checked, as skopt reads ``search_spaces``."""
        spaces = self.search_spaces
        if isinstance(spaces, dict):
            spaces = [spaces]
        if not isinstance(spaces, (list, tuple)) or not spaces:
            raise TypeError(
                "search_spaces must be a dict, a list of dicts or a list of "
                f"(dict, n_iter) tuples, got {self.search_spaces!r}.")
        subspaces = []
        for i, entry in enumerate(spaces):
            space, n_iter = entry if isinstance(entry, tuple) and len(entry) == 2 else (
                entry, self.n_iter)
            if not isinstance(space, dict):
                raise TypeError(f"search_spaces[{i}] must be a dict or a (dict, n_iter) "
                                f"tuple, got {entry!r}.")
            if not (isinstance(n_iter, numbers.Integral) and n_iter >= 1):
                raise ValueError(f"The n_iter of search_spaces[{i}] must be an int >= 1, "
                                 f"got {n_iter!r}.")
            subspaces.append(({name: from_skopt(name, dim) for name, dim in space.items()},
                              int(n_iter)))
        return subspaces

    def _search_space(self):
        dicts = [space for space, _ in self._subspaces()]
        return dicts[0] if len(dicts) == 1 else dicts

    @property
    def total_iterations(self):
        """Candidates in all: the sum of the ``n_iter`` of every search space."""
        return sum(n_iter for _, n_iter in self._subspaces())

    def _n_iter_spec(self):
        return self.total_iterations

    def _sampler_spec(self):
        start = (self.optimizer_kwargs or {}).get("n_initial_points")
        return "auto" if start is None else AutoSampler(n_startup_trials=int(start))

    def _adaptive_options(self):
        return AdaptiveOptions(window=self.n_points)

    def _check_skopt_params(self, callback):
        # before the migration warning: a wrong argument is the news
        validate_params(self)
        validate(BayesSearchCV.fit, {"callback": callback}, self._fit_constraints)
        self._subspaces()  # raises, naming the parameter

    # -- fit ----------------------------------------------------------------------------
    def fit(self, X, y=None, *, groups=None, callback=None, **fit_params):
        """Search the space, as scikit-optimize's ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or None, default=None
            Target.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels for the CV splitter.
        callback : callable, list of callables or None, default=None
            Each is called as ``callback(result)`` after every candidate with an
            :class:`~scipy.optimize.OptimizeResult` of the candidates so far
            (``x_iters``, ``func_vals``, ``x``, ``fun``); ``True`` stops the search.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
        """
        self._check_skopt_params(callback)
        warnings.warn(_DIFFERENCES, MigrationWarning, stacklevel=2)
        params = {**(self.fit_params or {}), **fit_params}
        if groups is not None:
            params["groups"] = groups
        self._fit_callbacks = _as_search_callbacks(callback)
        try:
            super().fit(X, y, **params)
        finally:
            del self._fit_callbacks
        self.optimizer_results_ = self._optimizer_results()
        return self

    def _optimizer_results(self):
        """One OptimizeResult per search space, from the rows of ``cv_results_``."""
        trials = _finished_with_folds(self.study_)
        scores = np.asarray(self.cv_results_[f"mean_test_{self._refit_metric_name()}"],
                            dtype=float)
        results = []
        for branch, _ in enumerate(self._subspaces()):
            rows = [i for i, t in enumerate(trials)
                    if int(t.internal_params.get(BRANCH_PARAM, 0)) == branch]
            points = [self.cv_results_["params"][i] for i in rows]
            results.append(_result([[p[k] for k in sorted(p)] for p in points],
                                   -scores[rows]))
        return results

    def _refit_metric_name(self):
        return self.refit if self.multimetric_ and isinstance(self.refit, str) else "score"


def _result(x_iters, func_vals):
    """An OptimizeResult as skopt's: the best of ``func_vals`` (lowest)."""
    valid = np.flatnonzero(~np.isnan(func_vals)) if len(func_vals) else []
    best = valid[np.argmin(func_vals[valid])] if len(valid) else None
    return OptimizeResult(
        x=None if best is None else x_iters[best],
        fun=np.nan if best is None else float(func_vals[best]),
        x_iters=x_iters, func_vals=np.asarray(func_vals, dtype=float))


def _as_search_callbacks(callback):
    """skopt's ``callback(result) -> stop?`` as sksearch's ``(study, trial)``."""
    if callback is None:
        return None
    callbacks = list(callback) if isinstance(callback, (list, tuple)) else [callback]

    def call(study, trial):
        done = [t for t in study.trials if t.state.is_finished() and t.values is not None]
        x_iters = [[v for k, v in sorted(t.params.items()) if k != BRANCH_PARAM]
                   for t in done]
        result = _result(x_iters, -np.asarray([t.values[0] for t in done], dtype=float))
        if any([bool(c(result)) for c in callbacks]):
            study.stop()

    return [call]
