"""sksearch: adaptive hyperparameter search for scikit-learn.

``BayesSearchCV`` is a drop-in replacement for ``GridSearchCV`` and
``RandomizedSearchCV`` that chooses candidates adaptively (TPE, CMA-ES) and stops
losing candidates fold by fold. ``Study`` and ``Trial`` are the ask/tell engine
underneath, usable on their own.
"""

from .study import Study
from .trial import FrozenTrial, Trial, TrialPruned, TrialState

__all__ = [
    "BayesSearchCV",
    "FrozenTrial",
    "Study",
    "Trial",
    "TrialPruned",
    "TrialState",
]

__version__ = "0.1.0.dev0"


def __getattr__(name):
    # BayesSearchCV pulls in most of scikit-learn; import it on first use so that
    # `import sksearch` for the Study API stays light.
    if name == "BayesSearchCV":
        from .search import BayesSearchCV

        return BayesSearchCV
    raise AttributeError(f"module 'sksearch' has no attribute {name!r}")
