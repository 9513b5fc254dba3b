"""Growing the models of LightGBM, XGBoost and CatBoost by more boosting rounds.

These libraries have no ``warm_start``; their scikit-learn wrappers continue
a fitted model instead: ``fit(X, y, init_model=booster)`` (LightGBM),
``fit(X, y, xgb_model=booster)`` (XGBoost) and ``fit(X, y, init_model=model)``
(CatBoost) add ``n_estimators`` (``iterations``) rounds to the given model.
An increment of ``increments={"n_estimators": k}`` sets the rounds to the
difference between two values of the schedule and continues the model.

A library is recognised by the module of its classes (``lightgbm``,
``xgboost``, ``catboost``) and the continued-training argument of ``fit``;
none of them is imported here, so sksearch imports without them.

What stays the same as one plain fit, measured with the installed versions
(LightGBM 4.7, XGBoost 3.2, CatBoost 1.2; see ``tests/test_boosting.py``):

- LightGBM and XGBoost without row or column subsampling: the continued
  model predicts exactly what the plain fit's model predicts. With
  subsampling (``subsample``/``bagging_fraction`` < 1, ``colsample_*`` or
  ``feature_fraction`` < 1) the rounds of a continued fit draw other rows and
  columns than one fit's would, so the model differs from one fit (a model
  of the same kind, not the same model). LightGBM restarts its generators
  from the same seeds at each continued fit, which would redraw the first
  increment's subsamples every time; XGBoost does not reseed a continued
  model whose seed is unchanged, so its rounds draw from wherever the
  process's generator was left by earlier fits, and a search would not give
  the same results twice (measured: the same continuation, repeated in one
  thread, predicted probabilities up to 0.39 apart). Each continuation of a
  model that subsamples therefore gets its own seeds (see
  ``BoostingGrowth._reseeded``).
- CatBoost: exact, subsampling included, once ``learning_rate`` is set
  (left unset, CatBoost derives it from the number of iterations, which an
  increment changes; this is refused). A model with a bias (RMSE's
  ``boost_from_average``) that was unpickled -- it came from another worker
  process -- cannot be continued faithfully by CatBoost 1.2; such an
  increment fits all its rounds from the start instead (exact, at the cost
  of a plain fit).

Each continued fit goes through the wrapper's ``fit``, which converts the
training data again (LightGBM's ``Dataset`` binning, XGBoost's quantile
matrix, CatBoost's ``Pool``) and predicts the rounds fitted so far to start
from; the wrappers take no prepared matrix, so this conversion is the cost of
a continued fit on top of its rounds (measured in ``benchmarks/boosting.py
--overhead``). The search therefore continues a model only where the pruner
may decide: the increments in between are one fit, scored after each by
:class:`FirstRounds`. In a Pipeline the transformers are fitted at the first
increment only: later increments transform the training data with them and
continue the last step.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import functools
import inspect
import numbers
import weakref

import numpy as np
from sklearn.base import clone

__all__ = ["BoostingGrowth", "FirstRounds", "boosting_growth"]


class BoostingGrowth:
    """How the model of one boosting library grows by more rounds.

    Attributes
    ----------
    library : str
        The library's module name.
    rounds_parameters : tuple of str
        Names under which the estimator takes its number of rounds; the first
        is the one ``increments`` is given (``"n_estimators"``).
    default_rounds : int
        The rounds of an estimator that leaves them unset.
    """

    library = None
    continue_argument = None
    rounds_parameters = ("n_estimators",)
    default_rounds = 100

    def recognises(self, estimator):
        """Whether ``estimator`` is a model of this library that ``fit`` can
        continue (a class of its module whose ``fit`` takes the argument)."""
        in_library = any(cls.__module__.partition(".")[0] == self.library
                         for cls in type(estimator).__mro__)
        return in_library and self.continue_argument in _fit_parameters(estimator)

    def rounds(self, params):
        """The rounds a plain fit with the estimator parameters ``params`` runs."""
        for name in self.rounds_parameters:
            if params.get(name) is not None:
                return params[name]
        return self.default_rounds

    def refusal(self, estimator, params):
        """Why ``estimator`` with parameters ``params`` cannot grow by
        continued training, or ``None``."""
        return None

    def continues_exactly(self, estimator, params):
        """Whether continuing ``estimator`` (parameters ``params``) by more
        rounds gives exactly the model a plain fit of all its rounds gives:
        it can be continued and draws no subsamples (see the module docs)."""
        return self.refusal(estimator, params) is None and not self._subsamples(params)

    def rounds_name(self, estimator):
        """The name under which ``estimator`` takes its number of rounds."""
        return self._rounds_name(estimator)

    def start(self, estimator, n_rounds):
        """Set the rounds of the not yet fitted ``estimator`` (in place)."""
        estimator.set_params(**{self._rounds_name(estimator): n_rounds})

    def continue_fit(self, model, X, y, fit_params, n_more):
        """Add ``n_more`` rounds to the fitted ``model``; returns the model
        holding all rounds (``model`` itself, or a new one where the library
        allows no change of a fitted model's parameters)."""
        model.set_params(**{self._rounds_name(model): n_more}, **self._reseeded(model))
        model.fit(X, y, **{self.continue_argument: self._previous(model)}, **fit_params)
        return model

    def _reseeded(self, model):
        """Seeds for a continued fit of a model that subsamples, or ``{}``.

        Continued training starts the library's random generators afresh
        from the same seeds, so without this the rounds of every increment
        would draw the subsamples the first increment's rounds drew (the
        model then sees the same rows and columns again and again). Each
        continuation gets seeds derived from the model's own and the rounds
        fitted so far: a fresh draw, and the same one whenever the search is
        repeated. A model that draws nothing is left exactly as it is.
        (For XGBoost the seed replaced is ``random_state`` itself, so each
        continuation's seed derives from the previous one's: a chain that is
        the same on every run.)"""
        params = model.get_params()
        if not self._subsamples(params):
            return {}
        base = params.get("random_state")
        base = int(base) if isinstance(base, numbers.Integral) else 0
        state = np.random.SeedSequence([base % 2**32, self._rounds_done(model)])
        return dict(zip(self.seed_parameters,
                        (int(v) % (2**31 - 1) for v in state.generate_state(
                            len(self.seed_parameters)))))

    #: the estimator parameters seeding the library's subsampling
    seed_parameters = ()

    def _subsamples(self, params):
        return False

    def _rounds_done(self, model):
        return 0

    def _rounds_name(self, estimator):
        return self.rounds_parameters[0]

    def _previous(self, model):
        return model

    def first_rounds(self, n_rounds):
        """The keyword arguments of the wrapper's predict methods that predict
        with the model's first ``n_rounds`` rounds only."""
        raise NotImplementedError


class _LightGBM(BoostingGrowth):
    library = "lightgbm"
    continue_argument = "init_model"

    def refusal(self, estimator, params):
        if params.get("boosting_type") == "rf":
            return ("LightGBM's random forest mode (boosting_type='rf') cannot continue "
                    "a fitted model")
        return None

    def _previous(self, model):
        return model.booster_

    seed_parameters = ("bagging_seed", "feature_fraction_seed")

    def _subsamples(self, params):
        bagging = (_below_one(params, "subsample", "bagging_fraction", "pos_bagging_fraction",
                              "neg_bagging_fraction")
                   and any((params.get(k) or 0) > 0 for k in ("subsample_freq", "bagging_freq")))
        return bagging or _below_one(params, "colsample_bytree", "feature_fraction",
                                     "feature_fraction_bynode")

    def _rounds_done(self, model):
        return model.booster_.current_iteration()

    def first_rounds(self, n_rounds):
        return {"num_iteration": int(n_rounds)}


class _XGBoost(BoostingGrowth):
    library = "xgboost"
    continue_argument = "xgb_model"

    def refusal(self, estimator, params):
        if type(estimator).__name__.startswith("XGBRF"):
            return (f"{type(estimator).__name__} fits its n_estimators trees in one "
                    "boosting round, which continued training cannot cut")
        return None

    def _previous(self, model):
        return model.get_booster()

    # the whole seed: XGBoost takes no separate seeds for its samplers, and a
    # continued model is reseeded only when its seed changes
    seed_parameters = ("random_state",)

    def _subsamples(self, params):
        return _below_one(params, "subsample", "colsample_bytree", "colsample_bylevel",
                          "colsample_bynode")

    def _rounds_done(self, model):
        return model.get_booster().num_boosted_rounds()

    def first_rounds(self, n_rounds):
        return {"iteration_range": (0, int(n_rounds))}


class _CatBoost(BoostingGrowth):
    library = "catboost"
    continue_argument = "init_model"
    rounds_parameters = ("n_estimators", "iterations", "num_boost_round", "num_trees")
    default_rounds = 1000

    def refusal(self, estimator, params):
        if params.get("learning_rate") is None:
            return ("CatBoost chooses its learning_rate from the number of iterations "
                    "when learning_rate is not set, and an increment changes that "
                    "number; set learning_rate in the estimator or the space")
        return None

    def _rounds_name(self, estimator):
        # CatBoost refuses two aliases of the rounds set at once: keep the one
        # the estimator already uses
        params = estimator.get_params()
        return next((name for name in self.rounds_parameters if name in params),
                    "iterations")

    def __init__(self):
        # CatBoost models fitted in this process. A model that comes back from
        # a pickle (from another worker), a copy() or a file loses what
        # CatBoost 1.2 needs to continue one with a bias (boost_from_average,
        # the default of RMSE): continued from it, the model is not the
        # plain fit's (tests/test_boosting.py shows the difference).
        # (by id: CatBoost models are unhashable)
        self._fitted_here = weakref.WeakValueDictionary()

    def start(self, estimator, n_rounds):
        super().start(estimator, n_rounds)
        self._fitted_here[id(estimator)] = estimator

    def continue_fit(self, model, X, y, fit_params, n_more):
        n_rounds = model.tree_count_ + n_more
        if (self._fitted_here.get(id(model)) is not model
                and model.get_scale_and_bias()[1] != 0):
            # cannot be continued faithfully: fit the rounds from the start
            grown = clone(model).set_params(**{self._rounds_name(model): n_rounds})
            grown.fit(X, y, **fit_params)
        else:
            # a fitted CatBoost model's parameters cannot change: continue
            # into a copy with the rounds to add
            grown = clone(model).set_params(**{self._rounds_name(model): n_more})
            grown.fit(X, y, init_model=model, **fit_params)
        self._fitted_here[id(grown)] = grown
        return grown

    def first_rounds(self, n_rounds):
        return {"ntree_end": int(n_rounds)}


_LIBRARIES = (_LightGBM(), _XGBoost(), _CatBoost())


class FirstRounds:
    """A fitted boosting model (alone or the last step of a Pipeline) as its
    first rounds predict, for a scorer to read.

    Boosting is sequential: the first ``r`` rounds of a model fitted with
    ``v > r`` rounds are the model a fit of ``r`` rounds gives (when the
    library draws no subsamples; otherwise a model of the same kind, see the
    module docs). A fold fitted whole is scored after each increment this way,
    with the library's own argument of ``predict``/``predict_proba``/
    ``decision_function`` that limits the rounds (LightGBM's
    ``num_iteration``, XGBoost's ``iteration_range``, CatBoost's
    ``ntree_end``). Every other attribute is the model's, so a scorer sees a
    classifier or regressor with its classes and tags; ``score`` is the
    accuracy or R² of the truncated predictions, as the wrappers' own.
    """

    _PREDICTS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

    def __init__(self, estimator, model, growth, n_rounds):
        self._estimator = estimator  # what the scorer would have read
        self._model = model  # the boosting model: estimator or its last step
        self._kwargs = growth.first_rounds(n_rounds)

    def __getattr__(self, name):
        if name.startswith("__") and name != "__sklearn_tags__":
            raise AttributeError(name)
        if name not in self._PREDICTS:
            return getattr(self._estimator, name)
        getattr(self._estimator, name)  # AttributeError where it has no such method
        method = getattr(self._model, name)
        if not all(k in _parameters(method) for k in self._kwargs):
            raise AttributeError(f"{type(self._model).__name__}.{name} cannot predict with "
                                 "its first rounds only")
        kwargs = self._kwargs
        transform = None if self._model is self._estimator else self._estimator[:-1].transform

        @functools.wraps(method)
        def truncated(X, *args, **more):
            return method(X if transform is None else transform(X), *args,
                          **{**more, **kwargs})

        return truncated

    def score(self, X, y, sample_weight=None):
        from sklearn.base import is_classifier
        from sklearn.metrics import accuracy_score, r2_score

        metric = accuracy_score if is_classifier(self._estimator) else r2_score
        return metric(y, self.predict(X), sample_weight=sample_weight)


def boosting_growth(estimator):
    """The :class:`BoostingGrowth` of ``estimator``'s library, or ``None``
    for an estimator of none of them.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> boosting_growth(RandomForestClassifier()) is None
    True
    """
    return next((growth for growth in _LIBRARIES if growth.recognises(estimator)), None)


def _below_one(params, *names):
    """Whether any of the fractions ``names`` is set below one."""
    return any(isinstance(params.get(n), numbers.Real) and params[n] < 1 for n in names)


def _fit_parameters(estimator):
    return _parameters(getattr(estimator, "fit", None))


def _parameters(method):
    try:
        return inspect.signature(method).parameters
    except (AttributeError, TypeError, ValueError):
        return {}
