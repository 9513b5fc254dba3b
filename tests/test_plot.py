"""Every plot renders to PNG and shows what it should."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sksearch import Study, TrialState, plot  # noqa: E402
from sksearch.distributions import Categorical, Float, Int  # noqa: E402

SPACE = {"lr": Float(1e-4, 1.0, log=True), "depth": Int(1, 8), "kind": Categorical(["a", "b"])}


@pytest.fixture(scope="module")
def study():
    study = Study(direction="maximize", sampler="random", random_state=0)
    study.set_system_attr("sksearch:steps_are_folds", True)
    for number in range(24):
        trial = study.ask()
        p = {name: trial.suggest(name, dist) for name, dist in SPACE.items()}
        score = -((np.log10(p["lr"]) + 2) ** 2) - 0.1 * p["depth"] + (p["kind"] == "a")
        folds = [score + 0.01 * k for k in range(4)]
        pruned = number % 5 == 4
        for k, value in enumerate(folds[:1] if pruned else folds):
            trial.report(value, k)
        study.tell(trial, folds[0] if pruned else float(np.mean(folds)),
                   state=TrialState.PRUNED if pruned else TrialState.COMPLETE)
    return study


def save(ax, tmp_path, name):
    figure = np.ravel(ax)[0].figure
    path = tmp_path / f"{name}.png"
    figure.savefig(path)
    plt.close(figure)
    assert path.stat().st_size > 5000
    return path


def test_optimization_history(study, tmp_path):
    ax = plot.plot_optimization_history(study)
    complete, pruned = ax.collections[0], ax.collections[1]
    assert len(complete.get_offsets()) == 20 and len(pruned.get_offsets()) == 4
    best = ax.lines[0].get_ydata()
    assert np.all(np.diff(best) >= 0)  # best so far never gets worse when maximising
    assert ax.get_xlabel() == "trial" and ax.get_ylabel() == "objective value"
    save(ax, tmp_path, "history")


def test_param_importances(study, tmp_path):
    ax = plot.plot_param_importances(study)
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "lr"  # top bar: largest
    assert len(ax.patches) == 3
    save(ax, tmp_path, "importances")


def test_slice(study, tmp_path):
    axes = plot.plot_slice(study)
    assert [ax.get_xlabel() for ax in axes] == ["depth", "kind", "lr"]
    assert axes[2].get_xscale() == "log"
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["a", "b"]
    assert all(len(ax.collections[0].get_offsets()) == 20 for ax in axes)
    save(axes, tmp_path, "slice")
    assert len(plot.plot_slice(study, params=["lr"])) == 1
    with pytest.raises(ValueError, match="Unknown parameters"):
        plot.plot_slice(study, params=["nope"])


def test_parallel_coordinates(study, tmp_path):
    ax = plot.plot_parallel_coordinates(study)
    assert len(ax.lines) == 20
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["depth", "kind", "lr", "objective value"]
    for line in ax.lines:
        assert np.all((line.get_ydata() >= 0) & (line.get_ydata() <= 1))
    save(ax, tmp_path, "parallel")


def test_contour(study, tmp_path):
    ax = plot.plot_contour(study, "lr", "depth")
    assert ax.get_xscale() == "log"
    assert len(ax.collections[-1].get_offsets()) == 20
    assert ax.get_title() == "depth vs lr"
    save(ax, tmp_path, "contour")


def test_intermediate_values(study, tmp_path):
    ax = plot.plot_intermediate_values(study)
    pruned_crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(pruned_crosses) == 4
    assert ax.get_xlabel() == "fold"
    assert "pruned" in ax.get_title()
    save(ax, tmp_path, "intermediate")


def test_on_a_fitted_search_and_given_ax(tmp_path):
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sksearch import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(LogisticRegression(max_iter=300), {"C": Float(1e-3, 10, log=True)},
                           n_iter=5, cv=3, random_state=0).fit(X, y)
    _, ax = plt.subplots()
    assert plot.plot_optimization_history(search, ax=ax) is ax
    assert ax.get_ylabel() == "mean CV score"
    save(ax, tmp_path, "search")


def test_intermediate_values_of_folds_cut_into_increments(tmp_path):
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import RandomForestClassifier

    from sksearch import BayesSearchCV

    X, y = load_breast_cancer(return_X_y=True)
    search = BayesSearchCV(RandomForestClassifier(n_estimators=6, random_state=0),
                           {"max_depth": [1, 2, 4, 8]}, sampler="grid", n_iter=None, cv=3,
                           increments={"n_estimators": 3}, pruner="halving").fit(X, y)
    ax = plot.plot_intermediate_values(search)
    assert ax.get_xlabel() == "increment (3 per fold)"
    # a tick at the last increment of each fold: steps 2, 5, 8
    assert list(ax.get_xticks()) == [2, 5, 8]
    save(ax, tmp_path, "increments")
