"""Every plot renders for a plain, a conditional, a pruned and an increments
search and a Study, and shows what it should: labelled axes, tick labels with
the values and names, colour bars, one bar per fold task."""

import math
import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
matplotlib.rcParams["figure.dpi"] = 50  # drawing is most of these tests' time
import joblib  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

from sksearch import BayesSearchCV, Study, TrialState, plot  # noqa: E402
from sksearch._records import FOLDS_ATTR, records_from_json  # noqa: E402
from sksearch.distributions import Categorical, Float, Int  # noqa: E402
from sksearch.plot._source import log_ticks  # noqa: E402
from sksearch.trial import FrozenTrial  # noqa: E402

SPACE = {"lr": Float(1e-4, 1.0, log=True), "depth": Int(1, 8), "kind": Categorical(["a", "b"])}
X, Y = load_iris(return_X_y=True)


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


@pytest.fixture(scope="module")
def plain():
    # C spans under two decades: the log axis whose tick labels used to overlap
    return BayesSearchCV(LogisticRegression(max_iter=300),
                         {"C": Float(0.05, 2.0, log=True), "fit_intercept": [True, False]},
                         n_iter=8, cv=3, random_state=0).fit(X, Y)


@pytest.fixture(scope="module")
def conditional():
    space = [{"clf": [SVC()], "clf__C": Float(1e-2, 1e2, log=True)},
             {"clf": [LogisticRegression(max_iter=300)], "clf__C": Float(1e-3, 1e1, log=True),
              "clf__tol": Float(1e-4, 1e-2, log=True)}]
    # two threads: the timeline has two workers' rows
    with joblib.parallel_config(backend="threading", n_jobs=2):
        return BayesSearchCV(Pipeline([("clf", SVC())]), space, n_iter=10, cv=3,
                             random_state=0, n_jobs=2).fit(X, Y)


@pytest.fixture(scope="module")
def pruned():
    return BayesSearchCV(LogisticRegression(max_iter=300), {"C": Float(1e-4, 1e2, log=True)},
                         n_iter=10, cv=4, pruner="halving", random_state=0).fit(X, Y)


@pytest.fixture(scope="module")
def increments():
    return BayesSearchCV(RandomForestClassifier(n_estimators=6, random_state=0),
                         {"max_depth": [1, 2, 4, 8]}, sampler="grid", n_iter=None, cv=3,
                         increments={"n_estimators": 3}, pruner="halving").fit(X, Y)


KINDS = ["study", "plain", "conditional", "pruned", "increments"]
# a contour per kind: a surface, a categorical axis, a surface over a branch's
# parameters, one parameter twice (a line), a categorical grid
CONTOUR = {"study": ("lr", "depth"), "plain": ("C", "fit_intercept"),
           "conditional": ("clf__C", "clf__tol"), "pruned": ("C", "C"),
           "increments": ("max_depth", "max_depth")}


def save(result, tmp_path, name):
    figure = np.ravel(result)[0].figure
    path = tmp_path / f"{name}.png"
    figure.savefig(path)
    plt.close(figure)
    assert path.stat().st_size > 2000
    return path


def render(result):
    """Draw the figure (what saving does, without the file) and close it."""
    figure = np.ravel(result)[0].figure
    figure.canvas.draw()
    plt.close(figure)


def texts(ax):
    return [t.get_text() for t in ax.texts]


def ticklabels(ax, which="x"):
    labels = ax.get_xticklabels() if which == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels]


def colorbar_labels(figure):
    return [a.get_ylabel() for a in figure.axes if a.get_label() == "<colorbar>"]


def trial_lines(ax):
    """The parallel coordinates' lines, one per trial."""
    from matplotlib.collections import LineCollection

    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)
                and c.get_array() is not None]
    return lines.get_segments()


def n_complete(obj):
    study = getattr(obj, "study_", obj)
    return len([t for t in study.get_trials((TrialState.COMPLETE,)) if math.isfinite(t.value)])


def all_spans(search):
    spans = []
    for trial in search.study_.trials:
        for record in records_from_json(trial.system_attrs[FOLDS_ATTR], trial.number):
            if record is not None:
                spans.extend((trial.state, *span) for span in record.spans)
    return spans


@pytest.mark.parametrize("kind", KINDS)
def test_every_plot_renders_labelled(kind, request, tmp_path):
    obj = request.getfixturevalue(kind)
    value = "objective value" if kind == "study" else "mean CV score"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # one-parameter contours fall back
        results = {
            "history": plot.plot_optimization_history(obj),
            "importances": plot.plot_param_importances(obj),
            "slice": plot.plot_slice(obj),
            "rank": plot.plot_rank(obj),
            "parallel": plot.plot_parallel_coordinates(obj),
            "intermediate": plot.plot_intermediate_values(obj),
            "timeline": plot.plot_timeline(obj),
            "edf": plot.plot_edf(obj),
            "contour": plot.plot_contour(obj, *CONTOUR[kind]),
        }
    assert results["history"].get_ylabel() == value
    assert results["importances"].get_xlabel() == "importance (fanova)"
    for name in ("slice", "rank"):
        axes = results[name]
        assert all(ax.get_xlabel() for ax in axes) and all(ax.get_ylabel() for ax in axes)
        assert colorbar_labels(axes[0].figure) == ["trial" if name == "slice" else value]
    parallel = results["parallel"]
    assert len(trial_lines(parallel)) == n_complete(obj)
    assert ticklabels(parallel)[-1] == value
    assert colorbar_labels(parallel.figure) == [value]
    assert results["timeline"].get_xlabel().startswith("wall time")
    assert results["edf"].get_xlabel() == value
    contour = results["contour"]
    assert contour.get_xlabel() == CONTOUR[kind][0] and contour.get_ylabel() == CONTOUR[kind][1]
    assert colorbar_labels(contour.figure) == [value]
    for result in results.values():
        render(result)


def test_parallel_coordinates_write_values_on_each_axis(study, tmp_path):
    ax = plot.plot_parallel_coordinates(study)
    assert ticklabels(ax) == ["depth", "kind", "lr", "objective value"]
    written = texts(ax)
    assert "low" not in written and "high" not in written
    assert {"a", "b"} <= set(written)  # the categorical's choices
    lrs = [t.params["lr"] for t in study.get_trials((TrialState.COMPLETE,))]
    # lr spans over two decades: whole decades, within the trials' range
    assert min(lrs) < 1e-3 and max(lrs) > 1e-1
    decades = [float(text) for text in written if text.startswith("0.0") or text == "0.1"]
    assert decades and all(min(lrs) <= d <= max(lrs) for d in decades)
    assert all(math.log10(d) == round(math.log10(d)) for d in decades)
    values = [t.value for t in study.get_trials((TrialState.COMPLETE,))]
    depth_ticks = ["2", "4", "6", "8"]
    assert set(depth_ticks) <= set(written)
    # the value axis is labelled with values of the objective's range
    assert any(min(values) <= float(text) <= max(values) for text in written
               if text.lstrip("-").replace(".", "").isdigit() and "." in text)
    # the best trial's line, drawn last: top of the value axis, and on the lr
    # axis at its place by decades between the smallest and largest lr
    best = max(study.get_trials((TrialState.COMPLETE,)), key=lambda t: t.value)
    last = trial_lines(ax)[-1]
    expected = ((math.log10(best.params["lr"]) - math.log10(min(lrs)))
                / (math.log10(max(lrs)) - math.log10(min(lrs))))
    assert last[2, 1] == pytest.approx(expected) and last[3, 1] == pytest.approx(1.0)
    assert last[1, 1] == pytest.approx((["a", "b"].index(best.params["kind"]) + 0.5) / 2)
    save(ax, tmp_path, "parallel")


def test_conditional_space_shows_branch_names(conditional, tmp_path):
    axes = plot.plot_slice(conditional)
    assert [ax.get_xlabel() for ax in axes] == ["clf", "clf__C", "clf__tol"]
    assert ticklabels(axes[0]) == ["SVC", "LogisticRegression"]
    ax = plot.plot_parallel_coordinates(conditional)
    assert ticklabels(ax)[0] == "clf"
    assert {"SVC", "LogisticRegression", "(absent)"} <= set(texts(ax))  # SVC has no tol
    assert "__branch__" not in ticklabels(ax)
    importances = plot.plot_param_importances(conditional)
    assert "clf" in ticklabels(importances, "y")
    assert "__branch__" not in ticklabels(importances, "y")
    # clf__C of both branches on one axis: every complete trial is drawn
    assert len(trial_lines(ax)) == n_complete(conditional)
    save(ax, tmp_path, "conditional")
    # the search's study read as a Study shows the names the search stored
    axes = plot.plot_slice(conditional.study_)
    assert ticklabels(axes[0]) == ["SVC", "LogisticRegression"]


def test_log_axis_under_two_decades_does_not_crowd(plain):
    axes = plot.plot_slice(plain)
    ax = next(a for a in axes if a.get_xlabel() == "C")
    assert ax.get_xscale() == "log"
    figure = ax.figure
    figure.canvas.draw()
    minor = [t.get_text() for t in ax.get_xticklabels(minor=True)]
    assert all(text == "" for text in minor)
    low, high = ax.get_xlim()
    shown = [t for t, x in zip(ax.get_xticklabels(), ax.get_xticks()) if low <= x <= high]
    assert len(shown) >= 2 and all(float(t.get_text()) > 0 for t in shown)
    boxes = [t.get_window_extent() for t in shown]
    for a, b in zip(boxes, boxes[1:]):
        assert not a.overlaps(b)
    plt.close(figure)


def test_log_ticks_by_hand():
    assert log_ticks(1e-4, 1.0) == [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    assert log_ticks(1e-9, 1.0) == [1e-9, 1e-7, 1e-5, 1e-3, 1e-1]  # thinned to <= 6
    assert log_ticks(0.05, 2.0) == [0.1, 0.3, 1.0]
    assert log_ticks(0.12, 0.9) == [0.2, 0.5]  # 1/3 gives one tick, 1..9 gives 8
    assert log_ticks(3.0, 3.0) == [3.0]


def test_linear_ticks_by_hand():
    from sksearch.plot._source import linear_ticks

    assert linear_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert linear_ticks(0.9598, 0.9601) == [0.9598, 0.9599, 0.96, 0.9601]
    assert linear_ticks(1, 8, integer=True) == [2.0, 4.0, 6.0, 8.0]
    assert linear_ticks(1, 3, integer=True) == [1.0, 2.0, 3.0]  # never 1.5


def test_optimization_history(study, tmp_path):
    ax = plot.plot_optimization_history(study)
    complete, pruned = ax.collections[0], ax.collections[1]
    assert len(complete.get_offsets()) == 20 and len(pruned.get_offsets()) == 4
    best = ax.lines[0].get_ydata()
    assert np.all(np.diff(best) >= 0)  # best so far never gets worse when maximising
    assert best[-1] == max(t.value for t in study.get_trials((TrialState.COMPLETE,)))
    assert ax.lines[0].get_xdata()[-1] == 23  # held on to the last (pruned) trial
    assert ax.get_xlabel() == "trial" and ax.get_ylabel() == "objective value"
    save(ax, tmp_path, "history")


def test_param_importances(study, tmp_path):
    ax = plot.plot_param_importances(study)
    assert ticklabels(ax, "y")[-1] == "lr"  # top bar: largest
    assert len(ax.patches) == 3
    assert all(text.strip().endswith("%") for text in texts(ax))
    save(ax, tmp_path, "importances")


def test_importances_of_constant_values_warn_and_say_so(tmp_path):
    study = Study(sampler="random", random_state=0)
    study.optimize(lambda t: 0 * t.suggest_float("x", 0, 1) + 0 * t.suggest_float("y", 0, 1)
                   + 0.5, n_trials=6)
    with pytest.warns(UserWarning, match="same value, 0.5"):
        ax = plot.plot_param_importances(study)
    assert not any("%" in text for text in texts(ax))
    assert any("no importances" in text.replace("\n", " ") for text in texts(ax))
    assert all(p.get_width() == 0 for p in ax.patches)
    save(ax, tmp_path, "constant")


def test_slice(study, tmp_path):
    axes = plot.plot_slice(study)
    assert [ax.get_xlabel() for ax in axes] == ["depth", "kind", "lr"]
    assert axes[2].get_xscale() == "log"
    assert ticklabels(axes[1]) == ["a", "b"]
    lrs = [t.params["lr"] for t in study.get_trials((TrialState.COMPLETE,))]
    decades = [10.0 ** e for e in range(-4, 1) if min(lrs) <= 10.0 ** e <= max(lrs)]
    assert [float(t) for t in ticklabels(axes[2])] == decades
    assert all(len(ax.collections[0].get_offsets()) == 20 for ax in axes)
    save(axes, tmp_path, "slice")
    assert len(plot.plot_slice(study, params=["lr"])) == 1
    with pytest.raises(ValueError, match="Unknown parameters"):
        plot.plot_slice(study, params=["nope"])


def test_rank_puts_the_best_trial_first(study, tmp_path):
    axes = plot.plot_rank(study, params=["lr", "kind"])
    complete = [t for t in study.get_trials((TrialState.COMPLETE,))]
    best = max(complete, key=lambda t: t.value)
    offsets = axes[0].collections[0].get_offsets()
    assert sorted(offsets[:, 1]) == list(range(1, 21))
    rank_one = offsets[offsets[:, 1] == 1][0]
    assert rank_one[0] == pytest.approx(best.params["lr"])
    assert axes[0].yaxis_inverted()  # rank 1 at the top
    assert ticklabels(axes[1]) == ["a", "b"]
    save(axes, tmp_path, "rank")


def test_contour(study, tmp_path):
    from matplotlib.contour import QuadContourSet

    ax = plot.plot_contour(study, "lr", "depth")
    assert ax.get_xscale() == "log"
    assert any(isinstance(c, QuadContourSet) for c in ax.collections)
    assert len(ax.collections[-1].get_offsets()) == 20
    assert ax.get_title() == "depth vs lr"
    assert colorbar_labels(ax.figure) == ["objective value"]
    save(ax, tmp_path, "contour")


class HandStudy:
    """Trials placed by hand (what no sampler gives on purpose): the read-only
    part of a Study the plots use."""

    direction, directions, study_name, system_attrs = "minimize", ["minimize"], "by hand", {}

    def __init__(self, points):
        space = {"x": Float(0, 10), "y": Float(0, 10)}
        self.trials = [FrozenTrial(k, k, TrialState.COMPLETE, float(x + y),
                                   {"x": float(x), "y": float(y)}, space)
                       for k, (x, y) in enumerate(points)]

    def get_trials(self, states=None):
        return [t for t in self.trials if states is None or t.state in states]


def _study_of(points):
    return HandStudy(points)


@pytest.mark.parametrize("points, reason", [
    ([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)], "on a line"),
    ([(1, 1), (2, 3), (1, 1), (2, 3)], "2 distinct point"),
    ([(1, 1)], "1 distinct point"),
])
def test_contour_of_degenerate_trials_falls_back_to_a_scatter(points, reason, tmp_path):
    study = _study_of(points)
    with pytest.warns(UserWarning, match=reason):
        ax = plot.plot_contour(study, "x", "y")
    assert reason in ax.get_title()
    assert len(ax.collections) == 1 and len(ax.collections[0].get_offsets()) == len(points)
    assert colorbar_labels(ax.figure) == ["objective value"]
    save(ax, tmp_path, "degenerate")


def test_contour_with_a_categorical_axis_is_a_scatter(study):
    with pytest.warns(UserWarning, match="categorical axis"):
        ax = plot.plot_contour(study, "kind", "lr")
    assert ticklabels(ax) == ["a", "b"]
    plt.close(ax.figure)


def test_intermediate_values(study, tmp_path):
    ax = plot.plot_intermediate_values(study)
    # the crosses where the 4 pruned trials stopped are one scatter
    assert [len(c.get_offsets()) for c in ax.collections] == [4]
    assert ax.get_xlabel() == "fold"
    assert any("pruned" in t.get_text() for t in ax.get_legend().get_texts())
    save(ax, tmp_path, "intermediate")


def test_given_ax_is_drawn_on(plain, tmp_path):
    _, ax = plt.subplots()
    assert plot.plot_optimization_history(plain, ax=ax) is ax
    assert ax.get_ylabel() == "mean CV score"
    save(ax, tmp_path, "search")


def test_intermediate_values_of_folds_cut_into_increments(increments, tmp_path):
    ax = plot.plot_intermediate_values(increments)
    assert ax.get_xlabel() == "increment (3 per fold)"
    # a tick at the last increment of each fold: steps 2, 5, 8
    assert list(ax.get_xticks()) == [2, 5, 8]
    save(ax, tmp_path, "increments")


@pytest.mark.parametrize("kind", ["conditional", "pruned", "increments"])
def test_timeline_has_one_bar_per_span(kind, request, tmp_path):
    search = request.getfixturevalue(kind)
    spans = all_spans(search)
    ax = plot.plot_timeline(search)
    assert len(ax.patches) == len(spans)
    assert len(ticklabels(ax, "y")) == len({span[1] for span in spans})
    grey = matplotlib.colors.to_rgba("#8c8c8c")
    n_grey = sum(p.get_facecolor() == grey for p in ax.patches)
    assert n_grey == sum(state is TrialState.PRUNED for state, *_ in spans)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "complete" in legend and ("pruned" in legend) == (n_grey > 0)
    # bars start at 0 and none is longer than the whole search
    lefts = [p.get_x() for p in ax.patches]
    assert min(lefts) == 0
    save(ax, tmp_path, f"timeline-{kind}")


def test_timeline_shows_two_workers_and_pruned(conditional, pruned):
    assert len(ticklabels(plot.plot_timeline(conditional), "y")) == 2
    assert pruned.study_.n_trials((TrialState.PRUNED,)) > 0
    plt.close("all")


def test_timeline_of_a_study_uses_lanes():
    study = Study(sampler="random", random_state=0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    failed = study.ask()
    study.fail_trial(failed, RuntimeError("boom"))
    ax = plot.plot_timeline(study)
    assert len(ax.patches) == 5  # trials run one after another: one lane
    assert ticklabels(ax, "y") == ["lane 1"]
    red = matplotlib.colors.to_rgba("#d62728")
    assert sum(p.get_facecolor() == red for p in ax.patches) == 1
    plt.close(ax.figure)


def test_edf_of_several_studies():
    studies = []
    for seed in (0, 1):
        study = Study(sampler="random", random_state=seed)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5 + 3 * seed)
        studies.append(study)
    ax = plot.plot_edf(studies, labels=["first", "second"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first", "second"]
    for line, study in zip(ax.lines, studies):
        values = sorted(t.value for t in study.trials)
        assert list(line.get_xdata()) == values
        assert list(line.get_ydata()) == [(k + 1) / len(values) for k in range(len(values))]
    with pytest.raises(ValueError, match="labels must give one name"):
        plot.plot_edf(studies, labels=["one"])
    plt.close(ax.figure)


def test_backend_is_checked(study):
    with pytest.raises(ValueError, match="The 'backend' parameter of plot_optimization_history "
                                         r"must be one of \{'matplotlib', 'plotly'\}. Got "
                                         "'svg' instead."):
        plot.plot_optimization_history(study, backend="svg")


# --- plotly -------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_plotly_backend_draws_the_same_data(kind, request):
    go = pytest.importorskip("plotly.graph_objects", reason="plotly is not installed")
    obj = request.getfixturevalue(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        figures = [getattr(plot, name)(obj, backend="plotly") for name in (
            "plot_optimization_history", "plot_param_importances", "plot_slice", "plot_rank",
            "plot_parallel_coordinates", "plot_intermediate_values", "plot_timeline",
            "plot_edf")]
        figures.append(plot.plot_contour(obj, *CONTOUR[kind], backend="plotly"))
    for figure in figures:
        assert isinstance(figure, go.Figure) and figure.layout.title.text
        assert len(figure.data) > 0
    parallel = figures[4].data[0]
    assert isinstance(parallel, go.Parcoords)
    assert len(parallel.dimensions[0].values) == n_complete(obj)
    assert parallel.line.showscale
    timeline = figures[6]
    expected = len(all_spans(obj)) if kind != "study" else len(obj.trials)
    assert sum(len(bar.x) for bar in timeline.data) == expected


def test_plotly_shows_branch_names_and_log_ticks(conditional):
    pytest.importorskip("plotly.graph_objects", reason="plotly is not installed")
    figure = plot.plot_slice(conditional, backend="plotly")
    assert list(figure.layout.xaxis.ticktext) == ["SVC", "LogisticRegression"]
    assert figure.layout.xaxis2.type == "log"
    assert all(float(t) > 0 for t in figure.layout.xaxis2.ticktext)
    dims = plot.plot_parallel_coordinates(conditional, backend="plotly").data[0].dimensions
    assert dims[0].label == "clf" and "SVC" in dims[0].ticktext
    with pytest.warns(UserWarning, match="line"):
        contour = plot.plot_contour(_study_of([(1, 1), (2, 2), (3, 3)]), "x", "y",
                                    backend="plotly")
    assert "no contour" in contour.layout.title.text
    with pytest.raises(ValueError, match="leave them None"):
        plot.plot_rank(conditional, axes=[], backend="plotly")


def test_worker_labels_keep_what_tells_workers_apart():
    from sksearch.plot._timeline import _worker_labels

    assert _worker_labels(["vm:1:MainThread", "vm:2:MainThread"]) == ["pid 1", "pid 2"]
    assert _worker_labels(["vm:1:w_0", "vm:1:w_1"]) == ["w_0", "w_1"]
    assert _worker_labels(["a:1:T", "b:1:T"]) == ["a", "b"]
    assert _worker_labels(["vm:1:T"]) == ["T"]


# --- several objectives: target= ----------------------------------------------

@pytest.fixture(scope="module")
def two_objectives():
    study = Study(directions=["minimize", "maximize"], sampler="random", random_state=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1),
                              t.suggest_float("y", 0, 1) + 0.2 * t.suggest_float("x", 0, 1)),
                   n_trials=16)
    trial = study.ask()  # a pruned trial of several objectives has no value to draw
    trial.suggest_float("x", 0, 1)
    trial.report(0.5, 0)
    study.tell(trial, state=TrialState.PRUNED)
    return study


VALUE_PLOTS = ["plot_optimization_history", "plot_param_importances", "plot_slice",
               "plot_rank", "plot_parallel_coordinates", "plot_edf"]


@pytest.mark.parametrize("name", VALUE_PLOTS + ["plot_contour"])
def test_plots_of_several_objectives_need_a_target(two_objectives, name):
    args = ("x", "y") if name == "plot_contour" else ()
    with pytest.raises(ValueError, match=r"has 2 objectives \['minimize', 'maximize'\]; "
                                         r"pass target= \(an objective index 0 \.\. 1"):
        getattr(plot, name)(two_objectives, *args)
    for bad in (2, -1, True, "x", 1.0):
        with pytest.raises(ValueError, match=f"target must be an objective index in "
                                             rf"\[0, 1\].*got {bad!r}"):
            getattr(plot, name)(two_objectives, *args, target=bad)
    with pytest.raises(TypeError, match=f"The 'target_name' parameter of {name} must be "
                                        "None or a str. Got 3 instead."):
        getattr(plot, name)(two_objectives, *args, target=0, target_name=3)
    with pytest.raises(TypeError, match="target must return a number, got 'a' for trial 0"):
        getattr(plot, name)(two_objectives, *args, target=lambda t: "a")
    plt.close("all")


def test_plots_that_draw_no_value_need_no_target(two_objectives):
    assert plot.plot_intermediate_values(two_objectives).get_xlabel() == "step"
    assert len(plot.plot_timeline(two_objectives).patches) == 17
    plt.close("all")


def test_history_of_an_objective_and_of_a_callable(two_objectives):
    complete = two_objectives.get_trials((TrialState.COMPLETE,))
    second = [t.values[1] for t in complete]
    ax = plot.plot_optimization_history(two_objectives, target=1)
    assert ax.get_ylabel() == "objective 1"
    assert ax.collections[0].get_offsets()[:, 1].tolist() == second
    assert len(ax.collections) == 1  # the pruned trial has no value of either objective
    # objective 1 is maximised: the best so far is the running maximum
    assert ax.lines[0].get_ydata().tolist() == np.maximum.accumulate(second).tolist()
    ax = plot.plot_optimization_history(two_objectives, target=np.int64(0), target_name="x")
    assert ax.get_ylabel() == "x"
    first = [t.values[0] for t in complete]
    assert ax.lines[0].get_ydata().tolist() == np.minimum.accumulate(first).tolist()
    # a callable's value has no direction: drawn, without a best so far
    ax = plot.plot_optimization_history(two_objectives,
                                        target=lambda t: t.values[1] - t.values[0])
    assert ax.get_ylabel() == "target" and not ax.lines
    assert ax.collections[0].get_offsets()[:, 1].tolist() == [b - a for a, b in
                                                              zip(first, second)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["complete"]
    plt.close("all")


def test_rank_slice_parallel_and_edf_draw_the_target(two_objectives):
    complete = two_objectives.get_trials((TrialState.COMPLETE,))
    second = np.array([t.values[1] for t in complete])
    xs = np.array([t.params["x"] for t in complete])
    axes = plot.plot_rank(two_objectives, params=["x"], target=1)
    offsets = axes[0].collections[0].get_offsets()
    assert offsets[offsets[:, 1] == 1][0][0] == pytest.approx(xs[np.argmax(second)])
    assert axes[0].get_ylabel() == "rank of the value (1 = best)"
    axes = plot.plot_rank(two_objectives, params=["x"], target=lambda t: t.values[1])
    assert axes[0].get_ylabel() == "rank of the value (1 = smallest)"
    offsets = axes[0].collections[0].get_offsets()
    assert offsets[offsets[:, 1] == 1][0][0] == pytest.approx(xs[np.argmin(second)])
    axes = plot.plot_slice(two_objectives, params=["x"], target=0, target_name="x again")
    assert axes[0].collections[0].get_offsets()[:, 1].tolist() == xs.tolist()
    assert axes[0].get_ylabel() == "x again"
    ax = plot.plot_parallel_coordinates(two_objectives, target=1)
    assert [label.get_text() for label in ax.get_xticklabels()] == ["x", "y", "objective 1"]
    ax = plot.plot_edf([two_objectives, two_objectives], labels=["a", "b"], target=1)
    assert ax.lines[0].get_xdata().tolist() == sorted(second.tolist())
    ax = plot.plot_contour(two_objectives, "x", "y", target=1)
    assert ax.get_title() == "y vs x"
    plt.close("all")


def test_importances_of_an_objective_and_of_a_callable(two_objectives):
    from sksearch.importance import param_importances

    for k in (0, 1):
        ax = plot.plot_param_importances(two_objectives, target=k)
        shares = param_importances(two_objectives, objective=k, random_state=0)
        assert ticklabels(ax, "y") == list(shares)[::-1]
        assert [p.get_width() for p in ax.patches] == list(shares.values())[::-1]
    # a callable: the importances of a study of one objective told its values
    def target(t):
        return t.values[1] - 3 * t.values[0]

    told = Study(direction="minimize", sampler="random")
    for t in two_objectives.get_trials((TrialState.COMPLETE,)):
        told.add_trial(FrozenTrial(number=t.number, trial_id=t.trial_id, state=t.state,
                                   value=target(t), internal_params=t.internal_params,
                                   distributions=t.distributions))
    ax = plot.plot_param_importances(two_objectives, target=target)
    shares = param_importances(told, random_state=0)
    assert list(shares)[0] == "x"
    assert [p.get_width() for p in ax.patches] == list(shares.values())[::-1]
    plt.close("all")


def test_target_of_a_search_is_named_by_its_metric_and_one_objective_is_unchanged(study):
    from sklearn.tree import DecisionTreeClassifier

    search = BayesSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": Int(1, 6)},
                           scoring=["accuracy"], objectives=["accuracy", "fit_time"],
                           refit="accuracy", n_iter=4, cv=2, random_state=0).fit(X, Y)
    assert plot.plot_optimization_history(search, target=1).get_ylabel() == "mean fit_time"
    ax = plot.plot_slice(search, target=0)[0]
    assert ax.get_ylabel() == "mean accuracy"
    assert sorted(ax.collections[0].get_offsets()[:, 1]) == sorted(
        search.cv_results_["mean_test_accuracy"])
    # one objective: target=0 draws what no target draws, pruned trials included
    a = plot.plot_optimization_history(study)
    b = plot.plot_optimization_history(study, target=0)
    assert len(b.collections) == 2 and b.get_ylabel() == "objective value"
    for one, other in zip(a.collections, b.collections):
        np.testing.assert_array_equal(one.get_offsets(), other.get_offsets())
    np.testing.assert_array_equal(a.lines[0].get_ydata(), b.lines[0].get_ydata())
    plt.close("all")


def test_plotly_draws_the_target(two_objectives):
    pytest.importorskip("plotly.graph_objects", reason="plotly is not installed")
    complete = two_objectives.get_trials((TrialState.COMPLETE,))
    figure = plot.plot_optimization_history(two_objectives, target=1, backend="plotly")
    assert list(figure.data[0].y) == [t.values[1] for t in complete]
    assert [trace.name for trace in figure.data] == ["complete", "best so far"]
    assert figure.layout.yaxis.title.text == "objective 1"
    figure = plot.plot_optimization_history(two_objectives, target=lambda t: -t.values[0],
                                            target_name="minus x", backend="plotly")
    assert [trace.name for trace in figure.data] == ["complete"]
    assert list(figure.data[0].y) == [-t.values[0] for t in complete]
    assert figure.layout.yaxis.title.text == "minus x"
    for name in VALUE_PLOTS:
        assert len(getattr(plot, name)(two_objectives, target=0, backend="plotly").data)
    with pytest.raises(ValueError, match="pass target="):
        plot.plot_slice(two_objectives, backend="plotly")


# --- issue #30: what a reader relies on ---------------------------------------

def _line_zorders(ax):
    from matplotlib.collections import LineCollection

    return [c.get_zorder() for c in ax.collections if isinstance(c, LineCollection)
            and c.get_array() is not None]


def test_parallel_tick_labels_are_drawn_above_the_lines(study):
    # the labels were under the trials' lines (which cross their places)
    ax = plot.plot_parallel_coordinates(study)
    (lines_zorder,) = _line_zorders(ax)
    labels = [t for t in ax.texts if t.get_text()]
    assert {"a", "b", "2", "8"} <= {t.get_text() for t in labels}
    assert all(t.get_zorder() > lines_zorder for t in labels)
    assert all(t.get_bbox_patch().get_alpha() >= 0.9 for t in labels)
    render(ax)


def test_intermediate_values_tell_trials_apart_and_show_where_pruned(study):
    ax = plot.plot_intermediate_values(study)
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) > 0]
    colors = {tuple(line.get_color()) if not isinstance(line.get_color(), str)
              else line.get_color() for line in lines}
    assert len(colors) > len(lines) // 2  # one colour per trial, not one for all
    assert colorbar_labels(ax.figure) == ["trial"]  # the colour reads as the trial
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "complete" and legend[1].startswith("pruned")
    # the crosses where pruned trials stopped are above every line
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    (stops,) = [c for c in ax.collections if len(c.get_offsets()) == len(pruned)]
    assert stops.get_zorder() > max(line.get_zorder() for line in lines)
    render(ax)


def _pareto_study(constraints=None):
    study = Study(directions=["minimize", "minimize"], sampler="random", random_state=0,
                  constraints_func=constraints)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.params["x"] ** 0.5),
                   n_trials=12)
    return study


def test_pareto_front_shows_its_markers_and_infeasible_only_with_constraints():
    ax = plot.plot_pareto_front(_pareto_study())
    # every trial of this problem is on the front: no "infeasible" was checked
    assert ax.get_title() == "Pareto front (12 of 12 trials)"
    assert "infeasible" not in ax.get_title()
    (front,) = [c for c in ax.collections if c.get_label() == "Pareto front"]
    assert len(front.get_offsets()) == 12
    assert front.get_zorder() > max(line.get_zorder() for line in ax.get_lines())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Pareto front"]
    render(ax)
    constrained = plot.plot_pareto_front(_pareto_study(lambda t: [t.values[0] - 0.5]))
    assert "infeasible" in constrained.get_title()
    assert "infeasible" in [t.get_text() for t in constrained.get_legend().get_texts()]
    render(constrained)


@pytest.fixture(scope="module")
def integer_choices():
    study = Study(direction="maximize", sampler="random", random_state=0)
    study.optimize(lambda t: -abs(t.suggest_categorical("degree", [2, 3, 5]) - 3)
                   + t.suggest_float("C", 0, 1), n_trials=15)
    return study


def test_integer_choices_are_a_numeric_axis(integer_choices):
    axes = plot.plot_slice(integer_choices, params=["degree"])
    ax = axes[0]
    assert ticklabels(ax) == ["2", "3", "5"]  # at their values, 5 two steps from 3
    assert list(ax.get_xticks()) == [2, 3, 5]
    assert all(t.get_rotation() == 0 for t in ax.get_xticklabels())
    x = ax.collections[0].get_offsets()[:, 0]
    assert set(x) <= {2.0, 3.0, 5.0}
    render(axes)
    # a numeric axis has an order: the contour interpolates along it
    contour = plot.plot_contour(integer_choices, "degree", "C")
    assert "no contour" not in contour.get_title()
    render(contour)


def test_slice_and_rank_fit_a_page(study):
    # three 4.2-inch panels a row were shrunk to unreadable on a docs page
    for function in (plot.plot_slice, plot.plot_rank):
        axes = function(study)
        width, _ = axes[0].figure.get_size_inches()
        assert width <= 8 and axes[0].xaxis.label.get_fontsize() >= 10
        render(axes)


def _hovers(figure):
    return [text for trace in figure.data if getattr(trace, "text", None) is not None
            for text in np.ravel(trace.text)]


@pytest.mark.parametrize("name", ["plot_optimization_history", "plot_slice", "plot_rank",
                                  "plot_intermediate_values", "plot_contour"])
def test_plotly_hovers_name_trial_state_value_and_parameters(study, name):
    pytest.importorskip("plotly.graph_objects", reason="plotly is not installed")
    args = ("lr", "depth") if name == "plot_contour" else ()
    figure = getattr(plot, name)(study, *args, backend="plotly")
    hovers = _hovers(figure)
    assert hovers and all(h.startswith("trial ") for h in hovers)
    best = max(study.get_trials((TrialState.COMPLETE,)), key=lambda t: t.value)
    (hover,) = {h for h in hovers if h.startswith(f"trial {best.number} ")}
    assert "(complete)" in hover and "depth = " in hover and "kind = " in hover
    if name != "plot_intermediate_values":
        assert f"{best.value:.6g}"[:5] in hover
    templates = {trace.hovertemplate for trace in figure.data if trace.text is not None}
    assert all("%{text}" in t for t in templates)
    if name in ("plot_optimization_history", "plot_intermediate_values"):
        assert any("(pruned)" in h for h in hovers)


def test_plotly_intermediate_values_colour_trials_and_name_states(study):
    pytest.importorskip("plotly.graph_objects", reason="plotly is not installed")
    figure = plot.plot_intermediate_values(study, backend="plotly")
    lines = [t for t in figure.data if t.mode and "lines" in t.mode]
    assert len({t.line.color for t in lines}) > len(lines) // 2
    assert {t.name for t in figure.data if t.showlegend is not False} >= {"complete", "pruned"}
    assert any(t.marker.showscale for t in figure.data)


def test_plotly_integer_choices_are_numeric(integer_choices):
    pytest.importorskip("plotly.graph_objects", reason="plotly is not installed")
    figure = plot.plot_slice(integer_choices, params=["degree"], backend="plotly")
    assert list(figure.layout.xaxis.ticktext) == ["2", "3", "5"]
    assert list(figure.layout.xaxis.tickvals) == [2, 3, 5]
    assert set(figure.data[0].x) <= {2.0, 3.0, 5.0}


def test_plots_of_a_stored_search_name_its_objectives(tmp_path):
    # a study read back from a storage has no search to ask for its metrics
    from sksearch import load_study

    url = f"sqlite:///{tmp_path / 's.db'}"
    BayesSearchCV(LogisticRegression(max_iter=200), {"C": Float(0.01, 10, log=True)},
                  n_iter=4, cv=2, scoring=["accuracy"], refit=False, random_state=0,
                  objectives=["accuracy", "fit_time"], storage=url,
                  study_name="two").fit(X, Y)
    study = load_study(study_name="two", storage=url)
    ax = plot.plot_pareto_front(study)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("accuracy", "fit_time")
    assert plot.plot_optimization_history(study, target=1).get_ylabel() == "mean fit_time"
    render(ax)
