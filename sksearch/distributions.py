"""Parameter distributions: what values one hyperparameter may take.

Every distribution has two representations of a value:

* the **external** value, the one handed to the estimator (``0.01``, ``"rbf"``,
  an ``SVC()`` instance, ...);
* the **internal** value, a plain ``float`` that samplers and storage work with:
  the number itself for :class:`Float` and :class:`Int`, the index of the choice
  for :class:`Categorical`, and the quantile for :class:`ScipyDistribution`.

Samplers only ever see internal values, so they never touch user objects, and a
storage backend only ever writes floats.

Numerical distributions also map internal values to and from the unit interval
(``_to_unit`` / ``_from_unit``), taking ``log`` and ``step`` into account, so a
sampler can search ``[0, 1]^d`` and get back legal values without knowing how each
dimension is scaled.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import numbers
import re
from abc import ABC, abstractmethod
from collections.abc import ItemsView, Iterator, KeysView, Mapping, Set

import numpy as np

__all__ = [
    "BaseDistribution",
    "Categorical",
    "Float",
    "Int",
    "NumericalDistribution",
    "ScipyDistribution",
]

# Keeps the quantiles of a scipy distribution away from 0 and 1, where ``ppf`` of
# an unbounded distribution is infinite.
_QUANTILE_EPS = 1e-9


def _is_real(value):
    # int and float first: the ABC check is most of a distribution's
    # construction, which define-by-run spaces repeat at every trial
    return type(value) in (float, int) or (
        isinstance(value, numbers.Real) and not isinstance(value, bool))


class BaseDistribution(ABC):
    """The interface every distribution implements."""

    @abstractmethod
    def to_internal(self, value):
        """Map an external value to its internal ``float``."""

    @abstractmethod
    def to_external(self, internal):
        """Map an internal ``float`` back to the external value."""

    @abstractmethod
    def contains_internal(self, internal):
        """Whether ``internal`` is a legal internal value."""

    @abstractmethod
    def _key(self):
        """A hashable description; two distributions are equal when keys are."""

    @abstractmethod
    def to_json(self):
        """A JSON-serialisable description (used by storages and fingerprints)."""

    def is_single(self):
        """Whether the distribution has exactly one value."""
        return False

    def _freeze(self):
        # Distributions are immutable once built; samplers compare them for every
        # trial at every step, so the description is computed once, at the end
        # of the constructor (not lazily: a fit must not change its inputs).
        self._key_cache = (type(self).__name__, self._key())
        self._hash = hash(self._key_cache)

    def _cached_key(self):
        return self._key_cache

    def __eq__(self, other):
        if self is other:
            return True
        if type(other) is type(self):  # before the ABC check, which costs more than the rest
            return self._key_cache == other._key_cache
        return isinstance(other, BaseDistribution) and self._cached_key() == other._cached_key()

    def __hash__(self):
        # the hash of the description, computed once (distributions key the
        # storages' and samplers' tables, looked up for every trial); one
        # unpickled from a version without it hashes its description
        cached = self.__dict__.get("_hash")
        return hash(self._key_cache) if cached is None else cached


class NumericalDistribution(BaseDistribution):
    """Base of distributions over numbers: ``low``, ``high``, ``log``, ``step``.

    Subclasses fill in the four attributes, in internal units, before calling
    :meth:`_check`.
    """

    low: float
    high: float
    log: bool
    step: float | None

    def _check(self):
        if not (_is_real(self.low) and math.isfinite(self.low)):
            raise ValueError(f"low must be a finite number, got {self.low!r}.")
        if not (_is_real(self.high) and math.isfinite(self.high)):
            raise ValueError(f"high must be a finite number, got {self.high!r}.")
        if self.low > self.high:
            raise ValueError(
                f"low must be <= high, got low={self.low!r} and high={self.high!r}."
            )
        if self.log and self.low <= 0:
            raise ValueError(
                f"low must be > 0 when log=True, got low={self.low!r}."
            )
        if self.step is not None:
            if not (_is_real(self.step) and self.step > 0):
                raise ValueError(f"step must be a positive number, got {self.step!r}.")
            if self.log and self.step != 1:
                raise ValueError(
                    f"step={self.step!r} cannot be combined with log=True."
                )

    @property
    def _grid_high(self):
        """The largest legal value: ``high`` rounded down onto the step grid."""
        if self.step is None:
            return self.high
        n_steps = math.floor((self.high - self.low) / self.step + 1e-9)
        return self.low + n_steps * self.step

    def is_single(self):
        return self.low == self._grid_high

    def contains_internal(self, internal):
        x = float(internal)
        if not (self.low <= x <= self.high + 1e-12 * max(1.0, abs(self.high))):
            return False
        if self.step is None:
            return True
        k = (x - self.low) / self.step
        return abs(k - round(k)) < 1e-6

    # The unit-interval transform. For stepped and integer distributions the
    # interval is widened by half a step on both sides so that, after rounding,
    # every legal value owns an equal share of [0, 1].
    def _unit_bounds(self):
        low, high = float(self.low), float(self._grid_high)
        if self.step is not None:
            half = 0.5 * self.step
            low, high = low - half, high + half
            if self.log:
                low = max(low, 0.5 * float(self.low))
        if self.log:
            return math.log(low), math.log(high)
        return low, high

    def _unit_step(self):
        """Width of one step of the value grid in unit-box units (0 if continuous)."""
        if self.step is None:
            return 0.0
        lo, hi = self._unit_bounds()
        width = math.log(self.low + self.step) - math.log(self.low) if self.log else self.step
        return width / (hi - lo)

    def _to_unit(self, internal):
        """Vectorised map of internal values onto ``[0, 1]``."""
        x = np.asarray(internal, dtype=float)
        lo, hi = self._unit_bounds()
        if hi == lo:
            return np.full_like(x, 0.5)
        if self.log:
            x = np.log(x)
        return np.clip((x - lo) / (hi - lo), 0.0, 1.0)

    def _from_unit(self, unit):
        """Vectorised map of ``[0, 1]`` onto legal internal values."""
        u = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
        lo, hi = self._unit_bounds()
        x = lo + u * (hi - lo)
        if self.log:
            x = np.exp(x)
        return self._round(x)

    def _round(self, x):
        """Round values onto the legal set (step grid and bounds)."""
        x = np.asarray(x, dtype=float)
        if self.step is not None:
            x = self.low + np.round((x - self.low) / self.step) * self.step
        return np.clip(x, self.low, self._grid_high)

    def _grid_values(self):
        """All legal internal values of a stepped distribution, in order."""
        if self.step is None:
            raise ValueError(
                f"{self!r} is continuous and has no finite grid; give it a step "
                "or use a list of values."
            )
        n = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        return [self.low + k * self.step for k in range(n)]


class Float(NumericalDistribution):
    """A real-valued hyperparameter in ``[low, high]``.

    Parameters
    ----------
    low, high : float
        Inclusive bounds, ``low <= high``.
    log : bool, default=False
        Sample uniformly in ``log(value)``; requires ``low > 0``. Use it for
        scale parameters such as a regularisation strength or a learning rate.
    step : float or None, default=None
        If given, values lie on the grid ``low + k * step`` (``high`` is rounded
        down onto it). Cannot be combined with ``log``.

    Examples
    --------
    >>> from sksearch.distributions import Float
    >>> Float(1e-4, 1e2, log=True)
    Float(0.0001, 100.0, log=True)
    """

    def __init__(self, low, high, *, log=False, step=None):
        self.low = low
        self.high = high
        self.log = bool(log)
        self.step = step
        self._check()
        self.low, self.high = float(low), float(high)
        self.step = None if step is None else float(step)
        self._freeze()

    def to_internal(self, value):
        return float(value)

    def to_external(self, internal):
        return float(internal)

    def _key(self):
        return ("float", self.low, self.high, self.log, self.step)

    def to_json(self):
        return {"type": "float", "low": self.low, "high": self.high,
                "log": self.log, "step": self.step}

    def __repr__(self):
        extra = ", log=True" if self.log else ""
        extra += f", step={self.step!r}" if self.step is not None else ""
        return f"Float({self.low!r}, {self.high!r}{extra})"


class Int(NumericalDistribution):
    """An integer hyperparameter in ``[low, high]`` (both inclusive).

    Parameters
    ----------
    low, high : int
        Inclusive bounds, ``low <= high``.
    log : bool, default=False
        Sample uniformly in ``log(value)``; requires ``low >= 1`` and ``step=1``.
    step : int, default=1
        Values lie on ``low, low + step, ...``; ``high`` is rounded down onto it.

    Examples
    --------
    >>> from sksearch.distributions import Int
    >>> Int(1, 64, log=True)
    Int(1, 64, log=True)
    """

    def __init__(self, low, high, *, log=False, step=1):
        for name, value in (("low", low), ("high", high), ("step", step)):
            if type(value) is not int and (
                    not isinstance(value, numbers.Integral) or isinstance(value, bool)):
                raise ValueError(f"{name} must be an integer, got {value!r}.")
        self.low = int(low)
        self.high = int(high)
        self.log = bool(log)
        self.step = int(step)
        self._check()
        self._freeze()

    def to_internal(self, value):
        return float(value)

    def to_external(self, internal):
        return int(round(float(internal)))

    def _key(self):
        return ("int", self.low, self.high, self.log, self.step)

    def to_json(self):
        return {"type": "int", "low": self.low, "high": self.high,
                "log": self.log, "step": self.step}

    def __repr__(self):
        extra = ", log=True" if self.log else ""
        extra += f", step={self.step!r}" if self.step != 1 else ""
        return f"Int({self.low!r}, {self.high!r}{extra})"


class ScipyDistribution(NumericalDistribution):
    """Any frozen ``scipy.stats`` distribution, searched in its quantile space.

    The internal value is the quantile ``q`` in ``(0, 1)`` and the external one
    ``dist.ppf(q)``, so a model-based sampler searches a bounded box while the
    values keep the user's distribution. Discrete distributions give ``int``.

    Parameters
    ----------
    dist : frozen scipy.stats distribution
        Must have ``ppf`` and ``cdf``, as every ``scipy.stats`` one does.
    """

    def __init__(self, dist):
        if not (hasattr(dist, "ppf") and hasattr(dist, "cdf")):
            raise TypeError(
                "dist must be a frozen scipy.stats distribution with ppf and cdf, "
                f"got {dist!r}."
            )
        self.dist = dist
        self.low = _QUANTILE_EPS
        self.high = 1.0 - _QUANTILE_EPS
        self.log = False
        self.step = None
        self._discrete = hasattr(getattr(dist, "dist", None), "pmf")
        self._freeze()

    def to_internal(self, value):
        q = float(self.dist.cdf(value))
        return min(max(q, self.low), self.high)

    def to_external(self, internal):
        value = self.dist.ppf(float(internal))
        return int(value) if self._discrete else float(value)

    def _key(self):
        return ("scipy", _describe_scipy(self.dist))

    def to_json(self):
        return {"type": "scipy", "dist": _describe_scipy(self.dist)}

    def __repr__(self):
        return f"ScipyDistribution({_describe_scipy(self.dist)})"


def _describe_scipy(dist):
    name = getattr(getattr(dist, "dist", None), "name", type(dist).__name__)
    args = tuple(float(a) if _is_real(a) else repr(a) for a in getattr(dist, "args", ()))
    kwds = tuple(sorted((k, float(v) if _is_real(v) else repr(v))
                        for k, v in getattr(dist, "kwds", {}).items()))
    return f"{name}{args}{dict(kwds) if kwds else ''}"


_JSON_SCALARS = (str, int, float, bool, type(None))


class Categorical(BaseDistribution):
    """A hyperparameter taking one of a finite list of values.

    Choices may be any objects: strings, numbers, ``None``, estimators, tuples.
    Samplers see only the index of a choice; an estimator is never copied into a
    storage file.

    Parameters
    ----------
    choices : sequence
        The candidate values, at least one.

    Examples
    --------
    >>> from sksearch.distributions import Categorical
    >>> Categorical(["linear", "rbf"])
    Categorical(['linear', 'rbf'])
    """

    def __init__(self, choices):
        if isinstance(choices, (str, bytes)) or not hasattr(choices, "__len__"):
            raise TypeError(
                f"choices must be a list, tuple or array of values, got {choices!r}."
            )
        choices = tuple(choices)
        if len(choices) == 0:
            raise ValueError("choices must contain at least one value, got an empty list.")
        self.choices = choices
        self._freeze()

    def is_single(self):
        return len(self.choices) == 1

    def to_internal(self, value):
        for i, choice in enumerate(self.choices):
            if choice is value:
                return float(i)
        for i, choice in enumerate(self.choices):
            try:
                if bool(choice == value):
                    return float(i)
            except Exception:  # noqa: BLE001 - arrays and odd objects compare oddly
                continue
            if _both_nan(choice, value):
                return float(i)
        raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}.")

    def to_external(self, internal):
        return self.choices[int(round(float(internal)))]

    def contains_internal(self, internal):
        i = float(internal)
        return i == int(i) and 0 <= i < len(self.choices)

    def _key(self):
        return ("categorical", tuple(_choice_key(c) for c in self.choices))

    def to_json(self):
        if all(isinstance(c, _JSON_SCALARS) for c in self.choices):
            return {"type": "categorical", "choices": list(self.choices)}
        return {"type": "categorical",
                "choice_reprs": [describe_choice(c) for c in self.choices]}

    def __repr__(self):
        return f"Categorical({list(self.choices)!r})"


# ``<function f at 0x7f...>``: the address changes from one process to the next,
# so a description that kept it would make a resumed search look like another.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def describe_choice(choice):
    """A description of a choice that is the same in every process: its repr,
    without the memory addresses of default reprs (functions, plain objects)."""
    return _ADDRESS.sub("", repr(choice))


def _both_nan(a, b):
    return _is_real(a) and _is_real(b) and math.isnan(a) and math.isnan(b)


def _choice_key(choice):
    # Equal choices hash equal when they are plain values; objects such as
    # estimators are compared by their repr, which includes their parameters.
    if isinstance(choice, _JSON_SCALARS):
        return (type(choice).__name__, choice)
    return (type(choice).__name__, describe_choice(choice))


def distribution_from_json(description):
    """Rebuild a distribution from :meth:`BaseDistribution.to_json`.

    Categorical distributions over objects that are not JSON scalars, and scipy
    distributions, cannot be rebuilt from their description; ``None`` is returned
    and the caller must take the live distribution from the search space (or use
    :func:`stand_in_from_json`).

    Raises
    ------
    ValueError
        If ``description`` is not one that :meth:`~BaseDistribution.to_json`
        writes (a damaged or hand-edited file).
    """
    if not isinstance(description, Mapping) or not isinstance(description.get("type"), str):
        raise ValueError(f"not a distribution description: {description!r}")
    kind = description["type"]
    reader = _READERS.get(kind)
    if reader is None:
        raise ValueError(f"unknown distribution type {kind!r} in {description!r}")
    try:
        return reader(description)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"bad {kind!r} distribution description {description!r}: "
                         f"{exc}") from None


def _numerical_from_json(description):
    """A :class:`Float` or :class:`Int`, checked by its constructor."""
    if set(description) != {"type", "low", "high", "log", "step"} or not isinstance(
            description["log"], bool):
        raise ValueError("expected the keys 'type', 'low', 'high', 'log' (a bool) "
                         "and 'step'")
    cls = Float if description["type"] == "float" else Int
    return cls(description["low"], description["high"], log=description["log"],
               step=description["step"])


def _categorical_from_json(description):
    """A categorical over JSON scalars; ``None`` for one over objects,
    described by their reprs only."""
    if set(description) == {"type", "choices"}:
        choices = description["choices"]
        if not isinstance(choices, list) or not all(
                isinstance(c, _JSON_SCALARS) for c in choices):
            raise ValueError("'choices' must be a list of JSON scalars")
        return Categorical(choices)
    if set(description) == {"type", "choice_reprs"}:
        reprs = description["choice_reprs"]
        if not isinstance(reprs, list) or not reprs or not all(
                isinstance(r, str) for r in reprs):
            raise ValueError("'choice_reprs' must be a non-empty list of str")
        return None
    raise ValueError("expected the keys 'type' and 'choices' or 'choice_reprs'")


def _scipy_from_json(description):
    """``None``, once the description is checked: a scipy distribution is
    described by its name only."""
    if set(description) != {"type", "dist"} or not isinstance(description["dist"], str):
        raise ValueError("expected the keys 'type' and 'dist' (a str)")
    return None


#: the reader of each ``"type"`` of description
_READERS = {"float": _numerical_from_json, "int": _numerical_from_json,
            "categorical": _categorical_from_json, "scipy": _scipy_from_json}


def stand_in_from_json(description):
    """A distribution for a description :func:`distribution_from_json` cannot
    rebuild, for a reader without the live search space.

    It has the same internal values and the same :meth:`~BaseDistribution.to_json`
    as the original, so samplers can use the stored trials and a search can
    recognise its own distribution; its external values are the choices'
    descriptions (for a categorical over objects) or the quantile (for a scipy
    distribution), never the user's objects.
    """
    distribution = distribution_from_json(description)
    if distribution is not None:
        return distribution
    if description["type"] == "categorical":
        return _DescribedCategorical(description)
    return _DescribedQuantiles(description)


class _DescribedCategorical(Categorical):
    """A categorical over objects read back from its description only."""

    def __init__(self, description):
        self._description = description
        super().__init__(description["choice_reprs"])

    def to_json(self):
        return dict(self._description)


class _DescribedQuantiles(NumericalDistribution):
    """A scipy distribution read back from its description only: its quantiles."""

    def __init__(self, description):
        self._description = description
        self.low, self.high = _QUANTILE_EPS, 1.0 - _QUANTILE_EPS
        self.log, self.step = False, None
        # equal to the live ScipyDistribution it stands for
        self._key_cache = ("ScipyDistribution", self._key())
        self._hash = hash(self._key_cache)

    def to_internal(self, value):
        return float(value)

    def to_external(self, internal):
        return float(internal)

    def _key(self):
        return ("scipy", self._description["dist"])

    def to_json(self):
        return dict(self._description)

    def __repr__(self):
        return f"<quantiles of {self._description['dist']}>"


def check_distribution(value, name):
    """Convert one entry of a user search space into a distribution.

    Accepts a distribution of this module, a list/tuple/array of values, or a
    frozen ``scipy.stats`` distribution (``uniform``, ``loguniform`` and
    ``randint`` become :class:`Float`, ``Float(log=True)`` and :class:`Int`
    exactly; any other is searched through its quantiles).

    Parameters
    ----------
    value : object
        The user's entry.
    name : str
        The parameter's name, used in error messages.

    Returns
    -------
    distribution : BaseDistribution
    """
    if isinstance(value, BaseDistribution):
        return value
    if isinstance(value, Mapping):
        raise TypeError(
            f"Parameter {name!r} is a dict ({value!r}); give its values as a list. A "
            "dict of values is ambiguous (its keys or its values?)."
        )
    # a dict's keys view is a Set too, but ordered like its dict
    if isinstance(value, Set) and not isinstance(value, (KeysView, ItemsView)):
        raise TypeError(
            f"Parameter {name!r} is a set ({value!r}); give its values as a list. The "
            "order of a set changes from one process to the next (PYTHONHASHSEED), so "
            "the search could not be reproduced nor resumed."
        )
    if isinstance(value, Iterator):
        raise TypeError(
            f"Parameter {name!r} is an iterator or generator ({value!r}); give its "
            "values as a list. An iterator is used up by the first pass over it."
        )
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(
                f"Parameter array for {name!r} should be one-dimensional, got: "
                f"{value!r} with shape {value.shape}"
            )
        value = list(value)
    if isinstance(value, (list, tuple, range)):
        if len(value) == 0:
            raise ValueError(
                f"Parameter grid for parameter {name!r} need to be a non-empty sequence, "
                f"got: {value!r}. Give at least one value: an empty list searches nothing.")
        return Categorical(value)
    if hasattr(value, "dist") and hasattr(value, "ppf"):
        return _from_scipy(value, name)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        # scikit-learn's words for the same mistake (its tests match them),
        # then what sksearch takes besides
        raise TypeError(
            f"Parameter grid for parameter {name!r} needs to be a list or a numpy "
            f"array, but got {value!r} (of type {type(value).__name__}) instead. "
            "Single values need to be wrapped in a list with one element. (sksearch "
            "also takes a frozen scipy.stats distribution or a sksearch "
            "distribution: Float, Int, Categorical.)"
        )
    try:
        values = list(value)
    except TypeError as exc:  # pragma: no cover - exotic iterables
        raise TypeError(f"Parameter {name!r}: cannot iterate over {value!r}.") from exc
    return check_distribution(values, name)


def _is_unshifted(frozen):
    # loguniform(a, b, loc=1) is log-uniform in (x - 1), not in x: only the
    # unshifted, unscaled form is exactly Float(log=True).
    loc = frozen.kwds.get("loc", 0.0)
    scale = frozen.kwds.get("scale", 1.0)
    if len(frozen.args) > 2:
        loc = frozen.args[2]
    if len(frozen.args) > 3:
        scale = frozen.args[3]
    return loc == 0 and scale == 1


def _from_scipy(frozen, name):
    dist_name = getattr(frozen.dist, "name", "")
    try:
        a, b = frozen.support()
    except Exception:  # noqa: BLE001 - fall back to the quantile representation
        return ScipyDistribution(frozen)
    if math.isnan(a) or math.isnan(b):
        # scipy's answer to invalid shape arguments, e.g. randint(5, 1)
        raise ValueError(
            f"Parameter {name!r}: {dist_name or 'the'} distribution "
            f"{_describe_scipy(frozen)} has invalid arguments (scipy gives it no "
            "support: NaN bounds)."
        )
    if dist_name == "uniform":
        return Float(float(a), float(b))
    if dist_name in ("loguniform", "reciprocal") and _is_unshifted(frozen):
        return Float(float(a), float(b), log=True)
    if dist_name == "randint":
        # scipy's support is already inclusive: randint(1, 5).support() == (1, 4)
        return Int(int(a), int(b))
    return ScipyDistribution(frozen)
