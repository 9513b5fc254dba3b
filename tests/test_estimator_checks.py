"""scikit-learn's common estimator checks, run on the configurations scikit-learn's
own test suite uses for GridSearchCV and RandomizedSearchCV, and on searches that
fit folds in increments."""

from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge, SGDRegressor
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksearch import BayesSearchCV, GridSearchCV, RandomizedSearchCV
from sksearch.distributions import Float

# The same expected failures scikit-learn records for GridSearchCV and
# RandomizedSearchCV (sklearn/utils/_test_common/instance_generator.py): a search
# does not re-emit its sub-estimator's DataConversionWarning, and with y=None it
# fails inside the sub-estimator rather than with the check's expected message.
EXPECTED_FAILED_CHECKS = {
    "check_supervised_y_2d": "DataConversionWarning not caught (as for GridSearchCV)",
    "check_requires_y_none": "Doesn't fail gracefully (as for GridSearchCV)",
}


def _searches():
    common = dict(cv=2, error_score="raise", n_iter=2, random_state=0)
    yield BayesSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, sampler="grid", **common)
    yield BayesSearchCV(LogisticRegression(), {"C": Float(0.1, 1.0)}, **common)
    yield BayesSearchCV(Pipeline([("pca", PCA()), ("ridge", Ridge())]),
                        {"ridge__alpha": Float(0.1, 1.0, log=True)}, sampler="random",
                        **common)
    yield BayesSearchCV(
        Pipeline([("pca", PCA()), ("logisticregression", LogisticRegression())]),
        {"logisticregression__C": [0.1, 1.0]}, sampler="tpe", **common)
    # folds fitted in increments, pruned inside folds
    yield BayesSearchCV(RandomForestRegressor(n_estimators=4, random_state=0),
                        {"max_depth": [2, 4]}, pruner="median",
                        increments={"n_estimators": 2}, **common)
    yield BayesSearchCV(SGDRegressor(random_state=0), {"alpha": Float(1e-4, 1e-1, log=True)},
                        pruner="halving", increments={"partial_fit": 3}, **common)
    # the drop-in classes, on the configurations scikit-learn checks its own with
    # (sklearn/utils/_test_common/instance_generator.py)
    yield GridSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=2, error_score="raise")
    yield GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2, error_score="raise")
    yield GridSearchCV(Pipeline([("pca", PCA()), ("ridge", Ridge())]),
                       {"ridge__alpha": [0.1, 1.0]}, cv=2, error_score="raise",
                       pruner="bound")
    yield RandomizedSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, n_iter=2, cv=2,
                             error_score="raise", random_state=0)
    yield RandomizedSearchCV(
        Pipeline([("pca", PCA()), ("logisticregression", LogisticRegression())]),
        {"logisticregression__C": Float(0.1, 1.0)}, n_iter=2, cv=2, error_score="raise",
        random_state=0)


@parametrize_with_checks(list(_searches()),
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
