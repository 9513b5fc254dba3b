"""Interrupted is not finished (issue 27): a candidate cut short by Ctrl-C, an
error elsewhere in the search or a process that died is no result -- never
``best_*``, never counted as finished or towards ``n_iter``, in no
``cv_results_`` -- and runs again, with the same parameters, when ``fit``
resumes.

Before, such a candidate was told FAIL *with* its partial folds: it kept a rank
and a partial mean, could become ``best_index_`` (a 4-of-5-folds mean of
0.9778 beat every complete candidate's 0.9755), consumed ``n_iter`` and was
never run again.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV as SkGridSearchCV

from sksearch import BayesSearchCV, GridSearchCV
from sksearch._records import FOLDS_ATTR
from sksearch.distributions import Float
from sksearch.storage import InMemoryStorage, SQLiteStorage
from sksearch.trial import INTERRUPTED_KEY, TrialState, is_interrupted

X, y = load_iris(return_X_y=True)
SPACE = {"C": Float(1e-3, 1e2, log=True)}

_calls = {"n": 0, "raise_at": None}
_lock = threading.Lock()


class Interruptible(LogisticRegression):
    """Raises KeyboardInterrupt at its ``raise_at``-th fit, as Ctrl-C would
    in the middle of a candidate's folds."""

    def fit(self, X, y, **kwargs):
        with _lock:
            _calls["n"] += 1
            hit = _calls["n"] == _calls["raise_at"]
        if hit:
            raise KeyboardInterrupt
        return super().fit(X, y, **kwargs)


def _interrupt_at(k):
    _calls.update(n=0, raise_at=k)


def _search(storage, n_jobs, pruner, **kwargs):
    params = dict(n_iter=10, cv=5, n_jobs=n_jobs, pruner=pruner, random_state=0,
                  storage=storage, study_name="cut", refit=False)
    params.update(kwargs)
    return BayesSearchCV(Interruptible(max_iter=200), SPACE, **params)


def _check_resumed(search, n_iter):
    results = search.cv_results_
    trials = search.study_.trials
    cut = [t for t in trials if is_interrupted(t)]
    # interrupted trials keep no fold results and are in no cv_results_
    assert all(FOLDS_ATTR not in t.system_attrs for t in cut)
    assert len(results["params"]) == n_iter
    assert not search.study_.get_trials((TrialState.RUNNING,))
    # each was run again with the same parameters, and finished
    finished = [t for t in trials if FOLDS_ATTR in t.system_attrs]
    for t in cut:
        assert any(f.params == t.params and f.number > t.number for f in finished)
    # the winner is the best complete candidate, as the study says
    complete = np.array([s == "complete" for s in results["status"]])
    means = np.asarray(results["mean_test_score"])
    assert search.best_score_ == np.max(means[complete]) == search.study_.best_value
    assert results["status"][search.best_index_] == "complete"
    assert results["rank_test_score"][search.best_index_] == 1
    return cut


@pytest.mark.parametrize("raise_at", [3, 8, 13])
@pytest.mark.parametrize("n_jobs,pruner", [(1, None), (1, "median"), (2, None), (2, "median")])
def test_a_candidate_cut_short_is_no_result_and_runs_again_on_resume(
        raise_at, n_jobs, pruner, capsys):
    storage = InMemoryStorage()
    _interrupt_at(raise_at)
    with joblib.parallel_config(backend="threading"), pytest.raises(KeyboardInterrupt):
        _search(storage, n_jobs, pruner).fit(X, y)
    study_trials = storage.get_all_trials(storage.get_study_id("cut"))
    cut = [t for t in study_trials if is_interrupted(t)]
    finished = [t for t in study_trials if FOLDS_ATTR in t.system_attrs]
    assert cut, "the interrupt hit between candidates: nothing to check"
    assert all(t.state is not TrialState.RUNNING for t in study_trials)
    assert all(t.system_attrs[INTERRUPTED_KEY] == "KeyboardInterrupt" for t in cut)
    # the message counts what is finished, and says what is not
    err = capsys.readouterr().err
    assert f"{len(finished)} of 10 candidates are finished" in err
    assert f"{len(cut)} interrupted candidates are not results and run again" in err

    _interrupt_at(None)
    with joblib.parallel_config(backend="threading"):
        resumed = _search(storage, n_jobs, pruner).fit(X, y)
    assert resumed.n_fold_fits_ <= (10 - len(finished)) * 5
    if pruner is None:  # every candidate not finished before runs all its folds now
        assert resumed.n_fold_fits_ == (10 - len(finished)) * 5
    assert _check_resumed(resumed, 10) == cut


def test_a_resume_twice_runs_each_cut_candidate_once():
    storage = InMemoryStorage()
    _interrupt_at(4)
    with pytest.raises(KeyboardInterrupt):
        _search(storage, 1, None).fit(X, y)
    _interrupt_at(None)
    first = _search(storage, 1, None).fit(X, y)
    again = _search(storage, 1, None).fit(X, y)
    assert again.n_fold_fits_ == 0
    assert again.cv_results_["params"] == first.cv_results_["params"]


def test_an_interrupted_grid_resumes_to_gridsearchcv_results():
    grid = {"C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    storage = InMemoryStorage()
    _interrupt_at(7)  # the second candidate's second fold
    with pytest.raises(KeyboardInterrupt):
        GridSearchCV(Interruptible(max_iter=200), grid, cv=5, storage=storage,
                     study_name="grid").fit(X, y)
    _interrupt_at(None)
    ours = GridSearchCV(Interruptible(max_iter=200), grid, cv=5, storage=storage,
                        study_name="grid").fit(X, y)
    theirs = SkGridSearchCV(LogisticRegression(max_iter=200), grid, cv=5).fit(X, y)
    # every grid point once (the interrupted one run again), scored as scikit-learn does
    order = np.argsort([p["C"] for p in ours.cv_results_["params"]])
    assert [ours.cv_results_["params"][i] for i in order] == theirs.cv_results_["params"]
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"][order],
                               theirs.cv_results_["mean_test_score"], rtol=1e-12)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, rel=1e-12)


_SIGINT_SCRIPT = """
import sys, time
from sklearn.datasets import load_iris
from sklearn.svm import SVC
from sksearch import BayesSearchCV
from sksearch.distributions import Float

class SlowSVC(SVC):
    def fit(self, X, y, **kwargs):
        time.sleep(0.03)
        return super().fit(X, y, **kwargs)

X, y = load_iris(return_X_y=True)
print("started", flush=True)
BayesSearchCV(SlowSVC(), {"C": Float(1e-2, 1e2, log=True), "gamma": Float(1e-3, 1, log=True)},
              n_iter=int(sys.argv[2]), cv=5, pruner="median", n_jobs=2, random_state=0,
              storage=sys.argv[1], study_name="sigint").fit(X, y)
"""


@pytest.mark.parametrize("after_finished", [1, 4])
def test_sigint_then_resume_crowns_a_complete_candidate(tmp_path, after_finished):
    # the case: a real Ctrl-C (SIGINT) in a search with a pruner on two
    # loky workers and SQLite, then fit again
    path = tmp_path / "study.db"
    script = tmp_path / "search.py"
    script.write_text(_SIGINT_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), OMP_NUM_THREADS="1")
    process = subprocess.Popen([sys.executable, str(script), str(path), "12"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    storage, deadline = None, time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline and process.poll() is None, process.stderr.read()
        if path.exists():
            storage = storage or SQLiteStorage(path)
            study_id = storage.get_study_id("sigint")
            if study_id is not None and storage.get_n_trials(
                    study_id, (TrialState.COMPLETE, TrialState.PRUNED)) >= after_finished:
                break
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    trials = storage.get_all_trials(study_id)
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    n_finished = sum(FOLDS_ATTR in t.system_attrs for t in trials)
    if "interrupted;" in err:  # the interrupt reached the search, not the start-up
        assert f"interrupted; {n_finished} of 12 candidates are finished" in err

    from sklearn.svm import SVC

    class SlowSVC(SVC):  # the same class name: the study's fingerprint matches
        pass

    resumed = BayesSearchCV(
        SlowSVC(), {"C": Float(1e-2, 1e2, log=True), "gamma": Float(1e-3, 1, log=True)},
        n_iter=12, cv=5, pruner="median", n_jobs=2, random_state=0, storage=str(path),
        study_name="sigint").fit(X, y)
    _check_resumed(resumed, 12)


def test_ctrl_c_between_a_proposal_and_its_first_fold_leaves_nothing_running(monkeypatch):
    # Ctrl-C while the scheduler reads the new trial back from the storage
    # (on SQLite the slow moment after a proposal): before, that trial was
    # left RUNNING, neither a candidate to tell nor failed
    from sksearch._scheduler import gate

    calls = {"n": 0}
    original = gate.ProposalGate.reads_of

    def reads_of(self, *args):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(self, *args)

    _interrupt_at(None)
    storage = InMemoryStorage()
    monkeypatch.setattr(gate.ProposalGate, "reads_of", reads_of)
    with pytest.raises(KeyboardInterrupt):
        _search(storage, 1, None).fit(X, y)
    monkeypatch.setattr(gate.ProposalGate, "reads_of", original)
    first = _search(storage, 1, None).fit(X, y)
    cut = [t for t in first.study_.trials if is_interrupted(t)]
    assert [t.number for t in cut] == [3]
    _check_resumed(first, 10)


def test_ctrl_c_while_an_ask_is_out_beside_the_scheduler_leaves_nothing_running():
    # with several workers the sampler asks on a thread of its own; Ctrl-C
    # reaches the scheduler's thread meanwhile: the ask is let finish, and its
    # trial is told interrupted (not left RUNNING), so it runs again on resume
    from sksearch.samplers import TPESampler

    class InterruptingTPE(TPESampler):
        def sample_relative(self, study, trial, search_space):
            if trial.number == 6 and not study.system_attrs.get("cut"):
                study.set_system_attr("cut", True)
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, to the scheduler's thread
                time.sleep(0.3)  # the ask goes on a while after it
            return super().sample_relative(study, trial, search_space)

    _interrupt_at(None)
    storage = InMemoryStorage()
    with joblib.parallel_config(backend="threading"), pytest.raises(KeyboardInterrupt):
        _search(storage, 2, None, sampler=InterruptingTPE(n_startup_trials=3, seed=0),
                window=2).fit(X, y)
    study_id, _ = storage.get_all_studies()[0]
    trials = storage.get_all_trials(study_id)
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    # the ask cut short is interrupted (or, had the signal come only after it
    # was taken and its folds had run, finished): never RUNNING
    assert 6 in [t.number for t in trials if is_interrupted(t) or FOLDS_ATTR in t.system_attrs]
    assert any(is_interrupted(t) for t in trials)
    with joblib.parallel_config(backend="threading"):
        resumed = _search(storage, 2, None, sampler=InterruptingTPE(n_startup_trials=3, seed=0),
                          window=2).fit(X, y)
    _check_resumed(resumed, 10)


@pytest.mark.parametrize("ask_started", [True, False])
def test_ctrl_c_while_an_ask_is_handed_to_its_thread_leaves_nothing_running(
        monkeypatch, ask_started):
    # Ctrl-C landing inside the hand-over itself (the ask queued on its
    # thread, the scheduler not yet back): an ask that began is let finish and
    # told interrupted; one that had not begun never asks
    from sksearch._scheduler import dispatch
    from sksearch.samplers import TPESampler

    late = []

    class SlowTPE(TPESampler):
        def sample_relative(self, study, trial, search_space):
            time.sleep(0.2)
            return super().sample_relative(study, trial, search_space)

    original = dispatch.Dispatcher.run_aside
    calls = {"n": 0}

    def run_aside(self, proposal):
        calls["n"] += 1
        if calls["n"] < 6:
            return original(self, proposal)
        if ask_started:
            original(self, proposal)
            time.sleep(0.05)  # its thread has begun the ask
        else:  # Ctrl-C before its thread took it up: the thread takes it up late
            late.append(proposal)
        raise KeyboardInterrupt

    _interrupt_at(None)
    storage = InMemoryStorage()
    monkeypatch.setattr(dispatch.Dispatcher, "run_aside", run_aside)
    with joblib.parallel_config(backend="threading"), pytest.raises(KeyboardInterrupt):
        _search(storage, 2, None, sampler=SlowTPE(n_startup_trials=3, seed=0),
                window=2).fit(X, y)
    if not ask_started:
        late[0]()  # as its thread would, after the search stopped: nothing asked
        assert late[0].trial is None
    time.sleep(0.5)  # longer than any ask: a late one would have created its trial
    study_id, _ = storage.get_all_studies()[0]
    trials = storage.get_all_trials(study_id)
    assert not [t for t in trials if t.state is TrialState.RUNNING]
    monkeypatch.setattr(dispatch.Dispatcher, "run_aside", original)
    with joblib.parallel_config(backend="threading"):
        resumed = _search(storage, 2, None, sampler=SlowTPE(n_startup_trials=3, seed=0),
                          window=2).fit(X, y)
    _check_resumed(resumed, 10)
