"""The trials table shared by ``Study.trials_dataframe`` and the search."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd

from .space import BRANCH_LABELS_ATTR, BRANCH_PARAM


def trials_dataframe(trials, n_objectives=1, study_attrs=None):
    """One row per trial; see :meth:`sksearch.Study.trials_dataframe`. The
    branch of a list-of-dicts space is its label when a search stored them
    in ``study_attrs``, else its index; the values of several objectives are
    ``values_<metric>`` when a search stored its metrics' names there, else
    ``values_<index>``."""
    from ._objectives import stored_objective_names

    labels = (study_attrs or {}).get(BRANCH_LABELS_ATTR)
    names = stored_objective_names(study_attrs, n_objectives) or range(n_objectives)
    value_columns = (["value"] if n_objectives == 1
                     else [f"values_{name}" for name in names])
    rows = [_row(trial, value_columns, labels) for trial in trials]
    columns = ["number", "state", *value_columns, "datetime_start", "datetime_complete",
               "duration"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return frame[_column_order(columns, [c for c in frame.columns if c not in columns])]


def _row(trial, value_columns, labels):
    """A trial's row: its fixed columns, then its constraints, parameters,
    branch, intermediate values and user attributes."""
    values = trial.values or (np.nan,) * len(value_columns)
    row = {
        "number": trial.number,
        "state": trial.state.name,
        **dict(zip(value_columns, values)),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
        "duration": trial.duration,
    }
    if trial.constraints is not None:
        for k, c in enumerate(trial.constraints):
            row[f"constraints_{k}"] = c
        row["feasible"] = trial.is_feasible
    for name, value in trial.params.items():
        if name != BRANCH_PARAM:
            row[f"params_{name}"] = value
    if BRANCH_PARAM in trial.internal_params:
        row["branch"] = _branch_cell(int(trial.internal_params[BRANCH_PARAM]), labels)
    for step in sorted(trial.intermediate_values):
        row[f"intermediate_{step}"] = trial.intermediate_values[step]
    for key, value in trial.user_attrs.items():
        row[f"user_attrs_{key}"] = value
    return row


def _branch_cell(index, labels):
    """The branch's label, or its index where no label was stored for it."""
    return labels[index] if isinstance(labels, list) and 0 <= index < len(labels) else index


def _column_order(columns, extra):
    """The fixed ``columns``, then the ``extra`` ones of each kind: parameters
    by name, the branch, intermediate values by step, user attributes by
    name, constraints by index and feasibility."""
    return (columns + sorted(c for c in extra if c.startswith("params_"))
            + [c for c in extra if c == "branch"]
            + _by_number(extra, "intermediate_")
            + sorted(c for c in extra if c.startswith("user_attrs_"))
            + _by_number(extra, "constraints_")
            + [c for c in extra if c == "feasible"])


def _by_number(extra, prefix):
    """The columns ``<prefix><number>`` of ``extra``, by number."""
    return sorted((c for c in extra if c.startswith(prefix)),
                  key=lambda c: int(c.rsplit("_", 1)[1]))
