"""What each plot draws, computed once for both backends.

Every ``*_data`` function reads a :class:`~sksearch.plot._source.Source` and
returns a plain dataclass of arrays, axes and labels; ``_matplotlib`` and
``_plotly`` only draw it.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..pruners._base import StepLayout
from ..trial import TrialState
from ._source import COLORS, Axis, axis_of, describe, linear_ticks, number, numbers, parameters


def hover_text(source, trial):
    """What an interactive backend shows over a trial: its number, state,
    value and parameters (as the user wrote them; the branch by its name)."""
    from ..space import BRANCH_PARAM

    lines = [f"trial {trial.number} ({trial.state.name.lower()})"]
    if trial.values is not None and len(trial.values) == 1:
        lines.append(f"{source.value_label}: {number(trial.values[0], 6)}")
    for name, value in sorted(trial.params.items()):
        if name == BRANCH_PARAM and source.branch_labels \
                and 0 <= int(value) < len(source.branch_labels):
            value = source.branch_labels[int(value)]
        lines.append(f"{source.display_name(name)} = {describe(value, 24)}")
    return "<br>".join(lines)


@dataclass
class HistoryData:
    numbers: np.ndarray
    values: np.ndarray
    best_numbers: np.ndarray
    best: np.ndarray
    pruned_numbers: np.ndarray
    pruned_values: np.ndarray
    hover: list = field(default_factory=list)  # per complete trial, then per pruned
    pruned_hover: list = field(default_factory=list)
    xlabel: str = "trial"
    ylabel: str = "objective value"
    title: str = "Optimization history"


def history_data(source):
    """Values by trial number and the best so far; a value of no known
    direction (a callable target on a study of several objectives) has no
    best, and ``best`` is empty."""
    complete, pruned = source.complete, source.pruned
    numbers = np.array([t.number for t in complete], dtype=float)
    values = np.array([t.value for t in complete], dtype=float)
    best = (np.maximum if source.maximize else np.minimum).accumulate(values) \
        if len(values) else values
    pruned_numbers = np.array([t.number for t in pruned], dtype=float)
    best_numbers = numbers
    if source.maximize is None:
        best_numbers, best = np.empty(0), np.empty(0)
    elif len(values) and len(pruned) and pruned_numbers.max() > numbers[-1]:
        # the best so far holds on through the pruned trials after the last complete one
        best_numbers = np.append(numbers, pruned_numbers.max())
        best = np.append(best, best[-1])
    return HistoryData(numbers, values, best_numbers, best, pruned_numbers,
                       np.array([t.value for t in pruned], dtype=float),
                       hover=[hover_text(source, t) for t in complete],
                       pruned_hover=[hover_text(source, t) for t in pruned],
                       ylabel=source.value_label)


@dataclass
class ImportanceData:
    names: list  # the least important first (bars drawn bottom-up)
    shares: np.ndarray
    xlabel: str
    title: str = "Parameter importances"
    message: str = None  # set instead of shares when they mean nothing


def importance_data(source, obj, method, random_state):
    from ..importance import param_importances

    complete = source.complete
    values = np.array([t.value for t in complete], dtype=float)
    names = [p.axis.label for p in parameters(source)]
    if len(values) >= 2 and np.ptp(values) == 0:
        message = (f"Every one of the {len(values)} complete trials has the same value, "
                   f"{number(values[0])}: no parameter explains any variation, so there "
                   "are no importances.")
        warnings.warn(message, UserWarning, stacklevel=3)
        return ImportanceData(names[::-1], np.zeros(len(names)), f"importance ({method})",
                              message=message)
    which = {}
    if source.objective is None:  # a callable target: the importances of its values
        obj = source.importance_study()
    elif len(source.study.directions) > 1:
        which = {"objective": source.objective}
    shares = param_importances(obj, method=method, random_state=random_state, **which)
    ordered = list(shares)[::-1]
    return ImportanceData([source.display_name(n) for n in ordered],
                          np.array([shares[n] for n in ordered]), f"importance ({method})")


@dataclass
class Panel:
    """One parameter's scatter: x positions, y values and colours."""

    x: np.ndarray
    y: np.ndarray
    color: np.ndarray
    xaxis: Axis
    hover: list = field(default_factory=list)


@dataclass
class PanelsData:
    panels: list
    ylabel: str
    colorbar: str
    title: str
    invert_y: bool = False


def slice_data(source, params):
    complete = source.complete
    panels = []
    for param in parameters(source, params):
        x = param.coordinates(complete)
        keep = np.isfinite(x)
        panels.append(Panel(x[keep], np.array([t.value for t in complete])[keep],
                            np.array([t.number for t in complete], dtype=float)[keep],
                            param.axis, _hovers(source, complete, keep)))
    return PanelsData(panels, source.value_label, "trial", "Slice")


def rank_data(source, params):
    """Each parameter against the rank of the trial's value (1 = best), so a
    few outlying values cannot squash the rest; coloured by value."""
    complete = source.complete
    values = np.array([t.value for t in complete], dtype=float)
    order = np.argsort(-values if source.maximize else values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    panels = []
    for param in parameters(source, params):
        x = param.coordinates(complete)
        keep = np.isfinite(x)
        panels.append(Panel(x[keep], ranks[keep], values[keep], param.axis,
                            _hovers(source, complete, keep)))
    # a value of no known direction is ranked from the smallest
    best = "smallest" if source.maximize is None else "best"
    return PanelsData(panels, f"rank of the value (1 = {best})", source.value_label,
                      "Parameters by rank of the value", invert_y=True)


def _hovers(source, trials, keep):
    return [hover_text(source, t) for t, k in zip(trials, keep) if k]


@dataclass
class ParallelAxis:
    """One vertical axis: each trial's position in [0, 1] (:data:`ABSENT`
    where the trial lacks the parameter) and the ticks in the same units."""

    label: str
    positions: np.ndarray
    ticks: list
    ticklabels: list


@dataclass
class ParallelData:
    axes: list
    values: np.ndarray  # colours of the lines
    order: np.ndarray   # drawing order: best last, on top
    colorbar: str
    title: str = "Parallel coordinates"


def parallel_data(source, params):
    complete = source.complete
    values = np.array([t.value for t in complete], dtype=float)
    axes = []
    for param in parameters(source, params):
        coordinates = param.coordinates(complete)
        axes.append(_parallel_axis(param.axis, coordinates))
    value_axis = Axis(source.value_label)
    axes.append(_parallel_axis(value_axis, values))
    order = np.argsort(values if source.maximize else -values, kind="stable")
    return ParallelData(axes, values, order, source.value_label)


def _parallel_axis(axis, coordinates):
    """Scale one column onto [0, 1]: categories evenly, log values by decades,
    others linearly, each over the range the trials cover."""
    finite = coordinates[np.isfinite(coordinates)]
    if axis.scale == "category":
        n = len(axis.ticks)
        def scale(x):
            return (np.asarray(x, dtype=float) + 0.5) / n
        return _with_absent(ParallelAxis(axis.label, scale(coordinates),
                                         list(scale(axis.ticks)), list(axis.ticklabels)))
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    log = axis.scale == "log"
    # log and integer axes come with their ticks; others get round ones
    ticks = axis.ticks if axis.ticks is not None else linear_ticks(lo, hi)
    labels = axis.ticklabels if axis.ticks is not None else numbers(ticks)
    transform = np.log10 if log else np.asarray
    a, b = transform(lo), transform(hi)

    def scale(x):
        x = transform(np.asarray(x, dtype=float))
        return (x - a) / (b - a) if b > a else np.full(np.shape(x), 0.5)

    with np.errstate(invalid="ignore", divide="ignore"):
        positions = scale(coordinates)
        tick_positions = [float(p) for p in np.atleast_1d(scale(ticks))]
    return _with_absent(ParallelAxis(axis.label, positions, tick_positions, list(labels)))


#: Where a line passes an axis whose parameter its trial lacks (another
#: branch): below the axis, at a tick saying so, so that the line goes on.
ABSENT = -0.2


def _with_absent(axis):
    missing = np.isnan(axis.positions)
    if missing.any():
        axis.positions = np.where(missing, ABSENT, axis.positions)
        axis.ticks = [ABSENT] + axis.ticks
        axis.ticklabels = ["(absent)"] + axis.ticklabels
    return axis


@dataclass
class ContourData:
    xaxis: Axis
    yaxis: Axis
    x: np.ndarray  # the trials
    y: np.ndarray
    values: np.ndarray
    grid_x: np.ndarray = None  # the interpolated surface; None: scatter only
    grid_y: np.ndarray = None
    surface: np.ndarray = None
    colorbar: str = "objective value"
    title: str = ""
    note: str = None  # why there is no surface
    hover: list = field(default_factory=list)


def contour_data(source, x, y, resolution=60):
    """The trials over ``x`` and ``y`` and, when they span an area, the value
    interpolated linearly between them (in decades for log parameters). When
    they do not (too few distinct points, all on a line, a categorical axis,
    which has no order to interpolate along), the data keep only the trials
    and a note saying why, and a warning says it too."""
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    px, py = parameters(source, [x, y])
    cx, cy = px.coordinates(source.complete), py.coordinates(source.complete)
    both = np.isfinite(cx) & np.isfinite(cy)
    if not both.any():
        raise ValueError(f"plot_contour needs complete trials with both {x!r} and {y!r}; "
                         "there are none.")
    complete = [t for t, keep in zip(source.complete, both) if keep]
    cx, cy = cx[both], cy[both]
    values = np.array([t.value for t in complete])
    data = ContourData(axis_of(source, px, cx), axis_of(source, py, cy), cx, cy, values,
                       colorbar=source.value_label, title=f"{py.axis.label} vs {px.axis.label}",
                       hover=[hover_text(source, t) for t in complete])
    unit = [_interpolation_units(c, a.scale) for c, a in ((cx, data.xaxis), (cy, data.yaxis))]
    points = np.column_stack(unit)
    distinct = np.unique(points, axis=0)
    if "category" in (data.xaxis.scale, data.yaxis.scale):
        note = "a categorical axis has no order to interpolate along"
    elif len(distinct) < 3:
        note = f"{len(distinct)} distinct point(s) cannot span a surface"
    elif np.linalg.svd(distinct - distinct.mean(axis=0), compute_uv=False)[1] < 1e-9:
        note = "the trials lie on a line, which spans no surface"
    else:
        note = None
        gu, gv = np.meshgrid(np.linspace(0, 1, resolution), np.linspace(0, 1, resolution))
        try:
            surface = griddata(points, values, (gu, gv), method="linear")
        except QhullError:
            note = "the trials are too degenerate to triangulate"
        else:
            if np.all(np.isnan(surface)):
                note = "the interpolated surface is empty"
            else:
                data.grid_x = _from_units(gu, cx, data.xaxis.scale)
                data.grid_y = _from_units(gv, cy, data.yaxis.scale)
                data.surface = surface
    if note is not None:
        data.note = f"no contour: {note}"
        warnings.warn(f"plot_contour({x!r}, {y!r}): {note}; the trials are drawn as a "
                      "scatter coloured by value instead.", UserWarning, stacklevel=3)
    return data


def _interpolation_units(coordinates, scale):
    x = np.log10(coordinates) if scale == "log" else np.asarray(coordinates, dtype=float)
    span = np.ptp(x)
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def _from_units(unit, coordinates, scale):
    x = np.log10(coordinates) if scale == "log" else np.asarray(coordinates, dtype=float)
    position = x.min() + unit * np.ptp(x)
    return 10.0 ** position if scale == "log" else position


@dataclass
class Curve:
    x: np.ndarray
    y: np.ndarray
    color: str
    pruned: bool = False
    number: int = 0  # the trial's, which colours its line
    hover: str = ""


@dataclass
class IntermediateData:
    curves: list
    xlabel: str
    ylabel: str
    title: str
    xticks: list = None


def intermediate_data(source):
    study = source.study
    curves = []
    for trial in study.trials:
        if not trial.intermediate_values:
            continue
        steps = sorted(trial.intermediate_values)
        pruned = trial.state is TrialState.PRUNED
        curves.append(Curve(np.array(steps, dtype=float),
                            np.array([trial.intermediate_values[s] for s in steps]),
                            COLORS["pruned" if pruned else "complete"], pruned,
                            trial.number, hover_text(source, trial)))
    layout = StepLayout.of(study)
    folds, per_fold = layout.folds, layout.per_fold
    if folds and per_fold > 1:  # steps are increments: f * k + i
        xlabel, ylabel = f"increment ({per_fold} per fold)", "test score after the increment"
    else:
        xlabel = "fold" if folds else "step"
        ylabel = "fold test score" if folds else "intermediate value"
    # one colour for every line told no trial from another: each line is
    # coloured by its trial number (a colour bar reads it), and the state is
    # in the line style and the legend
    title = "Intermediate values"
    xticks = None
    if folds and curves:
        last = int(max(c.x[-1] for c in curves))
        xticks = list(range(per_fold - 1, last + 1, per_fold) if per_fold > 1
                      else range(last + 1))
    return IntermediateData(curves, xlabel, ylabel, title, xticks)


@dataclass
class EdfData:
    curves: list = field(default_factory=list)  # (label, sorted values, fractions)
    xlabel: str = "objective value"
    ylabel: str = "fraction of trials with a value <= x"
    title: str = "Empirical distribution of the values"


def edf_data(sources, labels):
    data = EdfData(xlabel=sources[0].value_label)
    for source, label in zip(sources, labels):
        values = np.sort([t.value for t in source.complete])
        fractions = np.arange(1, len(values) + 1) / max(len(values), 1)
        data.curves.append((label, values, fractions))
    return data
