"""Distributions and search-space parsing, with property-based tests."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.svm import SVC

from sksearch.distributions import (
    Categorical,
    Float,
    Int,
    ScipyDistribution,
    check_distribution,
    distribution_from_json,
)
from sksearch.samplers.random import sample_uniform
from sksearch.space import BRANCH_PARAM, BranchSpace, DictSpace, make_search_space

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def float_distributions(draw):
    log = draw(st.booleans())
    if log:
        low = draw(st.floats(1e-8, 1e3))
        high = low * draw(st.floats(1.0, 1e6))
        return Float(low, high, log=True)
    low = draw(finite)
    high = low + draw(st.floats(0, 1e6))
    step = draw(st.one_of(st.none(), st.floats(1e-3, 1e3)))
    return Float(low, high, step=step)


@st.composite
def int_distributions(draw):
    log = draw(st.booleans())
    low = draw(st.integers(1 if log else -1000, 1000))
    high = low + draw(st.integers(0, 10_000))
    step = 1 if log else draw(st.integers(1, 50))
    return Int(low, high, log=log, step=step)


@settings(max_examples=200, deadline=None)
@given(dist=st.one_of(float_distributions(), int_distributions()),
       unit=st.lists(st.floats(0, 1), min_size=1, max_size=20))
def test_from_unit_always_gives_legal_values(dist, unit):
    values = dist._from_unit(np.array(unit))
    assert all(dist.contains_internal(v) for v in values)
    assert np.all(values >= dist.low) and np.all(values <= dist.high + 1e-9 * abs(dist.high))
    back = dist._from_unit(dist._to_unit(values))
    np.testing.assert_allclose(back, values, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(dist=int_distributions())
def test_int_external_values_are_ints_on_the_step_grid(dist):
    rng = np.random.default_rng(0)
    for internal in sample_uniform(dist, rng, size=20):
        value = dist.to_external(internal)
        assert isinstance(value, int)
        assert (value - dist.low) % dist.step == 0
        assert dist.low <= value <= dist.high


def test_uniform_sampling_is_uniform_over_int_values():
    dist = Int(1, 4)
    draws = sample_uniform(dist, np.random.default_rng(0), size=40_000)
    counts = np.bincount(draws.astype(int))[1:]
    assert counts.min() / counts.max() > 0.95


def test_log_sampling_is_uniform_in_log():
    dist = Float(1e-4, 1.0, log=True)
    draws = sample_uniform(dist, np.random.default_rng(0), size=20_000)
    fraction_below = np.mean(draws < 1e-2)
    assert abs(fraction_below - 0.5) < 0.02


def test_float_step_rounds_high_down():
    dist = Float(0.0, 1.0, step=0.3)
    assert dist._grid_values() == pytest.approx([0.0, 0.3, 0.6, 0.9])
    assert dist._from_unit(np.array([1.0]))[0] == pytest.approx(0.9)


@settings(max_examples=100, deadline=None)
@given(choices=st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none(),
                                  st.booleans()), min_size=1, max_size=8, unique_by=repr))
def test_categorical_round_trip(choices):
    dist = Categorical(choices)
    for choice in choices:
        internal = dist.to_internal(choice)
        assert dist.to_external(internal) is choice or dist.to_external(internal) == choice
        assert dist.contains_internal(internal)
    assert distribution_from_json(dist.to_json()) == dist


def test_categorical_of_estimators_uses_identity_and_index():
    svc = SVC(C=2.0)
    dist = Categorical([svc, "passthrough"])
    assert dist.to_internal(svc) == 0.0
    assert dist.to_external(0.0) is svc
    assert "choice_reprs" in dist.to_json()
    assert distribution_from_json(dist.to_json()) is None


def test_categorical_nan_choice():
    dist = Categorical([1.0, float("nan")])
    assert dist.to_internal(float("nan")) == 1.0


@pytest.mark.parametrize("frozen, expected", [
    (stats.uniform(2, 3), Float(2.0, 5.0)),
    (stats.loguniform(1e-3, 10), Float(1e-3, 10.0, log=True)),
    (stats.randint(1, 5), Int(1, 4)),
])
def test_scipy_distributions_convert_exactly(frozen, expected):
    assert check_distribution(frozen, "p") == expected


def test_other_scipy_distributions_use_quantiles():
    for frozen in (stats.norm(0, 1), stats.expon(scale=3), stats.loguniform(1, 10, loc=1),
                   stats.poisson(3)):
        dist = check_distribution(frozen, "p")
        assert isinstance(dist, ScipyDistribution)
        value = dist.to_external(0.5)
        assert value == pytest.approx(frozen.median())
        assert dist.to_internal(value) == pytest.approx(frozen.cdf(value))
    assert isinstance(check_distribution(stats.poisson(3), "p").to_external(0.3), int)


def test_numpy_array_and_range_become_categorical():
    assert check_distribution(np.array([1, 2, 3]), "p").choices == (1, 2, 3)
    assert check_distribution(range(3), "p").choices == (0, 1, 2)
    with pytest.raises(ValueError, match="one-dimensional"):
        check_distribution(np.zeros((2, 2)), "p")


@pytest.mark.parametrize("space, error, match", [
    ({"a": []}, ValueError, "'a'"),
    ({"a": "xyz"}, TypeError, "'a'"),
    ({"a": 1}, TypeError, "'a'"),
    ({1: [1]}, TypeError, "names"),
    ({BRANCH_PARAM: [1]}, ValueError, "reserved"),
    ([], ValueError, "empty list"),
    ([{"a": [1]}, 3], TypeError, r"\[1\]"),
    ("abc", TypeError, "param_distributions"),
])
def test_malformed_spaces(space, error, match):
    with pytest.raises(error, match=match):
        make_search_space(space)


def test_space_kinds_and_grid_order():
    assert isinstance(make_search_space({"a": [1, 2]}), DictSpace)
    assert isinstance(make_search_space([{"a": [1]}]), DictSpace)
    branches = make_search_space([{"b": [1, 2], "a": Int(0, 2)}, {"c": Float(0, 1, step=0.5)}])
    assert isinstance(branches, BranchSpace) and branches.is_finite
    points = branches.grid_points()
    assert points[:3] == [{BRANCH_PARAM: 0, "a": 0, "b": 1}, {BRANCH_PARAM: 0, "a": 0, "b": 2},
                          {BRANCH_PARAM: 0, "a": 1, "b": 1}]
    assert len(points) == 6 + 3
    assert not make_search_space({"a": Float(0, 1)}).is_finite
    with pytest.raises(ValueError, match="cannot be enumerated"):
        make_search_space({"a": stats.norm()}).grid_points()


@settings(max_examples=50, deadline=None)
@given(sizes=st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_grid_size_is_product_of_sizes(sizes):
    space = {f"p{i}": list(range(n)) for i, n in enumerate(sizes)}
    assert len(make_search_space(space).grid_points()) == math.prod(sizes)
