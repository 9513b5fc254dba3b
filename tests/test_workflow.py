"""The study workflow: known configurations, trials evaluated elsewhere, warm
starts, and managing the studies of a storage (functions and command line)."""

import subprocess
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from sksearch import (
    BayesSearchCV,
    Study,
    TrialState,
    copy_study,
    create_trial,
    delete_study,
    list_studies,
    load_study,
)
from sksearch.distributions import Categorical, Float, Int
from sksearch.studies import readable_params


def _objective(trial):
    x = trial.suggest_float("x", -1, 1)
    return x ** 2 + (trial.suggest_categorical("kind", ["a", "b"]) == "b")


# -- enqueue_trial ------------------------------------------------------------------
def test_an_enqueued_trial_survives_a_restart_and_runs_first_in_order(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = Study(direction="minimize", storage=url, study_name="s", sampler="random",
                  random_state=0)
    study.enqueue_trial({"x": 0.25, "kind": "b"})
    study.enqueue_trial({"x": -0.5})
    study.enqueue_trial({"x": 0.25, "kind": "b"}, skip_if_exists=True)  # queued already
    del study
    restarted = load_study(study_name="s", storage=url, sampler="random", random_state=0)
    restarted.optimize(_objective, n_trials=3)
    trials = restarted.trials
    assert trials[0].params == {"x": 0.25, "kind": "b"}
    assert trials[0].value == pytest.approx(1.0625)
    assert trials[1].params["x"] == -0.5 and trials[1].params["kind"] in ("a", "b")
    assert -1 <= trials[2].params["x"] <= 1 and trials[2].params["x"] not in (0.25, -0.5)
    assert trials[0].system_attrs["sksearch:from_queue"] is True
    assert "sksearch:from_queue" not in trials[2].system_attrs
    # evaluated: not enqueued again
    restarted.enqueue_trial({"x": 0.25, "kind": "b"}, skip_if_exists=True)
    assert restarted.system_attrs["sksearch:enqueued"] == []


def test_an_enqueued_value_outside_its_distribution_fails_naming_the_parameter():
    study = Study(direction="minimize", sampler="random", random_state=0)
    study.enqueue_trial({"x": 3.0})
    with pytest.raises(ValueError, match=r"parameter 'x' = 3.0 is outside Float\(-1.0, 1.0\)"):
        study.optimize(_objective, n_trials=1)
    assert study.trials[0].state is TrialState.FAIL
    study.enqueue_trial({"kind": "c"})
    with pytest.raises(ValueError, match="parameter 'kind' = 'c' is not one of the choices"):
        study.optimize(_objective, n_trials=1)
    with pytest.raises(TypeError, match="params must be a dict"):
        study.enqueue_trial([("x", 1)])


def test_an_enqueued_estimator_is_matched_by_its_description(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = Study(direction="maximize", storage=url, study_name="s", sampler="random",
                  random_state=0)
    study.enqueue_trial({"model": SVC(C=2.0)})  # a new object, equal by its repr
    choices = [LogisticRegression(), SVC(C=2.0)]
    trial = study.ask()
    assert trial.suggest_categorical("model", choices) is choices[1]


# -- add_trial ------------------------------------------------------------------------
def test_added_trials_round_trip_through_sqlite_and_teach_the_sampler(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = Study(direction="minimize", storage=url, study_name="s", random_state=0)
    dists = {"x": Float(-1, 1), "kind": Categorical(["a", "b"])}
    added = study.add_trials([
        create_trial(params={"x": 0.1 * i - 0.5, "kind": "a"}, distributions=dists,
                     value=(0.1 * i - 0.5) ** 2, intermediate_values={0: 1.0},
                     user_attrs={"source": "notebook"})
        for i in range(11)])
    assert [t.number for t in added] == list(range(11))
    read = load_study(study_name="s", storage=url).trials
    assert [t.params["x"] for t in read] == pytest.approx([0.1 * i - 0.5 for i in range(11)])
    assert read[3].user_attrs == {"source": "notebook"} and read[3].intermediate_values == {0: 1.0}
    assert load_study(study_name="s", storage=url).best_params == {"x": 0.0, "kind": "a"}
    # TPE starts modelling from the added trials: no random start-up phase left
    study.optimize(_objective, n_trials=5)
    assert np.median([abs(t.params["x"]) for t in study.trials[11:]]) < 0.5


def test_an_added_trial_is_checked():
    study = Study(direction="minimize")
    dist = {"x": Float(0, 1)}
    with pytest.raises(ValueError, match="parameter 'x' = 2 is outside"):
        create_trial(params={"x": 2}, distributions=dist, value=1.0)
    with pytest.raises(ValueError, match="COMPLETE trial needs a finite value"):
        study.add_trial(create_trial(params={"x": 0.5}, distributions=dist))
    bad = create_trial(params={"x": 0.5}, distributions=dist, value=1.0)
    bad.internal_params["x"] = 7.0
    with pytest.raises(ValueError, match="parameter 'x' has the internal value 7.0"):
        study.add_trial(bad)
    with pytest.raises(ValueError, match="must be COMPLETE, PRUNED or FAIL"):
        study.add_trial(create_trial(params={"x": 0.5}, distributions=dist,
                                     state=TrialState.RUNNING))
    assert study.trials == []


# -- searches: initial_params and warm_start_from ------------------------------------------
SPACE = {"C": Float(1e-3, 1e2, log=True)}


def _cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:, :5], y


def _search(**kwargs):
    kwargs.setdefault("n_iter", 6)
    return BayesSearchCV(LogisticRegression(max_iter=300), SPACE, cv=3, random_state=0,
                         refit=False, **kwargs)


def test_initial_params_run_first_and_are_candidates(tmp_path):
    X, y = _cancer()
    url = f"sqlite:///{tmp_path / 's.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = _search(initial_params=[{"C": 1.0}, {"C": 10}], storage=url).fit(X, y)
        assert search.cv_results_["params"][:2] == [{"C": 1.0}, {"C": 10.0}]
        assert len(search.cv_results_["params"]) == 6
        # resumed with a larger n_iter: the known sets are not run again
        more = _search(initial_params=[{"C": 1.0}, {"C": 10}], storage=url, n_iter=8).fit(X, y)
    assert more.n_fold_fits_ == 2 * 3
    assert sum(p == {"C": 1.0} for p in more.cv_results_["params"]) == 1


@pytest.mark.parametrize("initial, message", [
    ([{"C": 1e5}], r"initial_params\[0\]: parameter 'C' = 100000.0 is outside"),
    ([{"C": 1.0}, {"D": 1}], r"initial_params\[1\]: the parameters \['D'\] are not"),
    ([{"C": "big"}], "parameter 'C' = 'big' is not a number"),
])
def test_bad_initial_params_are_refused_before_any_fit(initial, message):
    class NoFit(LogisticRegression):
        def fit(self, X, y, **kwargs):
            raise AssertionError("fitted")

    with pytest.raises(ValueError, match=message):
        BayesSearchCV(NoFit(), SPACE, initial_params=initial, cv=2).fit(*_cancer())


def test_initial_params_of_a_list_of_dicts_pick_their_branch():
    X, y = load_iris(return_X_y=True)
    space = [{"C": [0.1, 1.0]}, {"C": Float(1, 10), "fit_intercept": [True, False]}]
    search = BayesSearchCV(LogisticRegression(max_iter=300), space, n_iter=3, cv=2,
                           random_state=0, initial_params=[{"C": 5.0, "fit_intercept": False}])
    search.fit(X, y)
    assert search.cv_results_["params"][0] == {"C": 5.0, "fit_intercept": False}


def test_a_warm_start_is_the_samplers_history_not_a_result(tmp_path):
    X, y = _cancer()
    url = f"sqlite:///{tmp_path / 's.db'}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = _search(n_iter=12, storage=url, study_name="small").fit(X[:200], y[:200])
        prior = load_study(study_name="small", storage=url)  # read back from the file
        cold = _search(storage=url, study_name="cold").fit(X, y)
        warm = _search(storage=url, study_name="warm", warm_start_from=prior).fit(X, y)
    assert len(warm.cv_results_["params"]) == 6 and warm.n_fold_fits_ == 18
    stored = warm.study_.trials
    priors = [t for t in stored if "sksearch:warm_start" in t.system_attrs]
    assert len(priors) == 12 and len(stored) == 18
    assert [t.system_attrs["sksearch:warm_start"]["number"] for t in priors] == list(range(12))
    assert warm.best_score_ == max(warm.cv_results_["mean_test_score"])
    assert warm.study_.best_trial.number >= 12  # a candidate, never a prior trial
    # TPE proposed from the prior at once (cold: random start-up), near the prior's best
    best_c = np.log10(small.best_params_["C"])
    warm_c = np.log10([p["C"] for p in warm.cv_results_["params"]])
    cold_c = np.log10([p["C"] for p in cold.cv_results_["params"]])
    assert np.median(abs(warm_c - best_c)) < np.median(abs(cold_c - best_c))
    # resumed: the prior is not added twice, and nothing is refitted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = _search(storage=url, study_name="warm", warm_start_from=prior).fit(X, y)
    assert again.n_fold_fits_ == 0 and len(again.study_.trials) == 18
    with pytest.raises(ValueError, match="needs a sampler that learns"):
        _search(sampler="random", warm_start_from=prior).fit(X, y)


class _NoFit(LogisticRegression):
    def fit(self, X, y, **kwargs):
        raise AssertionError("fitted")


def _source(distributions, params_list, directions=("maximize",)):
    study = Study(directions=list(directions), study_name="source")
    for k, params in enumerate(params_list):
        values = [0.5 + k / 100] * len(directions)
        study.add_trial(create_trial(params=params, distributions=distributions,
                                     value=values[0] if len(values) == 1 else None,
                                     state=TrialState.COMPLETE if len(values) == 1
                                     else TrialState.PRUNED))
    return study


@pytest.mark.parametrize("source, message", [
    (lambda: _source({"C": Float(1e-3, 1e2, log=True), "tol": Float(1e-5, 1e-2)},
                     [{"C": 1.0, "tol": 1e-3}]),
     r"warm_start_from: trial 0 of the study 'source' has the parameters \['C', 'tol'\], "
     r"this search space \['C'\]"),
    (lambda: _source({"gamma": Float(1e-3, 1e2, log=True)}, [{"gamma": 1.0}]),
     r"has the parameters \['gamma'\], this search space \['C'\]"),
    (lambda: _source({"C": Float(1e-1, 10, log=True)}, [{"C": 1.0}]),
     r"warm_start_from: trial 0 of the study 'source' drew 'C' from Float\(0.1, 10"),
    (lambda: _source({"C": Float(1e-3, 1e2)}, [{"C": 1.0}]),
     r"drew 'C' from Float\(0.001, 100.0\), this search space draws it from Float"),
    (lambda: Study(direction="maximize", study_name="source"),
     "warm_start_from: the study 'source' has no complete or pruned trial"),
    (lambda: _source({"C": Float(1e-3, 1e2, log=True)}, [{"C": 1.0}], ("maximize", "minimize")),
     r"warm_start_from: the study 'source' has 2 objectives \(maximize, minimize\), this "
     r"search 1 objective \(maximize\)"),
    (lambda: _source({"C": Float(1e-3, 1e2, log=True)}, [{"C": 1.0}], ("minimize",)),
     r"warm_start_from: the study 'source' has 1 objective \(minimize\), this search 1 "
     r"objective \(maximize\)"),
])
def test_a_warm_start_from_another_space_or_objective_is_refused_before_any_fit(source,
                                                                               message):
    with pytest.raises(ValueError, match=message):
        BayesSearchCV(_NoFit(), SPACE, cv=2, warm_start_from=source()).fit(*_cancer())


def test_a_warm_start_from_a_search_over_another_space_is_refused():
    X, y = _cancer()
    other = BayesSearchCV(LogisticRegression(max_iter=300), {"tol": Float(1e-5, 1e-2)},
                          n_iter=2, cv=2, random_state=0, refit=False).fit(X, y)
    with pytest.raises(ValueError, match=r"warm_start_from: trial 0 .* has the parameters "
                                         r"\['tol'\], this search space \['C'\]"):
        BayesSearchCV(_NoFit(), SPACE, cv=2, warm_start_from=other).fit(X, y)
    # the same space (another range of data) is taken
    same = BayesSearchCV(LogisticRegression(max_iter=300), SPACE, n_iter=2, cv=2,
                         random_state=0, refit=False).fit(X[:200], y[:200])
    warm = _search(n_iter=3, warm_start_from=same).fit(X, y)
    assert len(warm.study_.trials) == 2 + 3


def test_more_initial_params_than_n_iter_are_refused_before_anything_is_stored():
    from sksearch.storage import InMemoryStorage

    storage = InMemoryStorage()
    with pytest.raises(ValueError, match=r"initial_params has 3 parameter sets, more than "
                                         r"n_iter=2 candidates"):
        BayesSearchCV(_NoFit(), SPACE, n_iter=2, cv=2, storage=storage, study_name="s",
                      initial_params=[{"C": 1.0}, {"C": 2.0}, {"C": 3.0}]).fit(*_cancer())
    assert storage.get_study_id("s") is None  # nothing written, nothing queued


# -- study management ----------------------------------------------------------------------
def _two_searches(path):
    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{path}"
    space = [{"clf": [SVC()], "clf__C": Float(0.1, 10, log=True)},
             {"clf": [LogisticRegression(max_iter=300)], "clf__C": Float(0.1, 10, log=True)}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        branches = BayesSearchCV(Pipeline([("clf", SVC())]), space, n_iter=5, cv=2,
                                 storage=url, random_state=0).fit(X, y)
        plain = BayesSearchCV(SVC(), {"C": Float(0.1, 10, log=True), "degree": Int(2, 4)},
                              n_iter=3, cv=2, storage=url, random_state=0,
                              pruner="median").fit(X, y)
    return url, branches, plain


def test_listing_a_file_with_several_searches(tmp_path):
    url, branches, plain = _two_searches(tmp_path / "search.db")
    frame = list_studies(url)
    assert list(frame.name) == [branches.study_.study_name, plain.study_.study_name]
    assert frame.name[0].startswith("Pipeline-SVC:C+LogisticRegression:C-")
    assert frame.name[1].startswith("SVC-C,degree-")
    assert list(frame.direction) == ["maximize", "maximize"]
    assert list(frame.n_trials) == [5, 3]
    assert frame.n_complete.sum() + frame.n_pruned.sum() == 8 and frame.n_running.sum() == 0
    assert frame.best_value[0] == pytest.approx(branches.best_score_)
    assert frame.best_value[1] == pytest.approx(plain.best_score_)
    assert (frame.created <= frame.last_updated).all()


def test_a_loaded_search_study_reads_as_the_user_wrote_it(tmp_path):
    url, branches, _ = _two_searches(tmp_path / "search.db")
    study = load_study(study_name=branches.study_.study_name, storage=url)
    best = study.best_params  # no live estimators in this reader: their descriptions
    expected = type(branches.best_params_["clf"]).__name__
    assert best["__branch__"] == expected
    assert repr(best["clf"]) == repr(branches.best_params_["clf"])  # SVC(), not 'SVC()'
    assert best["clf__C"] == pytest.approx(branches.best_params_["clf__C"])
    trial = study.trials[0]
    assert readable_params(trial)["__branch__"] in (0, 1)  # without the study's labels
    # the trials table names the branches too, for the loaded study and the search
    names = {type(t.params["clf"]).__name__ if not isinstance(t.params["clf"], str)
             else t.params["clf"].split("(")[0] for t in study.trials}
    assert set(study.trials_dataframe()["branch"]) <= names
    assert set(branches.trials_dataframe()["branch"]) <= names


def test_load_delete_copy(tmp_path):
    url, branches, plain = _two_searches(tmp_path / "search.db")
    names = [branches.study_.study_name, plain.study_.study_name]
    with pytest.raises(KeyError, match=r"No study named 'nope'.*" + names[0].replace("+", r"\+")):
        load_study(study_name="nope", storage=url)
    with pytest.raises(ValueError, match="holds the studies"):
        Study(storage=url)  # no silent new study beside them
    archive = f"sqlite:///{tmp_path / 'archive.db'}"
    copy = copy_study(from_study_name=names[1], from_storage=url, to_storage=archive)
    original = load_study(study_name=names[1], storage=url)
    assert [(t.params, t.value, t.state, t.datetime_start) for t in copy.trials] == [
        (t.params, t.value, t.state, t.datetime_start) for t in original.trials]
    assert copy.system_attrs == original.system_attrs
    with pytest.raises(ValueError, match="already holds a study named"):
        copy_study(from_study_name=names[1], from_storage=url, to_storage=archive)
    # the copy resumes: the same search on the archive fits nothing again
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resumed = BayesSearchCV(SVC(), {"C": Float(0.1, 10, log=True), "degree": Int(2, 4)},
                                n_iter=3, cv=2, storage=archive, random_state=0,
                                pruner="median").fit(X, y)
    assert resumed.n_fold_fits_ == 0
    np.testing.assert_array_equal(resumed.cv_results_["mean_test_score"],
                                  plain.cv_results_["mean_test_score"])
    delete_study(study_name=names[0], storage=url)
    assert list(list_studies(url).name) == [names[1]]
    assert len(load_study(study_name=names[1], storage=url).trials) == 3
    with pytest.raises(KeyError, match="No study named"):
        delete_study(study_name=names[0], storage=url)


def test_a_study_of_an_older_release_keeps_its_name(tmp_path):
    X, y = load_iris(return_X_y=True)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    search = BayesSearchCV(SVC(), {"C": Float(0.1, 10, log=True)}, n_iter=2, cv=2,
                           storage=url, random_state=0).fit(X, y)
    fingerprint = search.study_.study_name.rsplit("-", 1)[1]
    full = joblib.hash((search.study_.system_attrs["sksearch:data_fingerprint"],
                        search.study_.system_attrs["sksearch:space_fingerprint"]))
    assert full.startswith(fingerprint)
    older = copy_study(from_study_name=search.study_.study_name, from_storage=url,
                       to_storage=url, to_study_name=f"SVC-{full[:16]}")
    delete_study(study_name=search.study_.study_name, storage=url)
    again = BayesSearchCV(SVC(), {"C": Float(0.1, 10, log=True)}, n_iter=2, cv=2,
                          storage=url, random_state=0).fit(X, y)
    assert again.study_.study_name == older.study_name and again.n_fold_fits_ == 0


# -- the command line --------------------------------------------------------------------
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "sksearch", *args], capture_output=True,
                          text=True, timeout=120)


def test_the_command_line_lists_and_shows_studies(tmp_path, capsys):
    url, branches, plain = _two_searches(tmp_path / "search.db")
    listing = _cli("studies", url)
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert lines[0].split()[:5] == ["name", "direction", "trials", "complete", "pruned"]
    row = next(line for line in lines if line.split()[0] == plain.study_.study_name).split()
    assert row[1:3] == ["maximize", "3"] and float(row[7]) == pytest.approx(
        plain.best_score_, abs=1e-4)
    # show: in this process (a second interpreter would pay scikit-learn's import again)
    from sksearch.__main__ import main

    assert main(["studies", url, "show", branches.study_.study_name]) == 0
    shown = capsys.readouterr()
    best = branches.study_.best_trial
    assert f"best trial: #{best.number}, value {best.value:.6g}" in shown.out
    label = type(branches.best_params_["clf"]).__name__
    assert f"  branch = '{label}'" in shown.out
    assert f"  clf = {branches.best_params_['clf']!r}" in shown.out
    table = shown.out.split("trials:\n", 1)[1].splitlines()
    assert table[0].split() == ["number", "state", "value", "steps", "branch", "clf", "clf__C"]
    assert len(table) == 1 + 5


def test_the_command_line_says_what_is_missing(tmp_path, capsys):
    # in this process (each subprocess pays scikit-learn's import)
    from sksearch.__main__ import main

    url, _, _ = _two_searches(tmp_path / "search.db")
    assert main(["studies", url, "show", "nope"]) == 1
    assert "No study named 'nope'" in capsys.readouterr().err
    assert main(["studies", str(tmp_path / "absent.db")]) == 1
    assert "no study file" in capsys.readouterr().err
    assert not (tmp_path / "absent.db").exists()
    assert main(["nosuch"]) == 2
    assert "unknown command 'nosuch'" in capsys.readouterr().err
    assert main(["--help"]) == 0 and "studies" in capsys.readouterr().out
