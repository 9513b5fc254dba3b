"""The trials table shared by ``Study.trials_dataframe`` and the search."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd

from .space import BRANCH_PARAM


def trials_dataframe(trials):
    """One row per trial; see :meth:`sksearch.Study.trials_dataframe`."""
    rows = []
    for trial in trials:
        row = {
            "number": trial.number,
            "state": trial.state.name,
            "value": np.nan if trial.value is None else trial.value,
            "datetime_start": trial.datetime_start,
            "datetime_complete": trial.datetime_complete,
            "duration": trial.duration,
        }
        for name, value in trial.params.items():
            if name != BRANCH_PARAM:
                row[f"params_{name}"] = value
        if BRANCH_PARAM in trial.internal_params:
            row["branch"] = int(trial.internal_params[BRANCH_PARAM])
        for step in sorted(trial.intermediate_values):
            row[f"intermediate_{step}"] = trial.intermediate_values[step]
        for key, value in trial.user_attrs.items():
            row[f"user_attrs_{key}"] = value
        rows.append(row)
    columns = ["number", "state", "value", "datetime_start", "datetime_complete", "duration"]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    extra = [c for c in frame.columns if c not in columns]
    order = (columns + sorted(c for c in extra if c.startswith("params_"))
             + [c for c in extra if c == "branch"]
             + sorted((c for c in extra if c.startswith("intermediate_")),
                      key=lambda c: int(c.rsplit("_", 1)[1]))
             + sorted(c for c in extra if c.startswith("user_attrs_")))
    return frame[order]
