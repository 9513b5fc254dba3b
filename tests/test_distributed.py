"""The search's fits run on a dask.distributed cluster through joblib."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from sksearch import BayesSearchCV
from sksearch.distributions import Float

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def test_search_runs_on_dask_workers(client):
    X, y = load_iris(return_X_y=True)
    space = {"C": Float(0.01, 10, log=True)}
    make = lambda: BayesSearchCV(LogisticRegression(max_iter=300), space, n_iter=6,  # noqa: E731
                                 cv=3, n_jobs=2, sampler="random", random_state=0)
    with distributed.get_task_stream(client) as stream, \
            joblib.parallel_config(backend="dask"):
        search = make().fit(X, y)
    workers = {task["worker"] for task in stream.data}
    assert len(stream.data) >= 1
    assert workers <= set(client.scheduler_info()["workers"])
    local = make().fit(X, y)
    assert search.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    assert search.best_score_ > 0.9


@pytest.mark.parametrize("sampler,pruner", [("tpe", "halving"), ("tpe", None)])
def test_dask_gives_what_threads_and_loky_give(client, sampler, pruner):
    # every decision is a function of trial order, so the backend cannot
    # change the results for a given n_jobs
    X, y = load_iris(return_X_y=True)
    space = {"C": Float(1e-3, 10, log=True)}

    def fit(backend):
        search = BayesSearchCV(LogisticRegression(max_iter=200), space, n_iter=10, cv=3,
                               n_jobs=2, sampler=sampler, pruner=pruner, random_state=0,
                               refit=False)
        with joblib.parallel_config(backend=backend):
            return search.fit(X, y).cv_results_

    results = {backend: fit(backend) for backend in ("dask", "threading", "loky")}
    for backend in ("threading", "loky"):
        assert results[backend]["params"] == results["dask"]["params"]
        assert list(results[backend]["status"]) == list(results["dask"]["status"])
        np.testing.assert_array_equal(results[backend]["mean_test_score"],
                                      results["dask"]["mean_test_score"])


def test_a_search_on_postgres_fits_on_dask_and_a_second_script_resumes_it(client,
                                                                          postgres_url):
    # docs/persistence.md's recipe: the study on the server, the fits on dask
    from sksearch import TrialState
    from sksearch.storage import PostgreSQLStorage

    X, y = load_iris(return_X_y=True)

    def search(n_iter):
        return BayesSearchCV(LogisticRegression(max_iter=200), {"C": Float(0.01, 10, log=True)},
                             n_iter=n_iter, cv=2, n_jobs=2, sampler="random", random_state=0,
                             refit=False, storage=postgres_url, study_name="team")

    with joblib.parallel_config(backend="dask"):
        first = search(4).fit(X, y)
        second = search(6).fit(X, y)  # another script: reuses the 4, runs 2 more
    assert second.n_fold_fits_ == 2 * 2
    assert second.cv_results_["params"][:4] == first.cv_results_["params"]
    storage = PostgreSQLStorage(postgres_url)
    trials = storage.get_all_trials(storage.get_study_id("team"))
    assert [t.number for t in trials] == list(range(6))
    assert all(t.state is TrialState.COMPLETE for t in trials)


def test_the_training_data_reaches_each_dask_worker_once(client):
    # before, the fold context travelled inside every task (joblib scatters
    # only large arguments of one call): 15 unpicklings of X per worker for
    # 36 fold fits; now it is scattered to every worker once
    import warnings

    import _counted

    X, y = load_iris(return_X_y=True)
    client.run(lambda: _counted._N.__setitem__(0, 0))
    search = BayesSearchCV(LogisticRegression(max_iter=200), {"C": Float(1e-2, 10, log=True)},
                           n_iter=12, cv=3, n_jobs=2, sampler="random", random_state=0,
                           refit=False)
    with joblib.parallel_config(backend="dask"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(_counted.Counted(X), y)
    assert search.n_fold_fits_ == 36
    # once per worker process, held there for the search: tasks carry only
    # the key, so dask's active memory manager has no replica to drop and
    # fetch again (with the future in every task: up to 3 here, 2-18 a worker
    # on long searches; before that, every call sent it: 15 per worker)
    rebuilt = client.run(_counted.n_rebuilt)
    assert max(rebuilt.values()) == 1
    # and released on every worker when the search closed
    held = client.run(lambda: len(__import__("sksearch._workers")._workers._HELD))
    assert set(held.values()) == {0}


def test_prefixes_and_grown_forests_on_dask_give_scikit_learns_scores(client):
    # each dask worker process keeps its own reuse cache (docs/reuse.md):
    # whatever it shares or grows, the scores are scikit-learn's
    import warnings

    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import GridSearchCV as SkGridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sksearch import GridSearchCV

    X, y = load_iris(return_X_y=True)
    estimator = make_pipeline(StandardScaler(), RandomForestClassifier(random_state=0))
    grid = {"randomforestclassifier__max_features": ["sqrt", 0.5],
            "randomforestclassifier__n_estimators": [5, 10, 20]}
    with joblib.parallel_config(backend="dask"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = GridSearchCV(estimator, grid, cv=3, n_jobs=2).fit(X, y)
    theirs = SkGridSearchCV(estimator, grid, cv=3).fit(X, y)
    for key in ["split0_test_score", "split1_test_score", "split2_test_score",
                "mean_test_score", "rank_test_score"]:
        np.testing.assert_array_equal(ours.cv_results_[key], theirs.cv_results_[key])
    assert ours.best_params_ == theirs.best_params_
