"""The dashboard: its JSON API and files over plain HTTP, and the page in a real
browser (headless Chromium driven by Selenium) while another process writes trials."""

import fnmatch
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sksearch import BayesSearchCV, Study, TrialState
from sksearch._objectives import OBJECTIVES_ATTR
from sksearch._records import FOLDS_ATTR, FoldRecord, records_from_json, records_to_json
from sksearch.dashboard import main, make_server
from sksearch.dashboard._api import IMPORTANCE_OPTIONS
from sksearch.distributions import Categorical, Float
from sksearch.importance import param_importances

NASTY = '<img src=x onerror="document.title=\'pwned\'">&amp;<script>x=1</script>'


def _objective(trial):
    x = trial.suggest_float("x", -2, 2)
    kind = trial.suggest_categorical("kind", [NASTY, "plain"])
    return (x - 0.5) ** 2 + (kind == "plain")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A study file with a search (fold records and spans) and a Study whose
    name and a choice are markup."""
    path = tmp_path_factory.mktemp("dash") / "search.db"
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    BayesSearchCV(LogisticRegression(), {"C": Float(1e-3, 1e2, log=True),
                                         "fit_intercept": Categorical([True, False])},
                  n_iter=5, cv=3, storage=f"sqlite:///{path}", study_name="search",
                  random_state=0).fit(X, y)
    study = Study(direction="minimize", storage=f"sqlite:///{path}", study_name=NASTY,
                  sampler="random", random_state=0)
    study.optimize(_objective, n_trials=12)
    return path


@pytest.fixture
def served(db):
    server = make_server(f"sqlite:///{db}", port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _get(server, path, method="GET", host_header=None):
    """Status, headers and body of one request, ``path`` sent exactly as given."""
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True,
                              skip_host=host_header is not None)
        if host_header is not None:
            connection.putheader("Host", host_header)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _json(server, path):
    status, headers, body = _get(server, path)
    assert headers["Content-Type"] == "application/json"
    return status, json.loads(body)


def test_studies_and_trials_match_the_storage(served, db):
    status, studies = _json(served, "/api/studies")
    assert status == 200
    assert [s["name"] for s in studies] == ["search", NASTY]  # returned as data, untouched
    search = studies[0]
    assert search["direction"] == "maximize" and search["n_trials"] == 5
    assert sum(search["states"].values()) == 5
    study = Study(storage=f"sqlite:///{db}", study_name="search")
    status, page = _json(served, f"/api/studies/{search['id']}/trials?since=0")
    assert status == 200 and page["next"] == 5 and page["running"] == [] and not page["reset"]
    trials = sorted(page["finished"], key=lambda t: t["number"])
    for sent, trial in zip(trials, study.trials, strict=True):
        assert sent["number"] == trial.number and sent["state"] == trial.state.name
        assert sent["value"] == trial.value
        assert sent["params"]["C"] == trial.params["C"]
        choice = trial.params["fit_intercept"]
        assert sent["params"]["fit_intercept"] == [[True, False].index(choice), repr(choice)]
        assert sent["intermediate"] == [[s, v] for s, v in
                                        sorted(trial.intermediate_values.items())]
        records = records_from_json(trial.system_attrs[FOLDS_ATTR])
        assert sent["folds"] == [[k, [[w, round(a, 3), round(b, 3)] for w, a, b in r.spans]]
                                 for k, r in enumerate(records)]
        assert len(sent["folds"]) == 3 and all(len(spans) == 1 for _, spans in sent["folds"])
        assert sent["start"] == round(trial.datetime_start.timestamp(), 3)
    assert page["axes"] == {
        "C": {"type": "float", "low": 1e-3, "high": 1e2, "log": True},
        "fit_intercept": {"type": "categorical", "labels": ["True", "False"]}}
    status, summary = _json(served, f"/api/studies/{studies[1]['id']}")
    assert summary["name"] == NASTY and summary["direction"] == "minimize"
    assert summary["axes"]["kind"]["labels"] == [NASTY, "plain"]


def test_trials_are_sent_incrementally(tmp_path):
    path = tmp_path / "live.db"
    study = Study(direction="minimize", storage=path, study_name="live", sampler="random",
                  random_state=0)
    study.optimize(_objective, n_trials=3)
    server = make_server(path, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        first = _json(server, "/api/studies/1/trials?since=0")[1]
        assert [t["number"] for t in first["finished"]] == [0, 1, 2] and first["next"] == 3
        running = study.ask()
        running.suggest_float("x", -2, 2)
        study.optimize(_objective, n_trials=2)
        second = _json(server, "/api/studies/1/trials?since=3")[1]
        assert [t["number"] for t in second["finished"]] == [4, 5]  # only the new ones
        assert [(t["number"], t["state"]) for t in second["running"]] == [(3, "RUNNING")]
        study.tell(running, 0.25)
        third = _json(server, f"/api/studies/1/trials?since={second['next']}")[1]
        assert [(t["number"], t["value"]) for t in third["finished"]] == [(3, 0.25)]
        assert third["running"] == [] and third["next"] == 6
        # a client ahead of the server (which restarted) gets everything again
        stale = _json(server, "/api/studies/1/trials?since=99")[1]
        assert stale["reset"] and len(stale["finished"]) == 6
    finally:
        server.shutdown()
        server.server_close()


def test_importances_are_those_of_sksearch_importance(served, db):
    study = Study(storage=f"sqlite:///{db}", study_name=NASTY)
    status, answer = _json(served, "/api/studies/2/importances")
    expected = param_importances(study, **IMPORTANCE_OPTIONS)
    assert answer["n_trials"] == 12
    assert answer["importances"] == [[k, v] for k, v in expected.items()]


@pytest.mark.parametrize("study_name, objective", [(NASTY, None), ("search", None)])
def test_importances_are_those_of_the_importance_plot(served, db, study_name, objective):
    """The page and plot_param_importances of one study rank the parameters
    alike: the same code, forest and seed (a smaller forest flipped the top
    parameter of a real study)."""
    from sksearch.plot._data import importance_data
    from sksearch.plot._source import read

    study = Study(storage=f"sqlite:///{db}", study_name=study_name)
    study_id = {s["name"]: s["id"] for s in _json(served, "/api/studies")[1]}[study_name]
    answer = _json(served, f"/api/studies/{study_id}/importances")[1]
    plotted = importance_data(read(study), study, "fanova", 0)
    assert answer["importances"] == [[n, float(v)] for n, v in
                                     zip(plotted.names[::-1], plotted.shares[::-1])]
    assert answer["params"] == [n for n, _ in answer["importances"]]


def test_importances_of_each_objective_are_those_of_the_plot(two_objectives):
    from sksearch.plot._data import importance_data
    from sksearch.plot._source import read

    server, study = two_objectives
    for k in (0, 1):
        answer = _json(server, f"/api/studies/1/importances?objective={k}")[1]
        plotted = importance_data(read(study, target=k), study, "fanova", 0)
        assert [n for n, _ in answer["importances"]] == list(plotted.names[::-1])
        assert [v for _, v in answer["importances"]] == pytest.approx(plotted.shares[::-1],
                                                                      abs=0, rel=0)


def test_constant_values_have_no_importances_and_say_why(tmp_path):
    study = Study(direction="minimize", storage=tmp_path / "flat.db", study_name="flat")
    study.optimize(lambda t: 0 * t.suggest_float("x", 0, 1), n_trials=4)
    server = make_server(tmp_path / "flat.db", port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        answer = _json(server, "/api/studies/1/importances")[1]
        assert "same value" in answer["error"] and answer["n_trials"] == 4
    finally:
        server.shutdown()
        server.server_close()


def test_importances_say_why_they_are_missing(tmp_path):
    study = Study(direction="minimize", storage=tmp_path / "one.db", study_name="one")
    study.optimize(_objective, n_trials=1)
    server = make_server(tmp_path / "one.db", port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        answer = _json(server, "/api/studies/1/importances")[1]
        assert "at least 2 complete trials" in answer["error"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def two_objectives(tmp_path):
    """A served storage holding a study of two objectives (and a pruned trial)."""
    path = tmp_path / "mo.db"
    study = Study(directions=["minimize", "maximize"], storage=path, study_name="mo",
                  sampler="random", random_state=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1),
                              t.suggest_float("y", 0, 1) + 0.1 * t.suggest_float("x", 0, 1)),
                   n_trials=10)
    # what a search of two metrics stores: the page names the values by it
    study.set_system_attr(OBJECTIVES_ATTR, {"objectives": ["accuracy", "fit_time"],
                                            "constraints": []})
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    trial.report(0.5, 0)
    study.tell(trial, state=TrialState.PRUNED)
    server = make_server(path, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server, study
    server.shutdown()
    server.server_close()


def test_the_objective_drawn_is_chosen_by_a_query_parameter(two_objectives):
    server, study = two_objectives
    trials = study.trials
    status, studies = _json(server, "/api/studies")
    assert studies[0]["directions"] == ["minimize", "maximize"]
    for k, direction in ((None, "minimize"), (0, "minimize"), (1, "maximize")):
        query = "" if k is None else f"?objective={k}"
        summary = _json(server, f"/api/studies/1{query}")[1]
        assert summary["direction"] == direction and summary["objective"] == (k or 0)
        page = _json(server, f"/api/studies/1/trials?since=0{query and '&' + query[1:]}")[1]
        assert [t["number"] for t in page["finished"]] == list(range(11))
        assert [t["value"] for t in page["finished"]] == [
            None if t.values is None else t.values[k or 0] for t in trials]
        assert [t["values"] for t in page["finished"]] == [
            None if t.values is None else list(t.values) for t in trials]
        importances = _json(server, f"/api/studies/1/importances{query}")[1]
        expected = param_importances(study, objective=k or 0, **IMPORTANCE_OPTIONS)
        assert importances["importances"] == [[n, v] for n, v in expected.items()]
        assert importances["n_trials"] == 10
    # the per-objective encodings grow with the study; a running trial has no value
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0 + 0 * t.suggest_float("y", 0, 1)),
                   n_trials=1)
    running = study.ask()
    running.suggest_float("x", 0, 1)
    for k in (0, 1):
        page = _json(server, f"/api/studies/1/trials?since=11&objective={k}")[1]
        assert [t["value"] for t in page["finished"]] == [study.trials[11].values[k]]
        assert [(t["number"], t["value"]) for t in page["running"]] == [(12, None)]
        assert page["next"] == 12


def test_several_objectives_are_named_by_their_metrics(two_objectives):
    server, _ = two_objectives
    assert _json(server, "/api/studies")[1][0]["objective_names"] == ["accuracy", "fit_time"]
    assert _json(server, "/api/studies/1")[1]["objective_names"] == ["accuracy", "fit_time"]


def test_the_pareto_front_is_that_of_the_plot(two_objectives):
    from sksearch.plot._pareto import pareto_data

    server, study = two_objectives
    answer = _json(server, "/api/studies/1/pareto")[1]
    front = pareto_data(study)
    assert answer["names"] == ["accuracy", "fit_time"] == front.names
    assert answer["title"] == front.title
    assert answer["n_front"] == int(front.on_front.sum()) >= 1
    assert answer["points"] == [[int(n), list(v), bool(f), bool(o)] for n, v, f, o in zip(
        front.numbers, front.values.tolist(), front.feasible, front.on_front)]


def test_a_study_of_one_objective_has_no_pareto_front(served):
    answer = _json(served, "/api/studies/2/pareto")[1]
    assert answer == {"error": "A study of one objective has no Pareto front."}


# -- slice, contour, rank, EDF and the compared history: sksearch.plot's data ----------
def _as_json(values):
    """Numbers as the API sends them: floats, None where not finite."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, float).ravel()]


def _axis_json(axis):
    return {"label": axis.label, "scale": axis.scale,
            "ticks": None if axis.ticks is None else _as_json(axis.ticks),
            "ticklabels": None if axis.ticklabels is None else list(axis.ticklabels)}


@pytest.mark.parametrize("kind", ["slice", "rank"])
@pytest.mark.parametrize("study_name", [NASTY, "search"])
def test_slice_and_rank_are_the_plots_data(served, db, kind, study_name):
    from sksearch.plot import _data
    from sksearch.plot._source import read

    study = Study(storage=f"sqlite:///{db}", study_name=study_name)
    study_id = {s["name"]: s["id"] for s in _json(served, "/api/studies")[1]}[study_name]
    status, answer = _json(served, f"/api/studies/{study_id}/{kind}")
    expected = getattr(_data, f"{kind}_data")(read(study), None)
    assert status == 200 and answer["title"] == expected.title
    assert answer["ylabel"] == expected.ylabel and answer["colorbar"] == expected.colorbar
    assert answer["invert_y"] is bool(expected.invert_y) is (kind == "rank")
    assert len(answer["panels"]) == len(expected.panels) == 2
    for sent, panel in zip(answer["panels"], expected.panels, strict=True):
        assert sent["axis"] == _axis_json(panel.xaxis)
        assert sent["x"] == _as_json(panel.x) and sent["y"] == _as_json(panel.y)
        assert sent["color"] == _as_json(panel.color)
        assert sent["hover"] == panel.hover  # as text: the page never parses it
    if kind == "rank":  # ranks 1..n, the best first (an independent check)
        values = [t.value for t in study.get_trials((TrialState.COMPLETE,))]
        best = (max if study.direction == "maximize" else min)(values)
        panel = answer["panels"][0]
        assert sorted(panel["y"]) == list(range(1, len(values) + 1))
        assert panel["color"][panel["y"].index(1)] == best


@pytest.mark.parametrize("objective", [0, 1])
def test_the_contour_is_the_plots_grid(two_objectives, objective):
    from sksearch.plot._data import contour_data
    from sksearch.plot._source import read

    server, study = two_objectives
    answer = _json(server, f"/api/studies/1/contour?objective={objective}&x=x&y=y")[1]
    expected = contour_data(read(study, target=objective), "x", "y")
    assert expected.surface is not None and answer["note"] is None
    assert (answer["x_param"], answer["y_param"], answer["params"]) == ("x", "y", ["x", "y"])
    assert answer["title"] == expected.title and answer["colorbar"] == expected.colorbar
    assert answer["xaxis"] == _axis_json(expected.xaxis)
    assert answer["x"] == _as_json(expected.x) and answer["values"] == _as_json(expected.values)
    assert answer["grid_x"] == _as_json(expected.grid_x[0])
    assert answer["grid_y"] == _as_json(expected.grid_y[:, 0])
    assert answer["surface"] == [_as_json(row) for row in expected.surface]
    # the grid spans the trials; the surface is NaN (None) outside their hull only
    assert answer["grid_x"][0] == min(answer["x"]) and answer["grid_x"][-1] == max(answer["x"])
    assert any(v is None for row in answer["surface"] for v in row)
    # by default the first two parameters, swapped on request
    assert _json(server, "/api/studies/1/contour")[1]["x_param"] == "x"
    assert _json(server, "/api/studies/1/contour?x=y&y=x")[1]["title"] == "x vs y"


def test_a_contour_without_a_surface_says_why(served, db):
    answer = _json(served, "/api/studies/1/contour?x=C&y=fit_intercept")[1]
    assert answer["surface"] is None and answer["grid_x"] is None
    assert answer["note"] == "no contour: a categorical axis has no order to interpolate along"
    assert answer["xaxis"]["scale"] == "log" and answer["yaxis"]["ticklabels"] == [
        "True", "False"]
    unknown = _json(served, "/api/studies/1/contour?x=C&y=nope")[1]
    assert unknown == {"error": "Unknown parameters ['nope'] in params; the study has "
                                "['C', 'fit_intercept']."}
    long = _json(served, "/api/studies/1/contour?x=" + "a" * 300)[1]
    assert long["error"].startswith("x must name a parameter") and len(long["error"]) < 100


def test_the_edf_and_history_of_several_studies_are_the_plots(served, db):
    from sksearch.plot._data import edf_data, history_data
    from sksearch.plot._source import read

    studies = [Study(storage=f"sqlite:///{db}", study_name=n) for n in ("search", NASTY)]
    expected = edf_data([read(s) for s in studies], [s.study_name for s in studies])
    for study_id, (label, values, fractions) in zip((1, 2), expected.curves, strict=True):
        answer = _json(served, f"/api/studies/{study_id}/edf")[1]
        assert answer["label"] == label and answer["xlabel"] == expected.xlabel
        assert answer["x"] == _as_json(values) and answer["y"] == _as_json(fractions)
        assert answer["y"][-1] == 1.0 and answer["x"] == sorted(answer["x"])
    for study_id, study in zip((1, 2), studies, strict=True):
        answer = _json(served, f"/api/studies/{study_id}/history")[1]
        line = history_data(read(study))
        assert answer["name"] == study.study_name and answer["ylabel"] == line.ylabel
        assert answer["best_numbers"] == _as_json(line.best_numbers)
        assert answer["best"] == _as_json(line.best)
        best = (max if study.direction == "maximize" else min)(
            t.value for t in study.get_trials((TrialState.COMPLETE,)))
        assert answer["best"][-1] == best


def test_figures_follow_a_growing_study(tmp_path):
    path = tmp_path / "grow.db"
    study = Study(direction="minimize", storage=path, study_name="grow", sampler="random",
                  random_state=0)
    study.optimize(_objective, n_trials=4)
    server = _serve(path)
    try:
        assert len(_json(server, "/api/studies/1/edf")[1]["x"]) == 4
        study.optimize(_objective, n_trials=3)
        assert len(_json(server, "/api/studies/1/edf")[1]["x"]) == 7  # not the cached 4
        assert len(_json(server, "/api/studies/1/slice")[1]["panels"][0]["x"]) == 7
    finally:
        server.shutdown()
        server.server_close()


def test_a_trials_detail_has_its_folds_and_params(served, db):
    study = Study(storage=f"sqlite:///{db}", study_name="search")
    trial = study.trials[2]
    status, detail = _json(served, "/api/studies/1/trial/2")
    assert status == 200 and detail["number"] == 2 and detail["state"] == "COMPLETE"
    assert detail["values"] == [["value", trial.value]]
    assert detail["params"] == [["C", repr(trial.params["C"])],
                                ["fit_intercept", repr(trial.params["fit_intercept"])]]
    records = records_from_json(trial.system_attrs[FOLDS_ATTR])
    assert [f["test_scores"] for f in detail["folds"]] == [r.test_scores for r in records]
    assert [f["fit_time"] for f in detail["folds"]] == [r.fit_time for r in records]
    assert detail["intermediate"] == [[s, v] for s, v in
                                      sorted(trial.intermediate_values.items())]
    assert detail["duration"] == round(
        (trial.datetime_complete - trial.datetime_start).total_seconds(), 3)
    assert _json(served, "/api/studies/1/trial/99") == (
        404, {"error": "No trial 99 in this study."})


def test_a_trials_detail_says_why_it_failed_or_was_interrupted(tmp_path):
    from sksearch.trial import INTERRUPTED_KEY

    path = tmp_path / "fails.db"
    study = Study(direction="minimize", storage=path, study_name="fails")

    def broken(trial):
        trial.suggest_float("x", 0, 1)
        trial.set_user_attr("note", {"tag": NASTY, "n": [1, 2.5]})
        raise RuntimeError("the fit ran out of memory")

    study.optimize(broken, n_trials=1, catch=(RuntimeError,))
    cut = study.ask()
    cut.suggest_float("x", 0, 1)
    study.tell(cut, state=TrialState.FAIL,
               system_attrs={INTERRUPTED_KEY: "KeyboardInterrupt"})
    running = study.ask()
    running.suggest_float("x", 0, 1)
    server = make_server(path, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        failed = _json(server, "/api/studies/1/trial/0")[1]
        assert "the fit ran out of memory" in failed["fail_reason"]
        assert failed["user_attrs"] == {"note": {"tag": NASTY, "n": [1, 2.5]}}
        assert failed["interrupted"] is None and failed["values"] == []
        interrupted = _json(server, "/api/studies/1/trial/1")[1]
        assert interrupted["interrupted"] == "KeyboardInterrupt"
        now = _json(server, "/api/studies/1/trial/2")[1]
        assert now["state"] == "RUNNING" and now["end"] is None and now["duration"] is None
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("path", ["/api/studies/1?objective=2",
                                  "/api/studies/1/trials?objective=-1",
                                  "/api/studies/1/importances?objective=one",
                                  "/api/studies/1/trials?since=0&objective=1.0"])
def test_a_wrong_objective_gets_a_json_error(two_objectives, path):
    got, answer = _json(two_objectives[0], path)
    value = path.rsplit("=", 1)[1]
    assert got == 400 and answer["error"] == (
        f"objective must be an integer in [0, 1] for this study (2 objectives), got {value!r}.")


def test_a_study_of_one_objective_takes_objective_0_only(served):
    assert _json(served, "/api/studies/2?objective=0")[1]["objective"] == 0
    got, answer = _json(served, "/api/studies/2/trials?objective=1")
    assert got == 400 and "in [0, 0] for this study (1 objective), got '1'" in answer["error"]


def test_the_page_and_its_files_are_served_with_a_strict_policy(served):
    status, headers, body = _get(served, "/")
    static = resources.files("sksearch.dashboard").joinpath("static")
    assert status == 200 and body == static.joinpath("index.html").read_bytes()
    assert headers["Content-Type"].startswith("text/html")
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    for name in ("app.js", "style.css"):
        status, _, body = _get(served, f"/static/{name}")
        assert status == 200 and body == static.joinpath(name).read_bytes()
    # user data reaches the document as text only: the page has no markup sink
    script = static.joinpath("app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script


# the files index.html loads, and the modules a script imports ("./name.js")
_PAGE_FILE = re.compile(r'(?:src|href)="static/([^"]+)"')
_IMPORTED = re.compile(r'^import\b[^;]*?\bfrom "\./([^"/]+)";', re.MULTILINE)
# what would parse a string as markup or code
_MARKUP_SINKS = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(")


def test_every_file_the_page_loads_is_served(served):
    static = resources.files("sksearch.dashboard").joinpath("static")
    todo, seen = _PAGE_FILE.findall(static.joinpath("index.html").read_text()), set()
    while todo:  # the page's files, then the modules each script imports
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        status, headers, body = _get(served, f"/static/{name}")
        assert status == 200 and body == static.joinpath(name).read_bytes(), name
        if name.endswith(".js"):
            assert headers["Content-Type"].startswith("text/javascript")
            todo += _IMPORTED.findall(body.decode())
    assert {"app.js", "style.css"} < seen
    # nothing shipped that the page never loads
    assert seen | {"index.html"} == set(served.static)


def test_the_served_files_are_the_packages_small_and_without_a_markup_sink(served):
    static = resources.files("sksearch.dashboard").joinpath("static")
    assert {"index.html", "app.js", "style.css"} <= set(served.static)
    for name, (body, _) in served.static.items():
        assert static.joinpath(name).is_file() and body == static.joinpath(name).read_bytes()
        lines = body.count(b"\n")
        assert lines <= 600, f"{name} has {lines} lines: split it"
        if name.endswith(".js"):  # user data reaches the document as text only
            assert [sink for sink in _MARKUP_SINKS if sink in body.decode()] == [], name


def test_the_served_files_are_in_the_package_data(served):
    # a non-editable install (a wheel) ships what pyproject's package data names
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"]
    patterns = config["sksearch.dashboard"]
    for name in served.static:
        assert any(fnmatch.fnmatch(f"static/{name}", p) for p in patterns), name


@pytest.mark.parametrize("path", [
    "/static/../_server.py", "/static/..%2f_server.py", "/static/%2e%2e/_server.py",
    "/static/%2E%2E%2F__init__.py", "/static/../../storage/sqlite.py", "/static//etc/passwd",
    "/static/", "/static", "/../__init__.py", "/static/./app.js", "/static/app.js/",
    "/static/APP.JS", "/etc/passwd", "//etc/passwd", "/static/..\\_server.py",
])
def test_no_file_outside_the_assets_is_served(served, path):
    status, headers, body = _get(served, path)
    assert status == 404
    assert json.loads(body)["error"].startswith("No such")


@pytest.mark.parametrize("path, status, message", [
    ("/api", 404, "No such page"),
    ("/api/studies/", 404, "No such page"),
    ("/api/studies/99", 404, "No study with id 99"),
    ("/api/studies/99/trials", 404, "No study with id 99"),
    ("/api/studies/1/nope", 404, "No such page"),
    ("/api/studies/x", 404, "No such page"),
    ("/api/studies/1/trials?since=abc", 400, "since must be a non-negative integer, got 'abc'"),
    ("/api/studies/1/trials?since=-1", 400, "got '-1'"),
])
def test_wrong_urls_get_a_json_error(served, path, status, message):
    got, answer = _json(served, path)
    assert got == status and message in answer["error"]


@pytest.mark.parametrize("host, allowed", [
    ("127.0.0.1:8080", True), ("localhost:8080", True), ("localhost", True),
    ("[::1]:8080", True), ("evil.example:8080", False), ("127.0.0.1.evil.example", False),
    ("", False)])
def test_only_requests_naming_this_machine_are_answered(served, host, allowed):
    status, _, body = _get(served, "/api/studies", host_header=host)
    assert status == (200 if allowed else 403)
    if not allowed:
        assert "its own address only" in json.loads(body)["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_it_is_read_only(served, method):
    status, headers, body = _get(served, "/api/studies", method=method)
    assert status == 405 and headers["Allow"] == "GET"
    assert "read-only" in json.loads(body)["error"]


def test_a_port_taken_is_a_clear_error(db, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"127.0.0.1:{port}: the port is already in use"):
            make_server(db, port=port)
        assert main([f"sqlite:///{db}", "--port", str(port)]) == 2
    assert "already in use" in capsys.readouterr().err


def test_arguments_are_checked(tmp_path, capsys):
    missing = tmp_path / "missing.db"
    assert main([f"sqlite:///{missing}"]) == 2
    assert "no such file" in capsys.readouterr().err and not missing.exists()
    with pytest.raises(ValueError, match="port must be an int in \\[0, 65535\\], got 70000"):
        make_server(None, port=70000)
    with pytest.raises(ValueError, match="host must be a non-empty str, got ''"):
        make_server(None, host="")


def test_module_entry_point_dispatches(tmp_path, capsys):
    from sksearch.__main__ import main as module_main

    assert module_main([]) == 2
    assert "dashboard URL [--host H] [--port P]" in capsys.readouterr().out
    assert module_main(["dashboard", str(tmp_path / "none.db")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.slow  # a fresh interpreter importing scikit-learn: seconds
def test_python_dash_m_sksearch(tmp_path):
    run = subprocess.run([sys.executable, "-m", "sksearch", "dashboard",
                          str(tmp_path / "none.db")], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and "no such file" in run.stderr


_FIRST_REQUESTS = textwrap.dedent("""
    import http.client, json, sys, threading
    from sksearch.dashboard import make_server
    server = make_server(sys.argv[1], port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    paths = [f"/api/studies/1/{kind}" for kind in
             ("importances", "slice", "rank", "contour", "edf", "history", "pareto")]
    start, got = threading.Barrier(len(paths)), {}
    def ask(path):
        connection = http.client.HTTPConnection(*server.server_address[:2], timeout=60)
        start.wait()
        connection.request("GET", path)
        got[path] = connection.getresponse().status
    threads = [threading.Thread(target=ask, args=(path,)) for path in paths]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(got))
""")


@pytest.mark.slow  # fresh interpreters importing scikit-learn: seconds
def test_the_first_requests_of_a_fresh_server_at_once_are_answered(tmp_path):
    # the page's first poll asks the importances and a view together; each
    # imported sksearch.plot on first use, and two threads doing so at once
    # deadlocked on its import locks (a 500, one fresh server in two)
    path = tmp_path / "fresh.db"
    Study(direction="minimize", storage=path, study_name="fresh", sampler="random",
          random_state=0).optimize(
        lambda t: t.suggest_float("x", -2, 2) ** 2 + t.suggest_float("y", 0, 1), n_trials=12)
    runs = [subprocess.Popen([sys.executable, "-c", _FIRST_REQUESTS, str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(4)]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert set(json.loads(out).values()) == {200}, err


# -- in a browser ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    """A headless Chromium from the system packages, or a skip saying what is missing."""
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("chromium and chromedriver are not installed "
                    "(apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    # the system driver only: Selenium Manager must not try to download one
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1600"):
        options.add_argument(argument)
    options.binary_location = chromium
    # the page's console, read by _console_errors
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    yield browser
    browser.quit()


_WRITER = textwrap.dedent("""
    import sys, time
    from sksearch import Study
    study = Study(direction="minimize", storage=sys.argv[1], study_name="live",
                  sampler="random", random_state=int(sys.argv[2]))
    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        time.sleep(0.1)
        trial.report(x * x + 1, 0)
        return x * x
    study.optimize(objective, n_trials=int(sys.argv[3]))
""")


def _console_errors(browser):
    """The errors the page logged since the last call (a failed script, a
    failed fetch): a view that threw would leave the rest undrawn."""
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _serve(storage):
    server = make_server(storage, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_the_page_grows_live_in_a_browser(tmp_path, browser):
    from selenium.webdriver.common.by import By

    path = tmp_path / "live.db"
    Study(direction="minimize", storage=path, study_name="live")  # the writers attach
    server = make_server(path, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    # two processes write into the one study while the page is open
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), str(seed), "15"])
               for seed in (1, 2)]
    try:
        browser.get(server.url + "#study=1")
        browser.execute_script("window.notReloaded = true;")
        count = lambda: int(browser.execute_script(  # noqa: E731
            "return Number(document.body.dataset.trials || 0)"))
        rows = lambda: len(browser.find_elements(  # noqa: E731
            By.CSS_SELECTOR, "#trials tbody tr[data-number]"))
        points = lambda: len(browser.find_elements(  # noqa: E731
            By.CSS_SELECTOR, "#history circle.point"))
        # every step is waited for with a generous deadline, never assumed: on a
        # loaded machine a writer, a poll or a draw can each take seconds
        _wait(lambda: points() >= 3, 120, "the first points of the history")
        first_rows, first_points = rows(), points()
        _wait(lambda: points() >= first_points + 5, 120, "the history to grow")
        assert rows() > first_rows
        assert browser.execute_script("return window.notReloaded === true")
        for writer in writers:
            writer.wait(timeout=300)
        # the count, the history and the table's rows, all three: the last
        # poll can bring many trials at once (see the burst test below)
        _wait(lambda: count() == 30 and points() == 30 and rows() == 30, 120,
              "all 30 trials on the page")
        assert rows() == 30
        # the other views are drawn from the same data
        assert len(browser.find_elements(By.CSS_SELECTOR, "#parallel path.pc")) == 30
        assert len(browser.find_elements(By.CSS_SELECTOR, "#intermediate path.trace")) == 30
        assert len(browser.find_elements(By.CSS_SELECTOR, "#timeline rect.span")) == 30
        # the importances are computed by the server after the trials (a
        # random forest per study): slow on a loaded CI machine
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#importances rect.bar"), 120,
              "the importances")
        # sorting by value puts the best first
        browser.find_element(By.CSS_SELECTOR, "#trials th[data-key=value]").click()
        numbers = [int(r.get_attribute("data-number")) for r in
                   browser.find_elements(By.CSS_SELECTOR, "#trials tbody tr[data-number]")]
        values = Study(storage=path, study_name="live").get_trials((TrialState.COMPLETE,))
        assert numbers[0] == min(values, key=lambda t: t.value).number
        assert browser.execute_script("return window.notReloaded === true")
    finally:
        for writer in writers:
            writer.kill()
        server.shutdown()
        server.server_close()


def test_a_burst_of_trials_is_drawn_in_full(tmp_path, browser):
    """The table grows with its rows up to its max-height: rows drawn for the
    height it had before a burst of trials (a slow poll, a loaded machine)
    left the new ones undrawn below a blank spacer until the user scrolled."""
    from selenium.webdriver.common.by import By

    path = tmp_path / "burst.db"
    study = Study(direction="minimize", storage=path, study_name="burst", sampler="random",
                  random_state=0)
    study.optimize(lambda t: t.suggest_float("x", -2, 2) ** 2, n_trials=5)
    server = _serve(path)
    rows = lambda: len(browser.find_elements(  # noqa: E731
        By.CSS_SELECTOR, "#trials tbody tr[data-number]"))
    try:
        browser.get(server.url + "#study=1")
        _wait(lambda: rows() == 5, 60, "the first rows")
        study.optimize(lambda t: t.suggest_float("x", -2, 2) ** 2, n_trials=25)
        _wait(lambda: browser.execute_script("return document.body.dataset.trials") == "30", 60,
              "the burst on the page")
        # the page draws its rows and then sets the count, in one task
        assert rows() == 30
        assert _console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()


def test_markup_in_names_and_values_stays_text_in_a_browser(db, browser):
    from selenium.webdriver.common.by import By

    server = make_server(db, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        browser.get(server.url + "#study=2")
        title = _wait(lambda: browser.find_element(By.ID, "study-title").text, 30,
                      "the study's title")
        assert title == NASTY
        links = _wait(lambda: [a.text for a in browser.find_elements(
            By.CSS_SELECTOR, "#study-list a")], 30, "the list of studies")
        assert links[1] == f"{NASTY}(12)"
        _wait(lambda: len(browser.find_elements(
            By.CSS_SELECTOR, "#trials tbody tr[data-number]")) == 12, 30, "the table")
        cells = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#trials tbody td")]
        assert NASTY in cells
        # nothing of it became an element, and no handler ran
        assert browser.find_elements(By.CSS_SELECTOR, "main img, main script") == []
        assert browser.title == "sksearch dashboard"
    finally:
        server.shutdown()
        server.server_close()


def test_the_page_switches_the_objective_it_draws(two_objectives, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    server, study = two_objectives
    browser.get(server.url + "#study=1")
    # read in the page in one call: the page redraws while it polls, and an
    # element found in one call may be gone (stale) by the next
    options = ("return document.getElementById('objective-pick').hidden ? null : "
               "[...document.querySelectorAll('#objective option')].map(o => o.textContent)")
    _wait(lambda: browser.execute_script(options) == ["accuracy (minimize)",
                                                      "fit_time (maximize)"], 30,
          "the objective selector, by metric name")

    def table_values():  # both objective columns of the table, by trial number
        rows = browser.execute_script(
            "return [...document.querySelectorAll('#trials tbody tr[data-number]')].map("
            "r => [r.dataset.number, r.children[2].textContent, r.children[3].textContent])")
        return {int(number): (a, b) for number, a, b in rows}

    def shown(v):
        return str(round(v * 1e4) / 1e4).removesuffix(".0")

    expected = {t.number: ("–", "–") if t.values is None else tuple(map(shown, t.values))
                for t in study.trials}
    _wait(lambda: table_values() == expected, 30, "one column per objective in the table")
    headers = browser.execute_script(
        "return [...document.querySelectorAll('#trials th')].map(th => th.textContent)")
    assert headers[2:4] == ["accuracy", "fit_time"]
    assert browser.execute_script(
        "return document.querySelector('#history .ylabel').firstChild.nodeValue") == "accuracy"
    Select(browser.find_element(By.ID, "objective")).select_by_value("1")
    _wait(lambda: browser.execute_script("return (document.querySelector('#history .ylabel')"
                                         " || {firstChild: {}}).firstChild.nodeValue")
          == "fit_time", 30,
          "objective 1 drawn")
    meta = browser.find_element(By.ID, "study-meta").text
    assert meta.startswith("minimize accuracy, maximize fit_time")
    assert table_values() == expected  # the table shows every objective either way
    assert _console_errors(browser) == []


def test_the_pareto_front_view_and_header(two_objectives, browser):
    from sksearch.plot._pareto import pareto_data

    server, study = two_objectives
    front = pareto_data(study)
    n_front = int(front.on_front.sum())
    browser.get(server.url + "#study=1")
    count = ("return document.getElementById('pareto').hidden ? -1 : "
             "document.querySelectorAll('#pareto circle.point.front').length")
    _wait(lambda: browser.execute_script(count) == n_front, 30, "the front's points")
    assert browser.execute_script(
        "return document.querySelectorAll('#pareto circle.point').length") == len(front.numbers)
    meta = browser.find_element("id", "study-meta").text
    assert f"Pareto front: {n_front} of {len(front.numbers)} complete trials" in meta
    assert "best" not in meta  # no single best of several objectives
    labels = browser.execute_script(
        "return [...document.querySelectorAll('#pareto svg > text')]"
        ".map(t => t.firstChild.nodeValue)")
    assert labels == ["accuracy (minimize)", "fit_time (maximize)"]
    assert _console_errors(browser) == []


def test_the_history_and_axes_read_true(db, browser):
    """The best so far is a step line; value axes end at the data's limits
    with round ticks in between; the y label fits in its chart."""
    study = Study(storage=f"sqlite:///{db}", study_name="search")
    values = [t.value for t in study.get_trials((TrialState.COMPLETE,))]
    server = _serve(db)
    try:
        browser.get(server.url + "#study=1")
        _wait(lambda: browser.execute_script(
            "return document.querySelector('#history path.best')"), 30, "the history")
        d = browser.execute_script(
            "return document.querySelector('#history path.best').getAttribute('d')")
        assert d.startswith("M") and "L" not in d and set(d[1:]) <= set("0123456789.,-HV")
        ticks = browser.execute_script(
            "return [...document.querySelectorAll('#parallel .value-axis .tick text')]"
            ".map(t => Number(t.firstChild.nodeValue))")
        assert len(ticks) >= 2
        assert all(min(values) - 1e-9 <= t <= max(values) + 1e-9 for t in ticks)
        history_ticks = browser.execute_script(
            "return [...document.querySelectorAll('#history .axis .tick text')]"
            ".map(t => t.textContent)")
        assert all(float(t) <= 1 for t in history_ticks if "." in t)  # an accuracy
        inside = browser.execute_script("""
            const label = document.querySelector('#history .ylabel');
            const box = label.getBoundingClientRect();
            const chart = label.ownerSVGElement.getBoundingClientRect();
            return box.left >= chart.left && box.top >= chart.top
                && box.bottom <= chart.bottom;""")
        assert inside
        assert _console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()


def test_a_large_study_is_drawn_in_bulk_and_its_table_filters(browser):
    """Past 1,000 fold tasks the timeline merges its bars; the table draws the
    rows in view only, and filters by state, text and parameter range."""
    from selenium.webdriver.common.by import By

    from sksearch.storage import InMemoryStorage

    storage = InMemoryStorage()
    study = Study(direction="minimize", storage=storage, study_name="large",
                  sampler="random", random_state=0)
    for k in range(520):
        trial = study.ask({"x": Float(-1, 1), "kind": Categorical(["odd", "even"])})
        start = time.time()
        folds = [FoldRecord(test_scores=0.5, spans=[[f"w{k}", start + k, start + k + 0.5]])
                 for k in range(2)]
        study.tell(trial, trial.params["x"] ** 2,
                   state=TrialState.PRUNED if k % 10 == 3 else None,
                   system_attrs={FOLDS_ATTR: records_to_json(folds)})
    server = _serve(storage)
    trials = study.trials
    try:
        (study_id, _), = storage.get_all_studies()
        browser.get(server.url + f"#study={study_id}")
        shown = lambda: int(browser.execute_script(  # noqa: E731
            "return document.getElementById('trials').dataset.rows || -1"))
        drawn = lambda: browser.execute_script(  # noqa: E731
            "return [...document.querySelectorAll('#trials tbody tr[data-number]')]"
            ".map(r => Number(r.dataset.number))")
        _wait(lambda: shown() == 520, 30, "the table over 520 trials")
        assert 10 < len(drawn()) < 100  # the rows in view, not 520
        assert browser.find_element(By.ID, "trial-count").text == "520 trials"
        browser.execute_script("const w = document.querySelector('#trials .table-wrap');"
                               "w.scrollTop = w.scrollHeight;")
        _wait(lambda: 519 in drawn(), 10, "the last row after scrolling")
        assert browser.find_elements(By.CSS_SELECTOR, "#timeline rect.span") == []
        merged = browser.find_elements(By.CSS_SELECTOR, "#timeline path.spans")
        assert len(merged) == 2 * 2  # one per worker and state
        # by state
        browser.find_element(By.CSS_SELECTOR, "#state-filter input[value=COMPLETE]").click()
        n_pruned = sum(t.state is TrialState.PRUNED for t in trials)
        _wait(lambda: shown() == n_pruned, 10, "the pruned trials only")
        assert browser.find_element(By.ID, "trial-count").text == (
            f"{n_pruned} of 520 trials shown")
        browser.find_element(By.CSS_SELECTOR, "#state-filter input[value=COMPLETE]").click()
        # by text, then by a parameter's range as well
        browser.find_element(By.ID, "search").send_keys("kind=even")
        evens = [t for t in trials if t.params["kind"] == "even"]
        _wait(lambda: shown() == len(evens), 10, "the trials of kind even")
        browser.find_element(By.CSS_SELECTOR, "#ranges summary").click()
        box = browser.find_element(By.CSS_SELECTOR, "#range-boxes input[data-param=x]"
                                                    "[data-side=min]")
        box.send_keys("0.5")
        wanted = sorted(t.number for t in evens if t.params["x"] >= 0.5)
        _wait(lambda: shown() == len(wanted), 10, "the range filter")
        # sorted by value, the best first
        browser.find_element(By.CSS_SELECTOR, "#trials th[data-key=value]").click()
        best = min((t for t in evens if t.params["x"] >= 0.5 and t.value is not None),
                   key=lambda t: t.value)
        # a new order starts at its top, wherever the table was scrolled to
        _wait(lambda: drawn()[:1] == [best.number], 10, "the best row first")
        assert shown() == len(wanted) and set(drawn()) <= set(wanted)
        assert _console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()


def test_a_rows_detail_shows_everything_stored_of_its_trial(tmp_path, browser):
    from selenium.webdriver.common.by import By

    from sksearch.trial import INTERRUPTED_KEY

    path = tmp_path / "detail.db"
    study = Study(direction="maximize", storage=path, study_name="detail")
    trial = study.ask({"alpha": Float(0.1, 1)})
    trial.report(0.7, 0)
    trial.set_user_attr("note", NASTY)
    folds = [FoldRecord(test_scores={"accuracy": 0.8 + k / 100, "recall": 0.5}, fit_time=0.25,
                        score_time=0.01, n_test_samples=50) for k in range(3)]
    study.tell(trial, 0.81, system_attrs={FOLDS_ATTR: records_to_json(folds)})
    cut = study.ask({"alpha": Float(0.1, 1)})
    study.tell(cut, state=TrialState.FAIL, system_attrs={
        INTERRUPTED_KEY: "KeyboardInterrupt", "fail_reason": "stopped by Ctrl-C"})
    running = study.ask({"alpha": Float(0.1, 1)})
    server = _serve(path)
    try:
        browser.get(server.url + "#study=1")
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#trials tr[data-number='0']"),
              30, "the table")
        # the indicator of running trials, in the header and the list of studies
        _wait(lambda: browser.find_element(By.ID, "running").text == "1 trial running now",
              30, "the running indicator")
        _wait(lambda: "1 running" in browser.find_element(By.ID, "study-list").text, 30,
              "the running count of the study")
        browser.find_element(By.CSS_SELECTOR, "#trials tr[data-number='0']").click()
        _wait(lambda: browser.find_element(By.ID, "detail").is_displayed(), 10, "the detail")
        text = browser.find_element(By.ID, "detail").text
        assert "Trial 0 (complete)" in text and "alpha" in text
        assert repr(trial.params["alpha"]) in text
        assert "accuracy: 0.8, recall: 0.5" in text and "accuracy: 0.82, recall: 0.5" in text
        assert len(browser.find_elements(By.CSS_SELECTOR, "#detail table.folds tr")) == 4
        assert "step 0" in text and "0.7" in text
        assert NASTY in text and browser.find_elements(By.CSS_SELECTOR, "#detail img") == []
        assert "duration (s)" in text
        browser.find_element(By.CSS_SELECTOR, "#trials tr[data-number='1']").click()
        _wait(lambda: "Trial 1 (fail)" in browser.find_element(By.ID, "detail").text, 10,
              "the failed trial's detail")
        text = browser.find_element(By.ID, "detail").text
        assert "interrupted (sksearch:interrupted): KeyboardInterrupt" in text
        assert "stopped by Ctrl-C" in text
        browser.find_element(By.CSS_SELECTOR, f"#trials tr[data-number='{running.number}']"
                             ).click()
        _wait(lambda: "running now" in browser.find_element(By.ID, "detail").text, 10,
              "the running trial's detail")
        browser.find_element(By.ID, "detail-close").click()
        assert not browser.find_element(By.ID, "detail").is_displayed()
        assert _console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()


# -- under stress: malformed parameters, bursts, idle connections ------------------------
@pytest.mark.parametrize("query, name", [
    ("since=" + "9" * 5000, "since"),
    ("since=%C2%B2", "since"),  # "²": a digit to str.isdigit, not to int()
    ("since=%EF%BC%91", "since"),  # a fullwidth 1
    ("since=-1", "since"),
    ("since=1e3", "since"),
    ("objective=%C2%B2", "objective"),
    ("objective=" + "9" * 5000, "objective"),
])
def test_malformed_query_parameters_are_a_short_400(served, query, name):
    status, headers, body = _get(served, f"/api/studies/1/trials?{query}")
    assert status == 400 and headers["Content-Type"] == "application/json"
    error = json.loads(body)["error"]
    assert error.startswith(f"{name} must be") and len(error) < 200
    assert "Error" not in error and "Traceback" not in error


def test_a_server_error_sends_no_python_text(served, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(type(served.studies), "studies", broken)
    status, body = _json(served, "/api/studies")
    assert status == 500 and "secret" not in body["error"] and "Runtime" not in body["error"]


def test_two_hundred_requests_at_once_are_all_answered(served):
    import http.client

    host, port = served.server_address[:2]
    assert host == "127.0.0.1"
    start = threading.Barrier(200)
    answers = [None] * 200

    def one(k):
        start.wait(timeout=30)
        connection = http.client.HTTPConnection(host, port, timeout=5)
        try:
            connection.request("GET", "/api/studies")
            response = connection.getresponse()
            response.read()
            answers[k] = response.status
        except OSError as exc:  # a timeout or a refused connection
            answers[k] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(k,)) for k in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == [200] * 200


def _closed_within(sock, seconds):
    """Whether the server closed ``sock`` within ``seconds``."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass  # the rest of an answer
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


def test_idle_connections_are_closed_and_threads_stay_bounded(db):
    import socket
    import time

    # threads of servers that earlier tests closed may still be finishing a
    # kept-alive connection of their browser: only this server's are counted
    earlier = set(threading.enumerate())
    server = make_server(f"sqlite:///{db}", port=0, threads=4, idle_timeout=0.3)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    host, port = server.server_address[:2]
    try:
        # a kept-alive connection, idle after one answer
        kept = socket.create_connection((host, port), timeout=5)
        kept.sendall(b"GET /api/studies HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert kept.recv(12).startswith(b"HTTP/1.1 200")
        began = time.monotonic()
        assert _closed_within(kept, 5) and time.monotonic() - began < 3
        kept.close()
        # connections that never send anything: no thread each, all closed
        idle = [socket.create_connection((host, port), timeout=5) for _ in range(12)]
        time.sleep(0.2)
        workers = [t for t in threading.enumerate()
                   if t.name.startswith("sksearch-dashboard_") and t not in earlier]
        assert len(workers) <= 4
        assert all(_closed_within(sock, 5) for sock in idle)
        for sock in idle:
            sock.close()
        assert _get(server, "/api/studies")[0] == 200  # still answering
    finally:
        server.shutdown()
        server.server_close()


def test_server_limits_are_checked(db):
    with pytest.raises(ValueError, match="threads must be an int >= 1, got 0"):
        make_server(f"sqlite:///{db}", port=0, threads=0)
    with pytest.raises(ValueError, match="idle_timeout must be a number of seconds > 0, got -1"):
        make_server(f"sqlite:///{db}", port=0, idle_timeout=-1)


# -- slice, contour, rank, EDF, compared studies and the address, in a browser --------
_INSIDE = """
    // every text of the analysis view and the history lies inside its chart
    const texts = [...document.querySelectorAll('#analysis svg text, #history svg text')];
    return texts.filter(t => {
        const box = t.getBoundingClientRect(), chart = t.ownerSVGElement.getBoundingClientRect();
        return box.width > 0 && (box.left < chart.left - 1 || box.right > chart.right + 1
            || box.top < chart.top - 1 || box.bottom > chart.bottom + 1);
    }).map(t => t.textContent);"""


def _texts(browser, selector):
    return browser.execute_script(
        f"return [...document.querySelectorAll({selector!r})]"
        ".map(t => t.firstChild ? t.firstChild.nodeValue : '')")


def _open(browser, url):
    browser.get("about:blank")  # a new hash alone would not load the page again
    browser.get(url)


@pytest.mark.parametrize("view", ["slice", "rank"])
def test_the_slice_and_rank_views_render(db, browser, view):
    server = _serve(db)
    try:
        answer = _json(server, f"/api/studies/1/{view}")[1]
        _open(browser, server.url + f"#study=1&view={view}")
        charts = "#analysis .small-multiples > svg"
        _wait(lambda: len(browser.find_elements("css selector", charts)) == 2, 30,
              f"the {view} panels")
        for k, panel in enumerate(answer["panels"]):
            svg_k = f"{charts}:nth-child({k + 1})"
            points = browser.find_elements("css selector", f"{svg_k} circle.point")
            assert len(points) == len(panel["x"])
            labels = _texts(browser, f"{svg_k} > text")
            assert labels[0] == panel["axis"]["label"] and labels[1] == answer["ylabel"]
            ticks = _texts(browser, f"{svg_k} .axis .tick text")
            assert len(ticks) >= 3 and all(ticks)
        # the categorical axis is labelled by its choices, the log one by decades
        assert {"True", "False"} <= set(_texts(browser, f"{charts}:nth-child(2) .tick text"))
        assert "1" in _texts(browser, f"{charts}:nth-child(1) .tick text")
        assert _texts(browser, "#analysis svg.colorbar > text") == [answer["colorbar"]]
        tab = browser.find_element("css selector", f"#view-tabs button[data-view={view}]")
        assert tab.get_attribute("aria-selected") == "true"
        assert browser.execute_script(_INSIDE) == []
        assert _console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()


def test_the_contour_view_draws_the_plots_grid_and_picks_its_axes(two_objectives, browser):
    from selenium.webdriver.support.ui import Select

    server, study = two_objectives
    _open(browser, server.url + "#study=1&view=contour")
    _wait(lambda: browser.find_elements("css selector", "#analysis path.cells"), 30,
          "the contour's cells")
    n_both = sum(1 for t in study.get_trials((TrialState.COMPLETE,)) if "y" in t.params)
    assert len(browser.find_elements("css selector", "#analysis circle.point.on-surface")) \
        == n_both
    assert _texts(browser, "#analysis svg:not(.colorbar) > text") == ["x", "y"]
    assert len(_texts(browser, "#analysis svg:not(.colorbar) .tick text")) >= 4
    assert browser.find_elements("css selector", "#analysis svg.colorbar linearGradient stop")
    assert "accuracy" in _texts(browser, "#analysis svg.colorbar > text")[0]
    # the axes are picked by their selectors, and the address says which
    Select(browser.find_element("id", "contour-x")).select_by_value("y")
    Select(browser.find_element("id", "contour-y")).select_by_value("x")
    # read in one call: the page redraws as it polls, and a found element may go stale
    _wait(lambda: "x vs y" in browser.execute_script(
        "return (document.querySelector('#analysis .note') || {}).textContent || ''"),
        30, "the swapped contour")
    assert browser.execute_script("return location.hash") == "#study=1&view=contour&x=y&y=x"
    assert browser.execute_script(_INSIDE) == []
    assert _console_errors(browser) == []


def test_several_studies_on_one_history_and_one_edf(db, browser):
    """Each compared study's best-so-far line and distribution in its own
    colour, named (as text) in a legend; picked in the list of studies."""
    server = _serve(db)
    try:
        _open(browser, server.url + "#study=1&view=edf")
        _wait(lambda: len(browser.find_elements("css selector", "#analysis path.edf")) == 1,
              30, "the EDF of the study shown")
        assert browser.find_elements("css selector", "#history path.compare") == []
        browser.find_element("css selector", "#compare-list input[value='2']").click()
        _wait(lambda: len(browser.find_elements("css selector", "#analysis path.edf")) == 2,
              30, "the EDF of both studies")
        _wait(lambda: len(browser.find_elements("css selector", "#history path.compare")) == 1,
              30, "the compared study's best so far")
        assert _texts(browser, "#analysis .legend span") == ["search", NASTY]
        legend = _texts(browser, "#history .legend span")
        assert legend[-2:] == ["best so far: search", NASTY]
        strokes = browser.execute_script(
            "return [...document.querySelectorAll('#analysis path.edf')]"
            ".map(p => p.getAttribute('stroke'))")
        assert len(set(strokes)) == 2
        assert browser.find_elements("css selector", "main img, main script") == []
        assert browser.execute_script("return location.hash") == "#study=1&view=edf&compare=2"
        assert browser.execute_script(_INSIDE) == []
        assert _console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()


def test_a_link_reproduces_the_filters_the_view_and_the_comparison(db, browser):
    from selenium.webdriver.common.by import By

    server = _serve(db)
    study = Study(storage=f"sqlite:///{db}", study_name=NASTY)
    wanted = [t.number for t in study.trials if t.params["kind"] == "plain"
              and t.params["x"] >= 0]
    shown = lambda: int(browser.execute_script(  # noqa: E731
        "return document.getElementById('trials').dataset.rows || -1"))
    try:
        _open(browser, server.url + "#study=2")
        _wait(lambda: shown() == 12, 30, "the table")
        browser.find_element(By.ID, "search").send_keys("kind=plain")
        browser.find_element(By.CSS_SELECTOR, "#ranges summary").click()
        browser.find_element(By.CSS_SELECTOR, "#range-boxes input[data-param=x]"
                                              "[data-side=min]").send_keys("0")
        browser.find_element(By.CSS_SELECTOR, "#state-filter input[value=FAIL]").click()
        browser.find_element(By.CSS_SELECTOR, "#view-tabs button[data-view=rank]").click()
        browser.find_element(By.CSS_SELECTOR, "#trials th[data-key=value]").click()
        browser.find_element(By.CSS_SELECTOR, "#compare-list input[value='1']").click()
        _wait(lambda: shown() == len(wanted), 10, "the filtered rows")
        link = browser.current_url
        assert "q=kind%3Dplain" in link and "range.x=0%3A" in link and "view=rank" in link
        assert "states=COMPLETE%2CPRUNED%2CRUNNING" in link and "sort=value" in link
        assert "compare=1" in link
        _open(browser, link)  # a fresh page from the link alone
        _wait(lambda: shown() == len(wanted), 30, "the filtered rows from the link")
        assert browser.find_element(By.ID, "search").get_attribute("value") == "kind=plain"
        assert browser.find_element(By.CSS_SELECTOR, "#range-boxes input[data-param=x]"
                                                     "[data-side=min]").get_attribute(
            "value") == "0"
        assert not browser.find_element(
            By.CSS_SELECTOR, "#state-filter input[value=FAIL]").is_selected()
        assert browser.find_element(By.CSS_SELECTOR, "#trials th.sorted").get_attribute(
            "data-key") == "value"
        assert browser.find_element(By.CSS_SELECTOR, "#view-tabs button[data-view=rank]"
                                    ).get_attribute("aria-selected") == "true"
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#analysis circle.point"), 30,
              "the rank view")
        assert browser.find_element(By.CSS_SELECTOR, "#compare-list input[value='1']"
                                    ).is_selected()
        _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#history path.compare"), 30,
              "the compared study")
        assert browser.execute_script("return location.href") == link
        assert _console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()
