"""Drawing the plots' data with plotly (interactive figures, optional)."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np

from ._source import COLORS

_SCALE = "Viridis"


def _go():
    try:
        import plotly.graph_objects as go
    except ImportError as exc:  # pragma: no cover - exercised without plotly
        raise ImportError(
            "backend='plotly' needs plotly: pip install sksearch[plot]") from exc
    return go


def check():
    """Raise the ImportError saying how to install plotly, if it is missing."""
    _go()


def _axis_layout(axis):
    """A plotly axis dict (title, type, ticks) for an :class:`Axis`."""
    layout = {"title": {"text": axis.label}}
    if axis.scale == "log":
        layout["type"] = "log"
    if axis.ticks is not None:
        layout.update(tickmode="array", tickvals=list(axis.ticks),
                      ticktext=list(axis.ticklabels))
    return layout


#: A hover showing a point's own text (trial, state, value, parameters) and
#: nothing else (no trace name box).
_HOVER = "%{text}<extra></extra>"


def _list(values):
    return [float(v) for v in np.asarray(values, dtype=float)]


def history(data):
    go = _go()
    figure = go.Figure()
    if len(data.numbers):
        figure.add_trace(go.Scatter(x=_list(data.numbers), y=_list(data.values),
                                    mode="markers", name="complete",
                                    marker={"color": COLORS["complete"]},
                                    text=list(data.hover), hovertemplate=_HOVER))
        if len(data.best):
            figure.add_trace(go.Scatter(x=_list(data.best_numbers), y=_list(data.best),
                                        mode="lines", name="best so far",
                                        line={"shape": "hv", "color": COLORS["best"]}))
    if len(data.pruned_numbers):
        figure.add_trace(go.Scatter(x=_list(data.pruned_numbers), y=_list(data.pruned_values),
                                    mode="markers", name="pruned (partial)",
                                    marker={"color": COLORS["pruned"], "symbol": "x"},
                                    text=list(data.pruned_hover), hovertemplate=_HOVER))
    figure.update_layout(title=data.title, xaxis_title=data.xlabel, yaxis_title=data.ylabel)
    return figure


def importances(data):
    go = _go()
    figure = go.Figure(go.Bar(x=_list(data.shares), y=list(data.names), orientation="h",
                              marker={"color": COLORS["complete"]},
                              text=None if data.message else [f"{s:.1%}" for s in data.shares],
                              textposition="outside"))
    if data.message is not None:
        figure.add_annotation(text=data.message, x=0.5, y=0.5, xref="paper", yref="paper",
                              showarrow=False, bgcolor="white", bordercolor="#999")
        figure.update_xaxes(range=[0, 1])
    figure.update_layout(title=data.title, xaxis_title=data.xlabel)
    return figure


def panels(data):
    from plotly.subplots import make_subplots

    _go()
    n = len(data.panels)
    n_cols = max(1, min(3, n))
    n_rows = max(1, math.ceil(n / n_cols))
    figure = make_subplots(rows=n_rows, cols=n_cols, shared_yaxes=True)
    colors = np.concatenate([p.color for p in data.panels]) if n else np.empty(0)
    limits = (float(colors.min()), float(colors.max())) if len(colors) else (0.0, 1.0)
    go = _go()
    for k, panel in enumerate(data.panels):
        row, col = divmod(k, n_cols)
        figure.add_trace(go.Scatter(
            x=_list(panel.x), y=_list(panel.y), mode="markers", name=panel.xaxis.label,
            showlegend=False, text=list(panel.hover), hovertemplate=_HOVER,
            marker={"color": _list(panel.color), "colorscale": _SCALE, "cmin": limits[0],
                    "cmax": limits[1], "showscale": k == 0,
                    "colorbar": {"title": {"text": data.colorbar}}}),
            row=row + 1, col=col + 1)
        figure.update_xaxes(_axis_layout(panel.xaxis), row=row + 1, col=col + 1)
        figure.update_yaxes(title_text=data.ylabel if col == 0 else None,
                            autorange="reversed" if data.invert_y else True,
                            row=row + 1, col=col + 1)
    figure.update_layout(title=data.title, height=320 * n_rows)
    return figure


def parallel(data):
    go = _go()
    dimensions = [{"label": axis.label, "values": _list(axis.positions),
                   "range": [min(0.0, *axis.ticks), 1.0],
                   "tickvals": [float(t) for t in axis.ticks], "ticktext": list(axis.ticklabels)}
                  for axis in data.axes]
    figure = go.Figure(go.Parcoords(
        dimensions=dimensions,
        line={"color": _list(data.values), "colorscale": _SCALE, "showscale": True,
              "colorbar": {"title": {"text": data.colorbar}}}))
    figure.update_layout(title=data.title)
    return figure


def contour(data, levels=12):
    go = _go()
    figure = go.Figure()
    if data.surface is not None:
        surface = np.where(np.isnan(data.surface), None, data.surface).tolist()
        figure.add_trace(go.Contour(x=_list(data.grid_x[0]), y=_list(data.grid_y[:, 0]),
                                    z=surface, colorscale=_SCALE, ncontours=levels,
                                    colorbar={"title": {"text": data.colorbar}}))
        figure.add_trace(go.Scatter(x=_list(data.x), y=_list(data.y), mode="markers",
                                    name="trials", showlegend=False,
                                    text=list(data.hover), hovertemplate=_HOVER,
                                    marker={"color": "white", "line": {"color": "black",
                                                                       "width": 1}}))
    else:
        figure.add_trace(go.Scatter(
            x=_list(data.x), y=_list(data.y), mode="markers", name="trials",
            text=list(data.hover), hovertemplate=_HOVER,
            marker={"color": _list(data.values), "colorscale": _SCALE, "showscale": True,
                    "size": 9, "line": {"color": "black", "width": 1},
                    "colorbar": {"title": {"text": data.colorbar}}}))
    title = data.title if data.note is None else f"{data.title} ({data.note})"
    figure.update_layout(title=title, xaxis=_axis_layout(data.xaxis),
                         yaxis=_axis_layout(data.yaxis))
    return figure


def intermediate(data):
    """As the matplotlib backend: lines coloured by trial number (with a
    colour bar), pruned ones dashed and ended by a cross drawn above every
    line; the legend names the two states and a hover names the trial."""
    from plotly.colors import sample_colorscale

    go = _go()
    figure = go.Figure()
    numbers = [c.number for c in data.curves]
    lo, hi = min(numbers, default=0), max(numbers, default=1)
    span = max(hi - lo, 1)
    colors = sample_colorscale(_SCALE, [(n - lo) / span for n in numbers]) if numbers else []
    shown = set()
    for curve, color in zip(data.curves, colors):
        state = "pruned" if curve.pruned else "complete"
        figure.add_trace(go.Scatter(
            x=_list(curve.x), y=_list(curve.y), mode="lines" if curve.pruned else "lines+markers",
            line={"color": color, "dash": "dash" if curve.pruned else "solid"}, opacity=0.8,
            name=state, legendgroup=state, showlegend=state not in shown,
            text=[curve.hover] * len(curve.x),
            hovertemplate="%{text}<br>step %{x}: %{y:.4g}<extra></extra>"))
        shown.add(state)
    _stops_and_colorbar(go, figure, data.curves, lo, hi)
    xaxis = {"title": {"text": data.xlabel}}
    if data.xticks is not None:
        xaxis.update(tickmode="array", tickvals=list(data.xticks))
    figure.update_layout(title=data.title, xaxis=xaxis, yaxis_title=data.ylabel,
                         legend={"x": 0, "y": -0.2, "orientation": "h"})
    return figure


def _stops_and_colorbar(go, figure, curves, lo, hi):
    """The crosses where pruned trials stopped (last: above every line) and a
    colour bar of the trial numbers, on a trace with no points shown."""
    stops = [c for c in curves if c.pruned]
    if stops:
        figure.add_trace(go.Scatter(
            x=[float(c.x[-1]) for c in stops], y=[float(c.y[-1]) for c in stops],
            mode="markers", name="where pruned", text=[c.hover for c in stops],
            hovertemplate=_HOVER, marker={"color": "black", "symbol": "x", "size": 9}))
    if curves:
        figure.add_trace(go.Scatter(
            x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
            marker={"color": [lo, hi], "colorscale": _SCALE, "cmin": lo, "cmax": hi,
                    "showscale": True, "colorbar": {"title": {"text": "trial"}}}))


def timeline(data):
    go = _go()
    figure = go.Figure()
    for kind in ("complete", "pruned", "failed", "running"):
        chosen = [i for i, k in enumerate(data.kind) if k == kind]
        if not chosen:
            continue
        figure.add_trace(go.Bar(
            y=[data.rows[data.row[i]] for i in chosen], x=_list(data.width[chosen]),
            base=_list(data.start[chosen]), orientation="h", name=kind,
            marker={"color": COLORS[kind]},
            customdata=[int(data.trial[i]) for i in chosen],
            hovertemplate="trial %{customdata}<br>%{base:.2f} s + %{x:.2f} s"))
    figure.update_layout(title=data.title, xaxis_title=data.xlabel, yaxis_title=data.ylabel,
                         barmode="overlay",
                         yaxis={"categoryorder": "array", "categoryarray": list(data.rows)})
    return figure


def edf(data):
    go = _go()
    figure = go.Figure()
    for label, values, fractions in data.curves:
        figure.add_trace(go.Scatter(x=_list(values), y=_list(fractions), mode="lines",
                                    line={"shape": "hv"}, name=label))
    figure.update_layout(title=data.title, xaxis_title=data.xlabel, yaxis_title=data.ylabel,
                         yaxis={"range": [0, 1.02]})
    return figure
