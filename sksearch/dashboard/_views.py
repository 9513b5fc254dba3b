"""The figures the page draws from :mod:`sksearch.plot`'s own data: slice,
rank, contour, empirical distribution and the best-so-far line.

Each answer is what a ``*_data`` function of :mod:`sksearch.plot._data`
computes for the plot of the same name, turned into JSON values (arrays into
lists, NaN and infinities into ``None``): the page draws these numbers and
computes none of them, so the page and the Python plot of a study agree.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import warnings

import numpy as np

__all__ = ["FIGURES", "figure"]

#: The figures answered, by the route's last part.
FIGURES = ("slice", "rank", "contour", "edf", "history")

# Past this many points a panel's hover texts are not sent: the page merges
# its marks (one path per colour, no tooltip each) past the same count.
_MAX_HOVER = 2000
# A parameter name in a query longer than this is no parameter of a study.
_MAX_NAME = 200


def figure(study, kind, objective, query):
    """The data of figure ``kind`` of ``study`` (``objective``'s value), as
    JSON values; ``{"error": why}`` when the figure cannot be drawn.

    Parameters
    ----------
    study : Study-like
        What :func:`sksearch.plot._source.read` reads (``directions``,
        ``get_trials``, ``system_attrs``).
    kind : str
        One of :data:`FIGURES`.
    objective : int
        The objective drawn (0 for a study of one).
    query : dict of str -> list of str
        The request's query: ``x`` and ``y`` name the contour's parameters
        (by default the first two).
    """
    from ..plot._source import read

    target = objective if study.is_multi_objective else None
    # a plot warns where it draws less (no surface, one value); the answer
    # says it instead, and a server thread has no one to warn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            source = read(study, target=target)
            return _DRAW[kind](source, query)
        except ValueError as exc:
            return {"error": str(exc)}


def _panels(data):
    """:class:`~sksearch.plot._data.PanelsData` (slice and rank)."""
    return {
        "title": data.title,
        "ylabel": data.ylabel,
        "colorbar": data.colorbar,
        "invert_y": bool(data.invert_y),
        "panels": [
            {
                "axis": _axis(p.xaxis),
                "x": _list(p.x),
                "y": _list(p.y),
                "color": _list(p.color),
                "hover": list(p.hover) if len(p.hover) <= _MAX_HOVER else [],
            }
            for p in data.panels
        ],
    }


def _slice(source, query):
    from ..plot._data import slice_data

    return _panels(slice_data(source, None))


def _rank(source, query):
    from ..plot._data import rank_data

    return _panels(rank_data(source, None))


def _contour(source, query):
    """:func:`~sksearch.plot._data.contour_data` over the parameters ``x``
    and ``y`` of the query: the trials, the grid's two axes (the surface is
    ``surface[row of y][column of x]``) or, without a surface, the note
    saying why."""
    from ..plot._data import contour_data
    from ..plot._source import parameters

    names = [p.name for p in parameters(source)]
    x, y = (_name(query, "x", names, 0), _name(query, "y", names, 1))
    if x is None or y is None:
        raise ValueError(f"A contour needs two parameters that vary; the study has {names}.")
    data = contour_data(source, x, y)
    surface = None if data.surface is None else [_list(row) for row in data.surface]
    return {
        "title": data.title,
        "x_param": x,
        "y_param": y,
        "params": names,
        "xaxis": _axis(data.xaxis),
        "yaxis": _axis(data.yaxis),
        "x": _list(data.x),
        "y": _list(data.y),
        "values": _list(data.values),
        "grid_x": None if surface is None else _list(data.grid_x[0]),
        "grid_y": None if surface is None else _list(data.grid_y[:, 0]),
        "surface": surface,
        "colorbar": data.colorbar,
        "note": data.note,
        "hover": list(data.hover) if len(data.hover) <= _MAX_HOVER else [],
    }


def _name(query, key, names, default):
    """The parameter ``key`` of the query names, else the ``default``-th varying one."""
    given = query.get(key, [None])[-1]
    if given is None:
        return names[default] if len(names) > default else None
    if len(given) > _MAX_NAME:
        raise ValueError(
            f"{key} must name a parameter of the study, got a name of {len(given)} characters."
        )
    return given


def _edf(source, query):
    """The study's curve of :func:`~sksearch.plot._data.edf_data`, labelled
    by its name: the page draws one per study selected, as ``plot_edf`` of
    them all does (each curve depends on its own study only)."""
    from ..plot._data import edf_data

    data = edf_data([source], [source.study.study_name])
    ((label, values, fractions),) = data.curves
    return {
        "title": data.title,
        "xlabel": data.xlabel,
        "ylabel": data.ylabel,
        "label": label,
        "x": _list(values),
        "y": _list(fractions),
    }


def _history(source, query):
    """The best-so-far line of :func:`~sksearch.plot._data.history_data`:
    what the page draws of a study compared with the one shown."""
    from ..plot._data import history_data

    data = history_data(source)
    return {
        "name": source.study.study_name,
        "ylabel": data.ylabel,
        "maximize": source.maximize,
        "best_numbers": _list(data.best_numbers),
        "best": _list(data.best),
    }


_DRAW = {"slice": _slice, "rank": _rank, "contour": _contour, "edf": _edf, "history": _history}


def _axis(axis):
    """An :class:`~sksearch.plot._source.Axis`: label, scale
    (``linear``, ``log`` or ``category``) and, when set, its ticks."""
    return {
        "label": axis.label,
        "scale": axis.scale,
        "ticks": None if axis.ticks is None else _list(axis.ticks),
        "ticklabels": None if axis.ticklabels is None else [str(t) for t in axis.ticklabels],
    }


def _list(values):
    """Numbers as JSON: floats, ``None`` where not finite."""
    return [
        float(v) if math.isfinite(v) else None
        for v in np.asarray(values, dtype=float).ravel().tolist()
    ]
