"""Multi-objective studies and constraints: engine, storage, primitives, samplers."""

import pathlib
import shutil
import sqlite3

import numpy as np
import pytest

from sksearch import Study, TrialState
from sksearch.multiobjective import (
    constrained_ranks,
    crowding_distance,
    hypervolume,
    hypervolume_contributions,
    non_dominated_sort,
    pareto_front_mask,
)
from sksearch.storage import CorruptStorageError, InMemoryStorage, SQLiteStorage

DATA = pathlib.Path(__file__).parent / "data"


def _bi_objective(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    return x, (1 - x) ** 2 + y


@pytest.fixture(params=["memory", "sqlite"])
def storage(request, tmp_path):
    return InMemoryStorage() if request.param == "memory" else SQLiteStorage(tmp_path / "s.db")


# -- 1. the engine ---------------------------------------------------------------------

def test_values_directions_and_the_pareto_front(storage):
    study = Study(directions=["minimize", "minimize"], sampler="random", random_state=0,
                  storage=storage, study_name="mo")
    study.optimize(_bi_objective, n_trials=30)
    assert study.directions == ["minimize", "minimize"] and study.is_multi_objective
    trials = study.get_trials((TrialState.COMPLETE,))
    assert len(trials) == 30 and all(len(t.values) == 2 for t in trials)
    front = study.best_trials
    # brute force: a trial is on the front when no other is <= everywhere and < somewhere
    expected = [t.number for t in trials if not any(
        all(a <= b for a, b in zip(o.values, t.values)) and o.values != t.values
        for o in trials)]
    assert [t.number for t in front] == expected and expected
    for name in ("direction", "best_trial", "best_value", "best_params"):
        with pytest.raises(RuntimeError, match="objectives"):
            getattr(study, name)
    with pytest.raises(RuntimeError, match="trial.values"):
        _ = trials[0].value
    frame = study.trials_dataframe()
    assert list(frame.columns[:4]) == ["number", "state", "values_0", "values_1"]
    assert frame["values_1"].tolist() == [t.values[1] for t in study.trials]


def test_maximize_and_minimize_mix_on_the_front():
    study = Study(directions=["maximize", "minimize"], sampler="random")
    for values in [(1.0, 1.0), (2.0, 2.0), (0.5, 2.0), (2.0, 3.0)]:
        trial = study.ask()
        study.tell(trial, list(values))
    assert [t.values for t in study.best_trials] == [(1.0, 1.0), (2.0, 2.0)]


def test_tell_checks_the_number_of_values_and_fails_non_finite_ones():
    study = Study(directions=["minimize", "maximize"], sampler="random")
    trial = study.ask()
    with pytest.raises(ValueError, match="1 value.*2 objective"):
        study.tell(trial, 1.0)
    with pytest.warns(UserWarning, match="recorded as FAIL"):
        assert study.tell(trial, [1.0, float("nan")]).state is TrialState.FAIL
    with pytest.warns(UserWarning, match="recorded as FAIL"):
        study.optimize(lambda t: (1.0, 2.0, 3.0), n_trials=1)
    # a pruned trial of several objectives has no values (its steps are one metric)
    trial = study.ask()
    trial.report(0.5, 0)
    assert study.tell(trial, state=TrialState.PRUNED).values is None


def test_tell_takes_numpy_scalars_and_arrays():
    single = Study(direction="minimize", sampler="random")
    for value in (np.array(0.25), np.float32(0.25), np.array([0.25])):
        assert single.tell(single.ask(), value).values == (0.25,)
    several = Study(directions=["minimize", "maximize"], sampler="random")
    assert several.tell(several.ask(), np.array([1.5, -2.0])).values == (1.5, -2.0)
    assert several.tell(several.ask(), (np.float64(1.0), np.int64(3))).values == (1.0, 3.0)
    assert all(type(v) is float for v in several.trials[-1].values)
    trial = several.ask()
    with pytest.raises(ValueError, match=r"value of trial 2 holds 1 value.*2 objective"):
        several.tell(trial, np.array(1.0))
    with pytest.raises(ValueError, match=r"value of trial 2 holds 3 value.*2 objective"):
        several.tell(trial, np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"value must be .*1-d.*shape \(1, 2\)"):
        several.tell(trial, np.array([[1.0, 2.0]]))
    with pytest.raises(TypeError, match="value must hold numbers, got 'a'"):
        several.tell(trial, [1.0, "a"])
    with pytest.raises(TypeError, match="value must hold numbers, got None"):
        several.tell(trial, [1.0, None])
    with pytest.raises(TypeError, match="value must be a number or a sequence"):
        single.tell(single.ask(), "0.5")
    # the refused tells left the trial running; a right one finishes it
    assert [t.number for t in several.get_trials((TrialState.RUNNING,))] == [2]
    assert several.tell(trial, np.array([0.0, 0.0])).state is TrialState.COMPLETE


def test_direction_and_directions_are_validated_and_must_match_the_stored_study():
    with pytest.raises(ValueError, match="not both"):
        Study(direction="minimize", directions=["minimize"])
    with pytest.raises(ValueError, match="non-empty list"):
        Study(directions=[])
    with pytest.raises(ValueError, match="non-empty list"):
        Study(directions=["minimize", "up"])
    with pytest.raises(TypeError,
                       match="'directions' parameter of Study must be None or a non-empty list"):
        Study(directions="minimize")
    with pytest.raises(TypeError,
                       match="'constraints_func' parameter of Study must be None or a callable"):
        Study(constraints_func=3)
    storage = InMemoryStorage()
    Study(directions=["minimize", "maximize"], storage=storage, study_name="s")
    assert Study(storage=storage, study_name="s").directions == ["minimize", "maximize"]
    with pytest.raises(ValueError, match="directions"):
        Study(directions=["minimize", "minimize"], storage=storage, study_name="s")


def test_constraints_are_stored_with_the_trial_and_filter_the_best(storage):
    seen = []

    def constraints(frozen):
        seen.append(frozen.values)
        return [frozen.values[0] - 0.5]  # feasible when x <= 0.5

    study = Study(directions=["maximize", "minimize"], sampler="random", random_state=1,
                  storage=storage, study_name="c", constraints_func=constraints)
    study.optimize(_bi_objective, n_trials=25)
    trials = study.trials
    assert seen == [t.values for t in trials]  # called with the trial's values
    assert all(t.constraints == (t.values[0] - 0.5,) for t in trials)
    assert all(t.is_feasible == (t.values[0] <= 0.5) for t in trials)
    front = study.best_trials
    assert front and all(t.values[0] <= 0.5 for t in front)
    feasible = [t for t in trials if t.is_feasible]
    assert {t.number for t in front} == {t.number for t in feasible if not any(
        o.values[0] >= t.values[0] and o.values[1] <= t.values[1] and o.values != t.values
        for o in feasible)}
    frame = study.trials_dataframe()
    assert frame["feasible"].tolist() == [t.is_feasible for t in trials]
    assert frame["constraints_0"].tolist() == [t.constraints[0] for t in trials]


def test_a_single_objective_study_takes_constraints_too():
    study = Study(direction="minimize", sampler="random", random_state=0,
                  constraints_func=lambda t: [0.3 - t.params["x"]])  # x >= 0.3
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40)
    feasible = [t.value for t in study.trials if t.value >= 0.3]
    assert study.best_value == min(feasible)
    assert [t.value for t in study.best_trials] == [min(feasible)]


def test_a_broken_constraints_func_fails_the_trial_and_raises():
    study = Study(constraints_func=lambda t: ["high"])
    trial = study.ask()
    with pytest.raises(TypeError, match="sequence of numbers"):
        study.tell(trial, 1.0)
    assert study.trials[0].state is TrialState.FAIL
    assert "sequence of numbers" in study.trials[0].system_attrs["fail_reason"]
    study = Study(constraints_func=lambda t: [float("nan")])
    with pytest.raises(ValueError, match="finite"):
        study.optimize(lambda t: 1.0, n_trials=1)


# -- 2. storage ------------------------------------------------------------------------

def test_sqlite_round_trip_and_resume_in_another_process(tmp_path):
    import os
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "mo.db"
    code = textwrap.dedent(f"""
        import sys
        from sksearch import Study
        study = Study(directions=["minimize", "maximize"], storage={str(path)!r},
                      study_name="mo", sampler="random", random_state=int(sys.argv[1]),
                      constraints_func=lambda t: [t.values[0] - 0.7])
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 2.0), n_trials=6)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    for seed in range(2):  # the second process resumes the study
        subprocess.run([sys.executable, "-c", code, str(seed)], check=True, cwd=tmp_path,
                       env=env)
    study = Study(storage=SQLiteStorage(path), study_name="mo")
    trials = study.trials
    assert study.directions == ["minimize", "maximize"]
    assert [t.number for t in trials] == list(range(12))
    assert all(t.values == (t.params["x"], 2.0) for t in trials)
    assert all(t.constraints == (t.params["x"] - 0.7,) for t in trials)
    front = study.best_trials
    assert len(front) == 1 and front[0].values[0] == min(t.values[0] for t in trials)


def test_a_file_of_schema_version_1_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(DATA / "study_schema_v1.db", path)  # written by sksearch before this change
    study = Study(storage=SQLiteStorage(path), study_name="old")
    assert study.direction == "maximize"
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.PRUNED,
                                         TrialState.FAIL, TrialState.COMPLETE]
    assert trials[0].values == (0.636962,) and trials[1].value == trials[1].intermediate_values[0]
    assert trials[2].values is None and trials[3].value == 0.75
    assert trials[0].user_attrs == {"note": "n0"} and trials[0].params["c"] == "b"
    assert study.best_value == 0.75
    assert Study(storage=SQLiteStorage(path), study_name="other").directions == ["minimize"]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert len(study.trials) == 5
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM sksearch_meta").fetchone() == ("2",)
        columns = [row[1] for row in db.execute("PRAGMA table_info(trials)")]
    assert "value" not in columns


def test_damaged_objective_rows_are_refused(tmp_path):
    path = tmp_path / "s.db"
    study = Study(directions=["minimize", "minimize"], storage=SQLiteStorage(path),
                  sampler="random", study_name="s")
    study.tell(study.ask(), [1.0, 2.0])
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM trial_objective_values WHERE objective = 1")
    with pytest.raises(CorruptStorageError, match="1 values for a study of 2 objectives"):
        _ = Study(storage=SQLiteStorage(path), study_name="s").trials


# -- 3. primitives against hand-computed answers -----------------------------------------

def test_non_dominated_sort_of_a_hand_drawn_set():
    points = [[1, 5], [2, 3], [4, 1], [3, 4], [5, 2], [5, 5], [2, 3], [6, 6]]
    # fronts: {(1,5),(2,3),(4,1),(2,3)}, then {(3,4),(5,2)}, then {(5,5)}, then {(6,6)}
    assert non_dominated_sort(points).tolist() == [0, 0, 0, 1, 1, 2, 0, 3]
    assert pareto_front_mask(points).tolist() == [True, True, True, False, False, False,
                                                  True, False]
    three = [[0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 2]]
    assert non_dominated_sort(three).tolist() == [0, 0, 0, 1, 1]
    assert pareto_front_mask(three).tolist() == [True, True, True, False, False]
    assert non_dominated_sort(np.zeros((0, 2))).tolist() == []


def test_the_2d_front_mask_agrees_with_the_general_one():
    rng = np.random.default_rng(0)
    points = rng.integers(0, 6, size=(200, 2)).astype(float)  # many ties and duplicates
    general = ~np.array([any((o <= p).all() and (o < p).any() for o in points) for p in points])
    assert pareto_front_mask(points).tolist() == general.tolist()


def test_crowding_distance_by_hand():
    # objective 0 spans 0..6, objective 1 spans 0..3
    points = [[0, 3], [2, 2], [3, 1], [6, 0]]
    # point 1: (3-0)/6 + (3-1)/3 = 0.5 + 0.6667; point 2: (6-2)/6 + (2-0)/3
    assert crowding_distance(points) == pytest.approx([np.inf, 0.5 + 2 / 3, 4 / 6 + 2 / 3,
                                                       np.inf])
    assert crowding_distance([[1, 1], [2, 2]]).tolist() == [np.inf, np.inf]
    # a constant objective adds nothing
    assert crowding_distance([[0, 1], [1, 1], [3, 1]]).tolist() == [np.inf, 1.0, np.inf]


def test_constraint_domination():
    points = [[5, 5], [0, 0], [1, 1], [9, 9], [0, 0]]
    violation = [0.0, 2.0, 0.0, 0.0, 1.0]
    # feasible first ((1,1) dominates (5,5) dominates (9,9)); then violation 1, then 2
    assert constrained_ranks(points, violation).tolist() == [1, 4, 0, 2, 3]
    assert constrained_ranks([[1, 1]], [3.0]).tolist() == [0]


def test_hypervolume_of_known_sets():
    # 2-d staircase: 3 unit columns of heights 1, 2, 3
    assert hypervolume([[1, 3], [2, 2], [3, 1]], [4, 4]) == 6.0
    # dominated points, duplicates and points outside the box add nothing
    assert hypervolume([[1, 3], [2, 2], [3, 1], [3, 3], [2, 2], [5, 0]], [4, 4]) == 6.0
    assert hypervolume(np.zeros((0, 2)), [1, 1]) == 0.0
    # 3-d: two boxes [0,2]x[0,1]x[0,1] and [0,1]x[0,2]x[0,1] (ref 2,2,2 from points
    # (0,1,1),(1,0,1)), overlap 1: volumes 2 + 2 - 1 = 3... with ref (2, 2, 2)
    assert hypervolume([[0, 1, 1], [1, 0, 1]], [2, 2, 2]) == pytest.approx(3.0)
    # the unit simplex corners in 3-d, ref (1,1,1): union of boxes [e_i, 1]: 3 boxes of
    # volume 0 (one side of length 0) -> 0; shifted corners at 0.5 instead
    pts = 0.5 * np.eye(3)
    # each box is 1 x 1 x 0.5 minus overlaps: inclusion-exclusion 3*0.5 - 3*0.25 + 0.125
    assert hypervolume(pts, [1, 1, 1]) == pytest.approx(3 * 0.5 - 3 * 0.25 + 0.125)
    # 4-d: same pattern, closed form by inclusion-exclusion: sum_k C(4,k)(-1)^(k+1) 0.5^k
    expected = sum((-1) ** (k + 1) * [4, 6, 4, 1][k - 1] * 0.5 ** k for k in range(1, 5))
    assert hypervolume(0.5 * np.eye(4), [1, 1, 1, 1]) == pytest.approx(expected)


def test_hypervolume_against_monte_carlo_in_3d():
    rng = np.random.default_rng(1)
    points = rng.uniform(0, 1, size=(30, 3))
    samples = rng.uniform(0, 1, size=(200_000, 3))
    covered = np.zeros(len(samples), dtype=bool)
    for p in points:
        covered |= (samples >= p).all(axis=1)
    assert hypervolume(points, [1, 1, 1]) == pytest.approx(covered.mean(), abs=4e-3)


def test_hypervolume_contributions_are_the_loss_without_each_point():
    rng = np.random.default_rng(2)
    for m in (2, 3):
        points = rng.uniform(0, 1, size=(15, m))
        total = hypervolume(points, np.ones(m))
        loss = [total - hypervolume(np.delete(points, i, axis=0), np.ones(m))
                for i in range(len(points))]
        assert hypervolume_contributions(points, np.ones(m)) == pytest.approx(loss, abs=1e-12)
    # a duplicated point contributes nothing on its own
    assert hypervolume_contributions([[1, 1], [1, 1]], [2, 2]).tolist() == [0.0, 0.0]


# -- 4. samplers -----------------------------------------------------------------------

def _mixed(trial):
    """Two objectives over a log float, a stepped int and a categorical."""
    lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
    depth = trial.suggest_int("depth", 2, 12, step=2)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    offset = {"a": 0.0, "b": 0.3, "c": 0.6}[kind]
    return (np.log10(lr) + 3) / 3 + offset, (depth - 2) / 10 + (1 - (np.log10(lr) + 3) / 3)


@pytest.mark.parametrize("sampler", ["tpe", "nsga2", "random"])
def test_multi_objective_samplers_are_reproducible(sampler):
    def run(seed):
        study = Study(directions=["minimize", "minimize"], sampler=sampler, random_state=seed,
                      constraints_func=lambda t: [t.values[0] - 1.2])
        if sampler == "nsga2":
            from sksearch.samplers import NSGAIISampler
            study.sampler = NSGAIISampler(population_size=8, seed=seed)
        study.optimize(_mixed, n_trials=30)
        return [t.params for t in study.trials]

    first = run(0)
    assert first == run(0) and first != run(1)


def test_nsga2_children_are_legal_values_bred_from_the_parents():
    from sksearch.distributions import Categorical, Float, Int
    from sksearch.samplers import NSGAIISampler

    sampler = NSGAIISampler(population_size=6, seed=3)
    study = Study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(_mixed, n_trials=18)  # generations 0, 1, 2
    generations = [t.system_attrs["nsga2:generation"] for t in study.trials]
    assert generations == [0] * 6 + [1] * 6 + [2] * 6
    space = {"depth": Int(2, 12, step=2), "kind": Categorical(["a", "b", "c"]),
             "lr": Float(1e-3, 1.0, log=True)}
    trial = study.ask()
    relative = sampler.sample_relative(study, study._storage.get_trial(trial.trial_id), space)
    assert set(relative) == set(space)
    assert all(space[name].contains_internal(value) for name, value in relative.items())
    # SBX children lie in the unit box
    from sksearch.samplers.nsga2 import _polynomial_mutation, _sbx
    rng = np.random.default_rng(0)
    a, b = rng.random(1000), rng.random(1000)
    c1, c2 = _sbx(a, b, 20.0, rng)
    assert ((0 <= c1) & (c1 <= 1) & (0 <= c2) & (c2 <= 1)).all()
    # a large distribution index keeps the children at the parents (low, high)
    c1, c2 = _sbx(a, b, 1e4, rng)
    assert np.allclose(c1, np.minimum(a, b), atol=2e-3)
    assert np.allclose(c2, np.maximum(a, b), atol=2e-3)
    # polynomial mutation of 0.5: P(delta < -0.1) = P(2u < 0.9 ** 21) = 0.9 ** 21 / 2
    mutated = np.array([_polynomial_mutation(0.5, 20.0, rng) for _ in range(20000)])
    assert np.mean(mutated < 0.4) == pytest.approx(0.9 ** 21 / 2, abs=0.005)
    assert np.mean(mutated > 0.6) == pytest.approx(0.9 ** 21 / 2, abs=0.005)


def _zdt1(trial):
    x = np.array([trial.suggest_float(f"x{i}", 0, 1) for i in range(4)])
    g = 1 + 9 * x[1:].mean()
    return x[0], g * (1 - np.sqrt(x[0] / g))


@pytest.mark.parametrize("sampler", ["tpe", "nsga2"])
def test_multi_objective_samplers_beat_random_search(sampler):
    from sksearch.samplers import NSGAIISampler

    def final_hypervolume(name, seed):
        chosen = NSGAIISampler(population_size=12, seed=seed) if name == "nsga2" else name
        study = Study(directions=["minimize", "minimize"], sampler=chosen, random_state=seed)
        study.optimize(_zdt1, n_trials=80)
        return hypervolume([t.values for t in study.best_trials], [1.1, 11.0])

    ours = [final_hypervolume(sampler, seed) for seed in range(3)]
    rand = [final_hypervolume("random", seed) for seed in range(3)]
    assert np.median(ours) > np.median(rand)


def test_the_motpe_good_set_is_the_first_fronts_then_the_largest_contributions():
    from sksearch.samplers.tpe import TPESampler

    # front 0: (1,3), (2,2), (3,1), (1.9,2.9); (1.9, 2.9) adds least; then (2.5,2.5), (4,4)
    told = [(4.0, 4.0), (1.0, 3.0), (2.0, 2.0), (3.0, 1.0), (2.5, 2.5), (1.9, 2.9)]
    for n_good, expected in [(3, {1, 2, 3}), (4, {1, 2, 3, 5}), (5, {1, 2, 3, 5, 4})]:
        study = Study(directions=["minimize", "minimize"], sampler="random")
        for values in told:
            trial = study.ask()
            trial.suggest_float("x", 0, 10)
            study.tell(trial, list(values))
        sampler = TPESampler(n_startup_trials=0, gamma=lambda n, k=n_good: k, seed=0)
        trial = study.ask()
        memory = sampler._memory(study, study._storage.get_trial(trial.trial_id))
        plan = memory.plan(["x"], [study.trials[0].distributions["x"]])
        below, _ = memory.history.split(plan, sampler.gamma)
        xs = [t.params["x"] for t in study.trials[:6]]
        chosen = {xs.index(v) for v in plan.box.from_unit(below)[:, 0]}
        assert chosen == expected
        study.tell(trial, [9.0, 9.0])


def test_constrained_tpe_proposes_feasible_trials_more_often_than_random():
    def feasible_share(sampler):
        study = Study(directions=["minimize", "minimize"], sampler=sampler, random_state=0,
                      constraints_func=lambda t: [t.params["x"] + t.params["y"] - 0.5])
        study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.suggest_float("y", 0, 1)),
                       n_trials=60)
        return np.mean([t.is_feasible for t in study.trials[20:]])

    # the feasible triangle is 1/8 of the box
    assert feasible_share("tpe") > 2 * max(feasible_share("random"), 0.125)
    # single objective too
    study = Study(direction="minimize", sampler="tpe", random_state=0,
                  constraints_func=lambda t: [0.7 - t.params["x"]])
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40)
    assert study.best_value >= 0.7 and study.best_value < 0.75


# -- 5. BayesSearchCV ------------------------------------------------------------------

def _search(**kwargs):
    from sklearn.tree import DecisionTreeClassifier

    from sksearch import BayesSearchCV
    from sksearch.distributions import Int

    defaults = dict(scoring=["accuracy", "recall_macro"], objectives=["accuracy", "fit_time"],
                    refit="accuracy", n_iter=14, cv=3, random_state=0)
    defaults.update(kwargs)
    return BayesSearchCV(DecisionTreeClassifier(random_state=0),
                         {"max_depth": Int(1, 12), "min_samples_leaf": Int(1, 20)}, **defaults)


def test_search_accuracy_against_fit_time_with_a_constraint():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    search = _search(constraints={"recall_macro": (">=", 0.9)}).fit(X, y)
    results = search.cv_results_
    # scikit-learn's format, plus the feasibility column
    assert {"mean_test_accuracy", "rank_test_recall_macro", "mean_fit_time", "params",
            "feasible"} <= set(results)
    feasible = np.asarray(results["feasible"])
    assert feasible.tolist() == [s == "complete" and r >= 0.9 for s, r in
                                 zip(results["status"], results["mean_test_recall_macro"])]
    # the front, by brute force over the feasible rows (accuracy up, fit time down)
    acc, fit_time = results["mean_test_accuracy"], results["mean_fit_time"]
    rows = np.flatnonzero(feasible)
    expected = [i for i in rows if not any(
        acc[j] >= acc[i] and fit_time[j] <= fit_time[i] and (acc[j], fit_time[j]) !=
        (acc[i], fit_time[i]) for j in rows)]
    assert search.pareto_front_.tolist() == expected
    # refit="accuracy": the most accurate candidate of the front
    best = max(expected, key=lambda i: (acc[i], -i))
    assert search.best_index_ == best and search.best_score_ == acc[best]
    assert search.best_params_ == results["params"][best]
    # the study holds the values told
    trial = search.study_.trials[best]
    assert trial.values == (acc[best], fit_time[best])
    assert trial.constraints == pytest.approx((0.9 - results["mean_test_recall_macro"][best],))
    assert search.score(X, y) > 0.9


def test_search_refit_callable_and_pruning_on_the_refit_metric():
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    picked = []

    def refit(results):
        picked.append(True)
        return int(np.argmin(results["mean_fit_time"]))

    search = _search(refit=refit, n_iter=6).fit(X, y)
    assert picked and search.best_index_ == int(np.argmin(search.cv_results_["mean_fit_time"]))
    # a pruner judges on the refit metric's fold scores; pruned candidates have no values
    search = _search(pruner="median", n_iter=16, cv=4,
                     sampler="random").fit(X, y)
    statuses = np.asarray(search.cv_results_["status"])
    assert "pruned" in statuses
    for t in search.study_.trials:
        if t.state is TrialState.PRUNED:
            assert t.values is None and len(t.intermediate_values) < 4
    assert all(statuses[i] == "complete" for i in search.pareto_front_)


def test_search_objectives_are_validated_before_any_fit():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="'precision' is not a metric"):
        _search(objectives=["accuracy", "precision"]).fit(X, y)
    with pytest.raises(ValueError, match="at least two metrics"):
        _search(objectives=["accuracy"]).fit(X, y)
    with pytest.raises(ValueError, match="names a metric twice"):
        _search(objectives=["accuracy", "accuracy"]).fit(X, y)
    with pytest.raises(ValueError, match=r"constraints\['fit_time'\] must be"):
        _search(constraints={"fit_time": ("<", 1.0)}).fit(X, y)
    with pytest.raises(ValueError, match="refit must be set to a scorer key"):
        _search(refit=True).fit(X, y)
    with pytest.raises(ValueError, match="optimises one objective"):
        _search(sampler="cmaes").fit(X, y)
    # one metric: "score" is its name
    search = _search(scoring=None, refit=True, objectives=["score", "score_time"], n_iter=4)
    assert len(search.fit(X, y).pareto_front_) >= 1


# -- 6. analysis -----------------------------------------------------------------------

def test_pareto_front_plot_shows_front_dominated_and_infeasible_apart():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sksearch.plot import plot_hypervolume_history, plot_pareto_front

    study = Study(directions=["minimize", "minimize"], sampler="random", random_state=0,
                  constraints_func=lambda t: [t.values[0] - 0.7])
    study.optimize(_bi_objective, n_trials=30)
    ax = plot_pareto_front(study)
    drawn = {c.get_label(): c.get_offsets().data for c in ax.collections}
    trials = study.trials
    front = {t.number for t in study.best_trials}
    infeasible = [t.values for t in trials if not t.is_feasible]
    assert len(drawn["infeasible"]) == len(infeasible)
    assert sorted(map(tuple, drawn["Pareto front"])) == sorted(
        t.values for t in trials if t.number in front)
    assert len(drawn["feasible"]) == len(trials) - len(infeasible) - len(front)
    # the hypervolume history ends at the front's hypervolume
    line = plot_hypervolume_history(study, reference=[1.0, 2.0]).get_lines()[0]
    assert line.get_ydata()[-1] == pytest.approx(
        hypervolume([t.values for t in study.best_trials], [1.0, 2.0]))
    three = Study(directions=["minimize"] * 3, sampler="random", random_state=0)
    three.optimize(lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1),
                              2 - t.params["a"] - t.params["b"]), n_trials=10)
    assert plot_pareto_front(three).name == "3d"
    four = Study(directions=["minimize"] * 4, sampler="random")
    four.optimize(lambda t: (1.0, 2.0, 3.0, 4.0), n_trials=2)
    with pytest.raises(ValueError, match="2 or 3 objectives"):
        plot_pareto_front(four)


def test_importances_per_objective():
    from sksearch.importance import param_importances

    study = Study(directions=["minimize", "maximize"], sampler="random", random_state=0)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) ** 2, 3 * t.suggest_float("y", 0, 1)
                              + 0.01 * t.params["x"]), n_trials=50)
    assert list(param_importances(study, objective=0, random_state=0))[0] == "x"
    assert param_importances(study, objective=1, random_state=0)["y"] > 0.9
    with pytest.raises(ValueError, match="pass objective=0 .. 1"):
        param_importances(study)
    with pytest.raises(ValueError, match="objective must be an int in"):
        param_importances(study, objective=2)


def test_search_with_objectives_resumes_from_its_storage(tmp_path):
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    storage = f"sqlite:///{tmp_path / 'mo.db'}"
    first = _search(n_iter=4, storage=storage, constraints={"fit_time": ("<=", 10.0)}).fit(X, y)
    second = _search(n_iter=7, storage=storage, constraints={"fit_time": ("<=", 10.0)}).fit(X, y)
    assert len(second.cv_results_["params"]) == 7
    assert second.cv_results_["params"][:4] == first.cv_results_["params"]
    assert second.study_.directions == ["maximize", "minimize"]
    assert all(t.constraints is not None for t in second.study_.trials)
    # another set of objectives is another problem: refused, naming both sets
    with pytest.raises(ValueError, match="run with objectives=.*this search has objectives="):
        _search(n_iter=8, storage=storage, objectives=["accuracy", "recall_macro", "fit_time"],
                study_name=second.study_.study_name).fit(X, y)


def test_greedy_hypervolume_subset_selection_by_hand():
    from sksearch.samplers._tpe_history import _greedy_subset

    front = np.array([[1.0, 1.0, 3.0], [1.0, 3.0, 1.0], [3.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    # with reference (4, 4, 4) each corner alone covers 3 * 3 * 1 = 9 and the centre
    # 2 * 2 * 2 = 8: the first corner wins (ties go to the lower index); the second pick
    # is the one adding most to it
    picked = _greedy_subset(front, np.array([4.0, 4.0, 4.0]), 4).tolist()
    assert picked[0] == 0
    gains = {i: hypervolume(front[[0, i]], [4, 4, 4]) - 9.0 for i in (1, 2, 3)}
    assert picked[1] == max(gains, key=lambda i: (gains[i], -i))
    assert sorted(picked) == [0, 1, 2, 3]


def test_trials_dataframe_of_a_search_names_values_by_metric():
    # issue #30: values_0/values_1 told a reader nothing of which is which
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from sksearch import BayesSearchCV

    X, y = load_iris(return_X_y=True)
    search = BayesSearchCV(LogisticRegression(max_iter=200), {"C": [0.1, 1.0, 10.0]},
                           n_iter=3, cv=2, scoring=["accuracy"], refit=False,
                           objectives=["accuracy", "fit_time"], random_state=0).fit(X, y)
    frame = search.trials_dataframe()
    assert list(frame.columns[2:4]) == ["values_accuracy", "values_fit_time"]
    assert frame["values_accuracy"].between(0, 1).all()
    assert search.study_.trials_dataframe().columns.tolist() == frame.columns.tolist()
