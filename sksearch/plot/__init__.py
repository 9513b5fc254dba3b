"""Plots of a search or study (matplotlib, the ``plot`` extra; plotly optional).

Every function takes a fitted :class:`~sksearch.BayesSearchCV` (or
``GridSearchCV``/``RandomizedSearchCV`` of sksearch) or a
:class:`~sksearch.Study`. With ``backend="matplotlib"`` (the default) it draws
on ``ax`` (a new figure when ``None``) and returns the Axes; none calls
``show``. With ``backend="plotly"`` it returns an interactive
``plotly.graph_objects.Figure``. Importing this module imports neither
library; calling a function without the one it needs raises an ImportError
saying how to install it (``pip install sksearch[plot]`` installs both).

The plots of one value take ``target=`` (an objective's index, or a callable
``FrozenTrial -> float``) and ``target_name=``; a study of several objectives
needs a target (the intermediate values and the timeline draw no value).

What to draw is computed once (``_data``, ``_timeline``) and drawn by either
backend (``_matplotlib``, ``_plotly``), so both show the same trials, ticks
and labels. Parameters read as the user wrote them: log parameters on log
axes with ticks that do not crowd, categorical ones by their choices, and the
branch of a list-of-dicts space by the estimator (or values) it fixes.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import functools
import importlib
import inspect

from .._validation import AnyOf, InstanceOf, Options, validate
from . import _data
from ._pareto import plot_hypervolume_history, plot_pareto_front
from ._source import read
from ._timeline import timeline_data

__all__ = [
    "plot_contour",
    "plot_edf",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinates",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
]

# The parameters every plot of one value shares, written once and put into
# each docstring in full (help() and the API docs show them as written).
_VALUE_PARAMETERS = (
    "target : int, callable or None, default=None\n"
    "        The value to draw: ``None`` for a study of one objective; an\n"
    "        objective's index, or a callable ``FrozenTrial -> float`` (called on\n"
    "        each complete trial), required for a study of several objectives.\n"
    "    target_name : str or None, default=None\n"
    "        The value's axis label; by default the objective's (a search's metric\n"
    "        name), or ``\"target\"`` for a callable.\n"
    "    backend : {\"matplotlib\", \"plotly\"}, default=\"matplotlib\"")


_BACKENDS = {"matplotlib": "._matplotlib", "plotly": "._plotly"}
# The keyword options the plots share, checked before anything is read or
# drawn, with the message naming the plot (sksearch._validation).
_OPTION_CONSTRAINTS = {
    "backend": Options(*_BACKENDS),
    "target_name": AnyOf(None, InstanceOf(str, description="a str")),
}


def _checked(function):
    """``function`` with its shared keyword options checked when it is called."""
    signature = inspect.signature(function)
    names = [name for name in _OPTION_CONSTRAINTS if name in signature.parameters]

    @functools.wraps(function)
    def plot(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        validate(function, {name: bound.arguments[name] for name in names},
                 _OPTION_CONSTRAINTS)
        return function(*args, **kwargs)
    return plot


def _value_plot(function):
    """Fill in the shared parameters of a plot of one value's docstring."""
    function.__doc__ = function.__doc__.replace("%(value_parameters)s", _VALUE_PARAMETERS)
    return _checked(function)


def _draw(name, data, backend, ax=None, **options):
    """Draw ``data`` with the backend's function ``name`` (``backend``
    checked already)."""
    if backend == "plotly" and ax is not None:
        raise ValueError("ax/axes are matplotlib Axes; leave them None with "
                         "backend='plotly'.")
    module = importlib.import_module(_BACKENDS[backend], __name__)
    module.check()
    if backend == "matplotlib":
        return getattr(module, name)(data, ax, **options)
    return getattr(module, name)(data, **options)


@_value_plot
def plot_optimization_history(obj, ax=None, *, target=None, target_name=None,
                              backend="matplotlib"):
    """Each trial's value by trial number, and the best value so far.

    Pruned trials are drawn in grey at their partial value; failed trials are
    left out.

    Parameters
    ----------
    obj : fitted search or Study
    ax : matplotlib Axes, optional
    %(value_parameters)s

    Returns
    -------
    matplotlib Axes, or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_optimization_history
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    >>> plot_optimization_history(study).get_title()
    'Optimization history'
    """
    return _draw("history", _data.history_data(read(obj, target, target_name)), backend, ax)


@_value_plot
def plot_param_importances(obj, ax=None, method="fanova", random_state=0, *, target=None,
                           target_name=None, backend="matplotlib"):
    """Horizontal bars of :func:`sksearch.importance.param_importances`.

    When every complete trial has the same value there is nothing to explain:
    a ``UserWarning`` says so, and the plot says so instead of showing shares.

    Parameters
    ----------
    obj : fitted search or Study
    ax : matplotlib Axes, optional
        Where to draw (matplotlib only); a new figure when ``None``.
    method : {"fanova", "permutation"}, default="fanova"
    random_state : int or None, default=0
        Seeds the random forest of the importances.
    %(value_parameters)s

    Returns
    -------
    matplotlib Axes, or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_param_importances
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + 0 * t.suggest_float("y", 0, 1),
    ...                n_trials=20)
    >>> ax = plot_param_importances(study)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['y', 'x']
    """
    source = read(obj, target, target_name)
    return _draw("importances", _data.importance_data(source, obj, method, random_state),
                 backend, ax)


@_value_plot
def plot_slice(obj, params=None, axes=None, *, target=None, target_name=None,
               backend="matplotlib"):
    """Value against each parameter, one panel per parameter, coloured by trial
    number.

    Log-scaled parameters get a log axis, categorical ones their choices as
    ticks and the branch of a list-of-dicts space its estimators' names.

    Parameters
    ----------
    obj : fitted search or Study
    params : list of str, optional
        Parameters to show, by name; by default every one that varies.
    axes : array of matplotlib Axes, optional
        One per parameter (matplotlib only); a new figure when ``None``.
    %(value_parameters)s

    Returns
    -------
    ndarray of matplotlib Axes (one per parameter), or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_slice
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("lr", 1e-3, 1e-1, log=True), n_trials=10)
    >>> [ax.get_xscale() for ax in plot_slice(study)]
    ['log']
    """
    return _draw("panels", _data.slice_data(read(obj, target, target_name), params), backend,
                 axes)


@_value_plot
def plot_rank(obj, params=None, axes=None, *, target=None, target_name=None,
              backend="matplotlib"):
    """Each parameter against the rank of the trial's value (1 = best, at the
    top), coloured by the value.

    Ranks, unlike the values of :func:`plot_slice`, are spread evenly, so a few
    very bad trials do not squash the differences among the good ones: the
    region of a parameter where the best ranks gather is where to look.

    Parameters
    ----------
    obj : fitted search or Study
    params : list of str, optional
        Parameters to show, by name; by default every one that varies.
    axes : array of matplotlib Axes, optional
        One per parameter (matplotlib only); a new figure when ``None``.
    %(value_parameters)s

    Returns
    -------
    ndarray of matplotlib Axes (one per parameter), or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_rank
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    >>> axes = plot_rank(study)
    >>> axes[0].get_ylabel(), bool(axes[0].yaxis_inverted())
    ('rank of the value (1 = best)', True)
    """
    return _draw("panels", _data.rank_data(read(obj, target, target_name), params), backend,
                 axes)


@_value_plot
def plot_parallel_coordinates(obj, params=None, ax=None, *, target=None, target_name=None,
                              backend="matplotlib"):
    """One line per complete trial across the parameters' axes, coloured by
    value, with a colour bar; the value is the last axis.

    Each axis covers the range the trials took and is labelled with its values:
    log parameters by decades, categoricals (and branches) by their names. A
    parameter absent from a trial (another branch) sends its line to an "(absent)"
    tick below that axis.

    Parameters
    ----------
    obj : fitted search or Study
    params : list of str, optional
        Parameters to show, by name; by default every one that varies.
    ax : matplotlib Axes, optional
        Where to draw (matplotlib only); a new figure when ``None``.
    %(value_parameters)s

    Returns
    -------
    matplotlib Axes, or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_parallel_coordinates
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    >>> ax = plot_parallel_coordinates(study)
    >>> [label.get_text() for label in ax.get_xticklabels()]
    ['x', 'objective value']
    """
    return _draw("parallel", _data.parallel_data(read(obj, target, target_name), params),
                 backend, ax)


@_value_plot
def plot_contour(obj, x, y, ax=None, levels=12, *, target=None, target_name=None,
                 backend="matplotlib"):
    """Value interpolated over two parameters, with the trials on top.

    The surface is interpolated linearly between trials (log parameters by
    decades), so it is only as good as the trials' coverage. When the trials
    span no area (fewer than three distinct points, all on a line) or an axis
    is categorical (no order to interpolate along), the trials are drawn as a
    scatter coloured by value, the title says why and a ``UserWarning`` too.

    Parameters
    ----------
    obj : fitted search or Study
    x, y : str
        The parameters of the horizontal and vertical axes.
    ax : matplotlib Axes, optional
        Where to draw (matplotlib only); a new figure when ``None``.
    levels : int, default=12
        Contour levels.
    %(value_parameters)s

    Returns
    -------
    matplotlib Axes, or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_contour
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) * t.suggest_float("y", 0, 1),
    ...                n_trials=20)
    >>> plot_contour(study, "x", "y").get_title()
    'y vs x'
    """
    data = _data.contour_data(read(obj, target, target_name), x, y)
    options = {"levels": levels}
    return _draw("contour", data, backend, ax, **options)


@_checked
def plot_intermediate_values(obj, ax=None, *, backend="matplotlib"):
    """Each trial's reported values by step: in a search, fold scores by fold
    (or by increment). Pruned trials are grey and end with a cross where they
    stopped.

    Parameters
    ----------
    obj : fitted search or Study
    ax : matplotlib Axes, optional
        Where to draw (matplotlib only); a new figure when ``None``.
    backend : {"matplotlib", "plotly"}, default="matplotlib"

    Returns
    -------
    matplotlib Axes, or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_intermediate_values
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", 0, 1)
    ...     for step in range(3):
    ...         trial.report(x * step, step)
    ...     return x
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(objective, n_trials=4)
    >>> plot_intermediate_values(study).get_xlabel()
    'step'
    """
    return _draw("intermediate", _data.intermediate_data(read(obj, values=False)), backend, ax)


@_checked
def plot_timeline(obj, ax=None, *, backend="matplotlib"):
    """When each task ran: bars over wall time, one row per worker.

    For a search, each bar is one task that fitted a fold (or a batch of a
    fold's increments), on the row of the worker (process and thread) that
    ran it, so gaps show idle workers. Pruned candidates are grey, failed fits
    red. A plain :class:`~sksearch.Study` records only when each trial started
    and finished: each trial is one bar, on the first of as many rows
    ("lanes") as trials ran at once.

    Parameters
    ----------
    obj : fitted search or Study
    ax : matplotlib Axes, optional
        Where to draw (matplotlib only); a new figure when ``None``.
    backend : {"matplotlib", "plotly"}, default="matplotlib"

    Returns
    -------
    matplotlib Axes, or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_timeline
    >>> study = Study(sampler="random", random_state=0)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    >>> ax = plot_timeline(study)
    >>> len(ax.patches), ax.get_ylabel()
    (5, 'concurrent trials')
    """
    return _draw("timeline", timeline_data(read(obj, values=False)), backend, ax)


@_value_plot
def plot_edf(objs, ax=None, labels=None, *, target=None, target_name=None,
             backend="matplotlib"):
    """Empirical distribution of the complete trials' values, one curve per
    search or study, on one axes: the fraction of trials with a value at most
    x. Of two samplers on one problem, the better one's curve lies further
    right when maximising (left when minimising).

    Parameters
    ----------
    objs : fitted search, Study, or a list of them
    ax : matplotlib Axes, optional
    labels : list of str, optional
        One per curve; by default each study's name.
    %(value_parameters)s

    Returns
    -------
    matplotlib Axes, or plotly Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_edf
    >>> studies = []
    >>> for sampler in ("random", "tpe"):
    ...     study = Study(sampler=sampler, random_state=0)
    ...     study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
    ...     studies.append(study)
    >>> ax = plot_edf(studies, labels=["random", "tpe"])
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['random', 'tpe']
    """
    objs = list(objs) if isinstance(objs, (list, tuple)) else [objs]
    if not objs:
        raise ValueError("objs must hold at least one search or study, got an empty list.")
    sources = [read(obj, target, target_name) for obj in objs]
    if labels is None:
        labels = [source.study.study_name for source in sources]
    elif len(labels) != len(objs):
        raise ValueError(f"labels must give one name per search or study ({len(objs)}), "
                         f"got {len(labels)}: {labels!r}.")
    return _draw("edf", _data.edf_data(sources, list(labels)), backend, ax)

