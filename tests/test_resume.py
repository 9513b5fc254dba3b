"""Resuming a search from its storage: completed trials are reused, never refit,
and trials of other data or another space are never mixed in."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from sksearch import BayesSearchCV, TrialState
from sksearch.distributions import Float
from sksearch.storage import InMemoryStorage

X, y = load_iris(return_X_y=True)
SPACE = {"C": Float(0.01, 10, log=True), "fit_intercept": [True, False]}


def make_search(storage, **kwargs):
    params = dict(n_iter=4, cv=3, random_state=0, storage=storage, sampler="random")
    params.update(kwargs)
    return BayesSearchCV(LogisticRegression(max_iter=300), SPACE, **params)


def test_refit_with_larger_n_iter_reuses_trials():
    storage = InMemoryStorage()
    first = make_search(storage).fit(X, y)
    first_params = first.cv_results_["params"]
    assert first.n_fold_fits_ == 12
    resumed = make_search(storage, n_iter=7).fit(X, y)
    assert resumed.n_fold_fits_ == 9  # only the 3 new candidates were fitted
    assert resumed.cv_results_["params"][:4] == first_params
    np.testing.assert_array_equal(resumed.cv_results_["mean_test_score"][:4],
                                  first.cv_results_["mean_test_score"])
    assert len(set(map(repr, resumed.cv_results_["params"]))) == 7
    best = max(resumed.study_.get_trials((TrialState.COMPLETE,)), key=lambda t: t.value)
    assert resumed.best_score_ == best.value
    again = make_search(storage, n_iter=7).fit(X, y)
    assert again.n_fold_fits_ == 0


def test_other_data_gets_its_own_study_or_an_error():
    storage = InMemoryStorage()
    a = make_search(storage).fit(X, y)
    b = make_search(storage).fit(X[:120], y[:120])
    assert a.study_.study_name != b.study_.study_name  # nested CV folds never mix
    with pytest.raises(ValueError, match="other data or other CV splits"):
        make_search(storage, study_name=a.study_.study_name).fit(X[:120], y[:120])


def test_other_space_on_named_study_raises():
    storage = InMemoryStorage()
    make_search(storage, study_name="s").fit(X, y)
    other = BayesSearchCV(LogisticRegression(max_iter=300), {"C": Float(0.1, 1)}, n_iter=2,
                          cv=3, storage=storage, study_name="s")
    with pytest.raises(ValueError, match="another estimator, search space"):
        other.fit(X, y)


def test_interrupt_keeps_completed_trials_on_study_():
    calls = []

    def interrupt_on_third(study, trial):
        calls.append(trial.number)
        if len(calls) == 3:
            raise KeyboardInterrupt

    search = make_search(InMemoryStorage(), n_iter=10, callbacks=[interrupt_on_third])
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    completed = search.study_.get_trials((TrialState.COMPLETE,))
    assert [t.number for t in completed] == [0, 1, 2]
    assert not search.study_.get_trials((TrialState.RUNNING,))
    resumed = make_search(search.study_._storage, n_iter=5).fit(X, y)
    assert resumed.n_fold_fits_ == 2 * 3


SEARCH_SCRIPT = '''
import sys, time
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sksearch import BayesSearchCV
from sksearch.distributions import Float

class Slow(LogisticRegression):
    def fit(self, X, y):
        time.sleep(0.05)
        return super().fit(X, y)

X, y = load_iris(return_X_y=True)
BayesSearchCV(Slow(max_iter=300), {"C": Float(0.01, 10, log=True)}, n_iter=int(sys.argv[2]),
              cv=3, random_state=0, storage=sys.argv[1], study_name="killed").fit(X, y)
'''


def test_sigkilled_search_resumes_without_losing_or_repeating(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from sksearch.storage import SQLiteStorage

    path = tmp_path / "search.db"
    script = tmp_path / "search.py"
    script.write_text(SEARCH_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, str(script), str(path), "200"], env=env)
    deadline = time.monotonic() + 90
    storage = None
    while True:
        assert time.monotonic() < deadline and process.poll() is None
        if path.exists():
            storage = storage or SQLiteStorage(path)
            study_id = storage.get_study_id("killed")
            if study_id is not None and storage.get_n_trials(
                    study_id, (TrialState.COMPLETE,)) >= 4:
                break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    before = {t.number: t for t in storage.get_all_trials(study_id)
              if t.state is TrialState.COMPLETE}

    # Another estimator class on the same study name is refused: its trials would
    # not be comparable.
    with pytest.raises(ValueError, match="another estimator, search space"):
        BayesSearchCV(LogisticRegression(max_iter=300), {"C": Float(0.01, 10, log=True)},
                      n_iter=len(before) + 3, cv=3, storage=str(path),
                      study_name="killed").fit(X, y)
    resumed = BayesSearchCV(_slow_like(), {"C": Float(0.01, 10, log=True)},
                            n_iter=len(before) + 3, cv=3, random_state=0,
                            storage=str(path), study_name="killed").fit(X, y)
    results = resumed.cv_results_
    trials = resumed.study_.trials
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert {t.number for t in complete} >= set(before)
    for number, trial in before.items():  # reused, not refitted
        assert resumed.study_.trials[number].value == trial.value
    assert len(complete) == len(before) + 3
    assert resumed.n_fold_fits_ == 3 * 3
    assert len(results["params"]) == len(before) + 3
    best = max(complete, key=lambda t: t.value)
    assert resumed.best_score_ == best.value
    assert resumed.best_params_ == {"C": best.params["C"]}
    assert not resumed.study_.get_trials((TrialState.RUNNING,))


def _slow_like():
    # Same class name as the killed script's estimator, so the fingerprints match.
    class Slow(LogisticRegression):
        pass

    return Slow(max_iter=300)


def test_nested_cv_with_sqlite_storage_keeps_outer_folds_apart(tmp_path):
    from sklearn.model_selection import cross_val_score

    from sksearch.storage import SQLiteStorage

    path = tmp_path / "nested.db"
    search = make_search(str(path), n_iter=2)
    scores = cross_val_score(search, X, y, cv=3)
    assert scores.shape == (3,)
    storage = SQLiteStorage(path)
    names = [row[0] for row in storage._read("SELECT name FROM studies")]
    assert len(names) == 3
    # refitting the same outer folds resumes their studies: no new fits
    assert cross_val_score(search, X, y, cv=3).tolist() == scores.tolist()
    assert len(storage._read("SELECT name FROM studies")) == 3


def test_two_processes_share_the_budget(tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / "shared.db"
    script = tmp_path / "search.py"
    script.write_text(SEARCH_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    processes = [subprocess.Popen([sys.executable, str(script), str(path), "12"], env=env)
                 for _ in range(2)]
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    from sksearch.storage import SQLiteStorage

    storage = SQLiteStorage(path)
    trials = storage.get_all_trials(storage.get_study_id("killed"))
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    # each process stops when the study holds n_iter candidates; both may start
    # one in the same instant, so the total can exceed it by one per process
    assert 12 <= len(complete) <= 13
    assert len({t.number for t in trials}) == len(trials)


PENDING_SCRIPT = '''
import sys, time
import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sksearch import BayesSearchCV
from sksearch.distributions import Float

class Uneven(LogisticRegression):
    def fit(self, X, y):
        # small C fits fast, large C slowly: younger candidates overtake older ones
        time.sleep(0.02 if self.C < 1 else 0.3)
        return super().fit(X, y)

X, y = load_iris(return_X_y=True)
with joblib.parallel_config(backend="threading"):
    BayesSearchCV(Uneven(max_iter=300), {"C": Float(0.01, 10, log=True)}, n_iter=400, cv=3,
                  sampler="tpe", pruner="median", n_jobs=2, random_state=0,
                  storage=sys.argv[1], study_name="pending").fit(X, y)
'''


def test_finished_candidates_waiting_to_be_told_survive_a_sigkill(tmp_path):
    """With n_jobs > 1 candidates are told in the order they were asked; those
    that finished while an older one ran record their outcome, and a resumed
    search gets them back instead of failing and refitting them. (A learning
    sampler: its window lets younger candidates finish first; a random
    search's decisions wait for every elder to be told, tests/test_njobs.py.)"""
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from sksearch.storage import SQLiteStorage

    path = tmp_path / "pending.db"
    script = tmp_path / "search.py"
    script.write_text(PENDING_SCRIPT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    process = subprocess.Popen([sys.executable, str(script), str(path)], env=env)
    deadline = time.monotonic() + 120
    try:
        while True:
            assert time.monotonic() < deadline and process.poll() is None
            if path.exists():
                try:
                    with sqlite3.connect(path) as db:
                        n = db.execute("SELECT COUNT(*) FROM trial_attrs "
                                       "WHERE key = 'pending_outcome'").fetchone()[0]
                except sqlite3.OperationalError:  # the schema is being created
                    n = 0
                if n >= 2:
                    break
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    storage = SQLiteStorage(path)
    study_id = storage.get_study_id("pending")
    pending = {t.number: t for t in storage.get_all_trials(study_id, (TrialState.RUNNING,))
               if "pending_outcome" in t.system_attrs}
    assert pending
    finished_before = len(storage.get_all_trials(
        study_id, (TrialState.COMPLETE, TrialState.PRUNED)))

    class Uneven(LogisticRegression):  # the killed script's class name
        pass

    n_new = 2
    resumed = BayesSearchCV(
        Uneven(max_iter=300), {"C": Float(0.01, 10, log=True)},
        n_iter=finished_before + len(pending) + n_new, cv=3, sampler="random",
        pruner="median", random_state=0, storage=str(path), study_name="pending").fit(X, y)
    trials = resumed.study_.trials
    for number, before in pending.items():
        recorded = before.system_attrs["pending_outcome"]
        after = trials[number]
        assert after.state.name == recorded["state"]
        assert after.values == (None if recorded["values"] is None
                                else tuple(recorded["values"]))
        assert "recovered" in after.system_attrs
    # the recovered candidates are in cv_results_ with their fold scores, and
    # were not refitted: the resumed run fitted only its new candidates
    shown = [p["C"] for p in resumed.cv_results_["params"]]
    for number in pending:
        assert trials[number].params["C"] in shown
    assert len(resumed.cv_results_["params"]) == finished_before + len(pending) + n_new
    assert resumed.n_fold_fits_ <= n_new * 3
    assert not resumed.study_.get_trials((TrialState.RUNNING,))


def _objective_search(storage, **kwargs):
    params = dict(scoring=["accuracy", "recall_macro"], refit="accuracy",
                  objectives=["accuracy", "fit_time"], n_iter=2, cv=2, study_name="mo")
    params.update(kwargs)
    return make_search(storage, **params)


@pytest.mark.parametrize("changed", [
    dict(objectives=["accuracy", "recall_macro"]),  # another metric, same directions
    dict(constraints={"fit_time": ("<=", 5.0)}),  # a constraint added
    dict(objectives=["accuracy", "recall_macro", "fit_time"]),  # another number of them
])
def test_resume_refuses_other_objectives(changed):
    storage = InMemoryStorage()
    first = _objective_search(storage).fit(X, y)
    n_trials = len(first.study_.trials)
    with pytest.raises(ValueError, match=(
            r"Study 'mo' in this storage was run with objectives=\['accuracy', 'fit_time'\], "
            r"constraints=None; this search has objectives=.*use the same objectives")):
        _objective_search(storage, **changed).fit(X, y)
    # refused before any trial was asked for, let alone fitted
    assert len(storage.get_all_trials(storage.get_study_id("mo"))) == n_trials


def test_resume_refuses_other_constraints_and_order():
    storage = InMemoryStorage()
    rule = {"fit_time": ("<=", 5.0), "recall_macro": (">=", 0.5)}
    _objective_search(storage, objectives=["accuracy", "recall_macro"],
                      constraints=rule).fit(X, y)
    for changed in (dict(objectives=["recall_macro", "accuracy"], constraints=rule),
                    dict(objectives=["accuracy", "recall_macro"],
                         constraints={**rule, "fit_time": ("<=", 2.0)}),
                    dict(objectives=["accuracy", "recall_macro"], constraints=None)):
        with pytest.raises(ValueError, match="constraints=.*'fit_time': \\('<=', 5.0\\)"):
            _objective_search(storage, **changed).fit(X, y)
    # the constraints' values are stored in their order: another order is refused
    with pytest.raises(ValueError, match="the same constraints in another order"):
        _objective_search(storage, objectives=["accuracy", "recall_macro"],
                          constraints={"recall_macro": (">=", 0.5),
                                       "fit_time": ("<=", 5.0)}).fit(X, y)
    # the same definition (an int bound is the same bound) resumes
    resumed = _objective_search(storage, objectives=["accuracy", "recall_macro"], n_iter=3,
                                constraints={"fit_time": ("<=", 5),
                                             "recall_macro": (">=", 0.5)}).fit(X, y)
    assert len(resumed.cv_results_["params"]) == 3 and resumed.n_fold_fits_ == 2


def test_resume_of_one_metric_refuses_objectives_and_takes_older_studies():
    storage = InMemoryStorage()
    make_search(storage, study_name="one", n_iter=2, cv=2).fit(X, y)
    with pytest.raises(ValueError, match="run with objectives=None, constraints=None"):
        make_search(storage, study_name="one", n_iter=2, cv=2, scoring=["accuracy"],
                    refit="accuracy", constraints={"accuracy": (">=", 0.5)}).fit(X, y)
    # a study that holds no record of its objectives (written before they were
    # recorded) is taken as it is, and records them from then on
    from sksearch import Study

    Study(directions=["maximize", "minimize"], storage=storage, study_name="old")
    _objective_search(storage, study_name="old").fit(X, y)
    with pytest.raises(ValueError, match="run with objectives=\\['accuracy', 'fit_time'\\]"):
        _objective_search(storage, study_name="old",
                          constraints={"fit_time": ("<=", 5.0)}).fit(X, y)


def test_a_search_without_study_name_names_its_objectives_in_the_study(monkeypatch):
    # without study_name the study is named from the data and space; with
    # several objectives (or constraints) from their definition too, so other
    # objectives are another study, not a refusal
    storage = InMemoryStorage()
    first = _objective_search(storage, study_name=None).fit(X, y)
    other = _objective_search(storage, study_name=None,
                              objectives=["accuracy", "recall_macro"]).fit(X, y)
    constrained = _objective_search(storage, study_name=None,
                                    constraints={"fit_time": ("<=", 5.0)}).fit(X, y)
    names = {s.study_name for s in (first.study_, other.study_, constrained.study_)}
    assert len(names) == 3 and len(storage.get_all_studies()) == 3
    again = _objective_search(storage, study_name=None, n_iter=3).fit(X, y)
    assert again.study_.study_name == first.study_.study_name
    assert len(again.cv_results_["params"]) == 3 and again.n_fold_fits_ == 2
    # one metric: the name is the one it always was
    one = make_search(storage, n_iter=2, cv=2).fit(X, y)
    assert one.study_.study_name.startswith("LogisticRegression-")


def test_a_study_named_before_its_objectives_took_part_still_resumes(monkeypatch):
    from sksearch import _resume

    storage = InMemoryStorage()
    # the name given before the objectives were part of it
    monkeypatch.setattr(_resume, "_derived_name_of", lambda storage, estimator, space,
                        prints, defined: _resume._derived_name(
                            storage, estimator, space, _resume.joblib.hash(prints)))
    first = _objective_search(storage, study_name=None).fit(X, y)
    monkeypatch.undo()
    again = _objective_search(storage, study_name=None, n_iter=3).fit(X, y)
    assert again.study_.study_name == first.study_.study_name
    assert again.n_fold_fits_ == 2
    # with other objectives it is another study, named with them
    other = _objective_search(storage, study_name=None,
                              objectives=["accuracy", "recall_macro"]).fit(X, y)
    assert other.study_.study_name != first.study_.study_name
