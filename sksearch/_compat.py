"""The few places where sksearch meets scikit-learn across its releases.

Everything version-dependent is here, so that a scikit-learn upgrade is checked
in one file: the 1.9 callback API (absent before: every hook is a no-op), the
HTML repr's block (a private class whose module moved in 1.7), the
multi-metric scorer, and the non-routing forwarding of ``sample_weight`` to the
scorer (done by the installed scikit-learn's own searches only from 1.9 on, so
we do it exactly when they do, and results stay identical to GridSearchCV's).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import inspect
import warnings

import sklearn
from sklearn.metrics import check_scoring
from sklearn.utils import Bunch

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # pragma: no cover - older scikit-learn
    class CallbackSupportMixin:  # noqa: D101 - a placeholder with no behaviour
        pass

    def with_callbacks(method):
        return method

try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # pragma: no cover - older scikit-learn
    from sklearn.utils._estimator_html_repr import _VisualBlock

try:
    from sklearn.model_selection._search import BaseSearchCV as _BaseSearchCV

    _SEARCHES_FORWARD_SAMPLE_WEIGHT = hasattr(
        _BaseSearchCV, "_check_scorers_accept_sample_weight")
except ImportError:  # pragma: no cover
    _SEARCHES_FORWARD_SAMPLE_WEIGHT = False


def init_callback_context(estimator, max_subtasks, X, y, metadata):
    """The root callback context of a fit, or ``None`` before scikit-learn 1.9."""
    if not hasattr(estimator, "_init_callback_context"):
        return None
    return estimator._init_callback_context(max_subtasks=max_subtasks).call_on_fit_task_begin(
        estimator=estimator, X=X, y=y, metadata=metadata)


def has_callbacks(estimator):
    """Whether scikit-learn callbacks listen to ``estimator``'s fit (set on it,
    or propagated from a meta-estimator)."""
    return bool(getattr(estimator, "_skl_callbacks", None))


def subcontext(context, **kwargs):
    return None if context is None else context.subcontext(**kwargs)


def task_begin(context, estimator, X=None, y=None, metadata=None):
    if context is not None:
        context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
    return context


def task_end(context, estimator, X=None, y=None, metadata=None):
    if context is not None:
        context.call_on_fit_task_end(estimator=estimator, X=X, y=y, metadata=metadata)


def propagate(context, sub_estimator):
    if context is None:
        return contextlib.nullcontext()
    return context.propagate_callback_context(sub_estimator)


def visual_block(estimator, name):
    """The HTML repr block of a search: its one (best or given) estimator, as
    scikit-learn's searches draw it."""
    return _VisualBlock("parallel", [estimator], names=[name], name_details=[str(estimator)])


def multimetric_scorer(estimator, scoring, raise_exc):
    """A scorer returning a dict of scores for list/tuple/set/dict ``scoring``."""
    try:
        return check_scoring(estimator, scoring, raise_exc=raise_exc)
    except TypeError as exc:  # pragma: no cover - scikit-learn without raise_exc
        if "raise_exc" not in str(exc):
            raise
        return check_scoring(estimator, scoring)


def scorers_by_name(scorer):
    """``{name: scorer}`` of a multimetric scorer (scikit-learn's private
    ``_MultimetricScorer._scorers``), or ``None`` for a single scorer."""
    return getattr(scorer, "_scorers", None)


def parameter_sampler_without_replacement(sampler):
    """Whether scikit-learn's ``ParameterSampler`` draws ``sampler``'s points
    without replacement (its space is all lists: its private ``_is_all_lists``)."""
    return sampler._is_all_lists()


def routing_enabled():
    return bool(sklearn.get_config().get("enable_metadata_routing", False))


def manual_routing(fit, groups, score):
    """The routing scikit-learn's searches apply when metadata routing is off."""
    return Bunch(
        estimator=Bunch(fit=fit),
        splitter=Bunch(split={"groups": groups}),
        scorer=Bunch(score=score),
    )


def scorer_accepts_sample_weight(scorer, estimator):
    """Whether ``sample_weight`` given to fit should also weight the scores.

    True only where the installed scikit-learn's searches do the same, and the
    scorer takes it; otherwise warn as they do.
    """
    if not _SEARCHES_FORWARD_SAMPLE_WEIGHT:
        return False
    scorers = scorers_by_name(scorer) or {"score": scorer}
    accepted = []
    for name, one in scorers.items():
        if hasattr(one, "_accept_sample_weight"):
            accept = one._accept_sample_weight()
        else:
            try:
                accept = "sample_weight" in inspect.signature(one).parameters
            except (TypeError, ValueError):
                accept = False
        if not accept:
            warnings.warn(
                f"The scoring {name}={one} does not support sample_weight, which may "
                "lead to statistically incorrect results when fitting with "
                "sample_weight.", UserWarning, stacklevel=4)
        accepted.append(accept)
    return any(accepted)
