"""Search spaces: turn what a user passes as ``param_distributions`` into
something a :class:`~sksearch.Trial` can sample.

Three forms are accepted, as in scikit-learn plus define-by-run:

* a **dict** ``{name: values}``, each entry a list of values, a frozen
  ``scipy.stats`` distribution or a :mod:`sksearch.distributions` object;
* a **list of dicts**, a conditional space: each trial first picks a branch
  (stored as the parameter :data:`BRANCH_PARAM`), and only that branch's
  parameters exist in the trial, exactly as in ``GridSearchCV``;
* a **callable** ``space(trial) -> dict`` that suggests what it needs.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import itertools
import numbers
import warnings
from collections.abc import Mapping

from sklearn.base import clone

from ._box import value_at
from .distributions import (
    Categorical,
    NumericalDistribution,
    check_distribution,
    describe_choice,
)

__all__ = ["BRANCH_PARAM", "SearchSpace", "make_search_space"]

#: Name of the parameter recording which dict of a list-of-dicts space a trial
#: uses. A double underscore can never start an estimator parameter's name.
BRANCH_PARAM = "__branch__"
#: The study system attribute where a search keeps its branches' labels.
BRANCH_LABELS_ATTR = "sksearch:branch_labels"


class SearchSpace:
    """A parsed search space. Build one with :func:`make_search_space`."""

    #: Whether :meth:`grid_points` can enumerate the space.
    is_finite = False

    def sample(self, trial):
        """Suggest every parameter through ``trial``; return estimator params."""
        raise NotImplementedError

    def grid_points(self):
        """All points, as dicts of external values, in ``ParameterGrid`` order."""
        raise ValueError(
            "This search space cannot be enumerated as a grid: every parameter "
            "must be a list of values, a Categorical, an Int or a Float with step."
        )

    def check_estimator_params(self, estimator):
        """Raise ``ValueError`` for any name ``estimator`` does not accept."""

    @property
    def distributions(self):
        """``{name: distribution}`` of all named parameters (last one wins)."""
        return {}

    def all_distributions(self):
        """Every distribution of the space, including those of every branch
        under a name another branch also uses (what a storage must know to give
        back live objects)."""
        return list(self.distributions.values())


class DictSpace(SearchSpace):
    """A space of independent parameters."""

    def __init__(self, params):
        # sorted, as ParameterGrid sorts, so that grid order and the order in
        # which parameters are suggested match scikit-learn's.
        self.params = {name: params[name] for name in sorted(params)}
        self.is_finite = all(_is_enumerable(d) for d in self.params.values())

    @property
    def distributions(self):
        return dict(self.params)

    def sample(self, trial):
        return {name: trial.suggest(name, dist) for name, dist in self.params.items()}

    def grid_points(self):
        if not self.is_finite:
            return super().grid_points()
        names = list(self.params)
        values = [_enumerate(self.params[n]) for n in names]
        return [dict(zip(names, combo)) for combo in itertools.product(*values)]

    def check_estimator_params(self, estimator):
        valid = set(estimator.get_params(deep=True))
        unknown = [name for name in self.params
                   if name not in valid and not _valid_through_searched_prefix(name, self.params)]
        if not unknown:
            return
        # get_params need not list everything set_params takes (a **kwargs
        # wrapper, a duck-typed estimator): what decides is set_params itself,
        # asked on a clone with a value of the parameter (no fit)
        probe = clone(estimator)
        for name in unknown:
            try:
                probe.set_params(**{name: _a_value_of(self.params[name])})
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                raise ValueError(unknown_parameter_message(name, estimator, valid, exc)) \
                    from exc


def did_you_mean(name, known):
    """`` Did you mean 'gamma'?`` for the close matches of ``name`` among
    ``known`` (difflib's ratio), or ``""`` when none is close."""
    import difflib

    close = []
    if "__" in name:
        # 'clf__gama': the step's own names, compared without the shared
        # 'clf__' (which makes every name of the step look close)
        prefix, last = name.rsplit("__", 1)
        siblings = {k.rsplit("__", 1)[1]: k for k in known
                    if "__" in k and k.rsplit("__", 1)[0] == prefix}
        close = [siblings[c] for c in difflib.get_close_matches(last, sorted(siblings), n=3,
                                                               cutoff=0.6)]
    close = close or difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.6)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def unknown_parameter_message(name, estimator, valid, exc):
    """Why the search space's ``name`` is refused: the close matches first,
    then the valid names once (scikit-learn's own message, which lists them
    too, is left out; another set_params's reason is kept)."""
    reason = str(exc)
    reason = "" if "Valid parameters are" in reason else f" ({reason})"
    return (f"Invalid parameter {name!r} in the search space for estimator {estimator!r}: "
            f"its set_params refuses it{reason}.{did_you_mean(name, valid)} Valid "
            f"parameters are: {sorted(valid)!r}.")


class BranchSpace(SearchSpace):
    """A list of dicts: one branch per trial, chosen through :data:`BRANCH_PARAM`."""

    def __init__(self, branches):
        self.branches = branches
        self.is_finite = all(b.is_finite for b in branches)
        self._branch_distribution = Categorical(list(range(len(branches))))

    @property
    def distributions(self):
        merged = {BRANCH_PARAM: self._branch_distribution}
        for branch in self.branches:
            merged.update(branch.params)
        return merged

    def all_distributions(self):
        return [self._branch_distribution] + [
            d for branch in self.branches for d in branch.params.values()]

    def labels(self):
        """A label per branch, as the user would name it, and the title of
        the branch axis: the values that a branch fixes (an estimator by its
        class name; ``"clf"`` titles the labels when every branch fixes it to
        a value of its own), else the parameters it searches; numbered when two
        labels would be the same.

        Returns
        -------
        labels : list of str
        title : str
            The fixed parameter that names the branches, or ``"branch"``.
        """
        fixed = [_fixed_values(b) for b in self.branches]
        keys = _naming_keys(fixed)
        labels = [_branch_label(i, branch, values, keys)
                  for i, (branch, values) in enumerate(zip(self.branches, fixed))]
        if len(set(labels)) < len(labels):
            labels = [f"{label} ({i})" for i, label in enumerate(labels)]
        return labels, keys[0] if len(keys) == 1 else "branch"

    def sample(self, trial):
        index = trial.suggest(BRANCH_PARAM, self._branch_distribution)
        return self.branches[index].sample(trial)

    def grid_points(self):
        if not self.is_finite:
            return super().grid_points()
        return [
            {BRANCH_PARAM: i, **point}
            for i, branch in enumerate(self.branches)
            for point in branch.grid_points()
        ]

    def check_estimator_params(self, estimator):
        for branch in self.branches:
            branch.check_estimator_params(estimator)


class CallableSpace(SearchSpace):
    """A define-by-run space: ``space(trial)`` returns the estimator params."""

    def __init__(self, space):
        self.space = space

    def sample(self, trial):
        params = self.space(trial)
        if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
            raise TypeError(
                "A callable param_distributions must return a dict of parameter "
                f"names to values, got {params!r}."
            )
        return dict(params)


def make_search_space(param_distributions, name="param_distributions"):
    """Parse a user search space, raising on anything malformed.

    Parameters
    ----------
    param_distributions : dict, list of dicts, callable or SearchSpace
    name : str
        The argument's name, for error messages.

    Returns
    -------
    space : SearchSpace
    """
    if isinstance(param_distributions, SearchSpace):
        return param_distributions
    if callable(param_distributions) and not isinstance(param_distributions, Mapping):
        return CallableSpace(param_distributions)
    if isinstance(param_distributions, Mapping):
        return _make_dict_space(param_distributions, name)
    if isinstance(param_distributions, (list, tuple)):
        if len(param_distributions) == 0:
            raise ValueError(f"{name} is an empty list; give at least one dict.")
        branches = []
        for i, branch in enumerate(param_distributions):
            if not isinstance(branch, Mapping):
                raise TypeError(
                    f"{name}[{i}] must be a dict, got {branch!r} of type "
                    f"{type(branch).__name__}."
                )
            branches.append(_make_dict_space(branch, f"{name}[{i}]"))
        if len(branches) == 1:
            return branches[0]
        return BranchSpace(branches)
    raise TypeError(
        f"{name} must be a dict, a list of dicts or a callable(trial) -> dict, "
        f"got {param_distributions!r} of type {type(param_distributions).__name__}."
    )


def _make_dict_space(params, where):
    parsed = {}
    for key, value in params.items():
        if not isinstance(key, str):
            raise TypeError(f"Parameter names in {where} must be str, got {key!r}.")
        if key == BRANCH_PARAM:
            raise ValueError(f"{BRANCH_PARAM!r} is reserved and cannot name a parameter.")
        _warn_if_skopt_range(key, value, where)
        try:
            parsed[key] = check_distribution(value, key)
        except (TypeError, ValueError) as exc:
            message = str(exc)
            if repr(key) not in message:
                message = f"Parameter {key!r} in {where}: {message}"
            raise type(exc)(message) from exc
    return DictSpace(parsed)


_SKOPT_PRIORS = ("uniform", "log-uniform")


def skopt_range(value):
    """``(low, high, prior)`` when ``value`` is scikit-optimize's shorthand for
    a range -- ``(low, high)`` of two numbers with ``low < high``, or
    ``(low, high, "uniform" | "log-uniform"[, base])`` -- else ``None``."""
    if not (isinstance(value, tuple) and len(value) in (2, 3, 4)):
        return None
    low, high = value[:2]
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (low, high)):
        return None
    if len(value) == 2:
        # two numbers in increasing order: what skopt reads as a range
        return (low, high, "uniform") if low < high else None
    prior = value[2]
    if isinstance(prior, str) and prior in _SKOPT_PRIORS:
        return low, high, prior
    return None


def _warn_if_skopt_range(name, value, where):
    """scikit-optimize reads ``(1, 32)`` and ``(low, high, "log-uniform")`` as
    ranges; here, as in scikit-learn, a tuple is a list of values, so say what
    to write instead."""
    skopt = skopt_range(value)
    if skopt is None:
        return
    low, high, prior = skopt
    kind = "Int" if all(isinstance(v, numbers.Integral) for v in (low, high)) else "Float"
    log = ", log=True" if prior == "log-uniform" else ""
    warnings.warn(
        f"Parameter {name!r} in {where} is the tuple {value!r}, which is searched as "
        f"{len(value)} categorical values, as scikit-learn searches a tuple. For "
        f"scikit-optimize's range from {low!r} to {high!r}, write "
        f"sksearch.distributions.{kind}({low!r}, {high!r}{log}) (or use "
        "sksearch.compat.BayesSearchCV, which reads skopt's shorthands as skopt "
        "does).",
        UserWarning, stacklevel=4)


def _a_value_of(distribution):
    """One legal external value of ``distribution`` (the middle of a range)."""
    if isinstance(distribution, Categorical):
        return distribution.choices[0]
    return distribution.to_external(float(value_at(distribution, 0.5)))


def _is_enumerable(distribution):
    if isinstance(distribution, Categorical):
        return True
    return isinstance(distribution, NumericalDistribution) and (
        distribution.step is not None and not hasattr(distribution, "dist")
    )


def _enumerate(distribution):
    if isinstance(distribution, Categorical):
        return list(distribution.choices)
    return [distribution.to_external(v) for v in distribution._grid_values()]


def _valid_through_searched_prefix(name, params):
    """Whether ``a__b`` is valid because ``a`` is itself searched and every
    choice for it has a parameter ``b`` (e.g. a Pipeline step swapped for
    another estimator)."""
    parts = name.split("__")
    for cut in range(1, len(parts)):
        prefix, rest = "__".join(parts[:cut]), "__".join(parts[cut:])
        dist = params.get(prefix)
        if isinstance(dist, Categorical) and all(
            hasattr(c, "get_params") and rest in c.get_params(deep=True)
            for c in dist.choices
            if not (c is None or isinstance(c, str))  # "drop", "passthrough"
        ):
            return True
    return False


def _fixed_values(branch):
    """The values a branch fixes: its single-choice categoricals, by name."""
    return {n: d.choices[0] for n, d in branch.params.items()
            if isinstance(d, Categorical) and d.is_single()}


def _naming_keys(fixed):
    """The parameters, sorted, that every branch fixes, each to a value whose
    label is its own (so that they tell the branches apart)."""
    shared = set.intersection(*(set(f) for f in fixed)) if fixed else set()
    return sorted(n for n in shared
                  if len({_short_label(f[n]) for f in fixed}) == len(fixed))


def _branch_label(i, branch, values, keys):
    """Branch ``i``'s label: the values of ``keys``, else the values it fixes
    (``values``), else the parameters it searches, else its number."""
    if keys:
        return ", ".join(_short_label(values[n]) for n in keys)
    if values:
        return ", ".join(f"{n}={_short_label(v)}" for n, v in values.items())
    return ", ".join(sorted(branch.params)) or f"branch {i}"


def _short_label(value, width=18):
    """An estimator by its class name, anything else by its repr (without
    memory addresses), shortened to ``width`` characters."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        text = type(value).__name__
    else:
        text = value if isinstance(value, str) else describe_choice(value)
    return text if len(text) <= width else text[: width - 1] + "…"
