"""What each endpoint of the dashboard answers, read from the public Study API.

Everything here returns plain JSON values (dicts, lists, str, float, None):
the page draws them and escapes nothing itself, because it only ever puts
them into the document as text. A :class:`StudyView` keeps the finished
trials it has read and asks the storage only for those finished since
(:meth:`sksearch.Study.get_trials_finished_since`), so polling a study of
thousands of trials every second reads a handful of rows per poll.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import json
import math
import re
import threading
import time
import warnings

from .._records import FOLDS_ATTR, records_from_json
from ..distributions import Categorical
from ..study import Study
from ..trial import TrialState
from ._detail import trial_detail

__all__ = ["StudyView", "Storage"]

#: How the dashboard computes importances: exactly as
#: :func:`sksearch.plot.plot_param_importances` does by default (same code,
#: forest and seed), so that the page and a plot of the same study agree. A
#: smaller forest, as used before, ranked close parameters differently.
IMPORTANCE_OPTIONS = {"method": "fanova", "random_state": 0}

# Importances are refitted when the complete trials grew by this share (or
# by one, under 20), and at most once per _IMPORTANCE_MIN_SECONDS: a forest
# over 2,000 trials takes a second or two, and a live page polls every second.
_IMPORTANCE_GROWTH = 0.05
_IMPORTANCE_MIN_SECONDS = 5.0


class Storage:
    """The studies of one storage, as the dashboard shows them.

    Parameters
    ----------
    storage : BaseStorage
        Opened once; every view reads through it (it is thread-safe).
    """

    def __init__(self, storage):
        self.storage = storage
        self._views = {}
        self._lock = threading.Lock()

    def studies(self):
        """Every study: id, name, direction and trial counts by state."""
        rows = []
        names = dict(self.storage.get_all_studies())
        for study_id, name in names.items():
            try:
                study = self._view(study_id, names).study
                counts = {state.name: study.n_trials((state,)) for state in TrialState}
            except KeyError:
                continue  # deleted since it was listed
            # a study of several objectives is drawn on its first one
            rows.append({"id": study_id, "name": name, "direction": study.directions[0],
                         "directions": study.directions,
                         "objective_names": self._view(study_id, names).objective_names(),
                         "n_trials": sum(counts.values()), "states": counts})
        return rows

    def warm(self):
        """Read every study's trials now (a server does it as it starts, so
        that the first page a browser asks for is served from memory)."""
        for study_id, _ in self.storage.get_all_studies():
            try:
                # encoded too: at 20,000 trials the encoding took 0.8 s of the first page
                self.view(study_id).trials()
            except Exception:  # noqa: BLE001 - the request for it will show the error
                pass

    def view(self, study_id):
        """The :class:`StudyView` of ``study_id``; ``KeyError`` if there is none.

        A study is known by its id and its name together: a file written
        before ids were never reused (see docs/persistence.md) may give a
        deleted study's id to a new one, whose view must not hold the deleted
        one's trials. The study is found, never created: one deleted while
        asked for is a ``KeyError``.
        """
        return self._view(study_id, dict(self.storage.get_all_studies()))

    def _view(self, study_id, names):
        if study_id not in names:
            with self._lock:
                self._views.pop(study_id, None)
            raise KeyError(study_id)
        with self._lock:
            view = self._views.get(study_id)
            if view is None or view.study.study_name != names[study_id]:
                view = self._views[study_id] = StudyView(
                    Study._existing(self.storage, study_id, names[study_id]), study_id)
            return view


class StudyView:
    """One study's trials, read incrementally.

    Parameters
    ----------
    study : Study
        An existing study (attached to, never written).
    study_id : int
    """

    def __init__(self, study, study_id):
        self.study = study
        self.study_id = study_id
        self._lock = threading.Lock()
        self._importance_lock = threading.Lock()
        self._cursor = None
        # finished trials in the order they were read, and for each objective
        # asked for, encoded as JSON with its value: a finished trial never
        # changes, so each is encoded once for every poll
        self._records = []
        self._finished = {}  # number -> FrozenTrial, for the detail of one
        self._by_objective = {}
        self._axes = {}  # parameter name -> axis description (latest distribution)
        self._importances = {}  # by objective
        self._importances_at = {}  # by objective: (complete trials, time) when fitted
        self._importance_seconds = {}  # by objective: how long the last fit took
        self._figure_lock = threading.Lock()
        self._figures = {}  # (kind, objective, x, y) -> (finished trials, answer)

    def objective(self, text):
        """The objective index a request names (``?objective=k``; ``None``
        is 0), checked against the study: ``ValueError`` saying why."""
        n = len(self.study.directions)
        if text is None:
            return 0
        # ASCII digits, few of them: "²" is a digit to str.isdigit but not to
        # int(), and int() refuses thousands of digits
        if not (re.fullmatch(r"[0-9]{1,18}", text) and int(text) < n):
            shown = repr(text) if len(text) <= 30 else repr(text[:26]) + "..."
            raise ValueError(f"objective must be an integer in [0, {n - 1}] for this study "
                             f"({n} objective{'s' if n > 1 else ''}), got {shown}.")
        return int(text)

    def summary(self, objective=0):
        """Name, direction (of ``objective``, the one drawn) and the
        parameters' axes."""
        with self._lock:
            self._refresh()
            return {"id": self.study_id, "name": self.study.study_name,
                    "direction": self.study.directions[objective], "objective": objective,
                    "directions": self.study.directions,
                    "objective_names": self.objective_names(), "axes": dict(self._axes)}

    def trials(self, since=0, objective=0):
        """Trials finished after the first ``since`` already sent, and every
        running trial, as a JSON text; each trial's ``value`` is that of
        ``objective`` (all of them are in ``values``).

        It encodes ``{"finished": [...], "running": [...], "next": n,
        "reset": bool, "axes": {...}}``: pass ``next`` as ``since`` to the
        following call. A trial sent as running comes again, finished, once it
        is. ``reset`` is true when ``since`` is beyond what this server has
        sent (a restarted server): the client then drops what it has and takes
        ``finished`` as the whole list. A trial is
        ``{"number", "state", "value", "start", "end", "params", "intermediate",
        "folds"}`` (and ``"fail_reason"``): ``params`` maps a name to its
        internal value (a number; the axis is in ``axes``), or for a
        categorical to ``[index, label]``; ``intermediate`` is
        ``[[step, value], ...]``; ``folds`` is ``[[fold, spans], ...]`` with
        the ``[worker, start, end]`` spans of the fold's tasks.
        """
        with self._lock:
            self._refresh()
            running = [_with_value(self._trial_json(t), objective)
                       for t in self.study.get_trials((TrialState.RUNNING,))]
            encoded = self._encoded(objective)
            reset = since > len(encoded)
            finished = encoded[0 if reset else since:]
            rest = _dumps({"running": running, "next": len(encoded), "reset": reset,
                           "axes": self._axes})
            return '{"finished":[' + ",".join(finished) + "]," + rest[1:]

    def _encoded(self, objective):
        """The finished trials as JSON texts with ``objective``'s value, each
        encoded once (objective 0 as they are read; another when first asked
        for, then as trials finish)."""
        encoded = self._by_objective.setdefault(objective, [])
        for record in self._records[len(encoded):]:
            encoded.append(_dumps(_with_value(record, objective)))
        return encoded

    def importances(self, objective=0):
        """fANOVA importances of the parameters over the complete trials (for
        ``objective``'s value), as :func:`sksearch.plot.plot_param_importances`
        computes them, or ``{"error": why}`` while they cannot be computed.

        ``importances`` is ``[[name, share], ...]``, the most important first,
        ``name`` as the plot labels it; ``params`` the parameters' own names in
        the same order.
        """
        # its own lock: polls of the trials go on while a forest is fitted
        with self._importance_lock:
            n_complete = self.study.n_trials((TrialState.COMPLETE,))
            cached = self._importances.get(objective)
            fitted_n, fitted_at = self._importances_at.get(objective, (-1, -math.inf))
            grown = n_complete - fitted_n >= max(1, _IMPORTANCE_GROWTH * fitted_n)
            # the plot's forest over 20,000 trials takes a minute: refitted no
            # more often than ten times as long as the last fit took, so that
            # a live study spends at most a tenth of a core on it
            wait = max(_IMPORTANCE_MIN_SECONDS, 10 * self._importance_seconds.get(objective, 0))
            if cached is None or (grown and time.monotonic() - fitted_at >= wait):
                began = time.monotonic()
                with self._lock:
                    self._refresh()
                    finished = self._read_so_far()
                cached = {**_importances(finished, objective), "n_trials": n_complete}
                self._importances[objective] = cached
                self._importances_at[objective] = (n_complete, time.monotonic())
                self._importance_seconds[objective] = time.monotonic() - began
            return cached

    def pareto(self):
        """The Pareto front of a study of several objectives, as
        :func:`sksearch.plot.plot_pareto_front` computes it: ``{"names",
        "directions", "title", "points": [[number, [values], feasible,
        on_front], ...]}``; ``{"error": why}`` for a study of one objective."""
        from ..plot._pareto import pareto_data

        if not self.study.is_multi_objective:
            return {"error": "A study of one objective has no Pareto front."}
        with self._lock:
            self._refresh()
            finished = self._read_so_far()
        front = pareto_data(finished)
        points = [[int(n), [_finite(v) for v in values], bool(f), bool(o)] for n, values, f, o
                  in zip(front.numbers, front.values, front.feasible, front.on_front)]
        return {"names": list(front.names), "directions": self.study.directions,
                "title": front.title, "n_front": int(front.on_front.sum()), "points": points}

    def figure(self, kind, objective=0, query=None):
        """The data of the plot ``kind`` (``"slice"``, ``"rank"``,
        ``"contour"``, ``"edf"`` or ``"history"``) for ``objective``, as
        :mod:`sksearch.plot` computes it (see :func:`._views.figure`);
        recomputed only when trials have finished since."""
        from ._views import figure

        query = query or {}
        key = (kind, objective, *(tuple(query.get(k, ())) for k in ("x", "y")))
        # its own lock: polls of the trials go on while a figure is computed
        with self._figure_lock:
            with self._lock:
                self._refresh()
                n_finished = len(self._records)
                cached = self._figures.get(key)
                if cached is not None and cached[0] == n_finished:
                    return cached[1]
                finished = self._read_so_far()
            answer = figure(finished, kind, objective, query)
            if len(self._figures) > 64:  # a client asking for many contours
                self._figures.clear()
            self._figures[key] = (n_finished, answer)
            return answer

    def trial(self, number):
        """Everything stored of trial ``number`` (see :func:`trial_detail`);
        ``KeyError`` if the study has no such trial."""
        with self._lock:
            self._refresh()
            frozen = self._finished.get(number)
        if frozen is None:
            running = {t.number: t for t in self.study.get_trials((TrialState.RUNNING,))}
            frozen = running.get(number)
        if frozen is None:
            raise KeyError(number)
        return trial_detail(frozen, self.objective_names())

    def objective_names(self):
        """What each objective's value is called: a search's metric names (it
        stores them with the study), else ``objective k``; ``value`` for a
        study of one objective."""
        from .._objectives import stored_objective_names

        n = len(self.study.directions)
        if n == 1:
            return ["value"]
        return stored_objective_names(self.study.system_attrs, n) or [
            f"objective {k}" for k in range(n)]

    # -- reading ---------------------------------------------------------------
    def _read_so_far(self):
        """The finished trials read so far, as a study the plots' code reads:
        computing from them costs no second read of the whole storage (at
        20,000 trials, a second or more)."""
        # in number order, as the study lists them: the forest of the
        # importances draws its bootstrap samples by row
        return _FinishedTrials(self.study, sorted(self._finished.values(),
                                                  key=lambda t: t.number))

    def _refresh(self):
        new, self._cursor = self.study.get_trials_finished_since(self._cursor)
        for trial in sorted(new, key=lambda t: t.number):
            self._records.append(self._trial_json(trial))
            self._finished[trial.number] = trial

    def _trial_json(self, trial):
        params = {}
        for name, dist in trial.distributions.items():
            internal = trial.internal_params[name]
            self._axes[name] = _axis(dist)
            if isinstance(dist, Categorical):
                params[name] = [int(internal), _choice_label(dist.to_external(internal))]
            else:
                params[name] = _finite(internal)
        record = {
            "number": trial.number,
            "state": trial.state.name,
            # the drawn objective's value (see _with_value); every one in "values"
            "value": None if trial.values is None else _finite(trial.values[0]),
            "values": None if trial.values is None else [_finite(v) for v in trial.values],
            "start": _timestamp(trial.datetime_start),
            "end": _timestamp(trial.datetime_complete),
            "params": params,
            "intermediate": [[int(step), _finite(value)] for step, value
                             in sorted(trial.intermediate_values.items())],
            "folds": _folds(trial),
        }
        reason = trial.system_attrs.get("fail_reason")
        if isinstance(reason, str):
            record["fail_reason"] = reason
        return record


class _FinishedTrials:
    """A study as :mod:`sksearch.plot` reads it (``directions``,
    ``system_attrs``, ``get_trials``), over trials already read."""

    def __init__(self, study, trials):
        self.study_name = study.study_name
        self.directions = study.directions
        self.is_multi_objective = study.is_multi_objective
        self.system_attrs = study.system_attrs
        self._trials = trials

    def get_trials(self, states=None):
        return [t for t in self._trials if states is None or t.state in states]

    @property
    def trials(self):
        return self.get_trials()


def _importances(study, objective):
    """``{"importances", "params"}`` of ``objective`` as the plot computes
    them, or ``{"error": why}``."""
    from ..plot._data import importance_data
    from ..plot._source import read

    target = objective if study.is_multi_objective else None
    try:
        source = read(study, target=target)
        # the plot warns (once per process) when every value is the same; the
        # answer says it instead, and a server thread has no one to warn
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            data = importance_data(source, study, **IMPORTANCE_OPTIONS)
    except ValueError as exc:
        return {"error": str(exc)}
    if data.message is not None:
        return {"error": data.message}
    raw = {source.display_name(n): n for t in source.complete for n in t.params}
    labels = list(data.names)[::-1]  # the plot lists the least important first
    return {"importances": [[n, float(v)] for n, v in zip(labels, data.shares[::-1])],
            "params": [raw.get(n, n) for n in labels]}


def _with_value(record, objective):
    """``record`` with ``value`` that of ``objective`` (the key keeps its place)."""
    if objective == 0:
        return record
    values = record["values"]
    return {**record, "value": None if values is None else values[objective]}


def _folds(trial):
    """``[fold, spans]`` of each fold that ran: what the timeline draws (the
    fold's scores are the trial's intermediate values)."""
    stored = trial.system_attrs.get(FOLDS_ATTR)
    if stored is None:
        return []
    return [[k, [[w, round(s, 3), round(e, 3)] for w, s, e in fold.spans]]
            for k, fold in enumerate(records_from_json(stored, trial.number))
            if fold is not None]


def _axis(dist):
    """How a parameter is drawn: a numeric axis (``log`` or linear) over its
    internal values, or a categorical one labelled by its choices."""
    if isinstance(dist, Categorical):
        return {"type": "categorical",
                "labels": [_choice_label(c) for c in dist.choices]}
    description = dist.to_json()
    if description.get("type") in ("float", "int"):
        return {"type": description["type"], "low": description["low"],
                "high": description["high"], "log": bool(description["log"])}
    # a scipy distribution: drawn by its quantile, in [0, 1]
    return {"type": "quantile", "low": 0.0, "high": 1.0, "log": False,
            "dist": str(description.get("dist", ""))}


def _choice_label(choice):
    return choice if isinstance(choice, str) else repr(choice)


def _finite(value):
    """JSON has no NaN or infinity: those become None (shown as missing)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _timestamp(moment):
    return None if moment is None else round(moment.timestamp(), 3)


def _dumps(payload):
    # allow_nan=False: a NaN reaching here is a bug, not something to send
    return json.dumps(payload, allow_nan=False, separators=(",", ":"))
