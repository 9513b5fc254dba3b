"""Rows of an SQL study database back into trials, checked on the way.

Every value read is checked against what sksearch writes (a known state, a
finite value, a parameter inside its distribution, JSON attributes), whatever
the database: a damaged or hand-edited one is refused naming the study, the
trial and the column, rather than being read as something else.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import datetime
import json
import math
from collections import Counter
from dataclasses import dataclass

from .._records import FOLDS_ATTR, records_from_json
from ..trial import FrozenTrial, TrialState


@dataclass
class TrialRows:
    """What one read of trials returns, one list of rows per table (each row
    as selected by :class:`~sksearch.storage._sql.SQLStorage`)."""

    trials: list
    objectives: list
    n_directions: dict
    params: list
    values: list
    attrs: list


def loads(text):
    """``json.loads`` that fails with ValueError only (a deeply nested text
    exhausts the recursion limit; a non-str is not JSON)."""
    if not isinstance(text, str):
        raise ValueError(f"expected JSON text, got {text!r}")
    try:
        return json.loads(text, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc}): {text[:80]!r}") from None


def _finite_float(literal):
    # json.dumps writes a non-finite float as Infinity or NaN, never as a
    # literal that overflows (1e999): such a literal was written by hand
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"the number {literal[:40]!r} overflows a float")
    return value


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _parse_time(text):
    if text is None:
        return None
    if not isinstance(text, str):
        raise TypeError(text)
    return datetime.datetime.fromisoformat(text)


def build_trials(rows, distribution, corrupt):
    """The trials of ``rows``, in the order of ``rows.trials``.

    Parameters
    ----------
    rows : TrialRows
    distribution : callable
        Maps a distribution's JSON text to the distribution; raises ValueError
        for a text sksearch does not write.
    corrupt : callable
        ``corrupt(study_id, number, column, problem)`` raises the storage's
        :class:`~sksearch.storage.CorruptStorageError`.
    """
    built, studies = {}, {}
    for row in rows.trials:
        trial_id, study_id = row[0], row[1]
        studies[trial_id] = study_id
        built[trial_id] = _trial_from_row(row, corrupt)

    def bad(trial_id, column, problem):
        corrupt(studies[trial_id], built[trial_id].number, column, problem)

    _attach_objective_values(built, studies, rows, bad)
    _attach_params(built, rows.params, distribution, bad)
    _attach_intermediate_values(built, rows.values, bad)
    _attach_attrs(built, rows.attrs, bad)
    _check_folds(built, studies, bad)
    return list(built.values())


def _attach_params(built, params, distribution, bad):
    """Each parameter row, checked, onto its trial."""
    for trial_id, name, internal, text in params:
        column = f"trial_params.internal of parameter {name!r}"
        try:
            dist = distribution(text)
        except ValueError as exc:
            bad(trial_id, f"trial_params.distribution of parameter {name!r}", str(exc))
        if not (is_number(internal) and math.isfinite(internal)):
            bad(trial_id, column, f"{internal!r} is not a finite number")
        if not dist.contains_internal(internal):
            bad(trial_id, column, f"internal value {internal!r} is not in {dist!r}")
        built[trial_id].internal_params[name] = float(internal)
        built[trial_id].distributions[name] = dist


def _attach_intermediate_values(built, values, bad):
    """Each intermediate value row, checked (NULL is a NaN step), onto its trial."""
    for trial_id, step, value in values:
        if not (isinstance(step, int) and step >= 0):
            bad(trial_id, "trial_values.step", f"{step!r} is not an int >= 0")
        if value is not None and not (is_number(value) and math.isfinite(value)):
            bad(trial_id, f"trial_values.value of step {step}",
                f"{value!r} is neither a finite number nor NULL")
        built[trial_id].intermediate_values[step] = (math.nan if value is None
                                                     else float(value))


def _attach_attrs(built, attrs, bad):
    """Each user or system attribute row, decoded, onto its trial."""
    for trial_id, kind, key, value in attrs:
        if kind not in ("user", "system"):
            bad(trial_id, "trial_attrs.kind", f"{kind!r} is neither 'user' nor 'system'")
        try:
            decoded = loads(value)
        except ValueError as exc:
            bad(trial_id, f"trial_attrs.value of {kind} attribute {key!r}", str(exc))
        trial = built[trial_id]
        (trial.user_attrs if kind == "user" else trial.system_attrs)[key] = decoded


def _check_folds(built, studies, bad):
    """Check the fold records a search stores with its trials: each readable;
    in a COMPLETE trial, every scored fold's score finite (a search tells a
    candidate with a non-finite mean as FAIL, so a COMPLETE one with such a
    score was edited); and as many folds in every trial of a study."""
    column = f"trial_attrs.value of system attribute {FOLDS_ATTR!r}"
    lengths = {}
    for trial_id, trial in built.items():
        if FOLDS_ATTR not in trial.system_attrs:
            continue
        try:
            folds = records_from_json(trial.system_attrs[FOLDS_ATTR], trial.number)
        except ValueError as exc:
            bad(trial_id, column, str(exc))
        lengths.setdefault(studies[trial_id], {})[trial_id] = len(folds)
        if trial.state is not TrialState.COMPLETE:
            continue  # a failed fit's error_score, or a live scorer's inf, stays
        for k, fold in enumerate(folds):
            score = None if fold is None or fold.fit_error is not None else fold.test_scores
            if is_number(score) and not math.isfinite(score):
                bad(trial_id, column, f"fold {k} of a COMPLETE trial has the test score "
                    f"{score!r}; sksearch stores a finite one")
    for by_trial in lengths.values():
        usual = Counter(by_trial.values()).most_common(1)[0][0]
        for trial_id, n in by_trial.items():
            if n != usual:
                bad(trial_id, column, f"{n} fold records where the study's other trials "
                    f"have {usual}")


def _trial_from_row(row, corrupt):
    trial_id, study_id, number, state, start, complete = row
    if not (isinstance(number, int) and number >= 0):
        corrupt(study_id, number, "trials.number", f"{number!r} is not an int >= 0")
    if not (isinstance(state, str) and state in TrialState.__members__):
        corrupt(study_id, number, "trials.state",
                f"{state!r} is not one of {list(TrialState.__members__)!r}")
    times = []
    for column, text in (("datetime_start", start), ("datetime_complete", complete)):
        try:
            times.append(_parse_time(text))
        except (TypeError, ValueError):
            corrupt(study_id, number, f"trials.{column}",
                    f"{text!r} is not an ISO date and time")
    return FrozenTrial(
        number=number, trial_id=trial_id, state=TrialState[state], internal_params={},
        distributions={}, datetime_start=times[0], datetime_complete=times[1])


def _attach_objective_values(built, studies, rows, bad):
    """Set each trial's ``values`` from its rows (ordered by trial and
    objective), checking that they are what sksearch writes: finite, one per
    direction of the study, and present on every COMPLETE trial."""
    by_trial = {}
    for trial_id, objective, value in rows.objectives:
        if not (is_number(value) and math.isfinite(value)):
            bad(trial_id, f"trial_objective_values.value of objective {objective!r}",
                f"{value!r} is not a finite number")
        if objective != len(by_trial.setdefault(trial_id, [])):
            bad(trial_id, "trial_objective_values.objective",
                f"objective {objective!r} does not follow 0, 1, ...")
        by_trial[trial_id].append(float(value))
    for trial_id, trial in built.items():
        values = by_trial.get(trial_id)
        if values is None:
            if trial.state is TrialState.COMPLETE:
                bad(trial_id, "trial_objective_values", "a COMPLETE trial has no value")
            continue
        expected = rows.n_directions.get(studies[trial_id], 0)
        if len(values) != expected:
            bad(trial_id, "trial_objective_values",
                f"{len(values)} values for a study of {expected} objectives")
        trial.values = tuple(values)
