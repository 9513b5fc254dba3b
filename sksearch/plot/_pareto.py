"""Plots of studies of several objectives: the Pareto front and the
hypervolume history (matplotlib only, for now)."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np

from ..trial import TrialState
from . import _matplotlib
from ._source import COLORS

_COMPLETE, _PRUNED, _BEST = COLORS["complete"], COLORS["pruned"], COLORS["best"]


def _matplotlib_only(backend, name):
    if backend != "matplotlib":
        raise ValueError(f"{name} draws with backend='matplotlib' only, got {backend!r}.")
    _matplotlib.check()


def _objective_points(obj):
    """Values (n, m), trial numbers and feasibility of the complete trials of a
    study of several objectives, and the objective names."""
    study = getattr(obj, "study_", obj)
    from .._objectives import stored_objective_names

    m = len(study.directions)
    names = list(getattr(obj, "objectives", None) or []) or stored_objective_names(
        study.system_attrs, m) or [f"objective {k}" for k in range(m)]
    trials = [t for t in study.get_trials((TrialState.COMPLETE,)) if t.values is not None]
    values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(names))
    numbers = np.array([t.number for t in trials], dtype=int)
    feasible = np.array([t.is_feasible for t in trials], dtype=bool)
    return study, names, values, numbers, feasible


@dataclass
class ParetoData:
    """What :func:`plot_pareto_front` draws (and the dashboard shows): the
    complete trials' values ``(n, m)``, numbers and feasibility, which of them
    are on the feasible Pareto front, the objectives' names and the title."""

    study: object
    names: list
    values: np.ndarray
    numbers: np.ndarray
    feasible: np.ndarray
    on_front: np.ndarray
    title: str


def pareto_data(obj):
    """The :class:`ParetoData` of a study (or fitted search) of any number of
    objectives: the front is that of the feasible complete trials."""
    from ..multiobjective import pareto_front_mask, to_minimization

    study, names, values, numbers, feasible = _objective_points(obj)
    on_front = np.zeros(len(values), dtype=bool)
    if feasible.any():
        points = to_minimization(values[feasible], study.directions)
        on_front[np.flatnonzero(feasible)[pareto_front_mask(points)]] = True
    return ParetoData(study, names, values, numbers, feasible, on_front,
                      _front_title(study, on_front, feasible))


def plot_pareto_front(obj, ax=None, *, backend="matplotlib"):
    """The complete trials of a study of two or three objectives, with the
    Pareto front of the feasible ones highlighted and infeasible trials
    drawn apart (grey crosses).

    Parameters
    ----------
    obj : Study or fitted BayesSearchCV
        With ``objectives`` (a search) or ``directions`` of length 2 or 3.
    ax : matplotlib Axes or None
        A 3-d Axes for three objectives; ``None`` makes one.
    backend : {"matplotlib"}, default="matplotlib"
        Drawn with matplotlib only, for now.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_pareto_front
    >>> study = Study(directions=["minimize", "minimize"], sampler="random", random_state=0,
    ...               constraints_func=lambda t: [t.values[0] - 0.8])
    >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.params["x"] ** 0.5),
    ...                n_trials=20)
    >>> plot_pareto_front(study).get_title()
    'Pareto front (14 of 20 trials; 6 infeasible)'
    """
    _matplotlib_only(backend, "plot_pareto_front")

    front = pareto_data(obj)
    study, names, values, feasible, on_front = (front.study, front.names, front.values,
                                                front.feasible, front.on_front)
    m = values.shape[1]
    if m not in (2, 3):
        raise ValueError(f"plot_pareto_front draws 2 or 3 objectives; the study has {m}.")
    if ax is None:
        plt = _matplotlib.pyplot()
        fig = plt.figure(figsize=(6.4, 4.8))
        ax = fig.add_subplot(projection="3d" if m == 3 else None)
    groups = [(feasible & ~on_front, _COMPLETE, "o", "feasible"),
              (on_front, _BEST, "o", "Pareto front"),
              (~feasible, _PRUNED, "x", "infeasible")]
    for mask, color, marker, label in groups:
        if mask.any():
            # above the front's line (a Line2D, zorder 2), which hid the markers
            ax.scatter(*values[mask].T, c=color, marker=marker, label=label, alpha=0.8,
                       zorder=3)
    if on_front.sum() > 1 and m == 2:
        order = np.argsort(values[on_front, 0])
        ax.plot(*values[on_front][order].T, color=_BEST, lw=1, zorder=2, alpha=0.6,
                drawstyle="steps-post" if study.directions[1] == "minimize" else "steps-pre")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if m == 3:
        ax.set_zlabel(names[2])
    ax.set_title(front.title)
    ax.legend(loc="best")
    return ax


def _front_title(study, on_front, feasible):
    """How many trials are on the front and, only when the study has
    constraints (some trial stored constraint values), how many are
    infeasible: "0 of 30 infeasible" of a study without constraints says
    something that was never checked."""
    n = len(on_front)
    title = f"Pareto front ({int(on_front.sum())} of {n} trials"
    constrained = any(t.constraints is not None for t in study.get_trials(
        (TrialState.COMPLETE,)))
    if constrained:
        title += f"; {int((~feasible).sum())} infeasible"
    return title + ")"


def plot_hypervolume_history(obj, reference=None, ax=None, *, backend="matplotlib"):
    """Hypervolume of the feasible Pareto front after each trial.

    Parameters
    ----------
    obj : Study or fitted BayesSearchCV
    reference : array-like or None
        The reference point, in the objectives' own units; ``None`` takes, per
        objective, the worst feasible value seen, 10% of the range beyond.
    ax : matplotlib Axes or None
    backend : {"matplotlib"}, default="matplotlib"
        Drawn with matplotlib only, for now.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sksearch import Study
    >>> from sksearch.plot import plot_hypervolume_history
    >>> study = Study(directions=["minimize", "maximize"], sampler="random", random_state=0)
    >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.params["x"] ** 2), n_trials=10)
    >>> line = plot_hypervolume_history(study, reference=[1, 0]).get_lines()[0]
    >>> bool((line.get_ydata()[1:] >= line.get_ydata()[:-1]).all())
    True
    """
    from ..multiobjective import hypervolume, to_minimization

    _matplotlib_only(backend, "plot_hypervolume_history")

    study, names, values, numbers, feasible = _objective_points(obj)
    losses = to_minimization(values, study.directions)
    if reference is None:
        if not feasible.any():
            raise ValueError("No feasible complete trial: give the reference point.")
        low, high = losses[feasible].min(axis=0), losses[feasible].max(axis=0)
        ref = high + 0.1 * (high - low)
    else:
        ref = to_minimization(np.asarray(reference, dtype=float)[None, :],
                              study.directions)[0]
    history = [hypervolume(losses[feasible & (numbers <= n)], ref) for n in numbers]
    ax = _matplotlib.axes_for(ax)
    ax.plot(numbers, history, color=_BEST, drawstyle="steps-post")
    ax.set_xlabel("trial")
    ax.set_ylabel("hypervolume")
    ax.set_title("Hypervolume of the feasible front")
    return ax
