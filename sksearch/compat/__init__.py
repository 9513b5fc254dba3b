"""Faces for migrants: the signatures of scikit-optimize's ``BayesSearchCV``
and optuna-integration's ``OptunaSearchCV`` over sksearch's search, so that a
migrating script changes one import. Neither library is imported: their
dimension and distribution objects are recognised by their attributes.
See the guide page "Migrating from other searches"."""

from ._optuna import OptunaSearchCV
from ._skopt import BayesSearchCV
from ._warning import MigrationWarning

__all__ = ["BayesSearchCV", "MigrationWarning", "OptunaSearchCV"]
