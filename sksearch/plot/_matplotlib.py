"""Drawing the plots' data with matplotlib (the default backend)."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from ._source import COLORS

_CMAP = "viridis"
#: Above every line and marker: labels written inside the plotting area.
_LABELS_ZORDER = 6


def pyplot():
    """``matplotlib.pyplot``, or an ImportError saying how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - exercised without matplotlib
        raise ImportError(
            "sksearch.plot needs matplotlib: pip install sksearch[plot]") from exc
    return plt


def check():
    """Raise the ImportError saying how to install matplotlib, if it is missing."""
    pyplot()


def axes_for(ax, figsize=(6.4, 4.0)):
    """``ax``, or the Axes of a new figure of ``figsize`` when it is ``None``."""
    if ax is None:
        _, ax = pyplot().subplots(figsize=figsize, layout="constrained")
    return ax


def _apply_axis(ax, axis, which="x"):
    """Scale, ticks and label of one axis; log axes get only the chosen ticks
    (matplotlib labels minor ticks too when a range spans under two decades,
    and they overlap)."""
    from matplotlib.ticker import NullFormatter

    target = ax.xaxis if which == "x" else ax.yaxis
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(axis.label)
    if axis.scale == "log":
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
        target.set_minor_formatter(NullFormatter())
    if axis.ticks is not None:
        turn = {"rotation": 30, "ha": "right"} if (
            which == "x" and axis.scale == "category") else {}
        (ax.set_xticks if which == "x" else ax.set_yticks)(axis.ticks, axis.ticklabels, **turn)
        if axis.scale == "category" and len(axis.ticks):
            (ax.set_xlim if which == "x" else ax.set_ylim)(-0.5, len(axis.ticks) - 0.5)


def history(data, ax=None):
    ax = axes_for(ax)
    if len(data.numbers):
        ax.scatter(data.numbers, data.values, s=18, color=COLORS["complete"],
                   label="complete", zorder=3)
        if len(data.best):
            ax.step(data.best_numbers, data.best, where="post", color=COLORS["best"],
                    label="best so far", zorder=2)
    if len(data.pruned_numbers):
        ax.scatter(data.pruned_numbers, data.pruned_values, s=18, marker="x",
                   color=COLORS["pruned"], label="pruned (partial)", zorder=3)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.set_title(data.title)
    if len(data.numbers) or len(data.pruned_numbers):
        ax.legend(loc="best")
    return ax


def importances(data, ax=None):
    ax = axes_for(ax)
    ax.barh(data.names, data.shares, color=COLORS["complete"])
    if data.message is not None:
        ax.set_xlim(0, 1)
        ax.text(0.5, 0.5, _wrap(data.message, 48), transform=ax.transAxes, ha="center",
                va="center", bbox={"facecolor": "white", "edgecolor": "0.6"})
    else:
        for y, share in enumerate(data.shares):
            ax.text(share, y, f" {share:.1%}", va="center")
        ax.set_xlim(0, max(float(np.max(data.shares)), 1e-12) * 1.25)
    ax.set_xlabel(data.xlabel)
    ax.set_title(data.title)
    return ax


def _wrap(text, width):
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def panels(data, axes=None):
    """The panels of a slice or rank plot, one parameter each, with one colour bar."""
    plt = pyplot()
    n = len(data.panels)
    if axes is None:
        # two panels a row, at most 7.6 inches wide: a page shows the figure
        # near its own size, so its text stays as large as a single plot's
        # (three 4.2-inch panels a row were shrunk to unreadable on a page)
        n_cols = max(1, min(2, n))
        n_rows = max(1, math.ceil(n / n_cols))
        _, axes = plt.subplots(n_rows, n_cols, figsize=(3.8 * n_cols, 3.0 * n_rows),
                               squeeze=False, layout="constrained")
    axes = np.asarray(axes).ravel()
    points = None
    colors = np.concatenate([p.color for p in data.panels]) if n else np.empty(0)
    limits = (colors.min(), colors.max()) if len(colors) else (0, 1)
    for ax, panel in zip(axes, data.panels):
        points = ax.scatter(panel.x, panel.y, c=panel.color, cmap=_CMAP, s=16,
                            vmin=limits[0], vmax=limits[1])
        _apply_axis(ax, panel.xaxis)
        ax.set_ylabel(data.ylabel)
        if data.invert_y and not ax.yaxis_inverted():
            ax.invert_yaxis()
    for ax in axes[n:]:
        ax.set_visible(False)
    if n:
        axes[0].figure.colorbar(points, ax=list(axes[:n]), label=data.colorbar)
        axes[0].figure.suptitle(data.title)
    return axes[:n]


def parallel(data, ax=None):
    """Vertical axes side by side, each with its own ticks written on it; one
    line per trial coloured by value, and a colour bar of the value."""
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    plt = pyplot()
    ax = axes_for(ax, figsize=(max(6.4, 1.6 * len(data.axes) + 1.5), 4.4))
    columns = np.column_stack([a.positions for a in data.axes]) if len(data.values) \
        else np.empty((0, len(data.axes)))
    lo, hi = (data.values.min(), data.values.max()) if len(data.values) else (0, 1)
    norm = Normalize(lo, hi if hi > lo else lo + 1)
    cmap = plt.get_cmap(_CMAP)
    xs = np.arange(len(data.axes))
    # one collection of every trial's line, best drawn last (on top)
    lines = LineCollection([np.column_stack([xs, columns[row]]) for row in data.order],
                           array=data.values[data.order], cmap=cmap, norm=norm,
                           alpha=0.75, linewidths=1.1, zorder=2)
    ax.add_collection(lines)
    ax.vlines(xs, [min(0.0, *a.ticks) for a in data.axes], 1, color="0.3", linewidth=1,
              zorder=3)
    for j, axis in enumerate(data.axes):
        ax.hlines(axis.ticks, j - 0.03, j, color="0.3", linewidth=1, zorder=3)
        for position, label in zip(axis.ticks, axis.ticklabels):
            # above the lines, on an opaque box: the lines cross every label's
            # place, and drawn over it they hid the values
            ax.text(j - 0.05, position, label, ha="right", va="center", fontsize=8,
                    zorder=_LABELS_ZORDER,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.9,
                          "pad": 0.5})
    ax.set_xticks(xs, [a.label for a in data.axes], rotation=20, ha="right")
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlim(-0.6, len(data.axes) - 0.8)
    ax.set_ylim(min(-0.05, *(t - 0.05 for a in data.axes for t in a.ticks)), 1.05)
    ax.figure.colorbar(lines, ax=ax, label=data.colorbar)
    ax.set_title(data.title)
    return ax


def contour(data, ax=None, levels=12):
    ax = axes_for(ax)
    if data.surface is not None:
        filled = ax.contourf(data.grid_x, data.grid_y, data.surface, levels=levels,
                             cmap=_CMAP, alpha=0.85)
        ax.scatter(data.x, data.y, c="white", edgecolors="black", s=18, zorder=3)
        ax.figure.colorbar(filled, ax=ax, label=data.colorbar)
    else:
        points = ax.scatter(data.x, data.y, c=data.values, cmap=_CMAP, edgecolors="black",
                            s=30, zorder=3)
        ax.figure.colorbar(points, ax=ax, label=data.colorbar)
    _apply_axis(ax, data.xaxis, "x")
    _apply_axis(ax, data.yaxis, "y")
    # contourf pins the limits to the grid, which cuts the edge trials in half
    for values, axis, set_limits in ((data.x, data.xaxis, ax.set_xlim),
                                     (data.y, data.yaxis, ax.set_ylim)):
        if axis.scale != "category":
            set_limits(*_padded(values, axis.scale == "log"))
    ax.set_title(data.title if data.note is None else f"{data.title}\n({data.note})")
    return ax


def _padded(values, log, share=0.05):
    x = np.log10(values) if log else np.asarray(values, dtype=float)
    lo, hi = float(x.min()), float(x.max())
    pad = share * (hi - lo) if hi > lo else 0.5 if not log else 0.1
    lo, hi = lo - pad, hi + pad
    return (10.0 ** lo, 10.0 ** hi) if log else (lo, hi)


def intermediate(data, ax=None):
    """Each trial's line coloured by its trial number (a colour bar reads it);
    complete trials solid with a dot per step, pruned ones dashed and ended
    with a cross where they stopped. The crosses are drawn last, above every
    line, so no later trial's line hides where a pruned one stopped."""
    from matplotlib.colors import Normalize

    plt = pyplot()
    ax = axes_for(ax)
    numbers = [c.number for c in data.curves]
    norm = Normalize(min(numbers, default=0), max(max(numbers, default=1),
                                                  min(numbers, default=0) + 1))
    cmap = plt.get_cmap(_CMAP)
    for curve in data.curves:
        color = cmap(norm(curve.number))
        ax.plot(curve.x, curve.y, color=color, alpha=0.8, linewidth=1,
                linestyle="--" if curve.pruned else "-", marker=None if curve.pruned else ".",
                zorder=2)
    stops = [c for c in data.curves if c.pruned]
    if stops:
        ax.scatter([c.x[-1] for c in stops], [c.y[-1] for c in stops], marker="x", s=36,
                   color="black", linewidths=1.5, zorder=5)
    _states_legend(ax, data.curves)
    if data.curves:
        from matplotlib.cm import ScalarMappable

        ax.figure.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="trial")
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.set_title(data.title)
    if data.xticks is not None:
        ax.set_xticks(data.xticks)
    return ax


def _states_legend(ax, curves):
    """A legend naming the states the line styles stand for (the colour is
    the trial's)."""
    from matplotlib.lines import Line2D

    handles = []
    if any(not c.pruned for c in curves):
        handles.append(Line2D([], [], color="0.35", marker=".", label="complete"))
    if any(c.pruned for c in curves):
        handles.append(Line2D([], [], color="0.35", linestyle="--", marker="x",
                              markeredgecolor="black", label="pruned (x: where it stopped)"))
    if handles:
        ax.legend(handles=handles, loc="best")


def timeline(data, ax=None):
    from matplotlib.patches import Patch

    ax = axes_for(ax, figsize=(7.5, max(2.5, 0.45 * len(data.rows) + 1.6)))
    ax.barh(data.row, data.width, left=data.start, height=0.7, color=data.colors,
            edgecolor="white", linewidth=0.3)
    ax.set_yticks(range(len(data.rows)), data.rows)
    ax.set_ylim(-0.6, len(data.rows) - 0.4)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.set_title(data.title)
    kinds = [k for k in ("complete", "pruned", "failed", "running") if k in data.kind]
    if kinds:
        ax.legend(handles=[Patch(color=COLORS[k], label=k) for k in kinds],
                  loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax


def edf(data, ax=None):
    ax = axes_for(ax)
    for label, values, fractions in data.curves:
        ax.step(values, fractions, where="post", label=label)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)
    ax.set_title(data.title)
    if data.curves:
        ax.legend(loc="best")
    return ax
