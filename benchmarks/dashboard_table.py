"""How fast the dashboard's first page and its trial table are at 20,000 trials.

Writes (once, kept in ``--db``) a SQLite study of ``--n-trials`` trials shaped
like a search's (see ``dashboard_load.write_study``), serves it, opens the page
in headless Chromium and reports: the time from navigation to the first
complete draw (``document.body.dataset.firstDrawMs``), and the time the table
takes to filter and sort every trial and draw the rows in view (the page's own
``performance.now()`` around it, ``#trials[data-filter-ms]``) for a text
search, a state filter, a parameter range and a sort by value.

    python benchmarks/dashboard_table.py --n-trials 20000
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(__file__))
from dashboard_load import _browser, _wait, write_study  # noqa: E402

from sksearch.dashboard import make_server  # noqa: E402

_ACTIONS = {
    "text search 'loss=exp'": "const s = document.getElementById('search');"
                              "s.value = 'loss=exp'; s.dispatchEvent(new Event('input'));",
    "clear the search": "const s = document.getElementById('search');"
                        "s.value = ''; s.dispatchEvent(new Event('input'));",
    "state: hide complete": "document.querySelector('#state-filter input[value=COMPLETE]')"
                            ".click();",
    "state: show complete": "document.querySelector('#state-filter input[value=COMPLETE]')"
                            ".click();",
    "range learning_rate >= 0.01": (
        "const b = document.querySelector('#range-boxes input[data-param=learning_rate]"
        "[data-side=min]'); b.value = '0.01'; b.dispatchEvent(new Event('input', "
        "{bubbles: true}));"),
    "sort by value": "document.querySelector('#trials th[data-key=value]').click();",
    "sort by value, reversed": "document.querySelector('#trials th[data-key=value]').click();",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    db = args.db or os.path.join(tempfile.gettempdir(),
                                 f"sksearch-dashboard-{args.n_trials}.db")
    write_study(db, args.n_trials)
    browser = _browser()
    first, filters = [], {name: [] for name in _ACTIONS}
    try:
        for _ in range(args.repeats):
            server = make_server(db, port=0)
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
            server.ready.wait()
            try:
                browser.get("about:blank")
                browser.get(server.url + "#study=1")
                _wait(lambda: browser.execute_script("return document.body.dataset.firstDrawMs"))
                assert browser.execute_script("return document.body.dataset.trials") == str(
                    args.n_trials)
                first.append(float(browser.execute_script(
                    "return document.body.dataset.firstDrawMs")))
                for name, script in _ACTIONS.items():
                    browser.execute_script(script)
                    filters[name].append(float(browser.execute_script(
                        "return document.getElementById('trials').dataset.filterMs")))
                    rows = browser.execute_script(
                        "return document.querySelectorAll('#trials tr[data-number]').length")
                    assert rows < 100, rows  # the rows in view only
            finally:
                server.shutdown()
                server.server_close()
    finally:
        browser.quit()
    print(f"{args.n_trials} trials, median (max) of {args.repeats} page loads, in ms")
    print(f"  {'first complete draw after navigation':<40}{statistics.median(first):>8.0f}"
          f" ({max(first):.0f})")
    for name, times in filters.items():
        print(f"  {'table: ' + name:<40}{statistics.median(times):>8.0f} ({max(times):.0f})")


if __name__ == "__main__":
    main()
