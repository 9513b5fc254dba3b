"""Several objectives and constraints for BayesSearchCV.

``objectives`` names the metrics a search optimises jointly: keys of its
scoring (maximised; ``"score"`` for a single metric) and ``"fit_time"`` /
``"score_time"`` (a candidate's mean seconds over its folds, minimised).
``constraints`` bounds metrics, ``{"fit_time": ("<=", 1.0), "recall": (">=",
0.9)}``; a candidate is feasible when every bound holds. This module turns
those arguments into the study's directions and ``constraints_func``, the
values told for each candidate, and the Pareto front's rows of
``cv_results_``.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ._records import FOLDS_ATTR, mean_score, records_from_json
from .multiobjective import pareto_front_mask, to_minimization

__all__ = ["SearchObjectives", "TIME_METRICS"]

#: Metrics measured by the search itself, minimised.
TIME_METRICS = ("fit_time", "score_time")
#: The study system attribute where a search stores what its values mean:
#: ``{"objectives": [names], "constraints": [[metric, operator, bound]]}``.
OBJECTIVES_ATTR = "sksearch:objectives"
_OPERATORS = ("<=", ">=")


def stored_objective_names(study_attrs, n_objectives):
    """The metric names a search stored for its study's ``n_objectives``
    values (a study read back from a storage, by the CLI or the dashboard,
    has no search to ask), or ``None`` when none match that many values."""
    stored = (study_attrs or {}).get(OBJECTIVES_ATTR)
    names = stored.get("objectives") if isinstance(stored, dict) else None
    if isinstance(names, list) and len(names) == n_objectives and n_objectives > 1 \
            and all(isinstance(n, str) for n in names):
        return list(names)
    return None


@dataclass(frozen=True)
class SearchObjectives:
    """The validated ``objectives`` and ``constraints`` of a search."""

    names: tuple
    constraints: tuple  # (metric, operator, bound)

    @property
    def directions(self):
        return ["minimize" if n in TIME_METRICS else "maximize" for n in self.names]

    @classmethod
    def from_spec(cls, objectives, constraints, scorer_names):
        """Validate the arguments (before any fit). ``scorer_names`` are the
        scoring's keys (``["score"]`` for one metric), or ``None`` when a
        callable scorer's keys are known only after the first fold."""
        known = None if scorer_names is None else [*scorer_names, *TIME_METRICS]
        return cls(names=_objective_names(objectives, known),
                   constraints=_constraint_bounds(constraints, known))

    # -- per candidate -----------------------------------------------------------------
    @staticmethod
    def metric_mean(folds, metric):
        """The candidate's mean of ``metric`` over its scored folds (NaN if
        none, or if a fold's score is missing)."""
        folds = [f for f in folds if f is not None]
        if not folds:
            return math.nan
        if metric in TIME_METRICS:
            return float(np.mean([getattr(f, metric) for f in folds]))
        scores = []
        for f in folds:
            s = f.test_scores
            if isinstance(s, dict):
                if metric not in s:
                    raise ValueError(
                        f"The scoring returned the metrics {sorted(s)!r}, without "
                        f"{metric!r} named in objectives or constraints.")
                s = s[metric]
            scores.append(s)
        return mean_score(scores)

    def values(self, folds):
        """What the study is told for a complete candidate."""
        return tuple(self.metric_mean(folds, n) for n in self.names)

    def constraint_values(self, folds):
        """One value per constraint, feasible when <= 0."""
        out = []
        for metric, operator, bound in self.constraints:
            mean = self.metric_mean(folds, metric)
            if not math.isfinite(mean):
                out.append(math.inf)
            else:
                out.append(mean - bound if operator == "<=" else bound - mean)
        # a storage holds finite numbers: an unscored metric is a large violation
        return [c if math.isfinite(c) else 1e300 for c in out]

    def constraints_func(self, frozen):
        """The study's ``constraints_func``: reads the fold records stored with
        the trial."""
        folds = records_from_json(frozen.system_attrs[FOLDS_ATTR], frozen.number)
        return self.constraint_values(folds)


def _check_metric(name, where, known):
    """Check that ``name`` is a metric of the search (one of ``known``, where
    the metrics are known)."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: metric names must be str, got {name!r}.")
    if known is not None and name not in known:
        raise ValueError(
            f"{where}: {name!r} is not a metric of this search; the metrics are "
            f"the scoring's keys and the times, {known!r}.")


def _objective_names(objectives, known):
    """The validated ``objectives``, a tuple (empty for ``None``)."""
    if objectives is None:
        return ()
    if isinstance(objectives, str) or not isinstance(objectives, (list, tuple)):
        raise TypeError(
            f"objectives must be a list of metric names or None, got {objectives!r}.")
    if not objectives:
        raise ValueError("objectives must name at least one metric, got [].")
    for name in objectives:
        _check_metric(name, "objectives", known)
    if len(set(objectives)) != len(objectives):
        raise ValueError(f"objectives names a metric twice: {list(objectives)!r}.")
    return tuple(objectives)


def _constraint_bounds(constraints, known):
    """The validated ``constraints``, a tuple of ``(metric, operator, bound)``."""
    if constraints is None:
        return ()
    if not isinstance(constraints, dict):
        raise TypeError(
            "constraints must be a dict {metric: (operator, bound)} or None, got "
            f"{constraints!r}.")
    bounds = []
    for metric, rule in constraints.items():
        _check_metric(metric, "constraints", known)
        if not _is_bound_rule(rule):
            raise ValueError(
                f"constraints[{metric!r}] must be ('<=', bound) or ('>=', bound) "
                f"with a finite bound, got {rule!r}.")
        bounds.append((metric, rule[0], float(rule[1])))
    return tuple(bounds)


def _is_bound_rule(rule):
    """Whether ``rule`` is ``(operator, bound)`` with a finite real bound."""
    return (isinstance(rule, (tuple, list)) and len(rule) == 2
            and rule[0] in _OPERATORS and isinstance(rule[1], numbers.Real)
            and not isinstance(rule[1], bool) and math.isfinite(rule[1]))


def pareto_rows(results, objectives):
    """Rows of ``cv_results_`` on the Pareto front of the objectives: complete
    (and, with constraints, feasible) candidates no other such one dominates."""
    rows = np.flatnonzero(np.asarray(results["status"]) == "complete")
    if "feasible" in results:
        rows = rows[np.asarray(results["feasible"], dtype=bool)[rows]]
    if not len(rows):
        return rows
    columns = [results[_column(n)] for n in objectives.names]
    points = np.column_stack([np.asarray(c, dtype=float)[rows] for c in columns])
    finite = np.isfinite(points).all(axis=1)
    rows, points = rows[finite], points[finite]
    mask = pareto_front_mask(to_minimization(points, objectives.directions))
    return rows[mask]


def best_row_of(results, rows, metric):
    """The row of ``rows`` best on ``metric`` (the first of equals)."""
    column = np.asarray(results[_column(metric)], dtype=float)[rows]
    pick = np.argmin(column) if metric in TIME_METRICS else np.argmax(column)
    return int(rows[pick])


def _column(metric):
    return f"mean_{metric}" if metric in TIME_METRICS else f"mean_test_{metric}"
