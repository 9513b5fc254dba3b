"""Fold-level pruning inside BayesSearchCV."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from sksearch import BayesSearchCV
from sksearch.distributions import Float
from sksearch.pruners import BoundPruner, MedianPruner, NopPruner

X_digits, y_digits = load_digits(return_X_y=True)
X_digits, y_digits = X_digits[::3], y_digits[::3]
X_bc, y_bc = load_breast_cancer(return_X_y=True)


@pytest.mark.parametrize("estimator, grid, X, y, scoring, cv, saves", [
    (SVC(), {"C": [0.1, 1, 10], "gamma": [1e-4, 1e-3, 1e-2, 0.1]}, X_digits, y_digits,
     None, 5, True),
    (make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
     {"logisticregression__C": [1e-4, 1e-3, 1e-2, 0.1, 1, 10]}, X_bc, y_bc, "roc_auc", 10, True),
    (DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3, 5, 8, None],
                                              "min_samples_leaf": [1, 10]},
     X_bc, y_bc, "balanced_accuracy", 5, False),  # no candidate is bad enough
    (Ridge(), {"alpha": [1e-3, 0.1, 10, 1000, 1e5]}, *load_diabetes(return_X_y=True),
     "neg_mean_squared_error", KFold(5, shuffle=True, random_state=0), True),
])
def test_bound_pruner_keeps_gridsearchcv_winner_with_fewer_fits(estimator, grid, X, y,
                                                                 scoring, cv, saves):
    theirs = GridSearchCV(estimator, grid, scoring=scoring, cv=cv).fit(X, y)
    ours = BayesSearchCV(estimator, grid, sampler="grid", n_iter=None, pruner="bound",
                         scoring=scoring, cv=cv).fit(X, y)
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_
    assert ours.best_index_ == theirs.best_index_
    n_candidates = len(theirs.cv_results_["params"])
    assert ours.n_fold_fits_ == n_candidates * ours.n_splits_ - sum(
        np.isnan(ours.cv_results_[f"split{k}_test_score"]).sum() for k in range(ours.n_splits_))
    assert (ours.n_pruned_ > 0) is saves
    complete = ours.cv_results_["status"] == "complete"
    np.testing.assert_array_equal(ours.cv_results_["mean_test_score"][complete],
                                  theirs.cv_results_["mean_test_score"][complete])


def test_pruned_rows_in_cv_results():
    search = BayesSearchCV(SVC(), {"C": [1, 10], "gamma": [1e-3, 1.0, 10.0]}, sampler="grid",
                           n_iter=None, pruner="bound", cv=5).fit(X_digits, y_digits)
    results = search.cv_results_
    pruned = results["status"] == "pruned"
    assert pruned.any() and (~pruned).any()
    splits = np.column_stack([results[f"split{k}_test_score"] for k in range(5)])
    ran = ~np.isnan(splits)
    assert np.all(ran[~pruned])
    assert np.all(ran[pruned].sum(axis=1) < 5) and np.all(ran[pruned][:, 0])
    np.testing.assert_allclose(results["mean_test_score"][pruned],
                               [row[mask].mean() for row, mask in
                                zip(splits[pruned], ran[pruned])])
    # every pruned candidate ranks after every complete one, and is never best
    assert results["rank_test_score"][pruned].min() > results["rank_test_score"][~pruned].max()
    assert results["status"][search.best_index_] == "complete"
    assert search.n_fold_fits_ == ran.sum()
    frame = search.trials_dataframe()
    assert set(frame["state"]) == {"COMPLETE", "PRUNED"}


def test_pruner_that_never_prunes_equals_unpruned_run():
    space = {"C": Float(1e-3, 10, log=True)}
    common = dict(n_iter=8, cv=4, random_state=0, sampler="random")
    plain = BayesSearchCV(LogisticRegression(max_iter=300), space, **common).fit(X_bc, y_bc)
    nop = BayesSearchCV(LogisticRegression(max_iter=300), space, pruner=NopPruner(),
                        **common).fit(X_bc, y_bc)
    # a real pruner (fold-by-fold rounds) whose bound can never trigger
    rounds = BayesSearchCV(LogisticRegression(max_iter=300), space,
                           pruner=BoundPruner(bound=1e9), **common).fit(X_bc, y_bc)
    for other in (nop, rounds):
        assert other.cv_results_["params"] == plain.cv_results_["params"]
        for key in plain.cv_results_:
            if "time" in key or key == "params" or key.startswith("param_"):
                continue
            np.testing.assert_array_equal(other.cv_results_[key], plain.cv_results_[key])


def test_parallel_pruning_is_reproducible():
    space = {"C": Float(1e-4, 10, log=True), "tol": Float(1e-5, 1e-2, log=True)}

    def run():
        return BayesSearchCV(LogisticRegression(max_iter=200), space, n_iter=10, cv=5,
                             n_jobs=2, pruner=MedianPruner(n_startup_trials=2),
                             random_state=0).fit(X_bc, y_bc)

    a, b = run(), run()
    assert a.cv_results_["params"] == b.cv_results_["params"]
    np.testing.assert_array_equal(a.cv_results_["status"], b.cv_results_["status"])
    assert (a.cv_results_["status"] == "pruned").any()


def test_wilcoxon_shuffles_fold_order_per_candidate_and_reproducibly():
    space = {"C": Float(1e-4, 10, log=True)}

    def run():
        return BayesSearchCV(LogisticRegression(max_iter=200), space, n_iter=6, cv=6,
                             pruner="wilcoxon", sampler="random", random_state=3).fit(X_bc, y_bc)

    search = run()
    orders = [list(t.intermediate_values) for t in search.study_.trials]
    assert any(order != sorted(order) for order in orders)
    assert orders == [list(t.intermediate_values) for t in run().study_.trials]


def test_multimetric_prunes_on_refit_metric_and_needs_a_name():
    search = BayesSearchCV(SVC(), {"C": [1, 10], "gamma": [1e-3, 10.0]}, sampler="grid",
                           n_iter=None, pruner="bound", scoring=["accuracy", "f1_macro"],
                           refit="f1_macro", cv=5).fit(X_digits, y_digits)
    trial = search.study_.trials[-1]
    assert trial.intermediate_values[0] == search.cv_results_["split0_test_f1_macro"][-1]
    with pytest.raises(ValueError, match="refit must name the metric"):
        BayesSearchCV(SVC(), {"C": [1]}, pruner="median", scoring=["accuracy", "f1_macro"],
                      refit=lambda r: 0, n_iter=1).fit(X_digits, y_digits)


def test_bound_pruner_with_custom_scorer_needs_bound_before_any_fit():
    with pytest.raises(ValueError, match="no known bound"):
        BayesSearchCV(SVC(), {"C": [1, 2]}, pruner="bound", n_iter=2,
                      scoring=lambda est, X, y: 0.5).fit(X_digits, y_digits)


@pytest.mark.parametrize("pruner", ["median", "halving", "hyperband", "wilcoxon"])
def test_repeats_of_the_winner_are_pruned_and_the_winner_kept(pruner):
    # a full tree on breast cancer is far shallower than 30: the three
    # candidates are one model, scored identically fold for fold
    grid = {"max_depth": [None, 30, 60]}
    tree = DecisionTreeClassifier(random_state=0)
    theirs = GridSearchCV(tree, grid, cv=5).fit(X_bc, y_bc)
    ours = BayesSearchCV(tree, grid, sampler="grid", n_iter=None, pruner=pruner,
                         cv=5).fit(X_bc, y_bc)
    assert len(set(theirs.cv_results_["mean_test_score"])) == 1
    assert ours.best_params_ == theirs.best_params_ == {"max_depth": None}
    assert ours.best_score_ == theirs.best_score_
    assert list(ours.cv_results_["status"]) == ["complete", "pruned", "pruned"]
    assert ours.n_fold_fits_ == 5 + 3 + 3  # repeats stop after repeat_steps=3 folds


def test_repeat_steps_none_scores_repeats_in_full():
    from sksearch.pruners import SuccessiveHalvingPruner

    ours = BayesSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [None, 30, 60]},
                         sampler="grid", n_iter=None, cv=5,
                         pruner=SuccessiveHalvingPruner(repeat_steps=None)).fit(X_bc, y_bc)
    assert ours.n_fold_fits_ == 15 and ours.n_pruned_ == 0
