"""The trials table shared by ``Study.trials_dataframe`` and the search."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd

from .space import BRANCH_LABELS_ATTR, BRANCH_PARAM


def trials_dataframe(trials, n_objectives=1, study_attrs=None):
    """One row per trial; see :meth:`sksearch.Study.trials_dataframe`. The
    branch of a list-of-dicts space is its label when a search stored them
    in ``study_attrs``, else its index."""
    labels = (study_attrs or {}).get(BRANCH_LABELS_ATTR)
    rows = []
    value_columns = (["value"] if n_objectives == 1
                     else [f"values_{k}" for k in range(n_objectives)])
    for trial in trials:
        values = trial.values or (np.nan,) * n_objectives
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
            index = int(trial.internal_params[BRANCH_PARAM])
            row["branch"] = (labels[index] if isinstance(labels, list)
                             and 0 <= index < len(labels) else index)
        for step in sorted(trial.intermediate_values):
            row[f"intermediate_{step}"] = trial.intermediate_values[step]
        for key, value in trial.user_attrs.items():
            row[f"user_attrs_{key}"] = value
        rows.append(row)
    columns = ["number", "state", *value_columns, "datetime_start", "datetime_complete",
               "duration"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    extra = [c for c in frame.columns if c not in columns]
    order = (columns + sorted(c for c in extra if c.startswith("params_"))
             + [c for c in extra if c == "branch"]
             + sorted((c for c in extra if c.startswith("intermediate_")),
                      key=lambda c: int(c.rsplit("_", 1)[1]))
             + sorted(c for c in extra if c.startswith("user_attrs_"))
             + sorted((c for c in extra if c.startswith("constraints_")),
                      key=lambda c: int(c.rsplit("_", 1)[1]))
             + [c for c in extra if c == "feasible"])
    return frame[order]
