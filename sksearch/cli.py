"""``python -m sksearch studies``: the studies of a storage, as tables.

``python -m sksearch studies sqlite:///search.db`` lists the studies (name,
direction, trials by state, best value, created and last updated);
``python -m sksearch studies sqlite:///search.db show NAME`` shows one study's
best trial and a table of its trials, parameters as the user wrote them.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import sys

__all__ = ["studies_command"]

_MAX_TRIALS = 50


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m sksearch studies",
        description="List the studies of a storage, or show one of them.")
    parser.add_argument("storage", help="'sqlite:///path.db', a path, or "
                        "'postgresql://user@host/db'")
    parser.add_argument("action", nargs="?", choices=["show"],
                        help="show one study (its best trial and its trials)")
    parser.add_argument("name", nargs="?", help="the study to show")
    parser.add_argument("--all", action="store_true",
                        help=f"show every trial (default: the last {_MAX_TRIALS})")
    return parser


def studies_command(argv):
    """Run ``studies``; return the exit status (1 with a one-line message on
    stderr, passwords shown as ``***``, for a storage that cannot be used or a
    missing study)."""
    args = _parser().parse_args(argv)
    if args.action == "show" and args.name is None:
        _parser().error("show needs the NAME of a study")

    from .storage._urls import redact

    try:
        storage = _open(args.storage)
        if args.action is None:
            print(_studies_table(storage))
        else:
            print(_show(storage, args.name, args.all))
    except (KeyError, ValueError, FileNotFoundError, ImportError) as exc:
        # a storage that cannot be used (StorageError is a ValueError), a
        # refused storage string, a missing study: one line, never a password
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        shown = " ".join(redact(message, args.storage).split())
        print(f"python -m sksearch studies: {shown}", file=sys.stderr)
        return 1
    return 0


def _open(url):
    """The storage of ``url``, refusing to create a file that is not there."""
    import os

    from .storage import get_storage
    from .storage._urls import parse_storage_string

    kind, path = parse_storage_string(url)  # refuses what is neither URL nor path
    if kind == "sqlite" and not os.path.exists(path):
        raise FileNotFoundError(f"no study file {path!r}")
    return get_storage(url, read_only=True)  # a reader: creates and migrates nothing


def _studies_table(storage):
    from .studies import list_studies

    frame = list_studies(storage)
    if frame.empty:
        return "no studies"
    frame = frame.rename(columns={"n_trials": "trials", "n_complete": "complete",
                                  "n_pruned": "pruned", "n_fail": "fail",
                                  "n_running": "running", "best_value": "best",
                                  "last_updated": "updated"})
    for column in ("created", "updated"):
        frame[column] = frame[column].map(lambda t: "" if t is None else
                                          t.strftime("%Y-%m-%d %H:%M:%S"))
    return frame.to_string(index=False, float_format=lambda v: f"{v:.4f}")


def _show(storage, name, everything):
    import pandas as pd

    from ._known import is_warm_start
    from .studies import load_study, readable_params

    study = load_study(study_name=name, storage=storage)
    attrs = study.system_attrs
    trials = study.trials
    lines = [f"study {study.study_name!r} ({', '.join(study.directions)}), "
             f"{len(trials)} trials"]
    front = study.best_trials
    if not front:
        lines.append("no complete trial yet")
    else:
        best = front[0]
        values = ", ".join(f"{v:.6g}" for v in best.values)
        lines.append(f"best trial: #{best.number}, value {values}" if len(front) == 1 else
                     f"Pareto front: {len(front)} trials; first #{best.number}, values "
                     f"{values}")
        for key, value in readable_params(best, attrs).items():
            lines.append(f"  {'branch' if key == '__branch__' else key} = {value!r}")
    rows = []
    for trial in trials:
        row = {"number": trial.number, "state": trial.state.name.lower(),
               "value": (None if trial.values is None else trial.values[0]
                         if len(trial.values) == 1 else tuple(trial.values)),
               "steps": len(trial.intermediate_values)}
        if is_warm_start(trial):
            row["state"] += " (prior)"
        for key, value in readable_params(trial, attrs).items():
            row["branch" if key == "__branch__" else key] = (
                value if isinstance(value, (int, float, str)) else repr(value))
        rows.append(row)
    if rows:
        frame = pd.DataFrame(rows)
        shown = frame if everything else frame.tail(_MAX_TRIALS)
        if len(shown) < len(frame):
            lines.append(f"\nthe last {len(shown)} trials (--all for every one):")
        else:
            lines.append("\ntrials:")
        lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}",
                                     na_rep="-"))
    return "\n".join(lines)
