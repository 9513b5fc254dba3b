"""``sksearch``: the command line (also ``python -m sksearch``).

``sksearch studies sqlite:///search.db`` lists the studies (name, direction,
trials by state, best value, created and last updated);
``sksearch studies sqlite:///search.db show NAME`` shows one study's best
trial and a table of its trials, parameters as the user wrote them;
``sksearch dashboard sqlite:///search.db`` serves a live web page of them;
``sksearch --version`` prints the version.

Each command is one entry of :data:`COMMANDS`, ``name: (module, function,
one-line help)``; the function takes the command's arguments (a list of
str) and returns the exit status. Its module is imported only when it runs,
and nothing here imports more than the standard library at module level,
so that ``--help`` and ``--version`` answer at once.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import sys

__all__ = ["COMMANDS", "main", "studies_command"]

_MAX_TRIALS = 50
PROG = "sksearch"

#: name -> (module, function, help)
COMMANDS = {
    "studies": ("sksearch.cli", "studies_command",
                "list the studies of a storage, or show one: studies URL [show NAME]"),
    "dashboard": ("sksearch.dashboard", "main",
                  "serve a live web dashboard: dashboard URL [--host H] [--port P]"),
}


def _usage():
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {entry[2]}" for name, entry in COMMANDS.items()]
    return (f"usage: {PROG} <command> [arguments]   (or: python -m sksearch ...)\n"
            f"       {PROG} --version\n\ncommands:\n" + "\n".join(lines)
            + f"\n\n'{PROG} <command> --help' describes a command.")


def main(argv=None):
    """Run the command named by ``argv[0]`` (``sys.argv[1:]`` by default).

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after the program's name.

    Returns
    -------
    status : int
        The exit status: 0 on success, 1 for a storage or study that cannot
        be used, 2 for a command line that cannot be read, 130 after Ctrl-C
        and 141 when the reader of the output went away (``| head -1``);
        each failure says why in one line on stderr, never with a traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        status = _dispatch(argv)
        sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
    except BrokenPipeError:
        # the reader (head, less) stopped reading: nothing is wrong, and
        # nothing more can be written; point stdout at /dev/null so that the
        # interpreter's own flush at exit does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # argparse's usage error or --help: a status to return
        return exc.code if isinstance(exc.code, int) else 1
    return status


def _dispatch(argv):
    import importlib

    if argv[:1] == ["--version"]:
        from . import __version__

        print(f"{PROG} {__version__}")
        return 0
    if not argv or argv[0] in ("-h", "--help"):
        print(_usage())
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"{PROG}: unknown command {argv[0]!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module, function, _ = COMMANDS[argv[0]]
    return getattr(importlib.import_module(module), function)(argv[1:])


def _parser():
    parser = argparse.ArgumentParser(
        prog=f"{PROG} studies",
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
        print(f"{PROG} studies: {shown}", file=sys.stderr)
        return 1
    return 0


def _open(url):
    """The storage of ``url``, refusing to create a file that is not there."""
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
    # several objectives have a front, not a best value: say so, and name the
    # metrics a search stored, rather than print "NaN" and "maximize, minimize"
    several = frame["direction"].str.contains(",")
    frame["best"] = [f"{len(_front(storage, name))} on front" if many
                     else "-" if best != best else f"{best:.4f}"
                     for name, best, many in zip(frame["name"], frame["best"], several)]
    frame["direction"] = [_directions_in_words(storage, name, direction) if many
                          else direction
                          for name, direction, many in zip(frame["name"], frame["direction"],
                                                           several)]
    return frame.to_string(index=False)


def _front(storage, name):
    from .studies import load_study

    return load_study(study_name=name, storage=storage).best_trials


def _objective_names(attrs, n):
    """The metrics a search stored for its ``n`` values, else ``objective k``."""
    from ._objectives import stored_objective_names

    return stored_objective_names(attrs, n) or [f"objective {k}" for k in range(n)]


def _directions_in_words(storage, name, direction):
    directions = direction.split(", ")
    attrs = storage.get_study_system_attrs(storage.get_study_id(name))
    names = _objective_names(attrs, len(directions))
    return ", ".join(f"{d[:3]} {n}" for d, n in zip(directions, names))


def _show(storage, name, everything):
    from .studies import load_study

    study = load_study(study_name=name, storage=storage)
    attrs = study.system_attrs
    trials = study.trials
    names = (["value"] if len(study.directions) == 1
             else _objective_names(attrs, len(study.directions)))
    objectives = ", ".join(study.directions) if len(names) == 1 else ", ".join(
        f"{d} {n}" for d, n in zip(study.directions, names))
    lines = [f"study {study.study_name!r} ({objectives}), {len(trials)} trials"]
    lines += _best_lines(study, names, attrs)
    lines += _trials_lines(trials, names, attrs, everything)
    return "\n".join(lines)


def _best_lines(study, names, attrs):
    """The best trial; of a study of one objective, every trial tied for best
    (they are equally best, not a "Pareto front"); of several, the front,
    each value named by its metric."""
    from .studies import readable_params

    front = study.best_trials
    if not front:
        return ["no complete trial yet"]
    best = front[0]
    numbers = ", ".join(f"#{t.number}" for t in front[:10]) + (
        ", ..." if len(front) > 10 else "")
    if len(names) == 1:
        value = f"value {best.values[0]:.6g}"
        lines = [f"best trial: #{best.number}, {value}" if len(front) == 1 else
                 f"{len(front)} trials tie for best, {value}: {numbers}; "
                 f"parameters of #{best.number}:"]
    else:
        values = ", ".join(f"{n} {v:.6g}" for n, v in zip(names, best.values))
        lines = [f"Pareto front: {len(front)} trial{'s' if len(front) > 1 else ''} "
                 f"({numbers}); #{best.number}: {values}"]
    for key, value in readable_params(best, attrs).items():
        lines.append(f"  {'branch' if key == '__branch__' else key} = {value!r}")
    return lines


def _trials_lines(trials, names, attrs, everything):
    """The table of the trials (the last :data:`_MAX_TRIALS` unless
    ``everything``): one column per value, named by its metric."""
    import pandas as pd

    from ._known import is_warm_start
    from .studies import readable_params

    rows = []
    for trial in trials:
        row = {"number": trial.number, "state": trial.state.name.lower()}
        values = trial.values or (None,) * len(names)
        row.update(zip(names, values))
        row["steps"] = len(trial.intermediate_values)
        if is_warm_start(trial):
            row["state"] += " (prior)"
        for key, value in readable_params(trial, attrs).items():
            row["branch" if key == "__branch__" else key] = (
                value if isinstance(value, (int, float, str)) else repr(value))
        rows.append(row)
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    shown = frame if everything else frame.tail(_MAX_TRIALS)
    heading = (f"\nthe last {len(shown)} trials (--all for every one):"
               if len(shown) < len(frame) else "\ntrials:")
    return [heading, shown.to_string(index=False, float_format=lambda v: f"{v:.4g}",
                                     na_rep="-")]
