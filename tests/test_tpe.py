"""TPE: density estimates, legal values, conditional spaces, batches, seeds."""

import numpy as np
import pytest
from _pinning import assert_close, mixed10, pinned, proposals
from hypothesis import given, settings
from hypothesis import strategies as st

from sksearch import Study, TrialPruned, TrialState
from sksearch.distributions import Categorical, Float, Int
from sksearch.samplers import RandomSampler, TPESampler
from sksearch.samplers.parzen import ParzenEstimator
from sksearch.samplers.tpe import _Memory
from sksearch.space import make_search_space


def run(sampler, objective, n_trials, direction="minimize"):
    study = Study(direction=direction, sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return study


def test_parzen_density_integrates_to_one_and_peaks_at_data():
    estimator = ParzenEstimator(np.array([[0.2], [0.25], [0.3]]), np.ones(3), [None],
                                prior_weight=0.1)
    grid = np.linspace(0, 1, 2001)[:, None]
    density = np.exp(estimator.log_pdf(grid))
    assert np.trapezoid(density, grid[:, 0]) == pytest.approx(1.0, abs=1e-3)
    assert 0.15 < grid[np.argmax(density), 0] < 0.35
    samples = estimator.sample(np.random.default_rng(0), 5000)
    assert 0 <= samples.min() and samples.max() <= 1
    assert np.mean((samples > 0.1) & (samples < 0.4)) > 2 * 0.3  # twice the uniform share


def test_parzen_categorical_kernel_follows_observations():
    obs = np.array([[2.0], [2.0], [2.0], [0.0]])
    estimator = ParzenEstimator(obs, np.ones(4), [4], prior_weight=1.0)
    probs = np.exp(estimator.log_pdf(np.arange(4.0)[:, None]))
    assert probs.sum() == pytest.approx(1.0)
    assert np.argmax(probs) == 2 and probs[2] > 0.5 and probs[0] > probs[1]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_concentrates_near_optimum_in_1d(direction):
    sign = 1 if direction == "minimize" else -1

    def objective(trial):
        return sign * (trial.suggest_float("x", -10, 10) - 3.0) ** 2

    tpe = run(TPESampler(seed=0), objective, 60, direction)
    rand = run(RandomSampler(seed=0), objective, 60, direction)
    late = lambda s: np.median([abs(t.params["x"] - 3) for t in s.trials[-20:]])  # noqa: E731
    assert late(tpe) < 0.25 * late(rand)
    assert abs(tpe.best_params["x"] - 3) < 0.3


def test_categorical_frequencies_follow_the_good_choice():
    offsets = {"a": 3.0, "b": 0.0, "c": 2.0, "d": 5.0}

    def objective(trial):
        return offsets[trial.suggest_categorical("c", list(offsets))] + 0.1 * trial.suggest_float(
            "x", 0, 1)

    study = run(TPESampler(seed=1), objective, 80)
    late = [t.params["c"] for t in study.trials[40:]]
    assert late.count("b") / len(late) > 0.6


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 1000))
def test_values_always_legal(seed):
    space = {"f": Float(0.5, 2.5, step=0.5), "l": Float(1e-4, 1.0, log=True),
             "i": Int(-3, 9, step=3), "il": Int(1, 1000, log=True),
             "c": Categorical([None, "x", 3])}

    def objective(trial):
        p = {name: trial.suggest(name, dist) for name, dist in space.items()}
        return p["f"] + np.log(p["l"]) ** 2 + p["i"] + np.log(p["il"]) + (p["c"] is None)

    study = run(TPESampler(seed=seed, n_startup_trials=3), objective, 20)
    for trial in study.trials:
        for name, dist in space.items():
            assert dist.contains_internal(trial.internal_params[name])
        p = trial.params
        assert p["f"] in (0.5, 1.0, 1.5, 2.0, 2.5) and 1e-4 <= p["l"] <= 1.0
        assert p["i"] in (-3, 0, 3, 6, 9) and isinstance(p["il"], int) and 1 <= p["il"] <= 1000
        assert p["c"] in (None, "x", 3)


def test_conditional_list_of_dicts_models_each_branch():
    space = make_search_space([{"kind": ["lin"], "a": Float(0, 1)},
                               {"kind": ["quad"], "b": Float(-1, 1), "c": Int(0, 5)}])

    def objective(trial):
        p = space.sample(trial)
        if p["kind"] == "lin":
            return 1 + p["a"]
        return (p["b"] - 0.5) ** 2 + abs(p["c"] - 2) * 0.1

    study = run(TPESampler(seed=0), objective, 60)
    assert study.best_value < 0.05
    late = study.trials[30:]
    assert sum(t.params["kind"] == "quad" for t in late) > 0.7 * len(late)
    quad = [t for t in late if t.params["kind"] == "quad"]
    assert np.median([abs(t.params["b"] - 0.5) for t in quad]) < 0.25


def test_define_by_run_parameters_first_seen_late_and_failures_ignored():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number >= 15:
            trial.suggest_float("late", 0, 1)
        if trial.number % 7 == 3:
            raise RuntimeError("flaky")
        if trial.number % 11 == 5:
            return float("nan")
        return (x - 0.2) ** 2

    study = Study(direction="minimize", sampler=TPESampler(seed=0))
    with pytest.warns(UserWarning):
        study.optimize(objective, n_trials=40, catch=(RuntimeError,))
    states = {t.state for t in study.trials}
    assert TrialState.FAIL in states and TrialState.COMPLETE in states
    assert abs(study.best_params["x"] - 0.2) < 0.1
    assert all("late" in t.params for t in study.trials[15:] if t.state is not TrialState.FAIL)


def test_pruned_trials_inform_the_model():
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.report((x - 0.8) ** 2, step=0)
        if x < 0.5:
            study.tell(trial, state=TrialState.PRUNED)
            return None
        return (x - 0.8) ** 2

    study = Study(direction="minimize", sampler=TPESampler(seed=0))
    for _ in range(40):
        trial = study.ask()
        value = objective(trial)
        if value is not None:
            study.tell(trial, value)
    late = [t.params["x"] for t in study.trials[20:]]
    assert np.mean(np.array(late) >= 0.5) > 0.8


def test_same_seed_same_trials_and_reseed():
    objective = lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2 + t.suggest_int("n", 1, 9)  # noqa: E731
    a = run(TPESampler(seed=7), objective, 25)
    b = run(TPESampler(seed=7), objective, 25)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_constant_liar_spreads_a_batch():
    study = Study(direction="minimize", sampler=TPESampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.3) ** 2, n_trials=20)
    # as BayesSearchCV does: each candidate of the batch is suggested before the
    # next is asked, so the next one sees it running
    values = [study.ask().suggest_float("x", 0, 1) for _ in range(4)]
    assert len(set(np.round(values, 6))) == 4
    assert len(study.get_trials((TrialState.RUNNING,))) == 4


def test_invalid_arguments():
    with pytest.raises(ValueError, match="n_startup_trials"):
        TPESampler(n_startup_trials=-1)
    with pytest.raises(ValueError, match="n_ei_candidates"):
        TPESampler(n_ei_candidates=0)
    with pytest.raises(TypeError, match="gamma"):
        TPESampler(gamma=0.1)


def _conditional_objective(trial):
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if kind == "a":
        return (trial.suggest_float("x", -2, 2) - 0.5) ** 2
    return 0.3 + abs(trial.suggest_int("n", 1, 50, log=True) - 7) / 10


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_incremental_history_proposes_what_a_full_rebuild_does(kind, tmp_path):
    """The history table absorbs only trials finished since the last ask; the
    proposals are those of a table rebuilt from the whole study at every ask,
    with pruned, failed and running (out-of-order finishing) trials."""
    def drive(rebuild, storage):
        study = Study(direction="minimize", storage=storage,
                      sampler=TPESampler(seed=3, n_startup_trials=6))
        pending = []
        for i in range(45):
            if rebuild:
                study.trial_log.clear()
            trial = study.ask()
            value = _conditional_objective(trial)
            pending.append((trial, value))
            if i % 3 != 2:  # finish some later, out of number order
                continue
            for t, v in reversed(pending):
                state = (TrialState.PRUNED if t.number % 7 == 0 else
                         TrialState.FAIL if t.number % 11 == 0 else None)
                study.tell(t, v if state is not TrialState.FAIL else None, state=state)
            pending = []
        return [t.params for t in study.trials]

    def storage(name):
        return None if kind == "memory" else str(tmp_path / f"{name}.db")

    assert drive(False, storage("a")) == drive(True, storage("b"))


def test_pickled_sampler_rebuilds_its_history_to_the_same_proposals():
    import pickle

    study = Study(direction="minimize", sampler=TPESampler(seed=5))
    study.optimize(_conditional_objective, n_trials=25)
    blob = pickle.dumps(study)
    assert len(blob) < len(pickle.dumps(study._storage)) + 20_000  # no copy of the table
    copy = pickle.loads(blob)
    study.optimize(_conditional_objective, n_trials=10)
    copy.optimize(_conditional_objective, n_trials=10)
    assert [t.params for t in study.trials] == [t.params for t in copy.trials]


def test_plan_transforms_match_the_distributions():
    from sksearch.samplers.tpe import _Plan

    dists = [Float(-3, 5), Float(1e-4, 10, log=True), Float(0.5, 2.5, step=0.5),
             Int(1, 1000, log=True), Int(-3, 9, step=3), Categorical(["a", "b", None]),
             Int(4, 4)]
    plan = _Plan([f"p{i}" for i in range(len(dists))], dists)
    unit = np.random.default_rng(0).random((200, len(dists)))
    unit[:, 5] = np.floor(unit[:, 5] * 3)
    internal = plan.box.from_unit(unit)
    back = plan.box.to_unit(internal)
    for j, dist in enumerate(dists):
        if isinstance(dist, Categorical):
            assert np.array_equal(internal[:, j], unit[:, j])
            continue
        assert np.array_equal(internal[:, j], dist._from_unit(unit[:, j]))
        assert np.array_equal(back[:, j], dist._to_unit(internal[:, j]))


def test_ranking_does_not_depend_on_the_order_trials_were_absorbed():
    from sksearch.samplers.tpe import _TrialTable
    from sksearch.trial import FrozenTrial

    trials = [FrozenTrial(number=i, trial_id=i, value=float(i % 3), internal_params={"x": 0.1 * i},
                          distributions={"x": Float(0, 1)},
                          state=TrialState.PRUNED if i % 4 == 0 else TrialState.COMPLETE,
                          intermediate_values={0: 1.0} if i % 8 == 0 else {})
              for i in range(10)]
    ranked = []
    for order in (trials, trials[::-1], trials[3:] + trials[:3]):
        table = _TrialTable()
        for t in order:
            table.update([t], 1.0)
        rows, _ = table.ranking()
        ranked.append([table.trials[r].number for r in rows])
    assert ranked[0] == ranked[1] == ranked[2]
    assert ranked[0][:3] == [3, 6, 9]  # complete with value 0, by number


def _early_looking_branch(trial):
    branch = trial.suggest_categorical("branch", ["early", "narrow", "flat"])
    if branch == "early":  # looks best among random trials
        return 0.5 + 0.1 * trial.suggest_float("x", 0, 1)
    if branch == "narrow":  # the best, in a band that random trials rarely hit
        y = trial.suggest_float("y", 0, 1)
        return 0.0 if abs(y - 0.77) < 0.04 else 2.0 - abs(y - 0.77)
    return 1.0 + trial.suggest_float("z", 0, 1)


def test_every_branch_keeps_being_visited():
    """A branch choice is drawn from the good density, so the branches whose
    first random trials looked bad are still tried, and tuned, later on."""
    def run_seeds(explore):
        visited, found = 0, 0
        for seed in range(10):
            study = run(TPESampler(seed=seed, explore_branches=explore),
                        _early_looking_branch, 100)
            late = [t.params["branch"] for t in study.trials[50:]]
            visited += all(b in late for b in ("early", "narrow", "flat"))
            found += study.best_value == 0.0
        return visited, found

    visited, found = run_seeds(True)
    assert visited >= 8 and found >= 4
    greedy_visited, greedy_found = run_seeds(False)  # the argmax of l / g
    assert greedy_visited <= 2 and greedy_found < found


def test_a_name_shared_by_branches_is_modelled_per_branch():
    """``C`` of two estimators (different ranges) is modelled on each branch's
    own trials and sampled jointly with that branch's other parameters, not
    left to the independent fallback whenever the other branch used it last."""
    space = make_search_space([{"est": ["lin"], "C": Float(1e-4, 1e-2, log=True)},
                               {"est": ["rbf"], "C": Float(10, 1000, log=True),
                                "gamma": Float(1e-3, 1, log=True)}])

    def objective(trial):
        p = space.sample(trial)
        if p["est"] == "lin":
            return 1.0 + abs(np.log10(p["C"]) + 3)
        # a ridge: only C and gamma together find the optimum
        return abs(np.log10(p["C"]) + np.log10(p["gamma"]) - 0.5) + 0.1 * abs(
            np.log10(p["gamma"]) + 1.5)

    sampler = TPESampler(seed=0, n_startup_trials=8)
    independent = []
    original = sampler.sample_independent

    def spy(study, trial, name, distribution):
        if trial.number >= 8:
            independent.append(name)
        return original(study, trial, name, distribution)

    sampler.sample_independent = spy
    study = run(sampler, objective, 60)
    assert "C" not in independent and "gamma" not in independent
    for trial in study.trials:
        low = 1e-4 if trial.params["est"] == "lin" else 10
        assert low <= trial.params["C"] <= low * 100
    assert study.best_value < 0.3


def test_weights_callable_weighs_the_bad_trials_oldest_first(monkeypatch):
    import sksearch.samplers.tpe as tpe

    seen = []

    class Spy(ParzenEstimator):
        def __init__(self, observations, weights, *args, **kwargs):
            if weights is not None:
                seen.append(np.asarray(weights))
            super().__init__(observations, weights, *args, **kwargs)

    monkeypatch.setattr(tpe, "ParzenEstimator", Spy)
    sampler = TPESampler(seed=0, n_startup_trials=5, weights=lambda n: np.arange(1.0, n + 1))
    study = Study(direction="minimize", sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.4) ** 2, n_trials=30)
    history = study.trial_log.cache("tpe", tpe._Memory).history
    weights = seen[-1]
    numbers = history.above_numbers
    assert len(weights) == len(numbers) > 20
    # the newest bad trial has the largest weight, the oldest the smallest
    assert np.all(np.diff(weights[np.argsort(numbers)]) > 0)


@pytest.mark.parametrize("options", [{"group": False}, {"multivariate": False},
                                     {"explore_branches": False}, {"constant_liar": False}])
def test_option_paths_run_on_a_conditional_space(options):
    study = run(TPESampler(seed=0, n_startup_trials=5, **options), _conditional_objective, 40)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert study.best_value < 0.5
    if options == {"group": False}:
        # only the parameter every trial has is sampled jointly
        sampler = study.sampler
        trial = study.ask()
        frozen = study._storage.get_trial(trial.trial_id)
        assert list(sampler.infer_relative_search_space(study, frozen)) == ["kind"]


# -- pinned proposals --------------------------------------------------------------
# Seeded runs whose every proposal is pinned (data/proposal_pins.json, to a
# relative 1e-9): a change to how the plans and the history are kept (cached,
# incremental) must leave every proposal as it was. Recomputed once when the
# neighbour bandwidths began to sort ties stably (the default sort's tie order
# is the CPU's SIMD kernel's, and moved the multivariate runs between CPUs).

def _branches(trial):
    """Define-by-run branches: a categorical deciding which parameters follow,
    ``x`` used with two distributions, a shared parameter, some trials pruned."""
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    shared = trial.suggest_float("shared", 0, 1)
    if kind == "a":
        value = (trial.suggest_float("x", -2, 2) - 0.5) ** 2 + abs(
            np.log10(trial.suggest_float("lr", 1e-4, 1, log=True)) + 2)
    elif kind == "b":
        value = 0.3 + abs(trial.suggest_int("n", 1, 50, log=True) - 7) / 10
    else:
        value = 0.2 + (trial.suggest_float("x", 0, 4) - 3) ** 2 + abs(
            trial.suggest_int("s", 0, 30, step=3) - 12) / 30
    value += (shared - 0.4) ** 2
    if trial.number % 13 == 7:
        trial.report(value + 1, 0)
        raise TrialPruned()
    return value


def _pinned_tpe_run(objective, n_trials, batch=1, **options):
    """A seeded run: ``batch`` trials asked, then told, at a time."""
    study = Study(direction="minimize", sampler=TPESampler(seed=0, **options))
    while len(study.trials) < n_trials:
        trials = [study.ask() for _ in range(min(batch, n_trials - len(study.trials)))]
        for trial in trials:
            try:
                study.tell(trial, objective(trial))
            except TrialPruned:
                study.tell(trial, state=TrialState.PRUNED)
    return study


_PINNED_TPE_RUNS = {  # objective, trials, batch, options
    "mixed10-multivariate": (mixed10, 120, 1, {}),
    "mixed10-independent": (mixed10, 120, 1, {"multivariate": False}),
    "branches-multivariate": (_branches, 150, 1, {}),
    "branches-independent": (_branches, 150, 1, {"multivariate": False}),
    "branches-batch4": (_branches, 100, 4, {}),
    "branches-ungrouped": (_branches, 100, 1, {"group": False}),
}
PIN_MAKERS = {f"tpe/{case}": (lambda args=args: proposals(_pinned_tpe_run(*args[:3], **args[3])))
              for case, args in _PINNED_TPE_RUNS.items()}


@pytest.mark.parametrize("case", sorted(_PINNED_TPE_RUNS))
def test_proposals_pinned(case):
    objective, n_trials, batch, options = _PINNED_TPE_RUNS[case]
    study = _pinned_tpe_run(objective, n_trials, batch, **options)
    assert_close(proposals(study), pinned(f"tpe/{case}"))


def test_independent_sampling_keeps_one_plan_per_parameter():
    """A define-by-run suggest builds a new, equal distribution at every trial:
    the plans and the unit-box history are kept by value, one per parameter
    (and distribution), not one per ask."""
    sampler = TPESampler(seed=0, multivariate=False, n_startup_trials=5)
    study = run(sampler, _branches, 60)
    used = {(name, dist) for t in study.trials for name, dist in t.distributions.items()}
    assert len(used) == 7  # x has two distributions
    # (a parameter of a rarely taken branch may still be in its startup)
    memory = study.trial_log.cache("tpe", _Memory)
    assert 5 <= len(memory.plans) == len(memory.table._blocks) <= 7


@pytest.mark.parametrize("n_choices", [[None], [4]])
def test_a_points_density_does_not_depend_on_the_points_scored_with_it(n_choices):
    # what TPE's scoring of distinct candidates only (_log_ratio) relies on
    rng = np.random.default_rng(1)
    k = n_choices[0]
    obs = rng.random((300, 1)) if k is None else rng.integers(0, k, (300, 1)).astype(float)
    estimator = ParzenEstimator(obs, None, n_choices, step_widths=[0.05] if k is None else None)
    points = estimator.sample(rng, 24)
    points[::2] = points[0]
    full = estimator.log_pdf(points)
    distinct, where = np.unique(points[:, 0], return_inverse=True)
    assert np.array_equal(estimator.log_pdf(distinct[:, None])[where.ravel()], full)
    assert np.array_equal(estimator.log_pdf(points[3:4]), full[3:4])


def test_component_draw_is_generator_choice_to_the_bit():
    """The Parzen sampler draws components as ``rng.choice(n, size, p=p)`` does
    (the same indices, and the generator left in the same state), without
    choice's checks of ``p``."""
    from sksearch.samplers.parzen import _choice

    meta = np.random.default_rng(5)
    for _ in range(300):
        n, size = int(meta.integers(1, 600)), int(meta.integers(1, 40))
        weights = meta.random(n) ** meta.uniform(0.1, 8)
        weights[meta.random(n) < 0.3] = 1e-12  # components far below the others
        p = np.exp(np.log(np.maximum(weights, 1e-12) / weights.sum()))
        seed = int(meta.integers(2**32))
        ours, numpy_s = np.random.default_rng(seed), np.random.default_rng(seed)
        np.testing.assert_array_equal(_choice(ours, size, p), numpy_s.choice(n, size=size, p=p))
        assert ours.random() == numpy_s.random()
