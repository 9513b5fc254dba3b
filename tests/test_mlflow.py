"""MLflowCallback against a real local MLflow tracking store (a temporary SQLite file)."""

import copy
import pickle
import warnings

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV as SklearnGridSearchCV

from sksearch import BayesSearchCV, GridSearchCV, Study, TrialPruned
from sksearch.distributions import Float
from sksearch.integration import MLflowCallback

mlflow = pytest.importorskip("mlflow", reason="mlflow is not installed (pip install "
                                              "mlflow-skinny sqlalchemy alembic)")
pytest.importorskip("sqlalchemy", reason="a local sqlite tracking store needs sqlalchemy")
pytest.importorskip("alembic", reason="a local sqlite tracking store needs alembic")
from mlflow.tracking import MlflowClient  # noqa: E402

GRID = {"C": [0.01, 0.1, 1.0], "fit_intercept": [True, False]}


@pytest.fixture(scope="module")
def uri(tmp_path_factory):
    """One tracking store for the module (creating its tables takes seconds)."""
    path = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    uri = f"sqlite:///{path}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MlflowClient(uri).search_experiments()
    return uri


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
    return X, y


def _runs(uri, experiment):
    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    runs = client.search_runs([found.experiment_id], max_results=1000)
    parents = [r for r in runs if r.data.tags.get("sksearch.role") == "search"]
    trials = {int(r.data.tags["sksearch.trial_number"]): r for r in runs
              if r.data.tags.get("sksearch.role") == "trial"}
    assert len(trials) == len(runs) - len(parents)  # one run per trial number
    return client, parents, trials


def test_a_search_logs_what_gridsearchcv_computes(uri, data):
    X, y = data
    callback = MLflowCallback(tracking_uri=uri, experiment_name="grid",
                              tags={"team": "a"})
    search = GridSearchCV(LogisticRegression(), GRID, cv=3, return_train_score=True,
                          study_name="grid", callbacks=[callback]).fit(X, y)
    reference = SklearnGridSearchCV(LogisticRegression(), GRID, cv=3,
                                    return_train_score=True).fit(X, y)
    client, parents, trials = _runs(uri, "grid")
    assert len(parents) == 1 and sorted(trials) == list(range(6))
    parent = parents[0]
    results = reference.cv_results_
    for i, params in enumerate(results["params"]):
        run = trials[i]
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id
        assert run.data.tags["sksearch.state"] == "complete" and run.data.tags["team"] == "a"
        assert run.info.status == "FINISHED"
        assert run.data.params == {k: repr(v) for k, v in params.items()}
        metrics = run.data.metrics
        assert metrics["mean_test_score"] == pytest.approx(results["mean_test_score"][i])
        assert metrics["std_test_score"] == pytest.approx(results["std_test_score"][i])
        assert metrics["mean_train_score"] == pytest.approx(results["mean_train_score"][i])
        assert metrics["fit_time"] > 0 and metrics["mean_fit_time"] > 0
        history = client.get_metric_history(run.info.run_id, "split_test_score")
        assert [m.step for m in sorted(history, key=lambda m: m.step)] == [0, 1, 2]
        assert [m.value for m in sorted(history, key=lambda m: m.step)] == pytest.approx(
            [results[f"split{k}_test_score"][i] for k in range(3)])
    best = int(np.argmin(results["rank_test_score"]))
    assert parent.data.tags["best_trial_number"] == str(best)
    assert parent.data.tags["best_param.C"] == repr(results["params"][best]["C"])
    assert parent.data.metrics["best_value"] == pytest.approx(search.best_score_)
    assert parent.data.metrics["best_mean_test_score"] == pytest.approx(search.best_score_)
    assert parent.data.params == {"direction": "maximize", "sampler": "GridSampler",
                                  "pruner": "NopPruner"}
    curve = client.get_metric_history(parent.info.run_id, "best_value")
    assert [m.step for m in sorted(curve, key=lambda m: m.step)] == list(range(6))
    assert np.all(np.diff([m.value for m in sorted(curve, key=lambda m: m.step)]) >= 0)


def test_pruned_and_multimetric_candidates(uri, data):
    X, y = data
    callback = MLflowCallback(tracking_uri=uri, experiment_name="pruned")
    search = BayesSearchCV(LogisticRegression(), {"C": Float(1e-4, 1e2, log=True)},
                           n_iter=8, cv=4, scoring=["accuracy", "roc_auc"], refit="accuracy",
                           pruner="halving", sampler="random", random_state=0,
                           study_name="pruned", callbacks=[callback]).fit(X, y)
    client, _, trials = _runs(uri, "pruned")
    states = search.cv_results_["status"]
    assert sorted(trials) == list(range(8)) and "pruned" in list(states)
    for i, status in enumerate(states):
        run = trials[i]
        assert run.data.tags["sksearch.state"] == status
        assert run.info.status == {"complete": "FINISHED", "pruned": "KILLED"}[status]
        n_run = int(np.sum(~np.isnan([search.cv_results_[f"split{k}_test_accuracy"][i]
                                      for k in range(4)])))
        for metric in ("accuracy", "roc_auc"):
            assert run.data.metrics[f"mean_test_{metric}"] == pytest.approx(
                search.cv_results_[f"mean_test_{metric}"][i])
            history = client.get_metric_history(run.info.run_id, f"split_test_{metric}")
            assert sorted(m.step for m in history) == list(range(n_run))


def test_resumed_searches_and_repeated_calls_add_no_duplicate(uri, data, tmp_path):
    X, y = data
    storage = f"sqlite:///{tmp_path / 'search.db'}"

    def search(n_iter):
        return BayesSearchCV(LogisticRegression(), {"C": Float(1e-3, 1e2, log=True)},
                             n_iter=n_iter, cv=2, storage=storage, study_name="resumed",
                             random_state=0,
                             callbacks=[MLflowCallback(uri, experiment_name="resumed")])

    search(3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "resuming study ..."
        resumed = search(5).fit(X, y)
    _, parents, trials = _runs(uri, "resumed")
    assert len(parents) == 1 and sorted(trials) == list(range(5))
    # a new callback object told every trial again logs none twice
    study = resumed.study_
    again = MLflowCallback(uri, experiment_name="resumed")
    for trial in study.trials:
        again(study, trial)
    _, parents, trials = _runs(uri, "resumed")
    assert len(parents) == 1 and sorted(trials) == list(range(5))
    assert parents[0].data.tags["best_trial_number"] == str(study.best_trial.number)


def test_a_study_with_threads(uri):
    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        kind = trial.suggest_categorical("kind", ["a", None])
        for step in range(3):
            trial.report(x * x + step, step)
        if x > 1.5:
            raise TrialPruned()
        if kind is None and x < -1.5:
            raise ValueError("boom")
        return x * x

    study = Study(direction="minimize", sampler="random", random_state=0, study_name="threads")
    callback = MLflowCallback(uri)  # the experiment is named after the study
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        study.optimize(objective, n_trials=12, n_jobs=4, callbacks=[callback],
                       catch=(ValueError,))
    client, parents, trials = _runs(uri, "threads")
    assert len(parents) == 1 and sorted(trials) == list(range(12))
    status = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
    for trial in study.trials:
        run = trials[trial.number]
        assert run.info.status == status[trial.state.name]
        assert run.data.params == {k: repr(v) if not isinstance(v, str) else v
                                   for k, v in trial.params.items()}
        if trial.value is not None:
            assert run.data.metrics["value"] == pytest.approx(trial.value)
        history = client.get_metric_history(run.info.run_id, "intermediate_value")
        history = sorted((m.step, m.value) for m in history)
        expected = sorted(trial.intermediate_values.items())
        assert [s for s, _ in history] == [s for s, _ in expected] == [0, 1, 2]
        assert [v for _, v in history] == pytest.approx([v for _, v in expected])
        assert run.data.metrics["duration"] >= 0
    assert parents[0].data.metrics["best_value"] == pytest.approx(study.best_value)
    assert parents[0].data.tags["best_param.x"] == repr(study.best_params["x"])


def test_copies_clone_and_pickle(uri, data):
    callback = MLflowCallback(uri, experiment_name="copies", tags={"k": "v"})
    search = GridSearchCV(LogisticRegression(), GRID, cv=2, callbacks=[callback])
    cloned = clone(search)
    assert cloned.get_params()["callbacks"][0].__dict__ == callback.__dict__
    X, y = data
    with parallel_config(backend="threading", n_jobs=2):
        fitted = GridSearchCV(LogisticRegression(), GRID, cv=2, n_jobs=2,
                              study_name="copies", callbacks=[callback]).fit(X, y)
    for other in (copy.deepcopy(callback), pickle.loads(pickle.dumps(callback))):
        assert other.__dict__ == {"tracking_uri": uri, "experiment_name": "copies",
                                  "tags": {"k": "v"}}
        for trial in fitted.study_.trials:  # a copy finds the runs already logged
            other(fitted.study_, trial)
    _, _, trials = _runs(uri, "copies")
    assert sorted(trials) == list(range(6))


def test_parameters_are_checked_on_first_use():
    study = Study(direction="minimize")
    trial = study.tell(study.ask(), 1.0)
    with pytest.raises(ValueError, match="The 'experiment_name' parameter of MLflowCallback "
                                         "must be None or a non-empty str. Got '' instead."):
        MLflowCallback(experiment_name="")(study, trial)
    with pytest.raises(TypeError, match="The 'tracking_uri' parameter of MLflowCallback must "
                                        "be None or a str. Got 3 instead."):
        MLflowCallback(tracking_uri=3)(study, trial)
    callback = MLflowCallback()
    callback.tags = {1: "a"}  # set after it was built: checked when first used
    with pytest.raises(TypeError, match="The 'tags' parameter of MLflowCallback must be "
                                        "None or a dict with str keys. Got {1: 'a'} instead."):
        callback(study, trial)


def test_processes_sharing_a_study_agree_on_one_parent(uri):
    """Callbacks that start together (here threads, each its own callback, as
    processes sharing a study would) keep one parent run between them."""
    import threading

    study = Study(direction="minimize", sampler="random", random_state=0, study_name="shared")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=8)
    callbacks = [MLflowCallback(uri) for _ in range(4)]
    barrier = threading.Barrier(4)

    def log(k):
        barrier.wait()
        for trial in study.trials[2 * k:2 * k + 2]:
            callbacks[k](study, trial)

    threads = [threading.Thread(target=log, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client, parents, trials = _runs(uri, "shared")
    assert len(parents) == 1 and sorted(trials) == list(range(8))
    assert {r.data.tags["mlflow.parentRunId"] for r in trials.values()} == {
        parents[0].info.run_id}


def test_a_parent_stored_late_by_another_process_takes_over(uri):
    """Another process's parent run, started earlier but stored after this
    callback looked (a store slower than the settling wait): the next trial
    logged keeps the earliest parent only, with every trial run under it."""
    from sksearch.integration._mlflow import TAG_ROLE, TAG_STUDY

    study = Study(direction="minimize", sampler="random", random_state=0, study_name="late")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    callback = MLflowCallback(uri)
    callback(study, study.trials[0])
    client, parents, _ = _runs(uri, "late")
    assert len(parents) == 1
    ours = parents[0]
    earlier = client.create_run(
        ours.info.experiment_id, start_time=ours.info.start_time - 1000,
        tags={TAG_STUDY: "late", TAG_ROLE: "search"}).info.run_id
    callback(study, study.trials[1])
    callback(study, study.trials[2])
    client, parents, trials = _runs(uri, "late")
    assert [p.info.run_id for p in parents] == [earlier]
    assert sorted(trials) == [0, 1, 2]
    assert {r.data.tags["mlflow.parentRunId"] for r in trials.values()} == {earlier}


def test_a_parent_that_lands_between_a_look_and_a_write_takes_the_trial(uri, monkeypatch):
    """The race CI saw: this callback looks (its own parent is the only one),
    then another process's earlier parent lands and that process makes its
    last look (moving this callback's runs and deleting its parent), and only
    then is this trial's run written -- under the deleted parent. The look
    after the write moves it."""
    from sksearch.integration import _mlflow
    from sksearch.integration._mlflow import TAG_ROLE, TAG_STUDY

    study = Study(direction="minimize", sampler="random", random_state=0, study_name="race")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    callback = MLflowCallback(uri)
    callback(study, study.trials[0])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    client, parents, _ = _runs(uri, "race")
    ours = parents[0]
    write = _mlflow.MLflowCallback._write
    landed = {}

    def write_after_the_other_look(self, session, study, trial, runs):
        if not landed:  # the other process: its parent lands, it looks, it is done
            landed["id"] = client.create_run(
                ours.info.experiment_id, start_time=ours.info.start_time - 1000,
                tags={TAG_STUDY: "race", TAG_ROLE: "search"}).info.run_id
            other = _mlflow._Session(client, ours.info.experiment_id, landed["id"])
            _mlflow._one_parent(other, "race")
        return write(self, session, study, trial, runs)

    monkeypatch.setattr(_mlflow.MLflowCallback, "_write", write_after_the_other_look)
    callback(study, study.trials[1])
    client, parents, trials = _runs(uri, "race")
    assert [p.info.run_id for p in parents] == [landed["id"]]
    assert sorted(trials) == [0, 1]
    assert {r.data.tags["mlflow.parentRunId"] for r in trials.values()} == {landed["id"]}


KILLED_SCRIPT = '''
import os, signal, sys
import numpy as np
from mlflow.tracking import MlflowClient
from sklearn.linear_model import LogisticRegression
from sksearch import BayesSearchCV
from sksearch.distributions import Float
from sksearch.integration import MLflowCallback

storage, uri, n_iter, how, number = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(
    sys.argv[5])


def die():
    os.kill(os.getpid(), signal.SIGKILL)


if how == "while_logging":  # the trial's run is created and filled, not ended
    set_terminated = MlflowClient.set_terminated

    def killing(self, run_id, *args, **kwargs):
        tags = self.get_run(run_id).data.tags
        if tags.get("sksearch.role") == "trial" and int(tags["sksearch.trial_number"]) >= number:
            die()
        return set_terminated(self, run_id, *args, **kwargs)

    MlflowClient.set_terminated = killing


calls = []


def before_logging(study, trial):  # the trial is stored finished, not yet logged
    calls.append(trial.number)
    if how == "before_logging" and len(calls) == number:
        die()


rng = np.random.default_rng(0)
X = rng.normal(size=(60, 3))
y = (X[:, 0] + 0.5 * rng.normal(size=60) > 0).astype(int)
BayesSearchCV(LogisticRegression(), {"C": Float(1e-3, 1e2, log=True)}, n_iter=n_iter, cv=2,
              pruner="halving", sampler="random", random_state=0, storage=storage,
              study_name="killed", n_jobs=int(sys.argv[6]),
              callbacks=[before_logging, MLflowCallback(uri, experiment_name="killed")]
              ).fit(X, y)
'''


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_search_killed_and_resumed_logs_every_trial_once(uri, data, tmp_path, n_jobs):
    """SIGKILL while a trial's run is being logged (it stays RUNNING), then
    after a trial is stored but before it is logged: the resumed search logs
    every finished trial exactly once and leaves no run RUNNING."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import sksearch
    from sksearch.storage import SQLiteStorage
    from sksearch.trial import TrialState

    experiment = f"killed{n_jobs}"
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    script = tmp_path / "search.py"
    script.write_text(KILLED_SCRIPT.replace('experiment_name="killed"',
                                            f'experiment_name="{experiment}"'))
    root = str(Path(sksearch.__file__).parents[1])  # this checkout, not an installed copy
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, *sys.path]),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    for n_iter, how, number in [(6, "while_logging", 1), (8, "before_logging", 3)]:
        killed = subprocess.run([sys.executable, str(script), storage, uri, str(n_iter), how,
                                 str(number), str(n_jobs)], env=env, timeout=300)
        assert killed.returncode == -9
        if how == "while_logging":  # what the kill left
            client = MlflowClient(uri)
            experiment_id = client.get_experiment_by_name(experiment).experiment_id
            assert any(r.info.status == "RUNNING" and r.data.tags["sksearch.role"] == "trial"
                       for r in client.search_runs([experiment_id]))
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        resumed = BayesSearchCV(
            LogisticRegression(), {"C": Float(1e-3, 1e2, log=True)}, n_iter=10, cv=2,
            pruner="halving", sampler="random", random_state=0, storage=storage,
            study_name="killed", n_jobs=n_jobs,
            callbacks=[MLflowCallback(uri, experiment_name=experiment)]).fit(X, y)
    trials = SQLiteStorage(tmp_path / "search.db").get_all_trials(resumed.study_._study_id)
    client, parents, runs = _runs(uri, experiment)  # asserts one run per trial number
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    finished = [t for t in trials if t.state.is_finished()]
    assert sorted(runs) == [t.number for t in finished]
    assert {TrialState.COMPLETE, TrialState.PRUNED} <= {t.state for t in finished}
    status = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
    for trial in finished:
        run = runs[trial.number]
        assert run.info.status == status[trial.state.name]
        assert run.data.tags["sksearch.state"] == trial.state.name.lower()
        assert run.data.tags["mlflow.parentRunId"] == parents[0].info.run_id
        if trial.state is TrialState.COMPLETE:
            assert run.data.metrics["mean_test_score"] == pytest.approx(trial.value)
    assert parents[0].data.tags["best_trial_number"] == str(resumed.study_.best_trial.number)
