"""A trial's parameters as the user wrote them: branches by label, estimators as written."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from .distributions import Categorical
from .space import BRANCH_LABELS_ATTR, BRANCH_PARAM

__all__ = ["readable_params"]


class _Shown:
    """A stored value known only by its description (an estimator read from a
    file without the live objects): shown as the user wrote it, ``SVC()``,
    not as the string ``'SVC()'``."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text

    def __eq__(self, other):
        return isinstance(other, _Shown) and other.text == self.text

    def __hash__(self):
        return hash(self.text)


def readable_params(trial, study_attrs=None):
    """``trial``'s parameters as the user wrote them.

    The branch of a list-of-dicts space is shown by its label (the estimator
    its dict holds, e.g. ``'SVC'``, when the search recorded labels in the
    study's ``study_attrs``) instead of its index, and a choice read back
    from a file only by its description (an estimator) shows as written,
    ``SVC(C=10)``, not as a quoted string. :attr:`FrozenTrial.params` keeps
    the stored values.

    Parameters
    ----------
    trial : FrozenTrial
    study_attrs : dict or None
        The study's system attributes (``study.system_attrs``).

    Returns
    -------
    params : dict
    """
    labels = (study_attrs or {}).get(BRANCH_LABELS_ATTR)
    params = {}
    for name, value in trial.params.items():
        distribution = trial.distributions[name]
        if name == BRANCH_PARAM and isinstance(labels, list) and isinstance(
                value, int) and 0 <= value < len(labels):
            value = labels[value]
        elif (isinstance(distribution, Categorical) and isinstance(value, str)
              and "choice_reprs" in distribution.to_json()
              and all(isinstance(c, str) for c in distribution.choices)):
            value = _Shown(value)  # a description: no live choice was registered
        params[name] = value
    return params
