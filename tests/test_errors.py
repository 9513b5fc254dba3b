"""Errors that help (issue #30 item 4): a misspelled parameter or scorer
name is answered with the close matches, the list of valid names printed
once, and by the search (naming its own parameter), before any fit."""

import pytest
from sklearn.datasets import load_iris
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from sksearch import BayesSearchCV, GridSearchCV, RandomizedSearchCV

X, Y = load_iris(return_X_y=True)


class _CountingSVC(SVC):
    fits = 0

    def fit(self, X, y, **kwargs):
        type(self).fits += 1
        return super().fit(X, y, **kwargs)


def _search(cls, estimator, space, **kwargs):
    if cls is BayesSearchCV or cls is RandomizedSearchCV:
        return cls(estimator, space, n_iter=2, cv=2, **kwargs)
    return cls(estimator, space, cv=2, **kwargs)


@pytest.mark.parametrize("cls", [BayesSearchCV, GridSearchCV, RandomizedSearchCV])
def test_a_misspelled_parameter_suggests_the_close_name_and_lists_once(cls):
    with pytest.raises(ValueError) as info:
        _search(cls, SVC(), {"gama": [0.1, 1.0]}).fit(X, Y)
    message = str(info.value)
    assert "Invalid parameter 'gama'" in message
    assert "Did you mean 'gamma'?" in message
    assert message.count("Valid parameters are") == 1
    assert message.count("'break_ties'") == 1  # the list of names, once


def test_a_misspelled_nested_parameter_suggests_the_nested_name():
    with pytest.raises(ValueError) as info:
        GridSearchCV(Pipeline([("clf", SVC())]), {"clf__gama": [0.1]}, cv=2).fit(X, Y)
    message = str(info.value)
    assert "Did you mean 'clf__gamma'?" in message
    assert message.count("Valid parameters are") == 1


def test_a_name_with_no_close_match_suggests_nothing():
    with pytest.raises(ValueError) as info:
        GridSearchCV(SVC(), {"zzzzzz": [0.1]}, cv=2).fit(X, Y)
    assert "Did you mean" not in str(info.value)


@pytest.mark.parametrize("scoring", ["acuracy", ["acuracy"], {"a": "acuracy"}],
                         ids=["str", "list", "dict"])
@pytest.mark.parametrize("cls", [BayesSearchCV, GridSearchCV, RandomizedSearchCV])
def test_a_misspelled_scorer_is_reported_by_the_search(cls, scoring):
    _CountingSVC.fits = 0
    refit = "a" if isinstance(scoring, dict) else (
        "acuracy" if isinstance(scoring, list) else True)
    search = _search(cls, _CountingSVC(), {"C": [0.1, 1.0]}, scoring=scoring, refit=refit)
    with pytest.raises(ValueError) as info:
        search.fit(X, Y)
    message = str(info.value)
    assert message.startswith(f"The 'scoring' parameter of {cls.__name__} got 'acuracy'")
    assert "check_scoring" not in message
    assert "Did you mean 'accuracy'" in message
    assert message.count("'neg_log_loss'") == 1  # the scorer names, once
    assert isinstance(info.value, TypeError)  # catchable as scikit-learn's is
    assert _CountingSVC.fits == 0


def test_known_scorer_names_still_pass():
    search = GridSearchCV(SVC(), {"C": [0.1, 1.0]}, cv=2,
                          scoring=["accuracy", "f1_macro"], refit="accuracy").fit(X, Y)
    assert set(search.scorer_) == {"accuracy", "f1_macro"}
