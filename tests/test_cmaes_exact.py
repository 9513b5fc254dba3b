"""Seeded CMA-ES and TPE runs pinned proposal by proposal, and the fast paths
behind them (issue 19: the per-trial cost work must not move a proposal),
checked against the numpy and scipy calls they replace, to the bit on the same
machine.

The runs' pins are in data/proposal_pins.json, compared to a relative 1e-9
(tests/_pinning.py says why not to the bit).
"""

import warnings

import numpy as np
import pytest
from _pinning import assert_close, mixed10, pinned, proposals
from scipy.linalg import lstsq

from sksearch import Study
from sksearch._box import UnitBox
from sksearch.distributions import Float, Int
from sksearch.samplers import CmaEsSampler, TPESampler, _surrogate
from sksearch.storage import InMemoryStorage


def log_grid(trial):
    """A log-scaled integer and a stepped float: the grid coordinates that are
    rounded through their distribution, and those rounded together."""
    n = trial.suggest_int("n", 1, 64, log=True)
    x = trial.suggest_float("x", -2, 2, step=0.25)
    y = trial.suggest_float("y", -5, 5)
    return (np.log2(n) - 3) ** 2 + (x - 0.5) ** 2 + (y + 1) ** 2


def _run(objective, n_trials, sampler, batch=1):
    study = Study(direction="minimize", sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while len(study.trials) < n_trials:
            trials = [study.ask() for _ in range(batch)]
            for trial in trials:
                study.tell(trial, objective(trial))
    return study


_EXACT_RUNS = {  # objective, trials, sampler, batch
    "mixed10-lq": (mixed10, 150, lambda: CmaEsSampler(seed=0, surrogate="lq"), 1),
    "mixed10-plain-batch4": (mixed10, 60, lambda: CmaEsSampler(seed=1, surrogate=None), 4),
    "log-grid-lq": (log_grid, 80, lambda: CmaEsSampler(seed=2, surrogate="lq"), 1),
    "mixed10-tpe": (mixed10, 80, lambda: TPESampler(seed=0), 1),
    "mixed10-tpe-independent": (mixed10, 80,
                                lambda: TPESampler(seed=0, multivariate=False), 1),
}
PIN_MAKERS = {f"exact/{case}": (lambda c=case: proposals(_run_case(c))) for case in _EXACT_RUNS}


def _run_case(case):
    objective, n_trials, make_sampler, batch = _EXACT_RUNS[case]
    return _run(objective, n_trials, make_sampler(), batch)


@pytest.mark.parametrize("case", sorted(_EXACT_RUNS))
def test_proposals_pinned(case):
    assert_close(proposals(_run_case(case)), pinned(f"exact/{case}"))


def _rounded_by_each_distribution(points, dists):
    points = np.array(points, dtype=float)
    for j, d in enumerate(dists):
        if d._unit_step() > 0:
            points[:, j] = d._to_unit(d._from_unit(points[:, j]))
    return points


def test_grid_rounds_like_each_distribution_to_the_bit():
    pool = [Float(-5, 5), Int(0, 20), Int(0, 100, step=5), Int(1, 64, log=True),
            Float(0.1, 2.0, step=0.3), Int(-7, 7), Int(3, 3), Float(1e-3, 1.0, log=True),
            Int(-1000, 10**6, step=7), Float(-1.5, 2.25, step=0.25)]
    rng = np.random.default_rng(0)
    for _ in range(300):
        dists = [pool[i] for i in rng.integers(len(pool), size=rng.integers(1, 7))]
        points = rng.uniform(-0.05, 1.05, size=(rng.integers(1, 20), len(dists)))
        # the box's edges and exact half steps, where rounding is decided
        points[rng.random(points.shape) < 0.2] = 0.0
        points[rng.random(points.shape) < 0.2] = 1.0
        for j, d in enumerate(dists):
            if d._unit_step() > 0 and rng.random() < 0.5:
                points[:, j] = np.round(points[:, j] / d._unit_step() * 2) / 2 * d._unit_step()
        expected = _rounded_by_each_distribution(points, dists)
        assert UnitBox(dists).snap(points).tobytes() == expected.tobytes()


def test_surrogate_helpers_equal_numpy_and_scipy_to_the_bit():
    rng = np.random.default_rng(1)
    for _ in range(200):
        m, n = int(rng.integers(2, 120)), int(rng.integers(1, 30))
        values = rng.normal(size=m) * 10.0 ** rng.uniform(-8, 8)
        if rng.random() < 0.3:
            values = np.round(values, 1)  # ties
        assert repr(_surrogate._median(values)) == repr(float(np.median(values)))
        assert repr(float(_surrogate._std(values))) == repr(float(np.std(values)))
        points = 0.5 + rng.normal(size=(m, n)) * 10.0 ** rng.uniform(-9, 0)
        assert _surrogate._std(points, axis=0).tobytes() == np.std(points, axis=0).tobytes()
        if m >= n:
            a, b = rng.normal(size=(m, n)), rng.normal(size=m)
            a[:, 0] = a[:, -1]  # rank-deficient: the pivoting decides
            expected = lstsq(a, b, lapack_driver="gelsy", check_finite=False)[0]
            assert _surrogate._gelsy(a, b).tobytes() == expected.tobytes()
    # NaN, infinities and signed zeros go to numpy itself
    for values in ([0.0, -0.0], [-0.0, -0.0], [1.0, np.nan, 2.0], [np.inf, 1.0], [3.0]):
        values = np.array(values)
        assert repr(_surrogate._median(values)) == repr(float(np.median(values)))


def test_attribute_values_are_copied_when_stored():
    storage = InMemoryStorage()
    study = Study(storage=storage)
    trial = study.ask()
    flat, nested = [0.1, 0.2], {"a": [1, 2]}
    study.set_trial_system_attr(trial, "flat", flat)
    study.set_trial_system_attr(trial, "nested", nested)
    flat.append(0.3)
    nested["a"].append(3)
    attrs = storage.get_trial(trial.trial_id).system_attrs
    assert attrs["flat"] == [0.1, 0.2] and attrs["nested"] == {"a": [1, 2]}
