"""The ask/tell engine: Study, Trial and the random and grid samplers."""

import math
import time

import numpy as np
import pytest

from sksearch import Study, TrialPruned, TrialState
from sksearch.distributions import Float, Int
from sksearch.samplers import GridSampler, RandomSampler, intersection_search_space
from sksearch.storage import InMemoryStorage


def quadratic(trial):
    x = trial.suggest_float("x", -5, 5)
    return (x - 1) ** 2


@pytest.mark.parametrize("direction, pick", [("minimize", min), ("maximize", max)])
def test_best_trial_follows_direction(direction, pick):
    study = Study(direction=direction, sampler="random", random_state=0)
    study.optimize(quadratic, n_trials=30)
    values = [t.value for t in study.trials]
    assert study.best_value == pick(values)
    assert study.best_params == study.best_trial.params
    assert len(study.trials) == 30


def test_ask_tell_round_trip_and_states():
    study = Study(direction="minimize", sampler=RandomSampler(seed=1))
    trial = study.ask()
    x = trial.suggest_float("x", 0, 1)
    n = trial.suggest_int("n", 1, 8, log=True)
    assert trial.suggest_float("x", 0, 1) == x  # same name, same value
    with pytest.raises(ValueError, match="already suggested"):
        trial.suggest_float("x", 0, 2)
    assert study.get_trials((TrialState.RUNNING,))[0].number == 0
    frozen = study.tell(trial, x + n)
    assert frozen.state is TrialState.COMPLETE and frozen.value == x + n
    assert frozen.params == {"x": x, "n": n}
    assert isinstance(frozen.params["n"], int)
    with pytest.raises(RuntimeError, match="already finished"):
        study.tell(trial, 1.0)


def test_tell_nan_becomes_fail_and_pruned_takes_last_value():
    study = Study()
    trial = study.ask()
    with pytest.warns(UserWarning, match="not a finite number"):
        assert study.tell(trial, float("nan")).state is TrialState.FAIL
    trial = study.ask()
    trial.report(0.3, step=0)
    trial.report(0.4, step=1)
    frozen = study.tell(trial, state=TrialState.PRUNED)
    assert frozen.state is TrialState.PRUNED and frozen.value == 0.4
    assert frozen.intermediate_values == {0: 0.3, 1: 0.4}
    with pytest.raises(ValueError, match="No trial number 7"):
        study.tell(7, 1.0)
    with pytest.raises(ValueError, match="state must be"):
        study.tell(study.ask(), 1.0, state=TrialState.RUNNING)


def test_report_validates_and_keeps_first_value():
    study = Study()
    trial = study.ask()
    trial.report(1.0, step=0)
    with pytest.warns(UserWarning, match="already reported"):
        trial.report(2.0, step=0)
    with pytest.raises(ValueError, match="step must be an int >= 0"):
        trial.report(1.0, step=-1)
    assert study.get_trials()[0].intermediate_values == {0: 1.0}


def test_optimize_records_pruned_failed_and_caught():
    def objective(trial):
        x = trial.suggest_int("x", 0, 2)
        if x == 0:
            raise TrialPruned()
        if x == 1:
            raise ArithmeticError("boom")
        return 1.0

    study = Study(sampler="random", random_state=0)
    with pytest.warns(UserWarning, match="failed with ArithmeticError"):
        study.optimize(objective, n_trials=20, catch=(ArithmeticError,))
    states = {t.state for t in study.trials}
    assert states == {TrialState.PRUNED, TrialState.FAIL, TrialState.COMPLETE}
    with pytest.raises(ArithmeticError):
        study.optimize(objective, n_trials=20)
    assert study.trials[-1].state is TrialState.FAIL
    assert not study.get_trials((TrialState.RUNNING,))


def test_keyboard_interrupt_leaves_no_running_trial():
    calls = []

    def objective(trial):
        calls.append(trial.suggest_float("x", 0, 1))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return calls[-1]

    study = Study()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2 + [TrialState.FAIL]


def test_optimize_timeout_callbacks_and_stop():
    seen = []

    def callback(study, trial):
        seen.append(trial.number)
        if trial.number == 4:
            study.stop()

    study = Study(sampler="random", random_state=0)
    study.optimize(quadratic, n_trials=100, callbacks=[callback])
    assert seen == [0, 1, 2, 3, 4]

    start = time.monotonic()
    Study().optimize(lambda t: time.sleep(0.01) or 1.0, timeout=0.2)
    assert time.monotonic() - start < 1.5
    with pytest.raises(ValueError, match="n_trials or timeout"):
        Study().optimize(quadratic)
    with pytest.raises(ValueError, match="'n_trials' parameter of Study.optimize must be"):
        Study().optimize(quadratic, n_trials=-1)


def test_optimize_threads_give_distinct_numbers():
    study = Study(sampler="random", random_state=0)
    study.optimize(lambda t: time.sleep(0.005) or quadratic(t), n_trials=40, n_jobs=4)
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(40))
    assert all(t.state is TrialState.COMPLETE for t in study.trials)


def test_same_seed_same_trials():
    def run(seed):
        study = Study(sampler="random", random_state=seed)
        study.optimize(quadratic, n_trials=10)
        return [t.params for t in study.trials]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_attach_to_existing_study_and_direction_mismatch():
    storage = InMemoryStorage()
    first = Study(storage=storage, study_name="s", direction="minimize")
    first.optimize(quadratic, n_trials=3)
    again = Study(storage=storage, study_name="s", direction="minimize")
    assert len(again.trials) == 3
    with pytest.raises(ValueError, match="direction 'minimize'"):
        Study(storage=storage, study_name="s", direction="maximize")


def test_constructor_errors():
    with pytest.raises(ValueError, match="direction"):
        Study(direction="up")
    with pytest.raises(ValueError, match="sampler"):
        Study(sampler="bogus")
    with pytest.raises(TypeError, match="storage"):
        Study(storage=3)


def test_grid_sampler_enumerates_then_stops():
    grid = {"a": [1, 2, 3], "b": Int(0, 1)}
    study = Study(sampler=GridSampler(grid))
    study.optimize(lambda t: t.suggest_categorical("a", [1, 2, 3]) + t.suggest("b", Int(0, 1)))
    assert [t.params for t in study.trials] == [
        {"a": a, "b": b} for a in (1, 2, 3) for b in (0, 1)]
    assert study.sampler.is_exhausted(study)


def test_grid_sampler_rejects_unknown_and_continuous():
    study = Study(sampler=GridSampler({"a": [1]}))
    with pytest.raises(ValueError, match="not in the GridSampler"):
        study.ask().suggest_float("zz", 0, 1)
    with pytest.raises(ValueError, match="cannot be enumerated"):
        GridSampler({"a": Float(0, 1)})


def test_intersection_search_space_ignores_failed_and_single():
    study = Study(sampler="random", random_state=0)

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        trial.suggest_int("fixed", 3, 3)
        if trial.number % 2:
            trial.suggest_float("odd_only", 0, 1)
        if trial.number == 4:
            raise ValueError
        return 1.0

    study.optimize(objective, n_trials=6, catch=(ValueError,))
    space = intersection_search_space(study.trials)
    assert list(space) == ["x"]


def test_trials_dataframe_columns():
    study = Study(sampler="random", random_state=0)

    def objective(trial):
        trial.set_user_attr("tag", "t")
        trial.report(0.5, step=0)
        return quadratic(trial)

    study.optimize(objective, n_trials=3)
    frame = study.trials_dataframe()
    assert list(frame.columns[:6]) == ["number", "state", "value", "datetime_start",
                                       "datetime_complete", "duration"]
    assert {"params_x", "intermediate_0", "user_attrs_tag"} <= set(frame.columns)
    assert frame["state"].tolist() == ["COMPLETE"] * 3
    assert Study().trials_dataframe().empty


def test_random_sampler_covers_space_uniformly():
    study = Study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=400)
    values = np.array([t.params["x"] for t in study.trials])
    counts, _ = np.histogram(values, bins=4, range=(0, 1))
    assert counts.min() > 70
    assert not any(math.isnan(v) for v in values)


@pytest.mark.parametrize("sampler", ["tpe", "cmaes"])
def test_model_samplers_with_threads(sampler):
    import warnings

    study = Study(direction="minimize", sampler=sampler, random_state=0)

    def objective(trial):
        time.sleep(0.002)
        return quadratic(trial) + trial.suggest_int("n", 1, 5)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, n_trials=60, n_jobs=4)
    assert [t.number for t in study.trials] == list(range(60))
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert study.best_value < 2.5


def test_a_study_created_by_another_process_meanwhile_is_attached():
    class Racing(InMemoryStorage):
        """The lookup misses a study that another process creates just after."""

        def get_study_id(self, study_name):
            found = super().get_study_id(study_name)
            if found is not None and not getattr(self, "looked", False):
                self.looked = True
                return None
            return found

    storage = Racing()
    first = Study(storage=storage, study_name="shared", direction="maximize")
    second = Study(storage=storage, study_name="shared", direction="maximize")
    assert second._study_id == first._study_id
    with pytest.raises(ValueError, match="direction"):
        Study(storage=storage, study_name="shared", direction="minimize")


SHARING_SCRIPT = """
import sys
from sksearch import Study

study = Study(direction="minimize", storage=sys.argv[1], study_name="shared", random_state=0)
seen = []

def objective(trial):
    x = trial.suggest_float("x", -5, 5)
    seen.append(x)
    return x * x

study.optimize(objective, n_trials=int(sys.argv[2]))
print(" ".join(repr(x) for x in seen))
"""


def _sharing_run(script, path, n_trials, env):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, str(script), f"sqlite:///{path}", str(n_trials)],
                            env=env, stdout=subprocess.PIPE, text=True)


@pytest.mark.parametrize("together", [False, True])
def test_processes_sharing_a_study_and_a_seed_propose_distinct_points(tmp_path, together):
    """Four processes with one random_state on one SQLite study, started one
    after the other (each joins a study others have trials in) or together."""
    import os
    import sys
    from pathlib import Path

    import sksearch

    script = tmp_path / "optimize.py"
    script.write_text(SHARING_SCRIPT)
    root = str(Path(sksearch.__file__).parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, *sys.path]),
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    path = tmp_path / "shared.db"
    outputs = []
    if together:
        processes = [_sharing_run(script, path, 2, env) for _ in range(4)]
        outputs = [p.communicate(timeout=120)[0] for p in processes]
        assert [p.returncode for p in processes] == [0] * 4
    else:
        for _ in range(4):
            process = _sharing_run(script, path, 2, env)
            outputs.append(process.communicate(timeout=120)[0])
            assert process.returncode == 0
    proposals = [[float(x) for x in out.split()] for out in outputs]
    firsts = [p[0] for p in proposals]
    assert len(set(firsts)) == 4, proposals
    every = [x for p in proposals for x in p]
    assert len(set(every)) == len(every) == 8


def test_a_process_joining_a_study_is_reproducible(tmp_path):
    """A process alone stays reproducible: joining a study that holds k
    trials, it draws the stream of its first trial's number."""
    def run(path):
        url = f"sqlite:///{path}"
        first = Study(direction="minimize", storage=url, study_name="s", random_state=0)
        first.optimize(quadratic, n_trials=3)
        joined = Study(direction="minimize", storage=url, study_name="s", random_state=0)
        joined.optimize(quadratic, n_trials=3)
        return [t.params["x"] for t in joined.trials]

    a, b = run(tmp_path / "a.db"), run(tmp_path / "b.db")
    assert a == b and len(set(a)) == 6
