"""The scheduler: sequential searches unchanged, parallel ones reproducible."""

import json
import os
import pathlib
import time
import warnings

import joblib
import numpy as np
import pytest
from _pin_runs import CONFIGS, run
from _pinning import assert_close
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.tree import DecisionTreeClassifier

from sksearch import BayesSearchCV
from sksearch.distributions import Float, Int
from sksearch.samplers import TPESampler
from sksearch.trial import TrialState

PINS = json.loads((pathlib.Path(__file__).parent / "data" / "sequential_pins.json").read_text())


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_sequential_searches_are_exactly_what_they_were(name):
    # generated at 1b32a90, before the scheduler: proposals, pruning decisions
    # and every split score of a seeded n_jobs=1 search must not move (svc-cmaes
    # recomputed when CMA-ES began to sample through its covariance's symmetric
    # root, which moved its proposals on purpose)
    assert_close(run(name), PINS[name])


class Jittery(LogisticRegression):
    """Fit times vary from run to run (an unseeded sleep of up to 10 ms); the
    scores do not."""

    def fit(self, X, y, **kwargs):
        time.sleep(int.from_bytes(os.urandom(1), "little") / 255 * 0.01)
        return super().fit(X, y, **kwargs)


@pytest.mark.parametrize("backend,n_jobs", [("threading", 2), ("threading", 4),
                                            ("loky", 2), ("loky", 4)])
@pytest.mark.parametrize("sampler,pruner", [("tpe", "halving"), ("random", "median"),
                                            ("tpe", None)])
def test_same_seed_and_n_jobs_give_the_same_results_whatever_the_timing(
        backend, n_jobs, sampler, pruner):
    if backend == "loky" and (sampler, pruner) != ("tpe", "halving"):
        pytest.skip("one loky configuration per n_jobs is enough (slow start-up)")
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:150, :5], y[:150]

    def fit():
        search = BayesSearchCV(
            Jittery(max_iter=50), {"C": Float(1e-3, 1e2, log=True)}, n_iter=14, cv=3,
            sampler=sampler, pruner=pruner, n_jobs=n_jobs, random_state=0, refit=False)
        with joblib.parallel_config(backend=backend), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
        return search.cv_results_

    first, second = fit(), fit()
    assert first["params"] == second["params"]
    assert list(first["status"]) == list(second["status"])
    for k in range(3):
        np.testing.assert_array_equal(first[f"split{k}_test_score"],
                                      second[f"split{k}_test_score"])


class _SlowTree(DecisionTreeClassifier):
    """A decision tree whose fit takes ``delay`` seconds (for concurrency tests)."""

    def __init__(self, max_depth=None, ccp_alpha=0.0, delay=0.05):
        super().__init__(max_depth=max_depth, ccp_alpha=ccp_alpha, random_state=0)
        self.delay = delay

    def fit(self, X, y, **kwargs):
        time.sleep(self.delay)
        return super().fit(X, y, **kwargs)


def _interrupt_after(n):
    told = []

    def callback(study, trial):
        told.append(trial.number)
        if len(told) == n:
            raise KeyboardInterrupt

    return callback


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_keeps_what_finished_says_so_and_resumes(tmp_path, capsys, n_jobs):
    X, y = load_iris(return_X_y=True)
    storage = f"sqlite:///{tmp_path / 'search.db'}"
    space = {"max_depth": Int(1, 8)}

    def search(callbacks):
        return BayesSearchCV(_SlowTree(delay=0.01), space, n_iter=8, cv=3, n_jobs=n_jobs,
                             pruner="median", storage=storage, random_state=0,
                             callbacks=callbacks)

    interrupted = search([_interrupt_after(3)])
    with joblib.parallel_config(backend="threading"), pytest.raises(KeyboardInterrupt):
        interrupted.fit(X, y)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sksearch: interrupted; ")
    assert "call fit again to resume" in err[0]
    trials = interrupted.study_.trials
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    assert sum(t.state is not TrialState.FAIL for t in trials) >= 3
    resumed = search(None).fit(X, y)
    assert len(resumed.cv_results_["params"]) == 8


def test_ctrl_c_in_memory_points_to_a_storage(capsys):
    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(_SlowTree(delay=0), {"max_depth": Int(1, 8)}, n_iter=6, cv=2,
                           callbacks=[_interrupt_after(2)], random_state=0)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    assert "pass storage='sqlite:///search.db'" in capsys.readouterr().err
    assert [t.state for t in search.study_.trials][:2] == [TrialState.COMPLETE] * 2


_PROCESSES = """
import sys, time
from sklearn.datasets import load_iris
sys.path.insert(0, {tests!r})
from test_scheduler import _SlowTree
from sksearch import BayesSearchCV
from sksearch.distributions import Float
import pathlib
X, y = load_iris(return_X_y=True)
search = BayesSearchCV(_SlowTree(delay=0.05), {{"ccp_alpha": Float(0.0, 0.1)}},
                       sampler="random", n_iter=16, cv=2, storage={storage!r},
                       study_name="shared", random_state=0, refit=False)
barrier = pathlib.Path({barrier!r})
(barrier / sys.argv[1]).touch()  # start together, as processes launched at once do
while len(list(barrier.iterdir())) < {n}:
    time.sleep(0.005)
search.fit(X, y)
"""


def test_studies_sharing_a_storage_and_a_seed_draw_different_streams(tmp_path):
    from sksearch import Study

    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    # two processes that attached before either asked: both see 0 trials
    studies = [Study(storage=storage, study_name="s", sampler="random", random_state=0)
               for _ in range(2)]
    values = [studies[k % 2].ask().suggest_float("x", 0, 1) for k in range(8)]
    assert len(set(values)) == 8
    # a study alone keeps its one stream: the same draws as a fresh one
    alone = Study(sampler="random", random_state=0)
    again = Study(sampler="random", random_state=0)
    assert ([alone.ask().suggest_float("x", 0, 1) for _ in range(4)]
            == [again.ask().suggest_float("x", 0, 1) for _ in range(4)])


@pytest.mark.slow
def test_processes_sharing_a_study_and_a_seed_propose_different_candidates(tmp_path):
    import subprocess
    import sys

    from sksearch import Study

    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    (tmp_path / "barrier").mkdir()
    script = _PROCESSES.format(tests=str(pathlib.Path(__file__).parent),
                                   storage=storage, barrier=str(tmp_path / "barrier"), n=4)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    procs = [subprocess.Popen([sys.executable, "-c", script, str(i)], env=env,
                              stderr=subprocess.PIPE) for i in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    trials = Study(storage=storage, study_name="shared").trials
    values = [t.params["ccp_alpha"] for t in trials if "ccp_alpha" in t.params]
    assert len(values) >= 16
    assert len(set(values)) == len(values)  # the same seed did not give the same draws


def test_a_search_whose_budget_others_hold_waits_for_their_results(tmp_path):
    import threading

    X, y = load_iris(return_X_y=True)
    storage = f"sqlite:///{tmp_path / 'budget.db'}"

    def search(n_jobs):
        return BayesSearchCV(_SlowTree(delay=0.2), {"max_depth": Int(1, 8)}, n_iter=4,
                             cv=2, n_jobs=n_jobs, storage=storage, study_name="budget",
                             random_state=0, refit=False)

    first = search(4)
    with joblib.parallel_config(backend="threading"):
        runner = threading.Thread(target=first.fit, args=(X, y))
        runner.start()
        from sksearch import Study

        deadline = time.monotonic() + 30
        # maximize: if this poll comes first it creates the study the search attaches to
        while (Study(storage=storage, study_name="budget", direction="maximize").n_trials() < 4
               and time.monotonic() < deadline):
            time.sleep(0.02)
        late = search(1).fit(X, y)  # every candidate is running in the other search
        runner.join()
    assert len(late.cv_results_["params"]) == 4
    assert late.n_fold_fits_ == 0


@pytest.mark.parametrize("pre_dispatch", [1, "all", "3*n_jobs"])
def test_pre_dispatch_changes_nothing_but_how_many_tasks_wait(pre_dispatch):
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:150, :5], y[:150]

    def fit(**kwargs):
        search = BayesSearchCV(Jittery(max_iter=50), {"C": Float(1e-3, 1e2, log=True)},
                               n_iter=10, cv=3, pruner="median", n_jobs=2, random_state=0,
                               refit=False, **kwargs)
        with joblib.parallel_config(backend="loky"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return search.fit(X, y).cv_results_

    default, other = fit(), fit(pre_dispatch=pre_dispatch)
    assert default["params"] == other["params"]
    np.testing.assert_array_equal(default["mean_test_score"], other["mean_test_score"])


def test_a_bad_pre_dispatch_is_refused_before_any_fit():
    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(_SlowTree(delay=0), {"max_depth": Int(1, 3)}, n_iter=2, cv=2,
                           n_jobs=2, pre_dispatch="2*workers")
    with pytest.raises(ValueError, match="pre_dispatch"):
        search.fit(X, y)


def test_a_callback_stops_a_parallel_search_at_the_same_candidate_every_run():
    X, y = load_iris(return_X_y=True)

    def stop_at_4(study, trial):
        if trial.number == 4:
            study.stop()

    def fit():
        search = BayesSearchCV(Jittery(max_iter=100), {"C": Float(1e-3, 1e2, log=True)},
                               n_iter=20, cv=3, pruner="halving", n_jobs=3,
                               random_state=0, refit=False, callbacks=[stop_at_4])
        with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return search.fit(X, y)

    first, second = fit(), fit()
    assert first.cv_results_["params"] == second.cv_results_["params"]
    # the candidates asked before the stop still run: at most 2 * n_jobs - 1 more
    assert 5 <= len(first.cv_results_["params"]) <= 5 + 2 * 3 - 1


def test_n_jobs_from_parallel_config_reaches_the_process_workers():
    # BayesSearchCV(n_jobs=None) under parallel_config(n_jobs=2) runs its folds
    # in loky's worker processes, not in the scheduler's threads
    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(_PidTree(), {"max_depth": Int(1, 4)}, n_iter=3, cv=2,
                           pruner="median", random_state=0, refit=False)
    with joblib.parallel_config(backend="loky", n_jobs=2):
        search.fit(X, y)
    scored_in = {search.cv_results_[f"split{k}_test_score"][i]
                 for k in range(2) for i in range(3)}
    assert float(os.getpid()) not in scored_in


class _PidTree(DecisionTreeClassifier):
    """Its score is the id of the process that scored it."""

    def __init__(self, max_depth=None):
        super().__init__(max_depth=max_depth, random_state=0)

    def score(self, X, y, **kwargs):
        return float(os.getpid())


@pytest.mark.parametrize("n_jobs,increments", [(1, None), (2, {"partial_fit": 3})])
def test_each_fold_records_when_and_where_its_tasks_ran(n_jobs, increments):
    from sksearch._records import FOLDS_ATTR, records_from_json

    X, y = load_iris(return_X_y=True)
    before = time.time()
    search = BayesSearchCV(
        SGDClassifier(random_state=0), {"alpha": Float(1e-5, 1e-1, log=True)}, n_iter=4,
        cv=3, n_jobs=n_jobs, increments=increments, random_state=0, refit=False)
    with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    after = time.time()
    workers = set()
    for trial in search.study_.trials:
        for record in records_from_json(trial.system_attrs[FOLDS_ATTR], trial.number):
            # one task per plain fold; increments run as one task or several
            assert 1 <= len(record.spans) <= (1 if increments is None else 3)
            for worker, start, end in record.spans:
                assert before <= start <= end <= after
                workers.add(worker)
            assert sum(end - start for _, start, end in record.spans) >= record.fit_time
    assert 1 <= len(workers) <= n_jobs


def test_stored_spans_are_validated_when_read():
    from sksearch._records import FoldRecord

    good = {"test_scores": 0.5, "spans": [["host:1:main", 1.0, 2.0]]}
    assert FoldRecord.from_json(good).spans == [["host:1:main", 1.0, 2.0]]
    assert FoldRecord.from_json({"test_scores": 0.5}).spans == []
    for spans in ([["w", 2.0, 1.0]], [["w", 1.0]], [[3, 1.0, 2.0]], "w",
                  [["w", float("nan"), 1.0]]):
        with pytest.raises(ValueError, match="spans"):
            FoldRecord.from_json({"test_scores": 0.5, "spans": spans})


class Uneven(LogisticRegression):
    """Small ``C`` fits fast and large ``C`` slowly, so younger candidates
    finish before older ones and wait to be told."""

    def fit(self, X, y, **kwargs):
        time.sleep(0.0 if self.C < 1 else 0.15)
        return super().fit(X, y, **kwargs)


@pytest.mark.parametrize("sampler,pruner", [("tpe", "median"), ("random", None)])
def test_candidates_waiting_to_be_told_record_what_they_are_told(tmp_path, sampler, pruner):
    from sksearch.storage import SQLiteStorage

    recorded = {}

    class Spy(SQLiteStorage):
        def set_trial_pending_outcome(self, trial_id, state, values=None, system_attrs=None):
            assert trial_id not in recorded  # once per candidate
            recorded[trial_id] = (state, None if values is None else tuple(values),
                                  json.dumps(system_attrs, sort_keys=True))
            super().set_trial_pending_outcome(trial_id, state, values, system_attrs)

    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(
        Uneven(max_iter=200), {"C": Float(1e-2, 1e2, log=True)}, n_iter=12, cv=3,
        sampler=sampler, pruner=pruner, n_jobs=2, random_state=0, refit=False,
        storage=Spy(tmp_path / "s.db"))
    with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y)
    assert recorded  # some candidate finished while an older one still ran
    for trial in search.study_.trials:
        if trial.trial_id in recorded:
            state, values, _ = recorded[trial.trial_id]
            assert (trial.state, trial.values) == (state, values)
            assert "pending_outcome" not in trial.system_attrs


class UnevenSGD(SGDClassifier):
    """``partial_fit`` is slow for large ``alpha``, so later candidates often
    reach a decision before earlier ones finish, and its times vary from run
    to run; the scores do not."""

    def partial_fit(self, X, y, classes=None, **kwargs):
        time.sleep((0.03 if self.alpha > 1e-3 else 0.0)
                   + int.from_bytes(os.urandom(1), "little") / 255 * 0.004)
        return super().partial_fit(X, y, classes=classes, **kwargs)


@pytest.mark.parametrize("pruner", ["halving", "median"])
def test_random_searches_in_increments_with_a_pruner_finish_and_match_sequential(pruner):
    # Without a window a decision may wait for earlier candidates to be told;
    # a tell must then let it through, or the search stalled with candidates
    # RUNNING at its end (it hung in collecting the results). Each decision
    # reads every earlier candidate told, so the results are the sequential
    # search's (tests/test_njobs.py).
    from sksearch.samplers import RandomSampler

    X, y = load_breast_cancer(return_X_y=True)
    X = (X[:200, :8] - X[:200, :8].mean(axis=0)) / X[:200, :8].std(axis=0)
    y = y[:200]

    def fit(sampler, n_jobs=2):
        search = BayesSearchCV(
            UnevenSGD(random_state=0), {"alpha": Float(1e-6, 1e0, log=True)}, n_iter=24,
            cv=3, sampler=sampler, pruner=pruner, increments={"partial_fit": 3}, n_jobs=n_jobs,
            random_state=0, refit=False, timeout=60)
        with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
        return search

    import threading

    done = {}
    runner = threading.Thread(target=lambda: done.update(free=fit(RandomSampler(seed=0))),
                              daemon=True)
    runner.start()
    runner.join(120)
    assert "free" in done, "the search stalled: it never finished"
    free, windowed = done["free"], fit(RandomSampler(seed=0), n_jobs=1)
    assert len(free.cv_results_["params"]) == 24
    assert not free.study_.get_trials((TrialState.RUNNING,))
    assert "pruned" in list(free.cv_results_["status"])
    assert free.cv_results_["params"] == windowed.cv_results_["params"]
    assert list(free.cv_results_["status"]) == list(windowed.cv_results_["status"])
    for k in range(3):
        np.testing.assert_array_equal(free.cv_results_[f"split{k}_test_score"],
                                      windowed.cv_results_[f"split{k}_test_score"])


def test_whole_folds_in_increments_run_ahead_and_change_nothing():
    # The bound pruner reads whole folds only, so no step inside a fold is a
    # decision: each fold is one task and may run on an idle worker before
    # the decision that allows it (held until then). The results are those
    # of one task per increment, decided at every step.
    from sksearch._records import FOLDS_ATTR, records_from_json
    from sksearch.pruners import BoundPruner

    class EveryStep(BoundPruner):
        def decision_steps(self, layout):
            return None

    X, y = load_breast_cancer(return_X_y=True)
    X = (X[:200, :8] - X[:200, :8].mean(axis=0)) / X[:200, :8].std(axis=0)
    y = y[:200]

    def fit(pruner):
        search = BayesSearchCV(
            UnevenSGD(random_state=0), {"alpha": Float(1e-4, 1e-2, log=True)}, n_iter=6,
            cv=4, pruner=pruner, increments={"partial_fit": 3}, n_jobs=2, random_state=0,
            refit=False, scoring="accuracy")
        with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            search.fit(X, y)
        return search

    def overlapped(search):
        # some candidate ran a fold before its previous fold had finished
        for trial in search.study_.trials:
            spans = sorted((span for record in records_from_json(trial.system_attrs[FOLDS_ATTR])
                            if record is not None for span in record.spans[:1]),
                           key=lambda span: span[1])
            if any(b[1] < a[2] for a, b in zip(spans, spans[1:])):
                return True
        return False

    stepwise = fit(EveryStep())
    # whether a worker was idle to run a fold ahead depends on timing (on a
    # loaded machine it may not be): up to three runs, each with the results
    # of the stepwise search
    for _ in range(3):
        ahead = fit(BoundPruner())
        for key in ["params", "status"] + [f"split{k}_test_score" for k in range(4)]:
            assert list(ahead.cv_results_[key]) == list(stepwise.cv_results_[key]), key
        assert ahead.n_increments_ == stepwise.n_increments_
        if overlapped(ahead):
            break
    else:
        pytest.fail("no fold ran ahead of its decision in three runs")


class _AskWatch:
    """Shared between a sampler whose asks wait for a fold fit to start and
    the estimator whose fits say so."""

    asking = False
    fits_during_asks = 0
    asks_that_saw_a_fit = 0
    started = None


class _WaitingTPE(TPESampler):
    """A slow ask, as a Gaussian process's: from the fifth trial on, each ask
    waits (up to 1 s) for some fold fit to start meanwhile."""

    def sample_relative(self, study, trial, search_space):
        if trial.number >= 4:
            _AskWatch.started.clear()
            _AskWatch.asking = True
            try:
                _AskWatch.asks_that_saw_a_fit += _AskWatch.started.wait(1.0)
            finally:
                _AskWatch.asking = False
        return super().sample_relative(study, trial, search_space)


class _Watched(LogisticRegression):
    def fit(self, X, y, **kwargs):
        if _AskWatch.asking:
            _AskWatch.fits_during_asks += 1
            _AskWatch.started.set()
        time.sleep(0.01)
        return super().fit(X, y, **kwargs)


def test_workers_get_tasks_while_a_learning_sampler_asks():
    # with several workers the scheduler asks beside its own thread: the next
    # folds of the candidates already asked start while the sampler thinks
    # (before, the scheduler waited for the ask: no fit could start during one,
    # and every wait of this sampler timed out)
    import threading

    _AskWatch.started = threading.Event()
    _AskWatch.fits_during_asks = _AskWatch.asks_that_saw_a_fit = 0
    X, y = load_iris(return_X_y=True)

    def search(n_jobs):
        return BayesSearchCV(
            _Watched(max_iter=200), {"C": Float(1e-2, 1e2, log=True)}, n_iter=10, cv=4,
            sampler=_WaitingTPE(n_startup_trials=4, seed=0), pruner="median",
            window=4, n_jobs=n_jobs, random_state=0, refit=False)

    with joblib.parallel_config(backend="threading"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parallel = search(2).fit(X, y)
    # an ask overlaps fits when a running candidate has folds to come (the
    # median pruner lets one fold go at a time); the first slow ask always does
    assert _AskWatch.asks_that_saw_a_fit >= 1
    assert _AskWatch.fits_during_asks >= 1
    # and what was asked is what the sequential search asks (a fixed window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sequential = search(1).fit(X, y)
    assert parallel.cv_results_["params"] == sequential.cv_results_["params"]
    np.testing.assert_array_equal(parallel.cv_results_["mean_test_score"],
                                  sequential.cv_results_["mean_test_score"])
