"""How long the dashboard takes to show its first page over a large study.

Writes a SQLite study of ``--n-trials`` trials shaped like a search's (4
parameters, 5 folds each with its fold record, timeline span and intermediate
value; 10% pruned, 2% failed), kept in ``--db`` between runs, then starts a
fresh server for each repeat and times what the page fetches before it draws:
the page and its two files, the list of studies, the study and all its trials
(``since=0``, the cold read). A poll afterwards (``since=next``, nothing new)
and the importances (fetched after the first draw) are timed too. With
``--browser`` it also opens the page in headless Chromium and reports the
time from navigation to the first complete draw (``document.body.dataset.
firstDrawMs``). ``--screenshots DIR`` runs a real BayesSearchCV (pruned, two
workers) into a second file, and the same search with the random sampler
into the same file (to compare the two), and saves a picture of every view.

    python benchmarks/dashboard_load.py --n-trials 2000 --repeats 5 --browser
    python benchmarks/dashboard_load.py --quick
    python benchmarks/dashboard_load.py --screenshots docs/_static
"""

import argparse
import http.client
import os
import shutil
import statistics
import sys
import threading
import time
import warnings
from importlib import resources

import numpy as np

from sksearch import Study, TrialState
from sksearch._records import FOLDS_ATTR, FoldRecord, records_to_json
from sksearch.dashboard import make_server
from sksearch.distributions import Categorical, Float, Int

_SPACE = {"learning_rate": Float(1e-3, 0.5, log=True), "max_leaf_nodes": Int(4, 64, log=True),
          "l2_regularization": Float(1e-4, 10, log=True),
          "loss": Categorical(["log_loss", "exponential"])}


def write_study(path, n_trials, n_folds=5, seed=0):
    """A study of ``n_trials`` finished trials with fold records, as a search writes."""
    study = Study(direction="maximize", storage=path, study_name="large", sampler="random",
                  random_state=seed)
    rng = np.random.default_rng(seed)
    clock = time.time() - n_trials
    for i in range(study.n_trials(), n_trials):
        trial = study.ask(_SPACE)
        lr = trial.params["learning_rate"]
        base = 0.95 - 0.02 * abs(np.log10(lr) + 1) - 0.01 * (trial.params["loss"] == "log_loss")
        folds, state = [], TrialState.COMPLETE
        n_run = 2 if rng.random() < 0.1 else n_folds
        for k in range(n_run):
            score = float(np.clip(base + 0.01 * rng.normal(), 0, 1))
            trial.report(score, k)
            start = clock + 0.2 * k
            folds.append(FoldRecord(test_scores=score, fit_time=0.18, score_time=0.01,
                                    n_test_samples=100,
                                    spans=[[f"host:{100 + i % 4}:MainThread", start,
                                            start + 0.19]]))
        clock += 1.0
        if n_run < n_folds:
            state = TrialState.PRUNED
            folds += [None] * (n_folds - n_run)
        value = float(np.mean([f.test_scores for f in folds if f is not None]))
        if rng.random() < 0.02:
            state, value = TrialState.FAIL, None
        study.tell(trial, value, state=state, system_attrs={FOLDS_ATTR: records_to_json(folds)})
    return study


def _get(connection, path):
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
    return body


def time_first_page(path, warm):
    """Seconds for the first page's requests on a fresh server (``warm``: once
    it has read the study, as it does when it starts), the next poll, and the
    importances."""
    import json

    server = make_server(path, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    if warm:
        server.ready.wait()
    try:
        connection = http.client.HTTPConnection(*server.server_address[:2], timeout=120)
        start = time.perf_counter()
        # the page and every file it loads (its script modules and style)
        static = resources.files("sksearch.dashboard").joinpath("static")
        assets = ["/"] + sorted(f"/static/{entry.name}" for entry in static.iterdir()
                                if entry.name.endswith((".js", ".css")))
        for asset in assets:
            _get(connection, asset)
        studies = json.loads(_get(connection, "/api/studies"))
        study_id = studies[0]["id"]
        _get(connection, f"/api/studies/{study_id}")
        first = json.loads(_get(connection, f"/api/studies/{study_id}/trials?since=0"))
        page = time.perf_counter() - start
        start = time.perf_counter()
        _get(connection, f"/api/studies/{study_id}/trials?since={first['next']}")
        poll = time.perf_counter() - start
        start = time.perf_counter()
        _get(connection, f"/api/studies/{study_id}/importances")
        importances = time.perf_counter() - start
        connection.close()
        return page, poll, importances, len(first["finished"])
    finally:
        server.shutdown()
        server.server_close()


def _browser(width=1400, height=1700):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # the system's driver, never a download
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", f"--window-size={width},{height}",
                     "--hide-scrollbars"):
        options.add_argument(argument)
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")),
                            options=options)


def _wait(condition, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise RuntimeError("timed out")


def time_browser(path, n_trials, repeats):
    """Milliseconds from navigation to the first complete draw, per repeat."""
    browser = _browser()
    times = []
    try:
        for _ in range(repeats):
            server = make_server(path, port=0)
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
            server.ready.wait()
            try:
                browser.get("about:blank")
                browser.get(server.url + "#study=1")
                _wait(lambda: browser.execute_script(
                    "return document.body.dataset.firstDrawMs"))
                assert browser.execute_script("return document.body.dataset.trials") == str(
                    n_trials)
                times.append(float(browser.execute_script(
                    "return document.body.dataset.firstDrawMs")))
            finally:
                server.shutdown()
                server.server_close()
    finally:
        browser.quit()
    return times


def screenshots(directory, db):
    """Run a real search into ``db`` and save a picture of every view in ``directory``."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier

    from sksearch import BayesSearchCV
    from sksearch.storage import get_storage

    names = {name for _, name in get_storage(db).get_all_studies()} \
        if os.path.exists(db) else set()
    for sampler, name in (("tpe", "breast-cancer HGB"), ("random", "breast-cancer HGB, random")):
        if name in names:
            continue
        X, y = load_breast_cancer(return_X_y=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            BayesSearchCV(
                HistGradientBoostingClassifier(early_stopping=False),
                {"learning_rate": Float(0.01, 0.5, log=True),
                 "max_leaf_nodes": Int(4, 64, log=True),
                 "min_samples_leaf": Int(5, 80, log=True),
                 "max_iter": Int(20, 150, log=True),
                 "l2_regularization": Float(1e-4, 10, log=True)},
                n_iter=60, cv=5, pruner="median", n_jobs=2, random_state=0, sampler=sampler,
                storage=f"sqlite:///{db}", study_name=name).fit(X, y)
    os.makedirs(directory, exist_ok=True)
    server = make_server(db, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    browser = _browser()
    try:
        browser.get(server.url + "#study=1")
        _wait(lambda: browser.execute_script("return document.body.dataset.firstDrawMs"))
        _wait(lambda: browser.find_elements("css selector", "#importances rect.bar"))
        time.sleep(0.5)
        browser.save_screenshot(os.path.join(directory, "dashboard-page.png"))
        for view in ("history", "importances", "parallel", "intermediate", "timeline",
                     "trials"):
            element = browser.find_element("id", view)
            browser.execute_script("arguments[0].scrollIntoView()", element)
            element.screenshot(os.path.join(directory, f"dashboard-{view}.png"))
            print(f"saved {directory}/dashboard-{view}.png")
        # the detail of the best trial, opened from the table
        browser.find_element("css selector", "#trials th[data-key=value]").click()
        browser.find_element("css selector", "#trials th[data-key=value]").click()
        browser.find_element("css selector", "#trials tr[data-number]").click()
        _wait(lambda: browser.find_element("id", "detail").is_displayed())
        time.sleep(0.3)
        browser.save_screenshot(os.path.join(directory, "dashboard-detail.png"))
        print(f"saved {directory}/dashboard-detail.png")
        _analysis_screenshots(browser, server.url, directory)
    finally:
        browser.quit()
        server.shutdown()
        server.server_close()
    _pareto_screenshot(directory, db + ".two-objectives")


def _analysis_screenshots(browser, url, directory):
    """The slice, contour, rank and EDF views, and the history compared with
    the random search, each opened from its link (the page's state is in its
    address)."""
    views = {"slice": ("#study=1", "#analysis .small-multiples circle.point"),
             "contour": ("#study=1&view=contour&x=learning_rate&y=l2_regularization",
                         "#analysis path.cells"),
             "rank": ("#study=1&view=rank", "#analysis .small-multiples circle.point"),
             "edf": ("#study=1&view=edf&compare=2", "#analysis path.edf:nth-of-type(2)"),
             "compare": ("#study=1&view=edf&compare=2", "#history path.compare")}
    for view, (fragment, ready) in views.items():
        browser.get("about:blank")
        browser.get(url + fragment)
        _wait(lambda: browser.find_elements("css selector", ready))  # noqa: B023
        time.sleep(0.5)
        element = browser.find_element("id", "history" if view == "compare" else "analysis")
        browser.execute_script("arguments[0].scrollIntoView()", element)
        element.screenshot(os.path.join(directory, f"dashboard-{view}.png"))
        print(f"saved {directory}/dashboard-{view}.png")


def _pareto_screenshot(directory, db):
    """A search of two objectives (accuracy against fit time) and its page."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.tree import DecisionTreeClassifier

    from sksearch import BayesSearchCV

    if not os.path.exists(db):
        X, y = load_breast_cancer(return_X_y=True)
        BayesSearchCV(DecisionTreeClassifier(random_state=0),
                      {"max_depth": Int(1, 12), "min_samples_leaf": Int(1, 40, log=True)},
                      n_iter=40, cv=3, scoring="accuracy", objectives=["score", "fit_time"],
                      refit=False, random_state=0, storage=f"sqlite:///{db}",
                      study_name="tree: accuracy vs fit time").fit(X, y)
    server = make_server(db, port=0)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    browser = _browser(height=1000)
    try:
        browser.get(server.url + "#study=1")
        _wait(lambda: browser.find_elements("css selector", "#pareto circle.point"))
        time.sleep(0.5)
        element = browser.find_element("id", "pareto")
        element.screenshot(os.path.join(directory, "dashboard-pareto.png"))
        print(f"saved {directory}/dashboard-pareto.png")
    finally:
        browser.quit()
        server.shutdown()
        server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", default=None,
                        help="study file, reused if it has the trials (default: a file in "
                             "the temporary folder named after --n-trials)")
    parser.add_argument("--browser", action="store_true",
                        help="also time the first draw in headless Chromium")
    parser.add_argument("--quick", action="store_true", help="300 trials, 2 repeats")
    parser.add_argument("--screenshots", metavar="DIR", default=None)
    args = parser.parse_args()
    if args.quick:
        args.n_trials, args.repeats = 300, 2
    if args.screenshots:
        import tempfile

        screenshots(args.screenshots, os.path.join(tempfile.gettempdir(),
                                                   "sksearch-dashboard-shots.db"))
        return
    if args.db is None:
        import tempfile

        args.db = os.path.join(tempfile.gettempdir(),
                               f"sksearch-dashboard-{args.n_trials}.db")
    start = time.perf_counter()
    write_study(args.db, args.n_trials)
    print(f"study of {args.n_trials} trials in {args.db} "
          f"(written in {time.perf_counter() - start:.1f} s)")
    cold = [time_first_page(args.db, warm=False) for _ in range(args.repeats)]
    warm = [time_first_page(args.db, warm=True) for _ in range(args.repeats)]
    assert all(n == args.n_trials for *_, n in cold + warm)
    print(f"{'median (max) of ' + str(args.repeats) + ' fresh servers':<46}{'seconds':>16}")
    for label, runs, column in (
            ("first page, server just started (cold read)", cold, 0),
            ("first page, server has read the study", warm, 0),
            ("next poll (no new trial)", warm, 1), ("importances", warm, 2)):
        values = [r[column] for r in runs]
        print(f"{label:<46}{statistics.median(values):>9.3f} ({max(values):.3f})")
    if args.browser:
        times = time_browser(args.db, args.n_trials, args.repeats)
        print(f"{'browser: navigation to first draw (read)':<46}"
              f"{statistics.median(times) / 1000:>9.3f} ({max(times) / 1000:.3f})")


if __name__ == "__main__":
    sys.exit(main())
