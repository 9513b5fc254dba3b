"""Fitting one fold in increments, so a pruner can stop a candidate mid-fold.

``BayesSearchCV(increments={name: k})`` cuts each fold's fit of an iterative
estimator into ``k`` increments and scores the model after each one:

- ``{"n_estimators": k}`` (or another integer parameter known to grow the
  model under ``warm_start``: ``max_iter`` of HistGradientBoosting,
  ``n_estimators`` of forests, bagging and gradient boosting,
  ``step__n_estimators`` inside a Pipeline; see :func:`cumulative_parameters`
  for how an estimator of another library declares its own): the parameter
  goes to ``ceil(v * (i + 1) / k)`` at increment ``i``, where ``v`` is the
  candidate's value, and the estimator is refitted with ``warm_start=True``,
  which only adds to the model. After the last
  increment the model is the one a plain fit with ``v`` gives, so without
  pruning the scores equal GridSearchCV's.
- ``{"n_estimators": k}`` for LightGBM, XGBoost and CatBoost models (alone or
  as the last step of a Pipeline): the same schedule of boosting rounds, each
  increment continuing the fitted model through the library's own
  continued-training argument of ``fit`` (see :mod:`sksearch._boosting` for
  when that equals one plain fit).
- ``{"partial_fit": k}``: ``k`` calls of ``partial_fit`` (one pass over the
  training fold each, with ``classes`` for classifiers). This *is* the
  training procedure: the refitted ``best_estimator_`` is trained the same way
  on the whole data.

Steps of the study are then increments: the score after increment ``i`` of
fold ``f`` is reported at step ``f * k + i``, and the study's
:class:`~sksearch.pruners.StepLayout` has ``per_fold == k``.

A task of the search runs the increments of a fold up to the next step where
the pruner may decide (``BasePruner.decision_steps``). A boosting model then
grows once to the task's last increment and is scored after each increment by
its first rounds (:meth:`Increments.fits_at_once`, :meth:`Increments.scored_model`):
a fold that no decision reads inside costs one plain fit.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import inspect
import math
import numbers

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.multiclass import unique_labels

from ._boosting import FirstRounds, boosting_growth

__all__ = ["Increments", "IncrementsError", "class_labels", "cumulative_parameters",
           "fit_all_increments", "fit_increment"]

PARTIAL_FIT = "partial_fit"


class IncrementsError(ValueError):
    """The estimator cannot be fitted in the increments asked for: a
    configuration error, raised whatever ``error_score`` says."""


class Increments:
    """A validated ``increments`` argument: what grows, and in how many steps.

    Parameters
    ----------
    parameter : str
        The estimator parameter that grows under ``warm_start``, or
        ``"partial_fit"``.
    n : int
        Increments per fold.
    """

    def __init__(self, parameter, n):
        self.parameter = parameter
        self.n = n

    @classmethod
    def from_spec(cls, spec, estimator, space=None):
        """Validate ``BayesSearchCV(increments=spec)`` against ``estimator``
        and, when given, the parsed search ``space`` (the grown parameter
        must never be smaller than the number of increments); ``None`` stays
        ``None``. Raises before any model is fitted."""
        if spec is None:
            return None
        parameter, n = _spec_entry(spec)
        if parameter == PARTIAL_FIT:
            _check_partial_fit(spec, estimator)
            return cls(parameter, int(n))
        growth, owner = _boosting_owner(estimator, parameter)
        if growth is not None:
            _check_boosting(spec, estimator, owner, growth, parameter)
        else:
            _check_warm_start(spec, estimator, parameter, n)
        if space is not None:
            _check_smallest(estimator, space, parameter, n)
        return cls(parameter, int(n))

    @property
    def grows_parameter(self):
        return self.parameter != PARTIAL_FIT

    def fits_at_once(self, estimator):
        """Whether several increments of ``estimator`` (as given, or a fitted
        one) can run as one fit, scored after each by its first rounds (see
        :class:`~sksearch._boosting.FirstRounds`): LightGBM, XGBoost and
        CatBoost classifiers and regressors. Others (``warm_start``,
        ``partial_fit``) run their increments one fit at a time."""
        if not self.grows_parameter:
            return False
        growth, owner = _boosting_owner(estimator, self.parameter)
        return growth is not None and (is_classifier(owner) or is_regressor(owner))

    def scored_model(self, estimator, schedule, index, last):
        """The model to score after increment ``index`` of ``estimator``, which
        was fitted through increment ``last`` (>= ``index``): ``estimator``
        itself when both hold the same rounds, else its first rounds."""
        if index == last or schedule[index] == schedule[last]:
            return estimator
        growth, owner = _boosting_owner(estimator, self.parameter)
        return FirstRounds(estimator, owner, growth, schedule[index])

    def schedule(self, estimator, parameters):
        """The parameter's value at each increment for one candidate, or
        ``None`` for ``partial_fit``. Raises if the final value is not an int."""
        if not self.grows_parameter:
            return None
        prefix = self.parameter.rpartition("__")[0]
        owner = parameters.get(prefix, _step(estimator, prefix)) if prefix else estimator
        growth = boosting_growth(owner)
        if growth is None:
            final = parameters.get(self.parameter, estimator.get_params()[self.parameter])
        else:
            owner_params = {**owner.get_params(), **_step_parameters(parameters, prefix)}
            reason = growth.refusal(owner, owner_params)
            if reason is not None:
                raise IncrementsError(
                    f"increments={{{self.parameter!r}: {self.n}}} cannot grow "
                    f"{type(owner).__name__} with parameters {parameters!r}: {reason}.")
            final = parameters.get(self.parameter, growth.rounds(owner_params))
        if not isinstance(final, numbers.Integral) or isinstance(final, bool) or final < 1:
            raise ValueError(
                f"increments grows {self.parameter!r}, so every candidate's value of it "
                f"must be an int >= 1; got {final!r} for parameters {parameters!r}."
            )
        if final < self.n:
            # Some increments would repeat the one before: steps that hold no
            # new model, which a pruner reads as the model not improving.
            raise IncrementsError(_too_small(self.parameter, self.n, final,
                                             f"parameters {parameters!r}"))
        return [math.ceil(int(final) * (i + 1) / self.n) for i in range(self.n)]

    def __repr__(self):
        return f"Increments({self.parameter!r}, {self.n})"


def cumulative_parameters(estimator):
    """Names of the parameters of ``estimator`` that grow the model under
    ``warm_start``: refitting with a larger value only adds to what was fitted.

    Known: ``n_estimators`` of forests, extra trees, bagging, isolation forests
    and gradient boosting; ``max_iter`` of HistGradientBoosting; the boosting
    rounds of LightGBM, XGBoost and CatBoost models, which grow by continued
    training instead of ``warm_start`` (:mod:`sksearch._boosting`). An estimator
    of another library opts in with a class attribute::

        class MyBoosting(BaseEstimator):
            sksearch_cumulative_params = ("n_rounds",)
    """
    declared = getattr(type(estimator), "sksearch_cumulative_params", None)
    if declared is not None:
        return tuple(declared)
    growth = boosting_growth(estimator)
    if growth is not None:
        return growth.rounds_parameters
    from sklearn import ensemble

    growing_trees = (ensemble.RandomForestClassifier, ensemble.RandomForestRegressor,
                     ensemble.ExtraTreesClassifier, ensemble.ExtraTreesRegressor,
                     ensemble.RandomTreesEmbedding, ensemble.IsolationForest,
                     ensemble.BaggingClassifier, ensemble.BaggingRegressor,
                     ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor)
    if isinstance(estimator, growing_trees):
        return ("n_estimators",)
    if isinstance(estimator, (ensemble.HistGradientBoostingClassifier,
                              ensemble.HistGradientBoostingRegressor)):
        return ("max_iter",)
    return ()


def _what_grows(estimator, parameter, n):
    """``"; HistGradientBoostingClassifier grows by 'max_iter': ..."`` for an
    ``increments`` parameter the estimator (or its Pipeline step) lacks."""
    if not isinstance(parameter, str):
        return ""
    prefix = parameter.rpartition("__")[0]
    owner = estimator.get_params().get(prefix) if prefix else estimator
    grows = cumulative_parameters(owner) if hasattr(owner, "get_params") else ()
    if not grows:
        return ""
    name = f"{prefix}__{grows[0]}" if prefix else grows[0]
    return f"; {type(owner).__name__} grows by {grows[0]!r}: use increments={{{name!r}: {n}}}"


def warm_start_name(parameter):
    """``warm_start`` next to ``parameter``: ``clf__warm_start`` for
    ``clf__n_estimators``."""
    prefix, _, _ = parameter.rpartition("__")
    return f"{prefix}__warm_start" if prefix else "warm_start"


def fit_increment(estimator, X, y, fit_params, increments, schedule, index, classes=None,
                  last=None):
    """Run increment ``index`` of ``increments`` on ``estimator`` (through
    increment ``last`` in the same fit, for a model that
    :meth:`Increments.fits_at_once`).

    Returns ``(estimator, refitted)``: the model after the increment (the
    same object, fitted in place, except for a CatBoost model, which is
    continued into a new one) and False when the increment repeats the
    previous value of a grown parameter, so nothing was fitted and the
    previous score stands.
    """
    last = index if last is None else last
    if not increments.grows_parameter:
        kwargs = dict(fit_params)
        if classes is not None and "classes" in _parameters_of(estimator.partial_fit):
            kwargs["classes"] = classes
        if y is None:
            estimator.partial_fit(X, **kwargs)
        else:
            estimator.partial_fit(X, y, **kwargs)
        return estimator, True
    if index > 0 and schedule[last] == schedule[index - 1]:
        return estimator, False
    growth, owner = _boosting_owner(estimator, increments.parameter)
    if growth is not None:
        return _grow_boosting(estimator, owner, growth, X, y, fit_params, schedule, index,
                              last), True
    if last != index:
        raise ValueError(f"{type(estimator).__name__} grows one increment per fit.")
    estimator.set_params(**{increments.parameter: schedule[index],
                            warm_start_name(increments.parameter): True})
    if y is None:
        estimator.fit(X, **fit_params)
    else:
        estimator.fit(X, y, **fit_params)
    n_iter = _iterations_run(_final_step(estimator))
    if n_iter is not None and n_iter > schedule[index]:
        # warm_start refits that *add* max_iter iterations each time (MLP) would
        # train far longer than the candidate asked for.
        raise IncrementsError(
            f"{type(_final_step(estimator)).__name__} ran {n_iter} iterations after "
            f"increments set {increments.parameter}={schedule[index]}: the parameter is "
            "not cumulative under warm_start. Use increments={'partial_fit': k} instead."
        )
    return estimator, True


def fit_all_increments(estimator, X, y, fit_params, increments, parameters):
    """Train ``estimator`` the way a fold is trained with ``increments``: for
    ``partial_fit``, ``n`` passes (used to refit the best candidate)."""
    schedule = increments.schedule(estimator, parameters)
    classes = class_labels(estimator, y)
    for index in range(increments.n):
        estimator, _ = fit_increment(estimator, X, y, fit_params, increments, schedule,
                                     index, classes)
    return estimator


def class_labels(estimator, y):
    """The classes ``partial_fit`` of a classifier needs on its first call:
    those of the whole training data, so every fold knows every class."""
    if y is None or not is_classifier(estimator):
        return None
    y = np.asarray(y)
    if y.ndim > 1:
        return None
    return unique_labels(y)


def _spec_entry(spec):
    """The ``(parameter, n)`` of an ``increments`` dict, checked to be one
    entry with an int ``n >= 1``."""
    if not (isinstance(spec, dict) and len(spec) == 1):
        raise ValueError(
            "increments must be None or a dict with one entry, {parameter: "
            "n_increments} or {'partial_fit': n_increments}; got " f"{spec!r}."
        )
    (parameter, n), = spec.items()
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 1:
        raise ValueError(
            f"increments={spec!r}: the number of increments must be an int >= 1, "
            f"got {n!r}."
        )
    return parameter, n


def _too_small(parameter, n, value, where):
    return (f"increments={{{parameter!r}: {n}}} cuts each fold into {n} increments of "
            f"{parameter!r}, which can be {value!r} ({where}): each increment must add at "
            f"least one, so {parameter!r} must be >= {n}. Search values >= {n}, or ask for "
            f"fewer increments.")


def _check_smallest(estimator, space, parameter, n):
    """Raise, naming ``increments``, when the grown ``parameter`` can be
    smaller than ``n``: its smallest searched value in any dict of ``space``,
    or the estimator's own value where it is not searched. A define-by-run
    space is checked candidate by candidate (:meth:`Increments.schedule`)."""
    branches = getattr(space, "branches", None) or [space]
    for branch in branches:
        searched = getattr(branch, "params", None)
        if searched is None:
            return  # define-by-run
        prefix = parameter.rpartition("__")[0]
        if prefix and prefix in searched:
            continue  # the step itself is searched: checked per candidate
        if parameter in searched:
            distribution = searched[parameter]
            smallest, where = _smallest(distribution), f"searched in {distribution!r}"
        else:
            smallest, where = _fixed_value(estimator, parameter), "the estimator's value"
        if smallest is not None and smallest < n:
            raise IncrementsError(_too_small(parameter, n, smallest, where))


def _smallest(distribution):
    """The smallest int a distribution draws, or ``None`` (not ints: the
    schedule refuses those itself)."""
    if isinstance(getattr(distribution, "low", None), numbers.Integral):
        return distribution.low
    ints = [c for c in getattr(distribution, "choices", ())
            if isinstance(c, numbers.Integral) and not isinstance(c, bool)]
    return min(ints) if ints else None


def _fixed_value(estimator, parameter):
    prefix = parameter.rpartition("__")[0]
    owner = _step(estimator, prefix) if prefix else estimator
    growth = boosting_growth(owner) if owner is not None else None
    value = (estimator.get_params().get(parameter) if growth is None
             else growth.rounds(owner.get_params()))
    return value if isinstance(value, numbers.Integral) and not isinstance(value, bool) else None


def _check_partial_fit(spec, estimator):
    if not hasattr(estimator, "partial_fit"):
        raise ValueError(
            f"increments={spec!r} needs an estimator with partial_fit; "
            f"{type(estimator).__name__} has none."
        )


def _check_warm_start(spec, estimator, parameter, n):
    """Check that ``parameter`` of ``estimator`` (not a boosting model's
    rounds) grows the model under its ``warm_start``."""
    params = estimator.get_params()
    if not isinstance(parameter, str) or parameter not in params:
        raise ValueError(
            f"increments={spec!r}: {parameter!r} is not a parameter of "
            f"{type(estimator).__name__} (nor 'partial_fit')"
            f"{_what_grows(estimator, parameter, n)}."
        )
    if warm_start_name(parameter) not in params:
        raise ValueError(
            f"increments={spec!r}: growing {parameter!r} in increments needs a "
            f"'{warm_start_name(parameter)}' parameter, which "
            f"{type(estimator).__name__} does not have; use an estimator with "
            "warm_start, or 'partial_fit'."
        )
    prefix, _, name = parameter.rpartition("__")
    _check_cumulative(spec, params[prefix] if prefix else estimator, name, n)


def _check_cumulative(spec, owner, name, n):
    """Check that ``name`` is a parameter known to only add to ``owner``'s
    model when it grows."""
    grows = cumulative_parameters(owner)
    if name in grows:
        return
    # warm_start alone proves nothing: under it max_depth changes every
    # tree added later, and max_iter of an MLP or a linear model runs
    # that many more iterations; the folds would not score the model a
    # plain fit gives.
    known = (f"{type(owner).__name__} grows by "
             + " or ".join(repr(g) for g in grows) if grows else
             f"{type(owner).__name__} has no parameter known to grow it")
    raise IncrementsError(
        f"increments={spec!r}: {name!r} of {type(owner).__name__} is not cumulative "
        "under warm_start, as far as sksearch knows (refitting with a larger value "
        f"must only add to the model); {known}. Use "
        f"increments={{'partial_fit': {n}}} for an estimator with partial_fit, "
        "or declare the parameter in a 'sksearch_cumulative_params' class "
        "attribute of your estimator."
    )


def _boosting_owner(estimator, parameter):
    """``(growth, model)`` when ``parameter`` names the rounds of a LightGBM,
    XGBoost or CatBoost model (``estimator`` or one of its steps), else
    ``(None, None)``."""
    if not isinstance(parameter, str):
        return None, None
    prefix = parameter.rpartition("__")[0]
    owner = _step(estimator, prefix) if prefix else estimator
    growth = boosting_growth(owner) if owner is not None else None
    return (growth, owner) if growth is not None else (None, None)


def _check_boosting(spec, estimator, owner, growth, parameter):
    """Refuse what continued training of ``owner`` cannot grow in increments."""
    prefix, _, name = parameter.rpartition("__")
    kind = type(owner).__name__
    if name not in growth.rounds_parameters:
        raise IncrementsError(
            f"increments={spec!r}: {kind} grows by its boosting rounds, "
            + " or ".join(repr(f"{prefix}__{g}" if prefix else g)
                          for g in growth.rounds_parameters[:2])
            + f", not {name!r}.")
    if prefix and prefix != _final_step_name(estimator):
        raise IncrementsError(
            f"increments={spec!r}: a {kind} grows in increments on its own or as the "
            f"last step of a Pipeline, not as {prefix!r} of {type(estimator).__name__}.")
    reason = growth.refusal(owner, owner.get_params())
    if reason is not None:
        raise IncrementsError(f"increments={spec!r}: {reason}.")


def _grow_boosting(estimator, owner, growth, X, y, fit_params, schedule, index, last):
    """Increments ``index`` through ``last`` of a boosting model, alone or as
    the last step of a Pipeline, in one fit; returns the estimator holding
    the grown model."""
    if index == 0:
        growth.start(owner, schedule[last])
        estimator.fit(X, y, **fit_params)
        return estimator
    n_more = schedule[last] - schedule[index - 1]
    if owner is estimator:
        return growth.continue_fit(estimator, X, y, fit_params, n_more)
    # The transformers were fitted at the first increment and are
    # deterministic functions of the same training rows: transform with them
    # and continue the last step only.
    name = estimator.steps[-1][0]
    step_fit_params = {key.partition("__")[2]: value for key, value in fit_params.items()
                       if key.startswith(f"{name}__")}
    grown = growth.continue_fit(owner, estimator[:-1].transform(X), y, step_fit_params,
                                n_more)
    if grown is not owner:
        estimator.set_params(**{name: grown})
    return estimator


def _step(estimator, prefix):
    step = estimator.get_params().get(prefix)
    return step if hasattr(step, "fit") else None


def _step_parameters(parameters, prefix):
    """The entries of ``parameters`` that set the step ``prefix``, named as
    the step names them (all plain names without a prefix)."""
    if not prefix:
        return {key: value for key, value in parameters.items() if "__" not in key}
    start = f"{prefix}__"
    return {key[len(start):]: value for key, value in parameters.items()
            if key.startswith(start) and "__" not in key[len(start):]}


def _final_step_name(estimator):
    steps = getattr(estimator, "steps", None)
    return steps[-1][0] if steps else None


def _iterations_run(estimator):
    """The iterations a fitted model says it ran in all, if it says:
    ``loss_curve_`` keeps growing across warm starts, ``n_iter_`` may not."""
    curve = getattr(estimator, "loss_curve_", None)
    if curve is not None:
        return len(curve)
    n_iter = getattr(estimator, "n_iter_", None)
    return int(n_iter) if isinstance(n_iter, numbers.Integral) else None


def _final_step(estimator):
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _parameters_of(method):
    try:
        return inspect.signature(method).parameters
    except (TypeError, ValueError):
        return {}
