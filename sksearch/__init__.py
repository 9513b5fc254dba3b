"""sksearch: adaptive hyperparameter search for scikit-learn.

``GridSearchCV`` and ``RandomizedSearchCV`` take scikit-learn's exact
arguments, so swapping the import is the whole migration; ``BayesSearchCV``
chooses candidates adaptively (TPE, CMA-ES). All three can stop losing
candidates fold by fold. ``Study`` and ``Trial`` are the ask/tell engine
underneath, usable on their own.
"""

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


#: Every public name, by the module that defines it: imported on first use
#: (PEP 562), so that ``import sksearch`` and the command line's ``--help``
#: and ``--version`` cost no scikit-learn import (seconds on a busy machine);
#: the searches pull in most of scikit-learn, the Study API only a part.
_LAZY = {
    "BayesSearchCV": ".search", "GridSearchCV": ".search", "RandomizedSearchCV": ".search",
    "create_trial": "._known",
    "copy_study": ".studies", "delete_study": ".studies", "list_studies": ".studies",
    "load_study": ".studies",
    "Study": ".study",
    "FrozenTrial": ".trial", "Trial": ".trial", "TrialPruned": ".trial",
    "TrialState": ".trial",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # once imported, an ordinary attribute
        return value
    raise AttributeError(f"module 'sksearch' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
