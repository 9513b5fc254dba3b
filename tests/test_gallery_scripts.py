"""Scripts in the style of scikit-learn's example gallery, run twice: as written
(scikit-learn's searches) and with ``from sksearch import ...`` swapped in for
the search classes, the one-line migration. Each script is small (shipped
datasets, a few candidates) and leaves its fitted search in ``search`` and
anything else worth comparing in ``extra``.

Grid searches must give identical ``cv_results_`` (times excepted) and
``best_*``; a randomized search draws other candidates, so it must give the
same keys and dtypes and a winner among its own candidates.
"""

import re
import textwrap
import types

import numpy as np
import pytest
from test_search_parity import assert_same_results

SCRIPTS = {}


def script(name):
    def register(text):
        SCRIPTS[name] = textwrap.dedent(text)
        return text
    return register


script("pipeline_pca_logistic")("""
    # Pipelining: chaining a PCA and a logistic regression (plot_digits_pipe)
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X_digits, y_digits = load_digits(return_X_y=True)
    X_digits, y_digits = X_digits[:300], y_digits[:300]
    pca = PCA()
    scaler = StandardScaler()
    logistic = LogisticRegression(max_iter=200, tol=0.1)
    pipe = Pipeline(steps=[("scaler", scaler), ("pca", pca), ("logistic", logistic)])
    param_grid = {
        "pca__n_components": [5, 15, 30],
        "logistic__C": [0.01, 1.0, 100.0],
    }
    search = GridSearchCV(pipe, param_grid, n_jobs=1, cv=3)
    search.fit(X_digits, y_digits)
    print("Best parameter (CV score=%0.3f):" % search.best_score_)
    print(search.best_params_)
    extra = {"n_components": search.best_estimator_.named_steps["pca"].n_components_}
""")

script("compare_reduction")("""
    # Selecting dimensionality reduction with Pipeline and GridSearchCV
    # (plot_compare_reduction): a grid over two estimators, a list of dicts
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.feature_selection import SelectKBest, chi2
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_digits(return_X_y=True)
    X, y = X[:240], y[:240]
    pipe = Pipeline([
        ("scaling", MinMaxScaler()),
        ("reduce_dim", "passthrough"),
        ("classify", LogisticRegression(max_iter=300)),
    ])
    N_FEATURES_OPTIONS = [4, 16]
    C_OPTIONS = [1, 100]
    param_grid = [
        {
            "reduce_dim": [PCA(iterated_power=7)],
            "reduce_dim__n_components": N_FEATURES_OPTIONS,
            "classify__C": C_OPTIONS,
        },
        {
            "reduce_dim": [SelectKBest(chi2)],
            "reduce_dim__k": N_FEATURES_OPTIONS,
            "classify__C": C_OPTIONS,
        },
    ]
    reducer_labels = ["PCA", "KBest(chi2)"]
    search = GridSearchCV(pipe, n_jobs=1, param_grid=param_grid, cv=3)
    search.fit(X, y)
    mean_scores = np.array(search.cv_results_["mean_test_score"])
    mean_scores = mean_scores.reshape(len(C_OPTIONS), -1, len(N_FEATURES_OPTIONS))
    extra = {"best_per_reducer": mean_scores.max(axis=0).tolist()}
""")

script("multi_metric_refit")("""
    # Demonstration of multi-metric evaluation (plot_multi_metric_evaluation)
    from sklearn.datasets import make_hastie_10_2
    from sklearn.metrics import accuracy_score, make_scorer
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    X, y = make_hastie_10_2(n_samples=400, random_state=42)
    scoring = {"AUC": "roc_auc", "Accuracy": make_scorer(accuracy_score)}
    search = GridSearchCV(
        DecisionTreeClassifier(random_state=42),
        param_grid={"min_samples_split": range(2, 203, 50)},
        scoring=scoring,
        refit="AUC",
        n_jobs=1,
        return_train_score=True,
    )
    search.fit(X, y)
    results = search.cv_results_
    extra = {"best_accuracy": results["mean_test_Accuracy"][search.best_index_]}
""")

script("nested_cv")("""
    # Nested versus non-nested cross-validation (plot_nested_cross_validation_iris)
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
    from sklearn.svm import SVC

    NUM_TRIALS = 2
    iris = load_iris()
    X_iris = iris.data
    y_iris = iris.target
    p_grid = {"C": [1, 100], "gamma": [0.01, 0.1]}
    svm = SVC(kernel="rbf")
    non_nested_scores = np.zeros(NUM_TRIALS)
    nested_scores = np.zeros(NUM_TRIALS)
    for i in range(NUM_TRIALS):
        inner_cv = KFold(n_splits=4, shuffle=True, random_state=i)
        outer_cv = KFold(n_splits=4, shuffle=True, random_state=i)
        clf = GridSearchCV(estimator=svm, param_grid=p_grid, cv=inner_cv)
        clf.fit(X_iris, y_iris)
        non_nested_scores[i] = clf.best_score_
        nested_score = cross_val_score(clf, X=X_iris, y=y_iris, cv=outer_cv)
        nested_scores[i] = nested_score.mean()
    search = clf
    extra = {"nested": nested_scores.tolist(), "non_nested": non_nested_scores.tolist()}
""")

script("kernel_ridge_vs_svr")("""
    # Comparison of kernel ridge regression and SVR (plot_kernel_ridge_regression)
    from sklearn.kernel_ridge import KernelRidge
    from sklearn.model_selection import GridSearchCV
    from sklearn.svm import SVR

    rng = np.random.RandomState(42)
    X = 5 * rng.rand(120, 1)
    y = np.sin(X).ravel()
    y[::5] += 3 * (0.5 - rng.rand(X.shape[0] // 5))
    train_size = 80
    svr = GridSearchCV(
        SVR(kernel="rbf", gamma=0.1),
        param_grid={"C": [1e0, 1e1, 1e2], "gamma": np.logspace(-2, 2, 5)},
    )
    kr = GridSearchCV(
        KernelRidge(kernel="rbf", gamma=0.1),
        param_grid={"alpha": [1e0, 0.1, 1e-2], "gamma": np.logspace(-2, 2, 5)},
    )
    svr.fit(X[:train_size], y[:train_size])
    kr.fit(X[:train_size], y[:train_size])
    X_plot = np.linspace(0, 5, 50)[:, None]
    search = kr
    extra = {"svr_best": svr.best_params_, "svr_score": svr.best_score_,
             "kr_predict": kr.predict(X_plot).round(12).tolist(),
             "svr_support": int(svr.best_estimator_.support_.shape[0])}
""")

script("refit_callable")("""
    # Balance model complexity and cross-validated score
    # (plot_grid_search_refit_callable): refit with a callable
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    def lower_bound(cv_results):
        best_score_idx = np.argmax(cv_results["mean_test_score"])
        return (cv_results["mean_test_score"][best_score_idx]
                - cv_results["std_test_score"][best_score_idx])

    def best_low_complexity(cv_results):
        threshold = lower_bound(cv_results)
        candidate_idx = np.flatnonzero(cv_results["mean_test_score"] >= threshold)
        best_idx = candidate_idx[
            cv_results["param_reduce_dim__n_components"][candidate_idx].argmin()]
        return best_idx

    pipe = Pipeline([
        ("reduce_dim", PCA(random_state=42)),
        ("classify", LinearSVC(random_state=42, C=0.01)),
    ])
    param_grid = {"reduce_dim__n_components": [6, 8, 10, 12, 14]}
    search = GridSearchCV(pipe, cv=3, n_jobs=1, param_grid=param_grid,
                          scoring="accuracy", refit=best_low_complexity)
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    search.fit(X, y)
    extra = {"best_index": int(search.best_index_)}
""")

script("randomized_scipy")("""
    # Comparing randomized search and grid search (plot_randomized_search):
    # the randomized half, with scipy.stats distributions
    from scipy.stats import loguniform, uniform
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import RandomizedSearchCV

    X, y = load_digits(return_X_y=True, n_class=3)
    clf = SGDClassifier(loss="hinge", penalty="elasticnet", fit_intercept=True,
                        random_state=0, max_iter=50, tol=1e-3)
    param_dist = {
        "average": [True, False],
        "l1_ratio": uniform(0, 1),
        "alpha": loguniform(1e-2, 1e0),
    }
    n_iter_search = 6
    search = RandomizedSearchCV(clf, param_distributions=param_dist,
                                n_iter=n_iter_search, random_state=0, cv=3)
    search.fit(X, y)
    extra = {"n_candidates": len(search.cv_results_["params"])}
""")

_SWAP = re.compile(
    r"^from sklearn\.model_selection import (.*)$", flags=re.M)


def swap_imports(text):
    """The one-line migration: the search classes come from sksearch."""
    def swap(match):
        names = [n.strip() for n in match.group(1).split(",")]
        ours = [n for n in names if n in ("GridSearchCV", "RandomizedSearchCV")]
        rest = [n for n in names if n not in ours]
        lines = [f"from sksearch import {', '.join(ours)}"] if ours else []
        if rest:
            lines.append(f"from sklearn.model_selection import {', '.join(rest)}")
        return "\n".join(lines)
    swapped = _SWAP.sub(swap, text)
    assert swapped != text
    return swapped


def run(text):
    namespace = {"np": np}
    exec(compile(text, "<gallery script>", "exec"), namespace)
    return namespace["search"], namespace["extra"]


def comparable(search):
    """The search's results with estimator-valued parameters as their repr:
    the two runs of a script build equal but distinct estimator objects."""
    attrs = ("best_index_", "best_score_", "best_params_", "multimetric_", "n_splits_")
    view = types.SimpleNamespace(**{a: getattr(search, a) for a in attrs
                                    if hasattr(search, a)})
    view.cv_results_ = {**search.cv_results_,
                        "params": [repr(p) for p in search.cv_results_["params"]]}
    return view


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_gallery_script_with_sksearch_swapped_in(name, capsys):
    text = SCRIPTS[name]
    theirs, their_extra = run(text)
    ours, our_extra = run(swap_imports(text))
    capsys.readouterr()
    assert type(ours).__module__ == "sksearch.search"
    assert type(theirs).__module__.startswith("sklearn.")
    assert [k for k in ours.cv_results_ if k != "status"] == list(theirs.cv_results_)
    if type(theirs).__name__ == "GridSearchCV":
        assert_same_results(comparable(ours), comparable(theirs))
        assert repr(ours.best_params_) == repr(theirs.best_params_)
        assert our_extra == their_extra
        return
    for key, value in theirs.cv_results_.items():
        assert np.asarray(ours.cv_results_[key]).dtype == np.asarray(value).dtype, key
    assert ours.best_params_ in ours.cv_results_["params"]
    assert ours.best_params_.keys() == theirs.best_params_.keys()
    assert our_extra == their_extra


def test_swap_keeps_other_model_selection_imports():
    swapped = swap_imports("from sklearn.model_selection import GridSearchCV, KFold\n")
    assert swapped == ("from sksearch import GridSearchCV\n"
                       "from sklearn.model_selection import KFold\n")
