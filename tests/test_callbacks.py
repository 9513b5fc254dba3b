"""EarlyStopping with Study.optimize and BayesSearchCV."""

import pytest
from sklearn.datasets import load_iris
from sklearn.dummy import DummyClassifier

from sksearch import BayesSearchCV, Study
from sksearch.callbacks import EarlyStopping


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_stops_after_patience_without_improvement(direction):
    values = iter([1.0, 2.0, 2.0, 1.5, 5.0, 5.0, 5.0, 5.0, 9.0])
    sign = 1 if direction == "maximize" else -1
    study = Study(direction=direction)
    study.optimize(lambda t: sign * next(values), n_trials=9,
                   callbacks=[EarlyStopping(patience=3)])
    # improvements at trials 0, 1 and 4; trials 5-7 do not improve: stop after 7
    assert len(study.trials) == 8


def test_min_delta_and_failures_count_as_no_improvement():
    values = iter([1.0, 1.05, 1.08, None, 2.0])
    study = Study(direction="maximize")
    with pytest.warns(UserWarning):
        study.optimize(lambda t: next(values), n_trials=5,
                       callbacks=[EarlyStopping(patience=3, min_delta=0.1)])
    assert len(study.trials) == 4


def test_with_bayes_search_cv():
    X, y = load_iris(return_X_y=True)
    # every candidate scores the same: the first sets the best, two more do not
    # improve on it, and the search stops there
    search = BayesSearchCV(DummyClassifier(), {"constant": [0, 1, 2, 3, 4, 5]}, n_iter=None,
                           sampler="grid", cv=3,
                           callbacks=[EarlyStopping(patience=2)]).fit(X, y)
    assert len(search.cv_results_["params"]) == 3


@pytest.mark.parametrize("kwargs, match", [(dict(patience=0), "patience"),
                                           (dict(patience=2, min_delta=-1), "min_delta")])
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EarlyStopping(**kwargs)


def test_early_stopping_refuses_a_study_of_several_objectives():
    study = Study(directions=["minimize", "minimize"], sampler="random", random_state=0)
    with pytest.raises(ValueError, match="EarlyStopping watches one objective.*has 2"):
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2,
                       callbacks=[EarlyStopping(patience=2)])
