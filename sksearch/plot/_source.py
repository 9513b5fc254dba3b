"""Reading a search or a study for the plots: its trials, its parameters as
axes (ticks, log scale, category names, branch names) and number formats.

Nothing here imports a plotting library; both backends draw what
:mod:`sksearch.plot._data` computes from these pieces.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..distributions import Categorical, Int
from ..space import BRANCH_LABELS_ATTR, BRANCH_PARAM, make_search_space
from ..trial import TrialState

#: Colours of trial states, shared by both backends (hex, which both read).
COLORS = {"complete": "#1f77b4", "pruned": "#8c8c8c", "failed": "#d62728",
          "best": "#d62728", "running": "#2ca02c"}


@dataclass
class Axis:
    """How one axis reads: its label, scale and, when set, its ticks.

    ``scale`` is ``"linear"``, ``"log"`` or ``"category"`` (positions are the
    choices' indices). ``ticks`` are positions in data units, ``None`` leaving
    them to the backend.
    """

    label: str
    scale: str = "linear"
    ticks: list = None
    ticklabels: list = None


@dataclass
class Source:
    """What every plot reads of a fitted search or a study."""

    study: object
    value_label: str
    maximize: bool  # None: the value has no known direction (a callable target)
    branch_labels: list  # names of the branches of a list-of-dicts space, or None
    branch_title: str
    # the complete trials with a finite value, read once; with a target, copies
    # whose only value is the target's (so every plot reads ``trial.value``)
    complete: list
    pruned: list = None  # the pruned trials with a finite partial value of it
    objective: int = None  # the objective plotted, when it is one of the study's

    def display_name(self, name):
        """The name a parameter is shown by: the branch by what it chooses."""
        return self.branch_title if name == BRANCH_PARAM else name

    def importance_study(self):
        """A study-like view (``directions``, ``get_trials``) whose complete
        trials carry the plotted value only, for the importances of a
        callable target."""
        return _ValueView(self)


class _ValueView:
    def __init__(self, source):
        self._complete = source.complete
        self.directions = ["maximize" if source.maximize else "minimize"]

    def get_trials(self, states=None):
        if states is None or TrialState.COMPLETE in states:
            return list(self._complete)
        return []


def read(obj, target=None, target_name=None, values=True):
    """The :class:`Source` of a fitted search (``study_``) or a Study.

    ``target`` says which value the plots draw: ``None`` for a study of one
    objective, an objective's index, or a callable ``FrozenTrial -> float``
    (called on the complete trials); ``target_name`` labels it. With
    ``values=False`` (plots that draw no value) a study of several
    objectives needs no target.
    """
    study = _study_of(obj)
    # target_name is checked by the plot that reads (plot._checked)
    labels, title = _branch_labels(obj, study)
    directions = study.directions
    default_label = "mean CV score" if study is not obj else "objective value"
    if target is None and (len(directions) == 1 or not values):
        return Source(study=study, value_label=target_name or default_label,
                      maximize=directions[0] == "maximize", branch_labels=labels,
                      branch_title=title, complete=_single_valued(study, TrialState.COMPLETE),
                      pruned=_single_valued(study, TrialState.PRUNED),
                      objective=0 if len(directions) == 1 else None)
    value_of, maximize, label, objective = _target(obj, study, target, target_name,
                                                   default_label)
    return Source(study=study, value_label=label, maximize=maximize, branch_labels=labels,
                  branch_title=title, complete=_valued_by(study, value_of),
                  pruned=_pruned_of(study, objective), objective=objective)


def _study_of(obj):
    """The study of a fitted search, or ``obj`` itself if it is a study."""
    study = getattr(obj, "study_", None)
    if study is None:
        if not hasattr(obj, "get_trials"):
            raise TypeError(f"Expected a fitted search or a Study, got {obj!r}.")
        study = obj
    return study


def _single_valued(study, state):
    """The trials of ``state`` having one value, a finite one."""
    return [t for t in study.get_trials((state,))
            if t.values is not None and len(t.values) == 1 and math.isfinite(t.values[0])]


def _valued_by(study, value_of):
    """The complete trials whose ``value_of`` is finite, as copies holding
    that value only."""
    complete = []
    for trial in study.get_trials((TrialState.COMPLETE,)):
        if trial.values is None:
            continue
        value = value_of(trial)
        if math.isfinite(value):
            complete.append(dataclasses.replace(trial, values=(value,)))
    return complete


def _pruned_of(study, objective):
    """The pruned trials with a finite partial value of ``objective``: a
    pruned trial's partial value is one objective's, and only in a study of
    one."""
    if objective != 0 or len(study.directions) > 1:
        return []
    return [t for t in study.get_trials((TrialState.PRUNED,))
            if t.values is not None and math.isfinite(t.values[0])]


def _target(obj, study, target, target_name, default_label):
    """What a ``target`` plots: ``(value_of, maximize, label, objective)``, the
    value of a trial, its direction (``None``: unknown), its axis label and
    the objective's index (``None`` for a callable)."""
    directions = study.directions
    if target is None:
        raise ValueError(
            f"The study {study.study_name!r} has {len(directions)} objectives "
            f"{directions!r}; pass target= (an objective index 0 .. {len(directions) - 1}, "
            "or a callable FrozenTrial -> float) to say which value to plot.")
    if callable(target):
        maximize = directions[0] == "maximize" if len(directions) == 1 else None
        return _number_returned_by(target), maximize, target_name or "target", None
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool) \
            and 0 <= target < len(directions):
        objective = int(target)
        label = target_name or _objective_label(obj, objective, study is not obj,
                                                default_label, len(directions))
        return (_objective_value(objective), directions[objective] == "maximize", label,
                objective)
    raise ValueError(
        f"target must be an objective index in [0, {len(directions) - 1}], a callable "
        f"FrozenTrial -> float or None, got {target!r}.")


def _number_returned_by(target):
    """A trial's value by the callable ``target``, checked to be a number."""
    def value_of(trial):
        value = target(trial)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise TypeError(f"target must return a number, got {value!r} for trial "
                            f"{trial.number}.") from None
    return value_of


def _objective_value(objective):
    """A trial's value of objective ``objective``."""
    def value_of(trial):
        return trial.values[objective]
    return value_of


def _objective_label(obj, objective, search, default_label, n_objectives):
    """An objective's axis label: a search's metric name, else its index."""
    if n_objectives == 1:
        return default_label
    from .._objectives import stored_objective_names

    names = getattr(obj, "objectives", None) if search else None
    # a study a search stored knows its metrics too
    names = names or stored_objective_names(_study_of(obj).system_attrs, n_objectives)
    if isinstance(names, (list, tuple)) and len(names) == n_objectives:
        return f"mean {names[objective]}"
    return f"objective {objective}"


def _branch_labels(obj, study):
    """Names of the branches of a list-of-dicts space, as the user wrote them,
    and the title of their axis (see ``BranchSpace.labels``): from a search's
    own space, or for a Study those a search stored in it."""
    if study is obj:
        stored = study.system_attrs.get(BRANCH_LABELS_ATTR)
        if isinstance(stored, list) and all(isinstance(x, str) for x in stored):
            return stored, "branch"
        return None, "branch"
    params = obj.get_params(deep=False)
    raw = params.get("param_distributions", params.get("param_grid"))
    if not isinstance(raw, (list, tuple)) or len(raw) < 2:
        return None, "branch"
    try:
        space = make_search_space(raw)
    except (TypeError, ValueError):
        return None, "branch"
    return space.labels()


def describe(value, width=18):
    """A short label of a parameter value: an estimator by its class name,
    a number by :func:`number`, anything else by its (shortened) repr."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        text = type(value).__name__
    elif isinstance(value, float):
        text = number(value)
    else:
        text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def number(value, digits=3):
    """A tick label: ``digits`` significant digits, no trailing zeros."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    return text.replace("e-0", "e-").replace("e+0", "e+").replace("e+", "e")


def numbers(values):
    """Labels of ticks, with as many digits as it takes to tell them apart."""
    for digits in range(3, 13):
        labels = [number(v, digits) for v in values]
        if len(set(labels)) == len(labels):
            return labels
    return labels


@dataclass
class Param:
    """A parameter as drawn: its name, distribution and axis."""

    name: str
    distribution: object
    axis: Axis

    @property
    def is_categorical(self):
        """Drawn by its choices' names: a categorical whose choices are not all
        numbers (numbers, such as ``degree: [2, 3, 4]``, keep their order and
        distances on a numeric axis)."""
        return isinstance(self.distribution, Categorical) and not numeric_choices(
            self.distribution)

    def coordinates(self, trials):
        """Positions of the trials on the axis (external values, or choice
        indices for categoricals); NaN where a trial lacks the parameter. A
        numerical parameter that branches search over different ranges is one
        axis of all their values; a categorical one counts only the trials of
        its choices."""
        out = np.full(len(trials), np.nan)
        for i, trial in enumerate(trials):
            dist = trial.distributions.get(self.name)
            if dist is None:
                continue
            internal = trial.internal_params[self.name]
            if self.is_categorical:
                if dist == self.distribution:
                    out[i] = internal
            elif not isinstance(dist, Categorical) or numeric_choices(dist):
                out[i] = float(dist.to_external(internal))
        if self.axis.scale == "log":
            out[~(out > 0)] = np.nan
        return out


def parameters(source, params=None, trials=None):
    """The :class:`Param` of every varying parameter of ``trials`` (the
    complete ones by default), sorted, or of the names ``params``."""
    trials = source.complete if trials is None else trials
    seen = {}
    for trial in trials:  # the distribution most trials used, for each name
        for name, dist in trial.distributions.items():
            seen.setdefault(name, {}).setdefault(dist, 0)
            seen[name][dist] += 1
    distributions = {n: max(c, key=c.get) for n, c in seen.items()}
    names = [n for n in sorted(distributions) if not distributions[n].is_single()]
    if params is not None:
        if isinstance(params, str):
            params = [params]
        unknown = sorted(set(params) - set(distributions))
        if unknown:
            raise ValueError(f"Unknown parameters {unknown} in params; the study has {names}.")
        names = list(params)
    out = []
    for name in names:
        dist = distributions[name]
        probe = Param(name, dist, Axis(name))
        out.append(Param(name, dist, axis_of(source, probe, probe.coordinates(trials))))
    return out


def axis_of(source, param, coordinates):
    """The axis of ``param`` over the positions drawn: choice names for a
    categorical (branch names for the branch), decade-aware ticks for a log
    parameter, the backend's own ticks otherwise."""
    dist = param.distribution
    if isinstance(dist, Categorical) and numeric_choices(dist) \
            and param.name != BRANCH_PARAM:
        return _numeric_choices_axis(param.name, dist.choices)
    if isinstance(dist, Categorical):
        if param.name == BRANCH_PARAM:
            labels = source.branch_labels or [f"branch {c}" for c in dist.choices]
            return Axis(source.branch_title, "category", list(range(len(labels))), labels)
        return Axis(param.name, "category", list(range(len(dist.choices))),
                    [describe(c, 14) for c in dist.choices])
    finite = coordinates[np.isfinite(coordinates)]
    if getattr(dist, "log", False):
        lo, hi = (finite.min(), finite.max()) if len(finite) else (dist.low, dist.high)
        ticks = log_ticks(lo, hi)
        return Axis(param.name, "log", ticks, numbers(ticks))
    if isinstance(dist, Int) and len(finite):  # no ticks between two integers
        ticks = linear_ticks(finite.min(), finite.max(), integer=True)
        return Axis(param.name, "linear", ticks, numbers(ticks))
    return Axis(param.name)


def numeric_choices(dist):
    """Whether every choice of a categorical is a real number (not a bool)."""
    return all(isinstance(c, (int, float, np.integer, np.floating))
               and not isinstance(c, (bool, np.bool_)) and math.isfinite(c)
               for c in dist.choices)


def _numeric_choices_axis(name, choices):
    """A numeric axis for numbers given as a list: ticks at the choices (each
    one a value the trials could take); log when they are positive and span
    two decades or more (``[1e-3, 1e-2, 0.1]``), where even spacing is the
    user's intent."""
    values = sorted({float(c) for c in choices})
    log = values[0] > 0 and values[-1] / values[0] >= 100
    ticks = values
    if len(values) > 8:  # too many to write: round ticks over their range
        ticks = log_ticks(values[0], values[-1]) if log else linear_ticks(
            values[0], values[-1], integer=all(float(v).is_integer() for v in values))
    return Axis(name, "log" if log else "linear", ticks, numbers(ticks))


def log_ticks(lo, hi, most=6):
    """Ticks of a log axis over ``[lo, hi]`` that never crowd: whole decades
    (thinned to at most ``most``) when the range spans two or more, else the
    first of 1/3, 1/2/5 and 1..9 times a power of ten to give 3 ticks or more."""
    lo, hi = float(lo), float(hi)
    if not (lo > 0 and hi >= lo):
        return []
    if lo == hi:
        return [lo]
    low_exp, high_exp = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if math.log10(hi) - math.log10(lo) >= 2:
        exps = list(range(math.ceil(math.log10(lo) - 1e-9),
                          math.floor(math.log10(hi) + 1e-9) + 1))
        stride = math.ceil(len(exps) / most)
        return [float(f"1e{e}") for e in exps[::stride]]
    best = []
    for mantissas in ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9)):
        ticks = [float(f"{m}e{e}") for e in range(low_exp, high_exp + 1) for m in mantissas]
        ticks = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if len(ticks) > most:
            break
        best = ticks
        if len(ticks) >= 3:
            break
    return best or [lo, hi]


def linear_ticks(lo, hi, count=6, integer=False):
    """At most ``count`` round ticks (steps of 1, 2, 2.5 or 5 times a power of
    ten; whole steps when ``integer``) over ``[lo, hi]``."""
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        return [lo]
    raw = (hi - lo) / (count - 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    first = math.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-6, step)
    return [float(round(t, 12)) for t in ticks]
