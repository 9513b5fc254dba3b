"""sksearch: adaptive hyperparameter search for scikit-learn.

``GridSearchCV`` and ``RandomizedSearchCV`` take scikit-learn's exact
arguments, so swapping the import is the whole migration; ``BayesSearchCV``
chooses candidates adaptively (TPE, CMA-ES). All three can stop losing
candidates fold by fold. ``Study`` and ``Trial`` are the ask/tell engine
underneath, usable on their own.
"""

from ._known import create_trial
from .studies import copy_study, delete_study, list_studies, load_study
from .study import Study
from .trial import FrozenTrial, Trial, TrialPruned, TrialState

__all__ = [
    "BayesSearchCV",
    "FrozenTrial",
    "GridSearchCV",
    "RandomizedSearchCV",
    "Study",
    "Trial",
    "TrialPruned",
    "TrialState",
    "copy_study",
    "create_trial",
    "delete_study",
    "list_studies",
    "load_study",
]

__version__ = "0.1.0.dev0"


def __getattr__(name):
    # the searches pull in most of scikit-learn; import them on first use so
    # that `import sksearch` for the Study API stays light.
    if name in ("BayesSearchCV", "GridSearchCV", "RandomizedSearchCV"):
        from . import search

        return getattr(search, name)
    raise AttributeError(f"module 'sksearch' has no attribute {name!r}")
