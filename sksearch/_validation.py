"""Checking what users configure: constraint objects declared per class, one error type.

Each public configurable declares ``_parameter_constraints``, a dict mapping
each constructor argument to a :class:`Constraint` (in the spirit of
scikit-learn's ``_param_validation``). A constraint says in words what it
accepts (for the message), checks a value, and generates values it refuses
(so that one test walks every class, every parameter and every invalid value;
tests/test_validation.py). :func:`validate` raises
:class:`InvalidParameterError` -- a ``ValueError`` and a ``TypeError``, as
scikit-learn's own -- naming the class, the parameter, what was expected and
what was received, with a close match for a misspelled option.

The searches validate in ``fit`` (scikit-learn's convention: ``__init__``
stores arguments untouched); what has no ``fit`` -- samplers, pruners,
``Study``, callbacks, storages -- validates when it is built, and a function
(``Study.optimize``, ``load_study``, a plot) when it is called, naming itself.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import difflib
import inspect
import math
import numbers

__all__ = ["AnyOf", "Constraint", "InstanceOf", "Interval", "InvalidParameterError",
           "IsCallable", "Options", "Predicate", "Redacted", "validate"]


class InvalidParameterError(ValueError, TypeError):
    """A constructor argument has a wrong type or value (catchable as either,
    like scikit-learn's own)."""


class _Unique:
    """A value no constraint accepts by accident (for generated invalid values)."""

    def __repr__(self):
        return "<an arbitrary object>"


class Constraint:
    """What a parameter accepts: :attr:`description` (words), :meth:`accepts`
    and :meth:`invalid_values` (values it refuses, for tests)."""

    description = "a valid value"

    def accepts(self, value):
        raise NotImplementedError

    def invalid_values(self):
        return [_Unique()]

    def hint(self, value):
        """A suggestion for a refused ``value`` ('' for none)."""
        return ""

    def show(self, value):
        """How a refused ``value`` is written in the message."""
        return repr(value)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Interval(Constraint):
    """An int or a real number (``kind``) between ``low`` and ``high``
    (``None``: unbounded), ends included by ``closed``: ``"both"``,
    ``"left"``, ``"right"`` or ``"neither"``. NaN is never in an interval."""

    def __init__(self, kind, low=None, high=None, closed="both"):
        self.kind, self.low, self.high, self.closed = kind, low, high, closed
        left = "[" if closed in ("both", "left") and low is not None else "("
        right = "]" if closed in ("both", "right") and high is not None else ")"
        noun = "an int" if kind is int else "a number"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        self.description = f"{noun} in the range {span}"

    def accepts(self, value):
        if not (_is_int(value) if self.kind is int else _is_real(value)):
            return False
        if math.isnan(value):
            return False
        if self.low is not None and (value < self.low or (
                value == self.low and self.closed in ("right", "neither"))):
            return False
        return not (self.high is not None and (value > self.high or (
            value == self.high and self.closed in ("left", "neither"))))

    def invalid_values(self):
        values = ["1", None, float("nan")]
        if self.kind is int:
            values.append(1.5)
        if self.low is not None:
            values.append(self.low - 1 if self.closed in ("both", "left") else self.low)
        if self.high is not None:
            values.append(self.high + 1 if self.closed in ("both", "right") else self.high)
        return [v for v in values if not self.accepts(v)]


class Options(Constraint):
    """One of ``options`` (compared with ``==``, and only for values of the
    options' types: ``True`` is not ``1``)."""

    def __init__(self, *options):
        self.options = options
        shown = ", ".join(repr(o) for o in options)
        self.description = f"one of {{{shown}}}" if len(options) > 1 else repr(options[0])

    def accepts(self, value):
        return any(type(value) is type(option) and value == option for option in self.options)

    def invalid_values(self):
        texts = [o for o in self.options if isinstance(o, str)]
        values = [(texts[0] + "x") if texts else "x", _Unique()]
        return [v for v in values if not self.accepts(v)]

    def hint(self, value):
        if not isinstance(value, str):
            return ""
        texts = [o for o in self.options if isinstance(o, str)]
        close = difflib.get_close_matches(value, texts, n=1)
        return f" Did you mean {close[0]!r}?" if close else ""


class InstanceOf(Constraint):
    """An instance of one of ``types`` (``description`` says it in words)."""

    def __init__(self, *types, description=None):
        self.types = types
        self.description = description or "an instance of " + " or ".join(
            t.__name__ for t in types)

    def accepts(self, value):
        if bool not in self.types and isinstance(value, bool) and not any(
                t is object for t in self.types):
            return False  # a bool is an int to isinstance, never to a user
        return isinstance(value, self.types)

    def invalid_values(self):
        values = [_Unique(), "x", 1.5]
        return [v for v in values if not self.accepts(v)]


class IsCallable(Constraint):
    description = "a callable"

    def accepts(self, value):
        return callable(value)

    def invalid_values(self):
        return ["x", 1]


class Predicate(Constraint):
    """Anything ``accepts(value)`` says yes to: for the few checks no other
    constraint states (a dict of one entry, a list of dicts); ``invalid``
    are values it refuses."""

    def __init__(self, description, accepts, invalid=None):
        self.description = description
        self._accepts = accepts
        self._invalid = list(invalid) if invalid is not None else [_Unique()]

    def accepts(self, value):
        try:
            return bool(self._accepts(value))
        except Exception:  # noqa: BLE001 - a value the predicate cannot read is refused
            return False

    def invalid_values(self):
        return [v for v in self._invalid if not self.accepts(v)]


class AnyOf(Constraint):
    """Any value one of ``constraints`` accepts; ``None`` stands for "None"."""

    def __init__(self, *constraints):
        self.constraints = [Options(None) if c is None else c for c in constraints]
        self.description = " or ".join(
            "None" if isinstance(c, Options) and c.options == (None,) else c.description
            for c in self.constraints)

    def accepts(self, value):
        return any(c.accepts(value) for c in self.constraints)

    def invalid_values(self):
        values = [v for c in self.constraints for v in c.invalid_values()]
        return [v for v in values if not self.accepts(v)]

    def hint(self, value):
        return next((h for c in self.constraints if (h := c.hint(value))), "")


class Redacted(Constraint):
    """What ``constraint`` accepts, with a refused value written by
    ``redact(repr(value))``: for arguments that may hold a password (a
    storage URL), which no message may print."""

    def __init__(self, constraint, redact):
        self.constraint, self._redact = constraint, redact
        self.description = constraint.description

    def accepts(self, value):
        return self.constraint.accepts(value)

    def invalid_values(self):
        return self.constraint.invalid_values()

    def hint(self, value):
        return self.constraint.hint(value)

    def show(self, value):
        return self._redact(repr(value))


def _owner_name(owner):
    """``Study``, ``Study.optimize``, ``load_study``: what the message names."""
    if isinstance(owner, type):
        return owner.__name__
    if inspect.isroutine(owner):
        return owner.__qualname__
    return type(owner).__name__


def validate(owner, params, constraints=None):
    """Check ``params`` (name -> value) against ``constraints`` (default: the
    ``_parameter_constraints`` of ``owner``); raise
    :class:`InvalidParameterError` on the first refused value.

    ``owner`` is what the message names: a class, an instance (its class) or
    a function or method (its qualified name, ``Study.optimize``)."""
    constraints = owner._parameter_constraints if constraints is None else constraints
    name_of = _owner_name(owner)
    for name, constraint in constraints.items():
        if name not in params:
            continue
        value = params[name]
        if not constraint.accepts(value):
            raise InvalidParameterError(
                f"The {name!r} parameter of {name_of} must be {constraint.description}. "
                f"Got {constraint.show(value)} instead.{constraint.hint(value)}")
