"""The demo runs end to end, with exactly equal budgets of fold fits."""

import numpy as np
import pytest

from sksearch import demo


def test_demo_runs_with_exactly_equal_budgets(tmp_path, capsys, monkeypatch):
    # a smaller grid (and so budget) than the demo's, to keep the test short
    monkeypatch.setattr(demo, "GRID", {"C": [1, 10, 100], "gamma": [1e-4, 1e-3]})
    monkeypatch.setattr(demo, "HEARTBEAT_S", 0.01)  # every arm prints progress
    rows = demo.main(["--repeats", "1", "--cv", "2", "--n-jobs", "1",
                      "--out", str(tmp_path / "plots")])
    out = capsys.readouterr().out
    names = ["GridSearchCV", "RandomizedSearchCV", "BayesSearchCV tpe",
             "BayesSearchCV tpe+halving"]
    assert [row[0] for row in rows] == names
    budget = len(demo.GRID["C"]) * len(demo.GRID["gamma"]) * 2
    assert [row[1] for row in rows] == [budget] * 4  # exact: the pruned search too
    assert "held-out accuracy" in out and "Parameter importances" in out
    assert "± " not in out.split("candidates\n", 1)[1].split("\n(")[0]  # one split: no spread
    # live progress of every arm: counts of ours, elapsed time of scikit-learn's
    for name, following in zip(names, names[1:] + ["\nsearch"]):
        section = out.split(f"split 1: {name} ...\n", 1)[1].split(following, 1)[0]
        assert "      ... " in section, name
    assert "      ... 1 candidates" in out and "      ... 2 candidates" in out
    held = {row[0]: row[4] for row in rows}
    rival = max(held["GridSearchCV"], held["RandomizedSearchCV"])
    word = "higher than" if held[rows[3][0]] > rival else (
        "lower than" if held[rows[3][0]] < rival else "the same as")
    assert f"Held-out: BayesSearchCV tpe+halving scored {held[rows[3][0]]:.4f}, {word}" in out
    pytest.importorskip("matplotlib")
    from sksearch import plot

    drawn = [name for name in demo.PLOTS if hasattr(plot, name)]
    assert len(drawn) >= 4
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == sorted(
        name.replace("plot_", "") + ".png" for name in drawn)


def _number(text):
    return float(text.rstrip(".,;:s)").lstrip("(+"))


def test_the_printed_explanation_matches_the_measured_numbers(tmp_path, capsys, monkeypatch):
    # issue #30: the demo credited pruning with what TPE's cheaper candidates saved
    monkeypatch.setattr(demo, "GRID", {"C": [1, 100], "gamma": [1e-4, 1e-3, 1e-2]})
    rows = demo.main(["--repeats", "1", "--cv", "3", "--n-jobs", "1",
                      "--out", str(tmp_path / "plots")])
    out = capsys.readouterr().out
    by_name = {row[0]: row for row in rows}
    random, tpe = by_name["RandomizedSearchCV"], by_name["BayesSearchCV tpe"]
    pruned = by_name["BayesSearchCV tpe+halving"]
    assert tpe[7] == 0 and random[7] == 0 and tpe[6] == 6  # no pruner: every fold
    # the table's columns are the rows' numbers
    line = next(x for x in out.splitlines() if x.startswith("BayesSearchCV tpe+halving "))
    fields = line.split()
    assert _number(fields[-2]) == pytest.approx(pruned[5], abs=6e-4)
    assert _number(fields[-1]) == pytest.approx(pruned[6], abs=0.06)
    # the sampler's sentence: TPE alone against random, fit time = fits x mean
    sampler = next(x for x in out.splitlines() if x.startswith("Sampler: "))
    words = sampler.split()
    at = words.index("mean")
    assert _number(words[at + 1]) == pytest.approx(tpe[5], abs=6e-4)
    assert _number(words[at + 5]) == pytest.approx(random[5], abs=6e-4)
    change = _number(words[words.index("by") + 1])
    assert change == pytest.approx(tpe[1] * (tpe[5] - random[5]), abs=0.06)
    # the pruning sentence: stopped candidates, the folds not run and their
    # seconds (at the stopped candidates' own fold-fit times), and the wall
    pruning = next(x for x in out.splitlines() if x.startswith("Pruning: "))
    words = pruning.split()
    assert _number(words[words.index("stopped") + 1]) == pytest.approx(pruned[7])
    assert _number(words[words.index("early;") + 2]) == pytest.approx(pruned[8])
    assert _number(words[words.index("taken") + 1]) == pytest.approx(pruned[9], abs=0.06)
    assert pruned[1] + pruned[8] == pytest.approx(3 * pruned[6])  # folds run + not run
    assert f"Wall {pruned[2]:.1f} s against {tpe[2]:.1f} s" in pruning
    assert "pruning" not in out.split("Sampler: ", 1)[1].split("\n", 1)[0].lower()


def test_importances_are_shown_to_the_precision_their_spread_supports(monkeypatch):
    from sksearch import importance

    def draws(shares):
        it = iter([{"gamma": g, "C": 1 - g} for g in shares])
        monkeypatch.setattr(importance, "param_importances", lambda s, random_state: next(it))

    draws([0.94, 0.54, 0.70, 0.50, 0.52, 0.55])  # 94/6 and 54/46 of one study, and so on
    spread = demo.importance_summary(["a", "b"], seeds=(0, 1, 2))
    assert spread["gamma"] == pytest.approx((0.5, 0.5, 0.9, 0.1))  # 44 points apart: tens
    draws([0.50, 0.51, 0.51])
    tight = demo.importance_summary(["a"], seeds=(0, 1, 2))
    assert tight["gamma"] == pytest.approx((0.51, 0.5, 0.51, 0.01))


def test_conclusions_state_what_the_numbers_show_when_sksearch_loses():
    names = ["GridSearchCV", "RandomizedSearchCV", "BayesSearchCV tpe",
             "BayesSearchCV tpe+halving"]
    # rows of (fold fits, wall s, best CV, held-out), two outer splits each
    table = {names[0]: np.array([[60, 10.0, 0.99, 0.95], [60, 12.0, 0.99, 0.97]]),
             names[1]: np.array([[60, 8.0, 0.98, 0.95], [60, 8.0, 0.98, 0.96]]),
             names[2]: np.array([[60, 9.0, 0.98, 0.95], [60, 9.0, 0.98, 0.96]]),
             names[3]: np.array([[60, 12.0, 0.99, 0.94], [60, 12.0, 0.99, 0.96]])}
    held, wall, noise = demo.conclusions(names, table, 100)
    assert held == ("Held-out: BayesSearchCV tpe+halving scored 0.9500, lower than "
                    "GridSearchCV's 0.9600 (the better of the other two) by 0.0100 on "
                    "average; higher on 0 of 2 splits.")
    assert wall == ("Wall time: 12.0 s against RandomizedSearchCV's 8.0 s (the faster of the "
                    "other two), 50% more, for the same number of fold fits.")
    assert "noise of 100 test samples" in noise


def test_attribution_separates_the_sampler_from_pruning():
    names = ["GridSearchCV", "RandomizedSearchCV", "BayesSearchCV tpe",
             "BayesSearchCV tpe+halving"]
    # fold fits, wall, best CV, held-out, mean fit s, candidates, stopped, not run, their s
    row = {names[0]: [72, 9.0, .98, .98, 0.050, 24, 0, 0, 0.0],
           names[1]: [72, 5.4, .98, .98, 0.048, 24, 0, 0, 0.0],
           names[2]: [72, 3.8, .98, .98, 0.030, 24, 0, 0, 0.0],
           names[3]: [72, 2.9, .98, .98, 0.025, 38, 14, 42, 2.1]}
    table = {name: np.array([values]) for name, values in row.items()}
    sampler, pruning = demo.attribution(names, table)
    assert sampler == ("Sampler: BayesSearchCV tpe (no pruner) fitted 72 folds at a mean "
                       "0.030 s against RandomizedSearchCV's 0.048 s: its choice of candidates "
                       "changed the fitting time by -1.3 s (72 x -0.018 s); wall 3.8 s "
                       "against 5.4 s.")
    assert pruning.startswith("Pruning: BayesSearchCV tpe+halving stopped 14.0 of its 38.0 "
                              "candidates early; the 42 folds it did not run on them would "
                              "have taken 2.1 s")
    assert "+14.0 candidates against BayesSearchCV tpe at the same 72 fold fits" in pruning
    assert pruning.endswith("Wall 2.9 s against 3.8 s (-0.9 s): its mean fold fit, 0.025 s "
                            "against 0.030 s, accounts for -0.4 s of it (72 x -0.005 s).")
