"""optuna-integration's ``OptunaSearchCV``, as a face of sksearch's search."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numbers
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._params import validate_params
from .._search_base import AdaptiveOptions, _finished_with_folds
from .._validation import AnyOf, InstanceOf, Interval, Predicate
from ..search import BayesSearchCV as _BayesSearchCV
from ..study import Study
from ._dimensions import from_optuna
from ._warning import MigrationWarning

__all__ = ["OptunaSearchCV"]

_DIFFERENCES = (
    "sksearch.compat.OptunaSearchCV runs sksearch's TPE sampler, so the same "
    "random_state gives other trials than Optuna's; study_ is a sksearch Study; "
    "enable_pruning prunes between CV folds (median pruner) rather than between "
    "partial_fit iterations, so max_iter is unused; catch is unused (failed fits "
    "score error_score). See the guide page 'Migrating from other searches' "
    "(docs/guide/migrating.rst).")


class OptunaSearchCV(_BayesSearchCV):
    """optuna-integration's ``OptunaSearchCV`` signature over sksearch's search.

    Change ``from optuna.integration import OptunaSearchCV`` (or
    ``optuna_integration``) to ``from sksearch.compat import OptunaSearchCV``
    and keep the rest: ``param_distributions`` may hold
    ``optuna.distributions`` objects (``FloatDistribution``,
    ``IntDistribution``, ``CategoricalDistribution``, recognised by their
    attributes, so Optuna need not be installed), sksearch distributions or
    lists. Trials are proposed by sksearch's TPE sampler, so the same
    ``random_state`` gives other trials than Optuna (a ``MigrationWarning``
    says so once per fit, with the other differences).

    Parameters
    ----------
    estimator : estimator object
        Cloned for every fit.
    param_distributions : dict
        Parameter names mapped to distributions.
    cv, error_score, n_jobs, random_state, refit, return_train_score, scoring, \
timeout, verbose
        As in optuna-integration.
    enable_pruning : bool, default=False
        Prune trials between CV folds with the median pruner.
    max_iter : int, default=1000
        Unused (Optuna's pruning trains by ``partial_fit`` iterations).
    n_trials : int or None, default=10
        Number of trials; ``None`` with a finite space: all of its points.
    study : sksearch.Study or None, default=None
        A study to store the trials in (its storage and name); it must
        maximise. An Optuna study cannot be used.
    subsample : float or int, default=1.0
        Only ``1.0`` (all samples) is supported.
    callbacks : list of callable or None, default=None
        Each is called as ``callback(study, frozen_trial)`` after every trial.
    catch : tuple of exception types, default=()
        Unused: a failed fit scores ``error_score``.

    Attributes
    ----------
    best_estimator_, best_params_, best_score_, best_index_, cv_results_, \
n_splits_, scorer_, refit_time_
        As in :class:`sksearch.BayesSearchCV`.
    study_ : sksearch.Study
        The study of the search.
    trials_ : list of FrozenTrial
        Every trial of the study.
    n_trials_ : int
        Number of trials.
    best_trial_ : FrozenTrial
        The trial of ``best_params_``.
    user_attrs_ : dict
        The study's user attributes: always ``{}``, a sksearch study keeps user
        attributes per trial only.
    sample_indices_ : ndarray
        Indices of the samples searched on (all of them).

    See Also
    --------
    sksearch.BayesSearchCV : The search underneath, with sksearch's signature.

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sksearch.compat import OptunaSearchCV
    >>> from sksearch.distributions import Float
    >>> X, y = load_iris(return_X_y=True)
    >>> search = OptunaSearchCV(SVC(), {"C": Float(1e-2, 1e2, log=True)},
    ...                         n_trials=5, cv=3, random_state=0)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     search = search.fit(X, y)
    >>> search.n_trials_, search.best_trial_.params == search.best_params_
    (5, True)
    """

    # what sksearch's machinery reads and Optuna's signature has not
    pre_dispatch = "2*n_jobs"
    increments = None
    reuse = True  # sksearch's default: shared pipeline prefixes fitted once

    # Optuna's own arguments and its readings of shared names (the others come
    # from sksearch._params); the type of param_distributions only: each
    # distribution is read, and named when wrong, by from_optuna
    _own_constraints = {
        "param_distributions": InstanceOf(
            dict, description="a dict of parameter names to distributions"),
        "enable_pruning": InstanceOf(bool, np.bool_, description="a bool"),
        "max_iter": Interval(int, 1),
        "n_trials": AnyOf(Interval(int, 1), None),
        "study": AnyOf(None, InstanceOf(
            Study, description="a sksearch.Study (an Optuna study cannot hold sksearch's "
                               "trials: pass sksearch.Study(storage=..., study_name=..., "
                               "direction='maximize'))")),
        "subsample": Predicate(
            "1.0 (all samples; give a subsample to fit instead)",
            lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool) and v == 1.0,
            invalid=[0.5, "all"]),
        "catch": Predicate(
            "a tuple of exception types",
            lambda v: isinstance(v, tuple) and all(
                isinstance(e, type) and issubclass(e, BaseException) for e in v),
            invalid=[ValueError, ("x",)]),
    }

    def __init__(self, estimator, param_distributions, *, cv=None, enable_pruning=False,
                 error_score=np.nan, max_iter=1000, n_jobs=None, n_trials=10,
                 random_state=None, refit=True, return_train_score=False, scoring=None,
                 study=None, subsample=1.0, timeout=None, verbose=0, callbacks=None,
                 catch=()):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.cv = cv
        self.enable_pruning = enable_pruning
        self.error_score = error_score
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.n_trials = n_trials
        self.random_state = random_state
        self.refit = refit
        self.return_train_score = return_train_score
        self.scoring = scoring
        self.study = study
        self.subsample = subsample
        self.timeout = timeout
        self.verbose = verbose
        self.callbacks = callbacks
        self.catch = catch

    # -- the hooks: Optuna's arguments in sksearch's terms ------------------------------
    @property
    def pruner(self):
        return "median" if self.enable_pruning else None

    @property
    def storage(self):
        return None if self.study is None else self.study.storage

    @property
    def study_name(self):
        return None if self.study is None else self.study.study_name

    def _search_space(self):
        return {name: from_optuna(name, dist)
                for name, dist in self.param_distributions.items()}

    def _sampler_spec(self):
        return "tpe"

    def _n_iter_spec(self):
        return self.n_trials

    def _adaptive_options(self):
        return AdaptiveOptions()

    def _check_optuna_params(self):
        # before the migration warning: a wrong argument is the news
        validate_params(self)
        study = self.study
        if study is not None and list(study.directions) != ["maximize"]:
            raise ValueError(
                "The direction of the study must be 'maximize', as the search maximises "
                f"its scores; got {list(study.directions)!r}.")

    # -- fit ----------------------------------------------------------------------------
    def fit(self, X, y=None, groups=None, **fit_params):
        """Search the space, as optuna-integration's ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or None, default=None
            Target.
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels for the CV splitter.
        **fit_params : dict
            Passed to the estimator's ``fit``.

        Returns
        -------
        self : object
        """
        self._check_optuna_params()
        warnings.warn(_DIFFERENCES, MigrationWarning, stacklevel=2)
        if groups is not None:
            fit_params["groups"] = groups
        super().fit(X, y, **fit_params)
        self.sample_indices_ = np.arange(len(X))
        return self

    @property
    def trials_(self):
        """Every trial of the study."""
        check_is_fitted(self, "study_")
        return self.study_.trials

    @property
    def n_trials_(self):
        """Number of trials of the study."""
        return len(self.trials_)

    @property
    def best_trial_(self):
        """The trial of ``best_params_`` (the best candidate's)."""
        check_is_fitted(self, "best_index_")
        # the rows of cv_results_ are the finished trials, in order
        return _finished_with_folds(self.study_)[self.best_index_]

    @property
    def user_attrs_(self):
        """The study's user attributes: a sksearch study has none (user
        attributes are per trial, :meth:`Trial.set_user_attr`), so ``{}``."""
        check_is_fitted(self, "study_")
        return dict(getattr(self.study_, "user_attrs", {}))
