"""Logging a search or a study to MLflow, one run per trial under one run per search."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import threading
import time

import numpy as np

from .. import _known
from .._records import FOLDS_ATTR, records_from_json
from .._validation import AnyOf, InstanceOf, Predicate, validate
from ..trial import INTERRUPTED_KEY, TrialState, is_interrupted

__all__ = ["MLflowCallback"]

# Tags that identify what sksearch logged, so a resumed search (or a second
# callback object on the same study) finds its runs instead of adding copies.
TAG_STUDY = "sksearch.study_name"
TAG_ROLE = "sksearch.role"  # "search" for the parent run, "trial" for each trial
TAG_NUMBER = "sksearch.trial_number"
TAG_STATE = "sksearch.state"
TAG_INTERRUPTED = "sksearch.interrupted"  # what cut an interrupted trial short
_STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "KILLED",
           TrialState.FAIL: "FAILED"}
# MLflow refuses longer param values; an estimator's repr can be longer.
_MAX_PARAM = 500
_BATCH = 900  # MLflow takes at most 1000 metrics in one batch
# Seconds a new parent run waits before it looks for an earlier one (longer
# than storing a run takes, even with several processes writing).
_SETTLE = 0.5


class MLflowCallback:
    """Log every trial of a search (or a :class:`~sksearch.Study`) to MLflow.

    One *parent* run stands for the study; each finished trial gets a *nested*
    run under it (tag ``mlflow.parentRunId``) with its parameters, its state
    (tag ``sksearch.state``: complete, pruned or failed; the run's status is
    FINISHED, KILLED or FAILED), and as metrics:

    * for a search's candidate: ``mean_test_<metric>`` and ``std_test_<metric>``
      over the folds that ran (as in ``cv_results_``), each fold's score as
      ``split_test_<metric>`` at step = fold, ``mean_train_<metric>`` when train
      scores were returned, ``mean_fit_time`` and ``fit_time`` (seconds, over
      the folds); ``<metric>`` is ``score`` for a single scorer;
    * for a study's trial: ``value``, and each reported intermediate value as
      ``intermediate_value`` at its step;
    * for both, ``duration`` (seconds from start to end).

    The parent run holds the best complete trial so far: ``best_value`` (a
    metric, at step = trial number, so its history is the optimisation
    curve), ``best_trial_number``, and the best parameters as
    ``best_param.<name>`` tags (MLflow params cannot change once logged).

    Runs are tagged with the study name and trial number, so a resumed search,
    or a trial logged twice, never makes a duplicate. The first time the
    callback sees a study object (a search starting or resuming), it
    *reconciles* MLflow with the study: every finished trial without a
    finished run is logged (a process killed after a trial finished but
    before, or while, its run was logged leaves such trials), a run left
    RUNNING is filled in and ended with its trial's state, and copies made by
    processes logging the same trial at once are deleted but one. Failed
    trials are logged too, an interrupted one
    (:func:`~sksearch.trial.is_interrupted`) with the tag
    ``sksearch.interrupted`` naming what cut it; the prior trials of a warm
    start are not. Calls from several threads (``Study.optimize(n_jobs=...)``)
    are serialised; the searches call their callbacks from the main process
    whatever ``n_jobs``.

    Parameters
    ----------
    tracking_uri : str or None, default=None
        Where to log (``"sqlite:///mlflow.db"``, ``"http://host:5000"``, ...);
        ``None`` uses MLflow's default (``MLFLOW_TRACKING_URI``).
    experiment_name : str or None, default=None
        The MLflow experiment, created when missing; ``None`` names it after
        the study.
    tags : dict of str -> str or None, default=None
        Extra tags set on every run.

    Examples
    --------
    >>> from sksearch.integration import MLflowCallback
    >>> callback = MLflowCallback(tracking_uri="sqlite:///mlflow.db",
    ...                           experiment_name="tuning")
    >>> callback.experiment_name
    'tuning'

    Pass it as ``BayesSearchCV(..., callbacks=[callback])`` or
    ``study.optimize(objective, callbacks=[callback])``.
    """

    # Checked when built, as every callback is, and again when first used (the
    # attributes are public and may be set in between); MLflow is not imported.
    _parameter_constraints = {
        "tracking_uri": AnyOf(None, InstanceOf(str, description="a str")),
        "experiment_name": AnyOf(None, Predicate(
            "a non-empty str", lambda v: isinstance(v, str) and v != "", invalid=["", 3])),
        "tags": AnyOf(None, Predicate(
            "a dict with str keys", lambda v: isinstance(v, dict) and all(
                isinstance(k, str) for k in v), invalid=[["a"], {1: "a"}])),
    }

    def __init__(self, tracking_uri=None, experiment_name=None, tags=None):
        validate(self, {"tracking_uri": tracking_uri, "experiment_name": experiment_name,
                        "tags": tags})
        self.tracking_uri = tracking_uri
        self.experiment_name = experiment_name
        self.tags = tags

    # Deep copies (scikit-learn's clone copies a search's callbacks) and pickles
    # start without a client or caches: both are rebuilt from MLflow on first use.
    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __call__(self, study, trial):
        with self._get_lock():
            self._log(study, trial)

    def _get_lock(self):
        lock = self.__dict__.get("_lock")
        if lock is None:
            lock = self.__dict__.setdefault("_lock", threading.Lock())
        return lock

    # -- setting up ------------------------------------------------------------
    def _check_params(self):
        validate(self, {name: getattr(self, name) for name in self._parameter_constraints})

    def _session(self, study):
        """The client, experiment and parent run of ``study``, looked up in
        MLflow once per study name and callback object; reconciled with the
        study each time another study object (another search) comes."""
        sessions = self.__dict__.setdefault("_sessions", {})
        session = sessions.get(study.study_name)
        if session is None:
            session = sessions[study.study_name] = self._open(study)
        if session.study is not study:
            session.study = study
            self._reconcile(session, study)
        return session

    def _open(self, study):
        self._check_params()
        try:
            from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise ImportError(
                "MLflowCallback needs MLflow: pip install mlflow-skinny (or "
                "'sksearch[mlflow]').") from exc
        client = MlflowClient(tracking_uri=self.tracking_uri)
        experiment_id = _experiment(client, self.experiment_name or study.study_name)
        parents = _runs(client, experiment_id, study.study_name, "search")
        if parents:
            return _Session(client, experiment_id, _first(parents))
        ours = client.create_run(
            experiment_id, run_name=study.study_name,
            tags={**self._extra_tags(), TAG_STUDY: study.study_name,
                  TAG_ROLE: "search"}).info.run_id
        client.log_batch(ours, params=_params({
            "direction": ", ".join(study.directions), "sampler": _sampler_name(study.sampler),
            "pruner": type(study.pruner).__name__}))
        # Processes sharing the study may each have created one at the same
        # moment: all keep the earliest, and the others delete their own. A
        # run's start time is taken before it is stored, so one that sorts
        # first can land after a look made at once; looking once the stores
        # in flight landed, every process sees the same runs and keeps the
        # same one (a process that looked early and kept its own would leave
        # two parents).
        time.sleep(_SETTLE)
        parent = _first(_runs(client, experiment_id, study.study_name, "search"))
        if parent != ours:
            client.delete_run(ours)
        return _Session(client, experiment_id, parent)

    def _reconcile(self, session, study):
        """Make MLflow hold one finished run per finished trial of ``study``.

        A process killed between a trial's end (in the storage) and its run's
        end (in MLflow) leaves the trial without a run, or with a run that
        stays RUNNING; a resumed search only calls back for its new trials, so
        without this such trials would never be logged. The best-value curve
        of the parent gets a point for each trial logged here, as of that
        trial."""
        from mlflow.entities import Metric, RunTag

        found = {}
        for run in _runs(session.client, session.experiment_id, study.study_name, "trial"):
            found.setdefault(int(run.data.tags[TAG_NUMBER]), []).append(run)
        best, end, changed = None, None, False
        for trial in study.trials:
            if not trial.state.is_finished() or _known.is_warm_start(trial):
                continue
            if _improves(best, study, trial):
                best = trial
            runs = found.get(trial.number, [])
            if len(runs) == 1 and runs[0].info.status != "RUNNING":
                session.logged.add(trial.number)
                continue
            end = self._write(session, study, trial, runs)
            changed = True
            if best is not None:
                _log_best(session, best, trial.number, end, Metric, RunTag)
        session.best = best
        if changed:
            if best is not None:  # the last point above may predate the best
                _log_best(session, best, best.number, end, Metric, RunTag)
            session.client.set_terminated(session.parent, status="FINISHED", end_time=end)

    def _extra_tags(self):
        return {str(k): str(v) for k, v in (self.tags or {}).items()}

    # -- logging ---------------------------------------------------------------
    def _log(self, study, trial):
        # imported before the session is looked up, so that without MLflow
        # nothing is looked up
        from mlflow.entities import Metric, RunTag

        session = self._session(study)
        _one_parent(session, study.study_name)
        if trial.number in session.logged or not trial.state.is_finished():
            return
        end = self._write(session, study, trial, [])
        # and after: an earlier parent may have landed, and its process made
        # its last look, between the look above and this trial's run
        _one_parent(session, study.study_name)
        if _improves(session.best, study, trial):
            session.best = trial
        if session.best is not None:
            _log_best(session, session.best, trial.number, end, Metric, RunTag)
        # the parent covers the trials logged so far: finished up to the latest
        session.client.set_terminated(session.parent, status="FINISHED", end_time=end)

    def _write(self, session, study, trial, runs):
        """Log the finished ``trial``: into each of its ``runs`` left RUNNING
        (all it logs is idempotent: the same params, the same metrics at the
        same timestamps), else into a new run; then keep one run of the
        trial. Return the trial's end time (ms)."""
        from mlflow.exceptions import MlflowException

        client = session.client
        start = _ms(trial.datetime_start)
        end = _ms(trial.datetime_complete) or start
        tags = {**self._extra_tags(), "mlflow.parentRunId": session.parent,
                TAG_STUDY: study.study_name, TAG_ROLE: "trial",
                TAG_NUMBER: str(trial.number), TAG_STATE: trial.state.name.lower()}
        if is_interrupted(trial):
            tags[TAG_INTERRUPTED] = str(trial.system_attrs[INTERRUPTED_KEY])
        ids = [r.info.run_id for r in runs if r.info.status == "RUNNING"]
        if not runs:
            ids = [client.create_run(session.experiment_id, start_time=start,
                                     run_name=f"trial {trial.number}",
                                     tags=tags).info.run_id]
        for run_id in ids:
            for attempt in range(2):
                try:
                    _fill(client, run_id, trial, tags, end)
                    break
                except MlflowException:
                    # Another process logging the same trial may have kept its
                    # own run and deleted this one, or written the same params
                    # into it at the same instant (the store refuses the
                    # second insert; a retry finds them there).
                    if client.get_run(run_id).info.lifecycle_stage == "deleted":
                        break
                    if attempt:
                        raise
        _keep_one(client, session.experiment_id, study.study_name, trial.number)
        session.logged.add(trial.number)
        return end


class _Session:
    def __init__(self, client, experiment_id, parent):
        self.client = client
        self.experiment_id = experiment_id
        self.parent = parent
        self.logged = set()  # trial numbers with a finished run
        self.best = None
        self.study = None  # the study object last reconciled


def _fill(client, run_id, trial, tags, end):
    """Log ``trial``'s tags, params and metrics into run ``run_id`` and end it
    with the trial's state."""
    from mlflow.entities import Metric, RunTag

    metrics = [Metric(key, value, end or 0, step) for key, value, step in _metrics(trial)]
    for i in range(0, max(len(metrics), 1), _BATCH):
        client.log_batch(run_id, metrics=metrics[i:i + _BATCH],
                         params=_params(trial.params) if i == 0 else [],
                         tags=[RunTag(k, v) for k, v in tags.items()] if i == 0 else [])
    client.set_terminated(run_id, status=_STATUS[trial.state], end_time=end)


def _keep_one(client, experiment_id, study_name, number):
    """Delete all but one of the finished runs of trial ``number``: the one
    with the smallest run id, so that processes that logged the same trial at
    once (a search reconciling while another logs) all keep the same run.
    Runs still RUNNING are left to whoever is logging them; they end up
    finished, and the last process to look deletes the spare copies."""
    from mlflow.exceptions import MlflowException

    runs = [r for r in _runs(client, experiment_id, study_name, "trial", number)
            if r.info.status != "RUNNING"]
    keep = min((r.info.run_id for r in runs), default=None)
    for run in runs:
        if run.info.run_id != keep:
            try:
                client.delete_run(run.info.run_id)
            except MlflowException:  # deleted by another process meanwhile
                pass


def _improves(best, study, trial):
    """Whether ``trial`` is the study's new best: complete, feasible, with a
    better value than ``best`` (studies of several objectives have none)."""
    return trial.state is TrialState.COMPLETE and not study.is_multi_objective and (
        trial.values is not None) and trial.is_feasible and math.isfinite(trial.value) and (
        best is None or _better(trial.value, best.value, study.direction))


def _one_parent(session, study_name):
    """Keep one parent run of ``study_name``: the one every process picks.

    Processes that created a parent at the same moment look again after
    :data:`_SETTLE` seconds and keep the earliest; but a store slower than
    that can land after a look, and two processes then keep two parents.
    So each call looks again, before and after writing its trial's run: any
    parent but the earliest is deleted and the trial runs under it are moved
    to the earliest, whoever logged them. A run written under a parent that
    lost is moved by whichever look comes last: the writer's own look after
    the write, or, if the earlier parent landed after that, its owner's look
    after it landed. So the processes end on one parent."""
    from mlflow.exceptions import MlflowException

    client = session.client
    parents = _runs(client, session.experiment_id, study_name, "search")
    if not parents:
        return
    first = _first(parents)
    # the losers: every other parent, and this session's own if it lost (it
    # may be deleted already, by a process that looked before this run of
    # ours was written under it)
    losers = {run.info.run_id for run in parents} | {session.parent}
    for run_id in sorted(losers - {first, None}):
        children = _search(client, session.experiment_id,
                           f"tags.`mlflow.parentRunId` = '{run_id}'")
        for child in children:
            client.set_tag(child.info.run_id, "mlflow.parentRunId", first)
        try:
            client.delete_run(run_id)
        except MlflowException:  # deleted by another process meanwhile
            pass
    session.parent = first


def _log_best(session, best, step, end, Metric, RunTag):
    """The parent run's record of the ``best`` trial as of trial number
    ``step``: its number and parameters (tags) and its value and mean test
    scores (metrics at ``step``)."""
    tags = [RunTag("best_trial_number", str(best.number))]
    tags += [RunTag(f"best_param.{k}", _text(v)) for k, v in best.params.items()]
    best_metrics = [Metric("best_value", best.value, end or 0, step)]
    best_metrics += [Metric(f"best_{key}", value, end or 0, step)
                     for key, value, metric_step in _metrics(best)
                     if metric_step == 0 and key.startswith("mean_test_")]
    session.client.log_batch(session.parent, metrics=best_metrics, tags=tags)


def _metrics(trial):
    """``(key, value, step)`` of every metric of a trial's run."""
    stored = trial.system_attrs.get(FOLDS_ATTR)
    if stored is not None:
        out = _fold_metrics(records_from_json(stored, trial.number))
    else:
        out = _value_metrics(trial)
    if trial.duration is not None:
        out.append(("duration", trial.duration.total_seconds(), 0))
    # MLflow stores NaN but not every backend sorts it; inf is refused by some
    return [(k, v, s) for k, v, s in out if math.isfinite(v)]


def _fold_metrics(records):
    """A search candidate's metrics, from its fold records (``None`` for a
    fold a pruned candidate never ran)."""
    out = []
    for part in ("test", "train"):
        for name, pairs in _scores_by_metric(records, part).items():
            values = np.array([v for _, v in pairs])
            if part == "test":
                out += [(f"split_test_{name}", v, k) for k, v in pairs]
                out.append((f"std_test_{name}", float(np.std(values)), 0))
            out.append((f"mean_{part}_{name}", float(np.mean(values)), 0))
    folds = [f for f in records if f is not None]
    if folds:
        fit_times = [f.fit_time for f in folds]
        out += [("mean_fit_time", float(np.mean(fit_times)), 0),
                ("fit_time", float(np.sum(fit_times)), 0)]
    return out


def _scores_by_metric(records, part):
    """``{metric: [(fold, score), ...]}`` of the ``"test"`` or ``"train"``
    scores of the folds that have them (``"score"`` for a single metric)."""
    per_metric = {}
    for k, fold in enumerate(records):
        if fold is None:
            continue  # a fold a pruned candidate never ran
        scores = fold.test_scores if part == "test" else fold.train_scores
        if scores is None:
            continue
        if not isinstance(scores, dict):
            scores = {"score": scores}
        for name, score in scores.items():
            per_metric.setdefault(name, []).append((k, float(score)))
    return per_metric


def _value_metrics(trial):
    """A study trial's metrics: its value(s) and intermediate values."""
    out = []
    if trial.values is not None:
        out += ([("value", float(trial.values[0]), 0)] if len(trial.values) == 1 else
                [(f"values_{k}", float(v), 0) for k, v in enumerate(trial.values)])
    out += [("intermediate_value", float(v), int(s))
            for s, v in sorted(trial.intermediate_values.items())]
    return out


def _params(params):
    from mlflow.entities import Param

    return [Param(str(k), _text(v)) for k, v in params.items()]


def _text(value):
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_PARAM else text[:_MAX_PARAM - 3] + "..."


def _better(a, b, direction):
    return a > b if direction == "maximize" else a < b


def _ms(moment):
    return None if moment is None else int(moment.timestamp() * 1000)


def _first(runs):
    """The run id every process picks among the same parent runs."""
    return min(runs, key=lambda r: (r.info.start_time, r.info.run_id)).info.run_id


def _runs(client, experiment_id, study_name, role, number=None):
    """The runs of ``role`` that this callback logged for ``study_name`` (of
    trial ``number`` only, when given)."""
    filter_string = f"tags.`{TAG_ROLE}` = '{role}'"
    if number is not None:
        filter_string += f" and tags.`{TAG_NUMBER}` = '{int(number)}'"
    if not any(c in study_name for c in "'\\\"`"):  # else compared below only
        filter_string += f" and tags.`{TAG_STUDY}` = '{study_name}'"
    return [r for r in _search(client, experiment_id, filter_string)
            if r.data.tags.get(TAG_STUDY) == study_name]


def _experiment(client, name):
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    from mlflow.exceptions import MlflowException

    try:
        return client.create_experiment(name)
    except MlflowException:  # another process created it meanwhile
        return client.get_experiment_by_name(name).experiment_id


def _search(client, experiment_id, filter_string):
    runs, token = [], None
    while True:
        page = client.search_runs([experiment_id], filter_string, max_results=1000,
                                  page_token=token)
        runs += list(page)
        token = page.token
        if not token:
            return runs


def _sampler_name(sampler):
    """The sampler's class name; a search over a finite space wraps its sampler
    (UniquePointsSampler), and the one that proposes is the one to log."""
    from ..samplers._unique import UniquePointsSampler

    if isinstance(sampler, UniquePointsSampler):
        sampler = sampler.sampler
    return type(sampler).__name__
