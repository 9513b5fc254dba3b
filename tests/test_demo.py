"""The demo runs end to end, with exactly equal budgets of fold fits."""

import numpy as np
import pytest

from sksearch import demo


def test_demo_runs_with_exactly_equal_budgets(tmp_path, capsys, monkeypatch):
    # a smaller grid (and so budget) than the demo's, to keep the test short
    monkeypatch.setattr(demo, "GRID", {"C": [1, 10, 100], "gamma": [1e-4, 1e-3]})
    rows = demo.main(["--repeats", "1", "--cv", "2", "--n-jobs", "1",
                      "--out", str(tmp_path / "plots")])
    out = capsys.readouterr().out
    assert [row[0] for row in rows] == ["GridSearchCV", "RandomizedSearchCV",
                                        "BayesSearchCV tpe+halving"]
    budget = len(demo.GRID["C"]) * len(demo.GRID["gamma"]) * 2
    assert [row[1] for row in rows] == [budget] * 3  # exact: the pruned search too
    assert "held-out accuracy" in out and "Parameter importances" in out
    assert "± " not in out.split("fold fits\n", 1)[1].split("\n(")[0]  # one split: no spread
    # live progress of the BayesSearchCV arm
    assert "      ... 1 candidates" in out and "      ... 2 candidates" in out
    held = {row[0]: row[4] for row in rows}
    rival = max(held["GridSearchCV"], held["RandomizedSearchCV"])
    word = "higher than" if held[rows[2][0]] > rival else (
        "lower than" if held[rows[2][0]] < rival else "the same as")
    assert f"Held-out: BayesSearchCV tpe+halving scored {held[rows[2][0]]:.4f}, {word}" in out
    pytest.importorskip("matplotlib")
    from sksearch import plot

    drawn = [name for name in demo.PLOTS if hasattr(plot, name)]
    assert len(drawn) >= 4
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(
        name.replace("plot_", "") + ".png" for name in drawn)


def test_conclusions_state_what_the_numbers_show_when_sksearch_loses():
    names = ["GridSearchCV", "RandomizedSearchCV", "BayesSearchCV tpe+halving"]
    # rows of (fold fits, wall s, best CV, held-out), two outer splits each
    table = {names[0]: np.array([[60, 10.0, 0.99, 0.95], [60, 12.0, 0.99, 0.97]]),
             names[1]: np.array([[60, 8.0, 0.98, 0.95], [60, 8.0, 0.98, 0.96]]),
             names[2]: np.array([[60, 12.0, 0.99, 0.94], [60, 12.0, 0.99, 0.96]])}
    held, wall, noise = demo.conclusions(names, table, 100)
    assert held == ("Held-out: BayesSearchCV tpe+halving scored 0.9500, lower than "
                    "GridSearchCV's 0.9600 (the better of the other two) by 0.0100 on "
                    "average; higher on 0 of 2 splits.")
    assert wall == ("Wall time: 12.0 s against RandomizedSearchCV's 8.0 s (the faster of the "
                    "other two), 50% more, for the same number of fold fits.")
    assert "noise of 100 test samples" in noise
