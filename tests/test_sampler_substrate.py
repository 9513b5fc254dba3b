"""What the samplers stand on: the unit box of a space (sksearch/_box.py) and
the study's log of finished trials (sksearch/_trial_log.py)."""

import gc
import pickle

import numpy as np
import pytest
from scipy import stats

from sksearch import Study, TrialState
from sksearch._box import UnitBox, unit_of, value_at
from sksearch._trial_log import TrialLog
from sksearch.distributions import Categorical, Float, Int, ScipyDistribution
from sksearch.samplers import CmaEsSampler, NSGAIISampler, TPESampler
from sksearch.samplers.tpe import _Memory
from sksearch.storage import InMemoryStorage

# every kind of column: linear, log and stepped floats, integers (log and
# stepped), single-valued ones, categoricals and a scipy distribution's quantiles
KINDS = [Float(-5, 5), Float(1e-4, 1e2, log=True), Float(0.1, 2.0, step=0.3),
         Float(-1.5, 2.25, step=0.25), Float(2.0, 2.0), Int(0, 20), Int(1, 64, log=True),
         Int(1, 1000, log=True), Int(0, 100, step=5), Int(-1000, 10**6, step=7), Int(3, 3),
         Categorical(["a", "b", None]), Categorical(["only"]),
         ScipyDistribution(stats.norm(0, 1))]


def _random_points(rng, dists, n):
    """Points of the box, with its edges, just outside it, and exact half
    steps, where clipping and rounding are decided."""
    points = rng.uniform(-0.05, 1.05, size=(n, len(dists)))
    points[rng.random(points.shape) < 0.2] = 0.0
    points[rng.random(points.shape) < 0.2] = 1.0
    for j, d in enumerate(dists):
        if isinstance(d, Categorical):
            points[:, j] = rng.integers(len(d.choices), size=n)
        elif d._unit_step() > 0 and rng.random() < 0.5:
            points[:, j] = np.round(points[:, j] / d._unit_step() * 2) / 2 * d._unit_step()
    return points


def _random_spaces(seed, n_spaces):
    rng = np.random.default_rng(seed)
    for _ in range(n_spaces):
        dists = [KINDS[i] for i in rng.integers(len(KINDS), size=rng.integers(1, 8))]
        yield rng, dists, _random_points(rng, dists, int(rng.integers(1, 25)))


# -- the box -------------------------------------------------------------------------
@pytest.mark.parametrize("dist", KINDS, ids=repr)
def test_every_kind_round_trips(dist):
    box = UnitBox([dist])
    unit = np.linspace(-0.1, 1.1, 241)[:, None]
    if isinstance(dist, Categorical):
        unit = np.arange(len(dist.choices), dtype=float)[:, None]
    internal = box.from_unit(unit)
    assert all(dist.contains_internal(v) for v in internal[:, 0])
    back = box.to_unit(internal)
    if isinstance(dist, Categorical):
        assert np.array_equal(back, unit)  # the choice's index, in and out
    else:
        assert np.all((back >= 0) & (back <= 1))
    again = box.from_unit(back)
    if dist.is_single() or isinstance(dist, Categorical) or dist.step is not None:
        assert np.array_equal(again, internal)  # a legal value is a fixed point
    else:
        np.testing.assert_allclose(again, internal, rtol=1e-12)


def test_columns_equal_each_distributions_own_transform_to_the_bit():
    for _, dists, points in _random_spaces(0, 300):
        box = UnitBox(dists)
        internal = box.from_unit(points)
        back = box.to_unit(internal)
        for j, d in enumerate(dists):
            if isinstance(d, Categorical):
                assert np.array_equal(internal[:, j], points[:, j])
                assert np.array_equal(back[:, j], points[:, j])
                continue
            assert internal[:, j].tobytes() == d._from_unit(points[:, j]).tobytes()
            assert back[:, j].tobytes() == d._to_unit(internal[:, j]).tobytes()
            assert unit_of(d, internal[:, j]).tobytes() == back[:, j].tobytes()
            assert value_at(d, points[:, j]).tobytes() == internal[:, j].tobytes()


def test_snap_rounds_like_each_distribution_to_the_bit():
    for _, dists, points in _random_spaces(1, 300):
        expected = np.array(points)
        for j, d in enumerate(dists):
            if not isinstance(d, Categorical) and d._unit_step() > 0:
                expected[:, j] = d._to_unit(d._from_unit(points[:, j]))
        # continuous columns as given, even outside the box
        assert UnitBox(dists).snap(points).tobytes() == expected.tobytes()


def test_a_batch_gives_each_row_the_bits_of_the_row_alone():
    for _, dists, points in _random_spaces(2, 200):
        box = UnitBox(dists)
        internal = box.from_unit(points)
        for i in range(len(points)):
            assert box.from_unit(points[i:i + 1]).tobytes() == internal[i:i + 1].tobytes()
            assert (box.to_unit(internal[i:i + 1]).tobytes()
                    == box.to_unit(internal).tobytes()[i * 8 * len(dists):
                                                       (i + 1) * 8 * len(dists)])
            if box.snap_is_rowwise:  # the rule CMA-ES relies on (Search.told_point)
                assert box.snap(points[i:i + 1]).tobytes() == box.snap(points)[i:i + 1].tobytes()


def test_from_unit_rounds_a_categorical_to_the_nearest_choice():
    box = UnitBox([Categorical(["a", "b", "c"]), Float(0, 1)])
    out = box.from_unit([[0.4, 0.5], [1.6, 0.5], [7.0, 0.5], [-2.0, 0.5]])
    assert out[:, 0].tolist() == [0.0, 2.0, 2.0, 0.0]
    assert box.snap([[1.2, 0.123]]).tolist() == [[1.0, 0.123]]


def test_what_samplers_read_about_the_columns():
    dists = [Float(-5, 5), Float(1e-4, 1.0, log=True), Int(0, 20, step=5),
             Categorical(["x", "y"]), Int(1, 64, log=True)]
    box = UnitBox(dists)
    assert box.n_dims == 5
    assert box.categorical.tolist() == [False, False, False, True, False]
    assert box.n_choices == [None, None, None, 2, None]
    assert box.log.tolist() == [False, True, False, False, True]
    assert box.unit_steps.tolist() == [0.0, 0.0, Int(0, 20, step=5)._unit_step(), 0.0,
                                       Int(1, 64, log=True)._unit_step()]
    assert box.unit_steps[2] == pytest.approx(0.2)  # 5 of a box widened to 25
    assert box.stepped and not box.snap_is_rowwise  # a stepped log column
    assert UnitBox(dists[:4]).snap_is_rowwise
    assert not UnitBox([Float(0, 1), Categorical([1, 2])]).stepped


def test_an_absent_value_stays_absent():
    box = UnitBox([Float(0, 10), Float(1, 100, log=True), Int(2, 2)])
    assert np.isnan(box.to_unit([[np.nan, np.nan, np.nan]])[0, :2]).all()


# -- the trial log -------------------------------------------------------------------
class _CountingStorage(InMemoryStorage):
    """Counts the finished trials the storage hands out."""

    handed_out = 0

    def get_trials_finished_since(self, study_id, cursor=None):
        trials, cursor = super().get_trials_finished_since(study_id, cursor)
        self.handed_out += len(trials)
        return trials, cursor


def _finish(study, n, start=0):
    for i in range(start, start + n):
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        state = TrialState.FAIL if i % 5 == 4 else TrialState.COMPLETE
        study.tell(trial, x if state is TrialState.COMPLETE else None, state=state)


def test_the_log_reads_each_finished_trial_once_and_hands_each_consumer_what_is_new():
    storage = _CountingStorage()
    study = Study(direction="minimize", storage=storage, sampler="random", random_state=0)
    log = study.trial_log
    assert study.trial_log is log
    _finish(study, 6)
    running = study.ask()
    first, a = log.since(0)
    assert [t.number for t in first] == list(range(6))  # failed ones too, not running ones
    assert log.since(a) == ([], a)
    _finish(study, 3, start=6)
    study.tell(running, 0.5)
    new, a = log.since(a)
    assert sorted(t.number for t in new) == [6, 7, 8, 9]
    # a consumer starting late gets everything, without another read of the whole study
    every, b = log.since(0)
    assert b == a and [t.trial_id for t in every] == [t.trial_id for t in first + new]
    assert storage.handed_out == 10


def test_consumers_keep_their_own_caches_and_positions():
    study = Study(direction="minimize", sampler="random", random_state=0)
    log = study.trial_log
    first = log.cache("first", dict)
    assert log.cache("first", list) is first  # made once
    second = log.cache("second", dict)
    assert second is not first
    _finish(study, 4)
    _, first["position"] = log.since(first.get("position", 0))
    _finish(study, 2, start=4)
    assert len(log.since(first["position"])[0]) == 2
    assert len(log.since(second.get("position", 0))[0]) == 6


def test_a_cache_with_an_owner_is_the_owners_and_goes_with_it():
    class Owner:
        pass

    log = Study(sampler="random").trial_log
    one, two = Owner(), Owner()
    mine = log.cache("search", dict, owner=one)
    assert log.cache("search", dict, owner=one) is mine
    assert log.cache("search", dict, owner=two) is not mine
    assert log.cache("search", dict) is not mine  # the shared one
    mine["x"] = 1
    del one
    gc.collect()
    # a new owner, whatever its id, never gets a dead owner's cache
    for _ in range(20):
        assert log.cache("search", dict, owner=Owner()) == {}
    assert len(log._caches) <= 4


def test_a_new_study_or_storage_gets_a_new_log():
    storage = InMemoryStorage()
    a = Study(storage=storage, study_name="a", sampler="random", random_state=0)
    b = Study(storage=storage, study_name="b", sampler="random", random_state=1)
    _finish(a, 3)
    log = a.trial_log
    log.cache("tpe", dict)["kept"] = True
    assert log.reads(storage, a._study_id) and not log.reads(storage, b._study_id)
    assert not log.reads(pickle.loads(pickle.dumps(storage)), a._study_id)
    a._storage, a._study_id = b._storage, b._study_id  # now reads another study
    assert a.trial_log is not log and a.trial_log.since(0) == ([], 0)
    assert a.trial_log.cache("tpe", dict) == {}


def test_pickling_drops_the_trials_and_every_cache_which_are_rebuilt_equal():
    study = Study(direction="minimize", sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - t.suggest_int("n", 0, 9)) ** 2,
                   n_trials=25)
    memory = study.trial_log.cache("tpe", _Memory)
    assert memory.table.n == 24  # what the last ask read
    copy = pickle.loads(pickle.dumps(study))
    assert isinstance(copy.trial_log, TrialLog) and copy.trial_log._trials == []
    assert copy.trial_log.cache("tpe", _Memory).table.n == 0  # a fresh cache
    assert len(pickle.dumps(study)) < len(pickle.dumps(study._storage)) + 5_000
    for s in (study, copy):
        s.optimize(lambda t: (t.suggest_float("x", -1, 1) - t.suggest_int("n", 0, 9)) ** 2,
                   n_trials=1)
    assert copy.trials[-1].params == study.trials[-1].params
    rebuilt, live = copy.trial_log.cache("tpe", _Memory), memory
    assert rebuilt.table.n == live.table.n == 25
    assert sorted(rebuilt.plans) == sorted(live.plans)
    for key in live.plans:
        np.testing.assert_array_equal(rebuilt.table.block(rebuilt.plans[key]),
                                      live.table.block(live.plans[key]))
    assert ([rebuilt.table.trials[r].number for r in rebuilt.table.ranking()[0]]
            == [live.table.trials[r].number for r in live.table.ranking()[0]])


def _two_floats(trial):
    return trial.suggest_float("x", -1, 1) ** 2 + trial.suggest_float("y", 1e-3, 1, log=True)


def test_cmaes_keeps_nothing_of_a_study_itself_and_a_copy_goes_on_alike():
    study = Study(direction="minimize", sampler=CmaEsSampler(seed=0))
    study.optimize(_two_floats, n_trials=30)
    assert len(pickle.dumps(study.sampler)) < 5_000  # no trial, no search
    copy = pickle.loads(pickle.dumps(study))
    study.optimize(_two_floats, n_trials=10)
    copy.optimize(_two_floats, n_trials=10)
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]


def _two_objectives(trial):
    x = trial.suggest_float("x", 0, 1)
    return x, (1 - x) ** 2 + trial.suggest_int("n", 0, 4) / 10


def test_nsga2_keeps_its_parents_in_the_log_and_a_copy_goes_on_alike():
    study = Study(directions=["minimize", "minimize"],
                  sampler=NSGAIISampler(population_size=6, seed=0))
    study.optimize(_two_objectives, n_trials=30)
    parents = study.trial_log.cache("nsga2-parents", dict, owner=study.sampler)
    assert sorted(parents) == [1, 2, 3, 4]  # the finished generations' parents
    assert len(pickle.dumps(study.sampler)) < 2_000
    copy = pickle.loads(pickle.dumps(study))
    study.optimize(_two_objectives, n_trials=12)
    copy.optimize(_two_objectives, n_trials=12)
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]
