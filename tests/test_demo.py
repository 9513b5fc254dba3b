"""The demo runs end to end (one outer split, 2-fold CV to keep it short)."""

import pytest

from sksearch import demo


def test_demo_full_run(tmp_path, capsys):
    rows = demo.main(["--repeats", "1", "--cv", "2", "--out", str(tmp_path / "plots")])
    out = capsys.readouterr().out
    assert [row[0] for row in rows] == ["GridSearchCV", "RandomizedSearchCV",
                                        "BayesSearchCV tpe+halving"]
    assert "Mean over 1 outer splits" in out and "Parameter importances" in out
    # equal budgets of fold fits, but for the candidates still running when the
    # budget callback stops the search: with n_jobs=2 and a pruner, up to 3
    # (the scheduler's window of 2 * n_jobs, less the one told), each of which
    # may run its cv=2 folds
    assert rows[0][1] == 48 and rows[2][1] <= 48 + 3 * 2
    pytest.importorskip("matplotlib")
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "intermediate_values.png", "optimization_history.png", "param_importances.png",
        "slice.png"]


def test_demo_pieces():
    from sksearch import Study

    study = Study(sampler="random", random_state=0)
    budget = demo.FoldBudget(4)
    for _ in range(5):
        trial = study.ask()
        trial.report(0.5, 0)
        trial.report(0.5, 1)
        frozen = study.tell(trial, 0.5)
        budget(study, frozen)
        if study._stop_flag:
            break
    assert len(study.trials) == 2
