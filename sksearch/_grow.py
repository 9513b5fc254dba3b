"""Grow a candidate's model from a smaller one fitted on the same fold (issue #29).

In a search whose candidates differ along a parameter the model grows by --
``n_estimators`` of a forest or of gradient boosting, ``max_iter`` of
HistGradientBoosting, the rounds of LightGBM or XGBoost -- a fold task asks
this module to fit its final estimator: when a model of the same fold, with
the same parameters except a smaller value of that one, was fitted by an
earlier candidate, a copy of it is grown to the candidate's value (with
``warm_start``, or by continued training, :mod:`sksearch._boosting`) instead
of a fit from scratch.

Only where the grown model is the one a plain fit gives, shown against plain
fits in ``tests/test_grow.py``:

- forests, extra trees and bagging (``n_estimators``) with an int
  ``random_state``: ``warm_start`` draws, for the trees it adds, the seeds a
  plain fit draws for them;
- gradient boosting (``n_estimators``) with an int ``random_state`` and no
  early stopping (``n_iter_no_change=None``): the fitted model keeps its
  generator, so the stages added draw their subsamples and features as a
  plain fit's later stages would;
- HistGradientBoosting (``max_iter``) with an int ``random_state`` and no
  early stopping in effect (``early_stopping=False``, or ``"auto"`` on a
  training fold of at most 10,000 rows, where ``"auto"`` is off);
- LightGBM and XGBoost models (their rounds) without row or column
  subsampling (:meth:`~sksearch._boosting.BoostingGrowth.continues_exactly`).

The models are held in the search's :class:`~sksearch._reuse.PrefixCache`
(one cache, one bound), in a *family* per fold and per estimator with the
grown parameter left out of its digest; in a Pipeline the family also holds
the keys of the shared prefix (so the model was fitted on the same
transformed rows). A Pipeline's final step grows only when every step before
it is shared (:mod:`sksearch._reuse`); a bare estimator grows on the fold's
rows. Nothing grows when fit parameters or metadata reach the grown
estimator.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import copy
import numbers
import pickle
import time
from dataclasses import dataclass

from joblib import hash as joblib_hash
from sklearn import ensemble
from sklearn.base import clone

from ._boosting import boosting_growth
from ._increments import warm_start_name
from ._memory import estimated_nbytes

__all__ = ["GrowFit", "grown_parameter", "plan_growth"]

#: estimators that ``warm_start`` grows by ``n_estimators`` exactly (int seed)
_TREES = (ensemble.RandomForestClassifier, ensemble.RandomForestRegressor,
          ensemble.ExtraTreesClassifier, ensemble.ExtraTreesRegressor,
          ensemble.BaggingClassifier, ensemble.BaggingRegressor)
_GRADIENT = (ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor)
_HIST = (ensemble.HistGradientBoostingClassifier, ensemble.HistGradientBoostingRegressor)

#: boosting libraries whose continued model was shown equal to a plain fit's here
_TESTED_LIBRARIES = ("lightgbm", "xgboost")

#: the training rows above which HistGradientBoosting's early_stopping="auto" is on
_HIST_AUTO_ROWS = 10_000


def _seeded(params):
    seed = params.get("random_state")
    return isinstance(seed, numbers.Integral) and not isinstance(seed, bool)


def grown_parameter(estimator, n_train):
    """The parameter by which the unfitted ``estimator``, fitted on
    ``n_train`` rows, grows into exactly the model a plain fit gives, or
    ``None``.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> grown_parameter(RandomForestClassifier(random_state=0), 100)
    'n_estimators'
    >>> grown_parameter(RandomForestClassifier(), 100) is None  # unseeded
    True
    """
    growth = boosting_growth(estimator)
    params = estimator.get_params(deep=False)
    if growth is not None:
        # CatBoost: not installed where this was tested, so not grown
        exact = (growth.library in _TESTED_LIBRARIES
                 and growth.continues_exactly(estimator, params))
        return growth.rounds_name(estimator) if exact else None
    if type(estimator).__module__.partition(".")[0] != "sklearn" or not _seeded(params):
        # a subclass elsewhere may change what warm_start does
        return None
    if isinstance(estimator, _TREES):
        return "n_estimators"
    if isinstance(estimator, _GRADIENT) and params["n_iter_no_change"] is None:
        return "n_estimators"
    stops = params.get("early_stopping")
    if isinstance(estimator, _HIST) and (stops is False or (
            stops == "auto" and n_train <= _HIST_AUTO_ROWS)):
        return "max_iter"
    return None


@dataclass
class _Grown:
    """A fitted model held for growing, and the seconds that fitting it
    took in all (its own growth and that of the models it grew from)."""

    model: object
    fit_seconds: float
    nbytes: int


def plan_growth(cache, base_key, estimator, n_train):
    """A :class:`GrowFit` for the unfitted ``estimator`` (a bare estimator,
    or a Pipeline's final step) on the rows that ``base_key`` names (the
    fold, or the fold and the shared prefix), or ``None`` when it does not
    grow exactly."""
    parameter = grown_parameter(estimator, n_train)
    if parameter is None:
        return None
    growth = boosting_growth(estimator)
    params = estimator.get_params(deep=False)
    value = params[parameter] if growth is None else growth.rounds(params)
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        return None
    others = clone(estimator).set_params(**{parameter: 0})
    if growth is None:
        others.set_params(**{warm_start_name(parameter): False})
    try:
        family = joblib_hash((base_key, others))
    except Exception:  # noqa: BLE001 - not hashable: fitted whole
        return None
    return GrowFit(cache, family, parameter, int(value))


class GrowFit:
    """Fit one candidate's model, grown from the largest smaller model of
    its family the cache holds."""

    def __init__(self, cache, family, parameter, value):
        self.cache, self.family = cache, family
        self.parameter, self.value = parameter, value

    def fit(self, estimator, X, y):
        """Fit ``estimator`` on ``X, y`` (grown from a held model, or from
        scratch); ``(fitted model, seconds)``.

        The model returned is a new object when it was grown. ``seconds`` is
        what the held model's fits took (this candidate's fit time counts
        them, as it counts a shared prefix's, see ``docs/reuse.md``).
        """
        held_value, held = self.cache.largest_at_most(self.family, self.value)
        if held is not None and held_value == self.value:
            # the same model (a candidate drawn twice): only read from here on
            return held.model, held.fit_seconds
        start = time.perf_counter()
        if held is None:
            _fit(estimator, X, y)
            model, before = estimator, 0.0
        else:
            model = self._grow(copy.deepcopy(held.model), held_value, X, y)
            before = held.fit_seconds
        entry = _Grown(model, before + time.perf_counter() - start, 0)
        entry.nbytes = _model_nbytes(model)
        self.cache.put((self.family, self.value), entry, family=self.family,
                       value=self.value)
        if held is not None:
            # superseded: grids list a parameter's values in increasing order
            self.cache.discard((self.family, held_value))
        return model, before

    def _grow(self, model, held_value, X, y):
        growth = boosting_growth(model)
        if growth is not None:
            model = growth.continue_fit(model, X, y, {}, self.value - held_value)
            return model.set_params(**{self.parameter: self.value})
        warm = warm_start_name(self.parameter)
        was = model.get_params(deep=False)[warm]
        model.set_params(**{self.parameter: self.value, warm: True})
        _fit(model, X, y)
        return model.set_params(**{warm: was})


def _model_nbytes(model):
    """Bytes of a fitted model: its arrays, or its pickle for a model of a
    library that keeps it outside Python (LightGBM, XGBoost)."""
    if boosting_growth(model) is None:
        return estimated_nbytes(model)
    return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def _fit(estimator, X, y):
    if y is None:
        estimator.fit(X)
    else:
        estimator.fit(X, y)
