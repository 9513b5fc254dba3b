"""Attaching a search to its study, so a killed search resumes where it stopped.

A search with a ``storage`` stores, on its study, a fingerprint of the data and
CV splits and of the search space. Calling ``fit`` again attaches to the same
study, reuses every finished trial (their fold scores are stored on the trial),
and refuses to mix trials of other data or another space.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import json
import numbers

import joblib
import numpy as np

from .space import CallableSpace
from .storage import get_storage
from .study import Study

__all__ = ["ReplayTrial", "attach_or_create_study", "fold_records_to_json",
           "json_to_fold_records"]

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


def attach_or_create_study(search, space, sampler, pruner, X, y, splits):
    """Return ``(study, n_reused)`` for ``search.fit``.

    Without a storage, a new in-memory study. With one, the study named
    ``search.study_name`` (or a name derived from the fingerprints), checked
    against the data and space, with trials left RUNNING by a dead process
    marked FAIL.
    """
    if search.storage is None:
        return Study(direction="maximize", sampler=sampler, pruner=pruner,
                     study_name=search.study_name), 0
    storage = get_storage(search.storage)
    data_print = _data_fingerprint(X, y, splits)
    space_print = _space_fingerprint(space, search.estimator, search.increments)
    name = search.study_name or (
        f"{type(search.estimator).__name__}-{joblib.hash((data_print, space_print))[:16]}")
    if hasattr(storage, "register_distributions"):
        storage.register_distributions(space.distributions)
    study = Study(direction="maximize", sampler=sampler, pruner=pruner,
                  storage=storage, study_name=name)
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
    ``space.sample(ReplayTrial(frozen))`` returns what the search used."""

    def __init__(self, frozen):
        self._frozen = frozen
        self._params = frozen.params
        self.number = frozen.number

    def suggest(self, name, distribution):
        if name not in self._params:
            raise ValueError(
                f"Stored trial {self.number} has no parameter {name!r}; the search "
                "space changed since it ran."
            )
        return self._params[name]

    def suggest_float(self, name, low, high, *, log=False, step=None):
        return self.suggest(name, None)

    def suggest_int(self, name, low, high, *, step=1, log=False):
        return self.suggest(name, None)

    def suggest_categorical(self, name, choices):
        return self.suggest(name, None)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return float(value)
    return value


def fold_records_to_json(folds):
    """Per-fold results as JSON-serialisable values (``None`` for unrun folds)."""
    return [None if f is None else {k: _plain(v) for k, v in f.items()} for f in folds]


def json_to_fold_records(records):
    return [None if r is None else dict(r) for r in records]
