"""What the timeline draws: one bar per task over wall time, one row per worker.

A search's trials keep, in their fold records, one ``[worker, start, end]``
span per task that ran a fold (:attr:`sksearch._records.FoldRecord.spans`);
each becomes a bar on its worker's row. A plain study knows only when each
trial started and finished: each trial is one bar, and the rows are lanes,
a trial taking the first lane free when it starts, so the number of rows is
the number of trials that ran at once.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np

from .._records import FOLDS_ATTR, records_from_json
from ..trial import TrialState
from ._source import COLORS

_STATE_KIND = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned",
               TrialState.FAIL: "failed", TrialState.RUNNING: "running"}


@dataclass
class TimelineData:
    rows: list          # row labels, bottom to top
    row: np.ndarray     # per bar: its row index
    start: np.ndarray   # per bar: seconds since the first bar started
    width: np.ndarray   # per bar: duration in seconds
    kind: list          # per bar: "complete", "pruned", "failed" or "running"
    trial: np.ndarray   # per bar: the trial number
    ylabel: str
    xlabel: str = "wall time (s) since the first task started"
    title: str = "Timeline"

    @property
    def colors(self):
        return [COLORS[k] for k in self.kind]


def timeline_data(source):
    trials = source.study.trials
    spans = []  # (worker, start, end, kind, number)
    for trial in trials:
        stored = trial.system_attrs.get(FOLDS_ATTR)
        if not stored:
            continue
        kind = _STATE_KIND.get(trial.state, "complete")
        for record in records_from_json(stored, trial.number):
            if record is None:
                continue
            fold_kind = "failed" if record.fit_error is not None else kind
            spans.extend((worker, start, end, fold_kind, trial.number)
                         for worker, start, end in record.spans)
    if spans:
        return _by_worker(spans)
    return _by_lane(trials)


def _by_worker(spans):
    first = {}
    for worker, start, *_ in sorted(spans, key=lambda s: s[1]):
        first.setdefault(worker, start)
    workers = sorted(first, key=first.get)
    origin = min(first.values())
    index = {w: i for i, w in enumerate(workers)}
    return TimelineData(
        rows=_worker_labels(workers),
        row=np.array([index[s[0]] for s in spans]),
        start=np.array([s[1] - origin for s in spans]),
        width=np.array([s[2] - s[1] for s in spans]),
        kind=[s[3] for s in spans], trial=np.array([s[4] for s in spans]),
        ylabel="worker")


def _worker_labels(workers):
    """``host:pid:thread`` names keeping only the parts that tell workers
    apart (one host: no host; one thread name in every process: no thread)."""
    parts = [w.rsplit(":", 2) if w.count(":") >= 2 else ["", "", w] for w in workers]
    varies = [len({p[i] for p in parts}) > 1 for i in range(3)]
    if not any(varies):
        varies[2] = True
    prefixes = ("", "pid ", "")
    return [" ".join(prefixes[i] + p[i] for i in range(3) if varies[i]) for p in parts]


def _by_lane(trials):
    timed = sorted((t for t in trials if t.datetime_start is not None
                    and t.datetime_complete is not None), key=lambda t: t.datetime_start)
    if not timed:
        return TimelineData([], np.empty(0, dtype=int), np.empty(0), np.empty(0), [],
                            np.empty(0, dtype=int), ylabel="concurrent trials")
    origin = timed[0].datetime_start
    lane_free = []  # per lane: when its last trial finished
    rows, starts, widths = [], [], []
    for trial in timed:
        start = (trial.datetime_start - origin).total_seconds()
        end = (trial.datetime_complete - origin).total_seconds()
        lane = next((i for i, free in enumerate(lane_free) if free <= start), None)
        if lane is None:
            lane = len(lane_free)
            lane_free.append(end)
        lane_free[lane] = end
        rows.append(lane)
        starts.append(start)
        widths.append(end - start)
    return TimelineData(
        rows=[f"lane {i + 1}" for i in range(len(lane_free))], row=np.array(rows),
        start=np.array(starts), width=np.array(widths),
        kind=[_STATE_KIND.get(t.state, "complete") for t in timed],
        trial=np.array([t.number for t in timed]), ylabel="concurrent trials",
        xlabel="wall time (s) since the first trial started")
