"""Plots of a search or study (matplotlib, the ``plot`` extra).

Every function takes a fitted :class:`~sksearch.BayesSearchCV` or a
:class:`~sksearch.Study`, draws on ``ax`` (a new figure when ``None``) and
returns the Axes; none calls ``show``. Importing this module does not import
matplotlib; calling a function without it raises an ImportError saying how to
install it.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from .distributions import Categorical
from .trial import TrialState

__all__ = [
    "plot_contour",
    "plot_hypervolume_history",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinates",
    "plot_param_importances",
    "plot_pareto_front",
    "plot_slice",
]

_COMPLETE, _PRUNED, _BEST = "tab:blue", "tab:gray", "tab:red"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised without matplotlib
        raise ImportError(
            "sksearch.plot needs matplotlib: pip install sksearch[plot]") from exc
    return plt


def _study(obj):
    return getattr(obj, "study_", obj)


def _value_label(obj):
    return "mean CV score" if hasattr(obj, "study_") else "objective value"


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots(figsize=(6.4, 4.0))
    return ax


def _complete(study):
    return [t for t in study.get_trials((TrialState.COMPLETE,))
            if t.value is not None and math.isfinite(t.value)]


def plot_optimization_history(obj, ax=None):
    """Each trial's value by trial number, and the best value so far.

    Pruned trials are drawn in grey at their partial value; failed trials are
    left out.

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
    _pyplot()
    study, ax = _study(obj), _axes(ax)
    complete = _complete(study)
    pruned = [t for t in study.get_trials((TrialState.PRUNED,)) if t.value is not None]
    maximize = study.direction == "maximize"
    if complete:
        ax.scatter([t.number for t in complete], [t.value for t in complete], s=18,
                   color=_COMPLETE, label="complete", zorder=3)
        numbers = np.array([t.number for t in complete])
        values = np.array([t.value for t in complete])
        best = (np.maximum if maximize else np.minimum).accumulate(values)
        ax.step(numbers, best, where="post", color=_BEST, label="best so far", zorder=2)
    if pruned:
        ax.scatter([t.number for t in pruned], [t.value for t in pruned], s=18, marker="x",
                   color=_PRUNED, label="pruned (partial)", zorder=3)
    ax.set_xlabel("trial")
    ax.set_ylabel(_value_label(obj))
    ax.set_title("Optimization history")
    ax.legend(loc="best")
    return ax


def plot_param_importances(obj, ax=None, method="fanova", random_state=0):
    """Horizontal bars of :func:`sksearch.importance.param_importances`."""
    from .importance import param_importances

    _pyplot()
    ax = _axes(ax)
    shares = param_importances(obj, method=method, random_state=random_state)
    names = list(shares)[::-1]
    ax.barh(names, [shares[n] for n in names], color=_COMPLETE)
    for y, name in enumerate(names):
        ax.text(shares[name], y, f" {shares[name]:.1%}", va="center")
    ax.set_xlim(0, max(shares.values()) * 1.25)
    ax.set_xlabel(f"importance ({method})")
    ax.set_title("Parameter importances")
    return ax


def _param_values(trials, name, dist):
    """x positions of ``name`` in ``trials`` (category index for categoricals)."""
    values = [t.internal_params[name] if isinstance(dist, Categorical)
              else dist.to_external(t.internal_params[name]) for t in trials]
    return np.array(values, dtype=float)


def _distributions(study, params):
    distributions = {}
    for trial in _complete(study):
        distributions.update(trial.distributions)
    names = [n for n in sorted(distributions) if not distributions[n].is_single()]
    if params is not None:
        unknown = sorted(set(params) - set(distributions))
        if unknown:
            raise ValueError(f"Unknown parameters {unknown}; the study has {names}.")
        names = list(params)
    return names, distributions


def _format_axis(ax, dist, axis="x"):
    set_scale = ax.set_xscale if axis == "x" else ax.set_yscale
    set_ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    set_labels = ax.set_xticklabels if axis == "x" else ax.set_yticklabels
    if isinstance(dist, Categorical):
        set_ticks(range(len(dist.choices)))
        set_labels([_short(c) for c in dist.choices], rotation=30 if axis == "x" else 0)
    elif getattr(dist, "log", False):
        set_scale("log")


def _short(choice, width=14):
    text = choice if isinstance(choice, str) else repr(choice)
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_slice(obj, params=None, axes=None):
    """Value against each parameter, one panel per parameter, coloured by trial
    number. Log-scaled parameters get a log axis, categorical ones their
    choices as ticks. Returns an array of Axes."""
    plt = _pyplot()
    study = _study(obj)
    names, distributions = _distributions(study, params)
    if axes is None:
        n_cols = min(3, len(names))
        n_rows = math.ceil(len(names) / n_cols)
        _, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 3.4 * n_rows),
                               squeeze=False, layout="constrained")
    axes = np.asarray(axes).ravel()
    complete = _complete(study)
    for ax, name in zip(axes, names):
        dist = distributions[name]
        trials = [t for t in complete if t.distributions.get(name) == dist]
        points = ax.scatter(_param_values(trials, name, dist), [t.value for t in trials],
                            c=[t.number for t in trials], cmap="viridis", s=16)
        _format_axis(ax, dist)
        ax.set_xlabel(name)
        ax.set_ylabel(_value_label(obj))
    for ax in axes[len(names):]:
        ax.set_visible(False)
    if names:
        axes[0].figure.colorbar(points, ax=list(axes[: len(names)]), label="trial")
    return axes[: len(names)]


def plot_parallel_coordinates(obj, params=None, ax=None):
    """One line per complete trial across the parameters' axes (each scaled to
    its search box: log parameters by decades, categoricals by choice), coloured
    by value; the objective is the last axis."""
    plt = _pyplot()
    study, ax = _study(obj), _axes(ax)
    names, distributions = _distributions(study, params)
    complete = [t for t in _complete(study)
                if all(t.distributions.get(n) == distributions[n] for n in names)]
    values = np.array([t.value for t in complete])
    columns = [_to_unit(distributions[n], [t.internal_params[n] for t in complete])
               for n in names]
    span = np.ptp(values) if len(values) else 0.0
    columns.append((values - values.min()) / span if span > 0 else np.full(len(values), 0.5))
    data = np.column_stack(columns) if complete else np.empty((0, len(names) + 1))
    colors = plt.get_cmap("viridis")(np.linspace(0, 1, 256))
    order = np.argsort(values) if study.direction == "maximize" else np.argsort(-values)
    for row in order:  # best trials drawn last, on top
        ax.plot(range(data.shape[1]), data[row], color=colors[int(255 * data[row, -1])],
                alpha=0.7, linewidth=1)
    ax.set_xticks(range(len(names) + 1))
    ax.set_xticklabels(names + [_value_label(obj)], rotation=30, ha="right")
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["low", "high"])
    ax.set_xlim(-0.1, len(names) + 0.1)
    ax.set_title("Parallel coordinates")
    return ax


def plot_contour(obj, x, y, ax=None, levels=12):
    """Interpolated value over two parameters, with the trials on top.

    The surface is interpolated linearly between trials in the parameters'
    search box (log parameters by decades), so it is only as good as the
    trials' coverage."""
    from scipy.interpolate import griddata

    _pyplot()
    study, ax = _study(obj), _axes(ax)
    names, distributions = _distributions(study, [x, y])
    complete = [t for t in _complete(study)
                if all(t.distributions.get(n) == distributions[n] for n in names)]
    if len(complete) < 4:
        raise ValueError(f"plot_contour needs at least 4 complete trials with {x!r} and "
                         f"{y!r}; there are {len(complete)}.")
    px, py = (_param_values(complete, n, distributions[n]) for n in names)
    values = np.array([t.value for t in complete])
    ux, uy = (_to_unit(distributions[n], [t.internal_params[n] for t in complete])
              for n in names)
    gx, gy = np.meshgrid(np.linspace(ux.min(), ux.max(), 60), np.linspace(uy.min(), uy.max(), 60))
    surface = griddata(np.column_stack([ux, uy]), values, (gx, gy), method="linear")
    # the grid back in parameter units, for the axes
    contour = ax.contourf(_unit_to_axis(distributions[x], gx), _unit_to_axis(distributions[y], gy),
                          surface, levels=levels, cmap="viridis", alpha=0.85)
    ax.scatter(px, py, c="white", edgecolors="black", s=18, zorder=3)
    ax.figure.colorbar(contour, ax=ax, label=_value_label(obj))
    _format_axis(ax, distributions[x], "x")
    _format_axis(ax, distributions[y], "y")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{y} vs {x}")
    return ax


def _to_unit(dist, internal):
    internal = np.asarray(internal, dtype=float)
    if isinstance(dist, Categorical):
        return (internal + 0.5) / len(dist.choices)
    return dist._to_unit(internal)


def _unit_to_axis(dist, unit):
    """Continuous axis positions of unit-box coordinates (no rounding)."""
    if isinstance(dist, Categorical):
        return unit * len(dist.choices) - 0.5
    lo, hi = dist._unit_bounds()
    position = lo + np.asarray(unit) * (hi - lo)
    return np.exp(position) if dist.log else position


def plot_intermediate_values(obj, ax=None):
    """Each trial's reported values by step: in BayesSearchCV, fold scores by
    fold. Pruned trials are grey and end with a cross where they stopped."""
    _pyplot()
    study, ax = _study(obj), _axes(ax)
    trials = [t for t in study.trials if t.intermediate_values]
    for trial in trials:
        steps = sorted(trial.intermediate_values)
        values = [trial.intermediate_values[s] for s in steps]
        if trial.state is TrialState.PRUNED:
            ax.plot(steps, values, color=_PRUNED, alpha=0.6, linewidth=1)
            ax.plot(steps[-1:], values[-1:], marker="x", color=_PRUNED, linestyle="none")
        else:
            ax.plot(steps, values, color=_COMPLETE, alpha=0.6, linewidth=1, marker=".")
    folds = bool(study.system_attrs.get("sksearch:steps_are_folds"))
    per_fold = int(study.system_attrs.get("sksearch:steps_per_fold", 1))
    if folds and per_fold > 1:  # steps are increments: f * k + i
        ax.set_xlabel(f"increment ({per_fold} per fold)")
        ax.set_ylabel("test score after the increment")
    else:
        ax.set_xlabel("fold" if folds else "step")
        ax.set_ylabel("fold test score" if folds else "intermediate value")
    ax.set_title("Intermediate values" + (" (grey: pruned)" if any(
        t.state is TrialState.PRUNED for t in trials) else ""))
    if folds and trials:
        last = max(max(t.intermediate_values) for t in trials)
        ax.set_xticks(range(per_fold - 1, last + 1, per_fold) if per_fold > 1
                      else range(last + 1))
    return ax


# -- several objectives -----------------------------------------------------------------
# Self-contained (its own helpers), so it can move to a module of its own.

def _objective_points(obj):
    """Values (n, m), trial numbers and feasibility of the complete trials of a
    study of several objectives, and the objective names."""
    study = _study(obj)
    names = list(getattr(obj, "objectives", None) or []) or [
        f"objective {k}" for k in range(len(study.directions))]
    trials = [t for t in study.get_trials((TrialState.COMPLETE,)) if t.values is not None]
    values = np.array([t.values for t in trials], dtype=float).reshape(len(trials), len(names))
    numbers = np.array([t.number for t in trials], dtype=int)
    feasible = np.array([t.is_feasible for t in trials], dtype=bool)
    return study, names, values, numbers, feasible


def plot_pareto_front(obj, ax=None):
    """The complete trials of a study of two or three objectives, with the
    Pareto front of the feasible ones highlighted and infeasible trials
    drawn apart (grey crosses).

    Parameters
    ----------
    obj : Study or fitted BayesSearchCV
        With ``objectives`` (a search) or ``directions`` of length 2 or 3.
    ax : matplotlib Axes or None
        A 3-d Axes for three objectives; ``None`` makes one.

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
    'Pareto front (6 of 20 trials infeasible)'
    """
    from .multiobjective import pareto_front_mask, to_minimization

    study, names, values, numbers, feasible = _objective_points(obj)
    m = values.shape[1]
    if m not in (2, 3):
        raise ValueError(f"plot_pareto_front draws 2 or 3 objectives; the study has {m}.")
    on_front = np.zeros(len(values), dtype=bool)
    if feasible.any():
        points = to_minimization(values[feasible], study.directions)
        on_front[np.flatnonzero(feasible)[pareto_front_mask(points)]] = True
    if ax is None:
        plt = _pyplot()
        fig = plt.figure(figsize=(6.4, 4.8))
        ax = fig.add_subplot(projection="3d" if m == 3 else None)
    groups = [(feasible & ~on_front, _COMPLETE, "o", "feasible"),
              (on_front, _BEST, "o", "Pareto front"),
              (~feasible, _PRUNED, "x", "infeasible")]
    for mask, color, marker, label in groups:
        if mask.any():
            ax.scatter(*values[mask].T, c=color, marker=marker, label=label, alpha=0.8)
    if on_front.sum() > 1 and m == 2:
        order = np.argsort(values[on_front, 0])
        ax.plot(*values[on_front][order].T, color=_BEST, lw=1, drawstyle="steps-post"
                if study.directions[1] == "minimize" else "steps-pre")
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if m == 3:
        ax.set_zlabel(names[2])
    ax.set_title(f"Pareto front ({int((~feasible).sum())} of {len(values)} trials infeasible)")
    ax.legend(loc="best")
    return ax


def plot_hypervolume_history(obj, reference=None, ax=None):
    """Hypervolume of the feasible Pareto front after each trial.

    Parameters
    ----------
    obj : Study or fitted BayesSearchCV
    reference : array-like or None
        The reference point, in the objectives' own units; ``None`` takes, per
        objective, the worst feasible value seen, 10% of the range beyond.
    ax : matplotlib Axes or None

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
    from .multiobjective import hypervolume, to_minimization

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
    ax = _axes(ax)
    ax.plot(numbers, history, color=_BEST, drawstyle="steps-post")
    ax.set_xlabel("trial")
    ax.set_ylabel("hypervolume")
    ax.set_title("Hypervolume of the feasible front")
    return ax
