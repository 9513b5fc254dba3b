"""The pruner interface: a pure decision over recorded history."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from abc import ABC, abstractmethod

__all__ = ["BasePruner", "NopPruner"]


class BasePruner(ABC):
    """Decide whether a running trial should stop.

    ``prune(study, trial)`` reads ``trial.intermediate_values`` and the other
    trials of ``study`` and returns a bool; it changes nothing. In
    ``BayesSearchCV`` the steps are CV folds and the values fold test scores.
    """

    @abstractmethod
    def prune(self, study, trial):
        """Return True to stop ``trial`` (a FrozenTrial) now."""

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                           if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class NopPruner(BasePruner):
    """Never prune.

    Examples
    --------
    >>> from sksearch.pruners import NopPruner
    >>> NopPruner().prune(None, None)
    False
    """

    def prune(self, study, trial):
        return False
