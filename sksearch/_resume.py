"""Attaching a search to its study, so a killed search resumes where it stopped.

A search with a ``storage`` stores, on its study, a fingerprint of the data and
CV splits and of the search space. Calling ``fit`` again attaches to the same
study, reuses every finished trial (their fold scores are stored on the trial),
and refuses to mix trials of other data or another space.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import json

import joblib
import numpy as np

from .distributions import Categorical, Float, Int
from .space import CallableSpace
from .storage import get_storage
from .study import Study
from .trial import make_distribution

__all__ = ["ReplayTrial", "attach_or_create_study", "replay_params"]

_DATA_ATTR = "sksearch:data_fingerprint"
_SPACE_ATTR = "sksearch:space_fingerprint"


def _space_fingerprint(space, estimator, increments=None):
    """What the scores of a study depend on besides the data: the estimator
    type, the space and, when set, how folds are cut into increments (which
    changes what a step means)."""
    if isinstance(space, CallableSpace):
        fn = space.space
        described = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', repr(fn))}"
    else:
        described = json.dumps(
            {name: dist.to_json() for name, dist in space.distributions.items()},
            sort_keys=True, default=repr)
    if increments is None:
        return joblib.hash((type(estimator).__name__, described))
    return joblib.hash((type(estimator).__name__, described, repr(increments)))


def _data_fingerprint(X, y, splits):
    return joblib.hash((X, y, [np.asarray(test) for _, test in splits]))


def attach_or_create_study(search, space, sampler, pruner, X, y, splits,
                           directions=("maximize",), constraints_func=None):
    """Return ``(study, n_reused)`` for ``search.fit``.

    Without a storage, a new in-memory study. With one, the study named
    ``search.study_name`` (or a name derived from the fingerprints), checked
    against the data and space, with trials left RUNNING by a dead process
    marked FAIL.
    """
    if search.storage is None:
        return Study(directions=list(directions), sampler=sampler, pruner=pruner,
                     study_name=search.study_name, constraints_func=constraints_func), 0
    storage = get_storage(search.storage)
    data_print = _data_fingerprint(X, y, splits)
    space_print = _space_fingerprint(space, search.estimator, search.increments)
    name = search.study_name or (
        f"{type(search.estimator).__name__}-{joblib.hash((data_print, space_print))[:16]}")
    # every branch's: two branches of a list of dicts may both have "clf"
    storage.register_distributions(space.all_distributions())
    study = Study(directions=list(directions), sampler=sampler, pruner=pruner,
                  storage=storage, study_name=name, constraints_func=constraints_func)
    attrs = study.system_attrs
    if attrs.get(_DATA_ATTR, data_print) != data_print:
        raise ValueError(
            f"Study {name!r} in this storage was run on other data or other CV splits; "
            "resuming it would mix incomparable scores. Use another study_name."
        )
    if attrs.get(_SPACE_ATTR, space_print) != space_print:
        raise ValueError(
            f"Study {name!r} in this storage was run with another estimator, search "
            "space or increments; use another study_name."
        )
    study.set_system_attr(_DATA_ATTR, data_print)
    study.set_system_attr(_SPACE_ATTR, space_print)
    study.fail_stale_trials()
    n_reused = len(study.get_trials())
    if n_reused and sampler.seed is not None:
        # Restarting the stream at the original seed would re-propose the
        # points of the first run.
        sampler.reseed_rng([int(sampler.seed), n_reused])
    return study, n_reused


class ReplayTrial:
    """Stands in for a Trial to rebuild a stored trial's estimator params:
    ``space.sample(ReplayTrial(frozen))`` returns what the search used.

    Each stored internal value is mapped through the distribution the live
    space suggests it from (not the one read back from the storage, which for
    estimators and other objects holds only their descriptions), after checking
    that both are the same distribution and that the value lies in it. Use
    :func:`replay_params`, which also refuses stored parameters the space no
    longer suggests.
    """

    def __init__(self, frozen):
        self._frozen = frozen
        self.number = frozen.number
        self._used = set()

    def suggest(self, name, distribution):
        frozen = self._frozen
        if name not in frozen.internal_params:
            raise ValueError(
                f"Stored trial {self.number} has no parameter {name!r}; the search "
                "space changed since it ran."
            )
        stored = frozen.distributions[name]
        if stored != distribution and stored.to_json() != distribution.to_json():
            raise ValueError(
                f"Stored trial {self.number} drew its parameter {name!r} from {stored!r}, "
                f"but the search space now suggests it from {distribution!r}: the space "
                "changed since it ran. Use another study_name."
            )
        internal = frozen.internal_params[name]
        if not distribution.contains_internal(internal):
            raise ValueError(
                f"Stored trial {self.number} has {name!r} = {internal!r} (internal), which "
                f"is not a value of {distribution!r}."
            )
        self._used.add(name)
        return distribution.to_external(internal)

    def suggest_float(self, name, low, high, *, log=False, step=None):
        return self.suggest(name, make_distribution(
            "suggest_float", name, Float, low, high, log=log, step=step))

    def suggest_int(self, name, low, high, *, step=1, log=False):
        return self.suggest(name, make_distribution(
            "suggest_int", name, Int, low, high, step=step, log=log))

    def suggest_categorical(self, name, choices):
        return self.suggest(name, make_distribution(
            "suggest_categorical", name, Categorical, choices))

    @property
    def unused_params(self):
        """Names of stored parameters no suggest asked for, sorted."""
        return sorted(set(self._frozen.internal_params) - self._used)


def replay_params(space, frozen):
    """The estimator params a finished trial of a resumed study was run with,
    rebuilt through ``space`` (with the live objects the space holds).

    Raises ``ValueError`` naming the trial and the parameter when the stored
    trial does not fit the space: a parameter missing, drawn from another
    distribution, outside its distribution, or one the space never suggests.
    """
    trial = ReplayTrial(frozen)
    params = space.sample(trial)
    extra = trial.unused_params
    if extra:
        raise ValueError(
            f"Stored trial {frozen.number} has the parameters {extra!r}, which the search "
            "space does not suggest: the space changed since it ran, or the storage was "
            "edited."
        )
    return params
