"""What a fitted search hands on to its best estimator.

As in scikit-learn's searches, ``predict`` and friends exist only when the
estimator has them (``hasattr`` works before ``fit``), and only with ``refit``.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from sklearn.exceptions import NotFittedError
from sklearn.utils.metadata_routing import process_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from . import _compat

__all__ = ["DelegationMixin"]


def _search_estimator_has(attr):
    """Delegate ``attr`` to the refitted estimator, or to the unfitted one
    before fit, exactly as scikit-learn's searches do."""

    def check(self):
        _check_refit(self, attr)
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)
            return True
        getattr(self.estimator, attr)
        return True

    return check


def _check_refit(search, attr):
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with `refit=False`. "
            f"{attr} is available only after refitting on the best parameters. You can "
            "refit an estimator manually using the `best_params_` attribute"
        )



class DelegationMixin:
    """``score``, ``predict``, ``transform``, ... of the refitted best estimator."""

    def score(self, X, y=None, **params):
        """Score of the refitted best estimator with ``scoring`` (or its ``score``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        **params : dict
            Passed to the scorer when metadata routing is enabled.

        Returns
        -------
        score : float
        """
        _check_refit(self, "score")
        check_is_fitted(self)
        if params and not _compat.routing_enabled():
            raise ValueError(
                f"Passing extra keyword arguments to {type(self).__name__}.score is "
                "only supported if enable_metadata_routing=True, which you can set "
                "using `sklearn.set_config`."
            )
        score_params = process_routing(self, "score", **params).scorer["score"] if (
            _compat.routing_enabled()) else {}
        if self.scorer_ is None:
            raise ValueError(
                "No score function explicitly defined, and the estimator doesn't "
                f"provide one {self.best_estimator_}")
        if isinstance(self.scorer_, dict):
            scorer = self.scorer_[self.refit] if self.multimetric_ else self.scorer_
            return scorer(self.best_estimator_, X, y, **score_params)
        score = self.scorer_(self.best_estimator_, X, y, **score_params)
        if self.multimetric_:
            score = score[self.refit]
        return score

    @available_if(_search_estimator_has("score_samples"))
    def score_samples(self, X):
        """``score_samples`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.score_samples(X)

    @available_if(_search_estimator_has("predict"))
    def predict(self, X):
        """``predict`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_search_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """``predict_proba`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_search_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """``predict_log_proba`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_search_estimator_has("decision_function"))
    def decision_function(self, X):
        """``decision_function`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    @available_if(_search_estimator_has("transform"))
    def transform(self, X):
        """``transform`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.transform(X)

    @available_if(_search_estimator_has("inverse_transform"))
    def inverse_transform(self, X):
        """``inverse_transform`` of the best estimator."""
        check_is_fitted(self)
        return self.best_estimator_.inverse_transform(X)

    @property
    def n_features_in_(self):
        """Number of features seen during fit (only with ``refit``)."""
        try:
            check_is_fitted(self)
        except NotFittedError as exc:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from exc
        return self.best_estimator_.n_features_in_

    @property
    def classes_(self):
        """Class labels (only with ``refit`` and a classifier)."""
        _search_estimator_has("classes_")(self)
        return self.best_estimator_.classes_
