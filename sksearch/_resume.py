"""Attaching a search to its study, so a killed search resumes where it stopped.

A search with a ``storage`` stores, on its study, a fingerprint of the data and
CV splits and of the search space. Calling ``fit`` again attaches to the same
study, reuses every finished trial (their fold scores are stored on the trial),
and refuses to mix trials of other data or another space.

A study named by the search reads as what it is: the estimator, the searched
parameters and a short fingerprint, ``SVC-C,gamma-3f2a9c1b`` (files written
before these names keep their older ``SVC-<16 hex>`` name, which is still
found). The labels of a list-of-dicts space's branches (the estimator each
holds) are stored on the study, so that reading it elsewhere shows them.

Also here: the known parameter sets a search runs first (``initial_params``,
validated against the space before any fit) and the prior trials of a warm
start (``warm_start_from``).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import json

import joblib
import numpy as np

from . import _known
from ._objectives import OBJECTIVES_ATTR as _OBJECTIVES_ATTR
from ._objectives import SearchObjectives
from .space import BRANCH_LABELS_ATTR, BRANCH_PARAM, BranchSpace, CallableSpace
from .storage import get_storage
from .study import Study
from .trial import Suggests, TrialState, is_interrupted

__all__ = ["ReplayTrial", "attach_or_create_study", "check_initial_count",
           "enqueue_initial_params", "replay_params", "requeue_interrupted", "warm_start"]

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
        study = Study(directions=list(directions), sampler=sampler, pruner=pruner,
                      study_name=search.study_name, constraints_func=constraints_func)
        _store_branch_labels(study, space)
        defined = _objectives_definition(search)
        if defined["objectives"]:
            # what the values mean, as a stored study keeps it: the trials
            # table and the plots name the values by their metrics
            study.set_system_attr(_OBJECTIVES_ATTR, defined)
        return study, 0
    storage = get_storage(search.storage)
    data_print = _data_fingerprint(X, y, splits)
    space_print = _space_fingerprint(space, search.estimator, search.increments)
    defined = _objectives_definition(search)
    name = search.study_name or _derived_name_of(storage, search.estimator, space,
                                                 (data_print, space_print), defined)
    _check_objectives(storage, name, defined)
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
    study.set_system_attr(_OBJECTIVES_ATTR, defined)
    _store_branch_labels(study, space)
    study.fail_stale_trials()
    n_reused = len(study.get_trials())
    if n_reused and sampler.seed is not None:
        # Restarting the stream at the original seed would re-propose the
        # points of the first run.
        sampler.reseed_rng([int(sampler.seed), n_reused])
    return study, n_reused


def _objectives_definition(search):
    """What the values and feasibility of a search's trials mean, as JSON:
    its ``objectives`` (in order) and ``constraints`` (metric, operator,
    bound); empty for a search of one metric, or a drop-in search."""
    objectives = SearchObjectives.from_spec(getattr(search, "objectives", None),
                                            getattr(search, "constraints", None), None)
    return {"objectives": list(objectives.names),
            "constraints": [list(rule) for rule in objectives.constraints]}


def _in_words(defined):
    constraints = {metric: (operator, bound) for metric, operator, bound
                   in defined.get("constraints", [])}
    return (f"objectives={defined.get('objectives') or None!r}, "
            f"constraints={constraints or None!r}")


def _check_objectives(storage, name, defined):
    """Refuse to resume the study ``name`` when it was run with other
    objectives or constraints (its values or feasibility would mean something
    else); a study stored before this was recorded is taken as it is. Checked
    before the Study is opened, so a change in the number of objectives is
    reported here, not as a change of directions."""
    study_id = storage.get_study_id(name)
    if study_id is None:
        return
    stored = storage.get_study_system_attrs(study_id).get(_OBJECTIVES_ATTR)
    if stored is not None and stored != defined:
        order = ""
        if sorted(map(tuple, stored.get("constraints", []))) == sorted(
                map(tuple, defined["constraints"])) and stored.get("objectives") == \
                defined["objectives"]:
            order = (" (the same constraints in another order: each trial's constraint "
                     "values are stored in that order)")
        raise ValueError(
            f"Study {name!r} in this storage was run with {_in_words(stored)}; this search "
            f"has {_in_words(defined)}{order}. Resuming it would mix trials whose values or "
            "feasibility mean something else; use the same objectives and constraints, "
            "or another study_name.")


class ReplayTrial(Suggests):
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


# -- names --------------------------------------------------------------------------
_MAX_WORDS = 48


def _derived_name_of(storage, estimator, space, prints, defined):
    """The study name of a search without ``study_name``: from the data and
    space fingerprints ``prints`` and, for a search of several objectives or
    with constraints, their definition ``defined`` too -- changing them names
    a new study instead of being refused. A study named without the
    definition (as before it took part) still resumes when it holds the same
    definition."""
    plain = _derived_name(storage, estimator, space, joblib.hash(prints))
    if not (defined["objectives"] or defined["constraints"]):
        return plain
    study_id = storage.get_study_id(plain)
    if study_id is not None and storage.get_study_system_attrs(study_id).get(
            _OBJECTIVES_ATTR) == defined:
        return plain
    return _derived_name(storage, estimator, space, joblib.hash((*prints, defined)))


def _derived_name(storage, estimator, space, fingerprint):
    """``<Estimator>-<parameters>-<8 hex>``; the name of earlier releases
    (``<Estimator>-<16 hex>``) when the storage holds a study of that name."""
    kind = type(estimator).__name__
    older = f"{kind}-{fingerprint[:16]}"
    if storage.get_study_id(older) is not None:
        return older
    words = space_in_words(space)
    if len(words) > _MAX_WORDS:
        words = words[:_MAX_WORDS - 3] + "..."
    words = words.replace(" ", "")
    return f"{kind}-{words}-{fingerprint[:8]}" if words else f"{kind}-{fingerprint[:8]}"


def _short(name):
    return name.rsplit("__", 1)[-1]


def space_in_words(space):
    """The searched parameters in a few words: ``C,gamma``; branches by their
    labels, ``SVC:C,gamma+LogisticRegression:C``; a define-by-run space by
    its function's name."""
    if isinstance(space, CallableSpace):
        return getattr(space.space, "__name__", "space")
    if isinstance(space, BranchSpace):
        return "+".join(
            f"{label}:{','.join(_short(n) for n in branch.params if _varies(branch, n))}"
            for label, branch in zip(branch_labels(space), space.branches))
    return ",".join(_short(n) for n in space.distributions)


def _varies(branch, name):
    return not branch.params[name].is_single()


def _store_branch_labels(study, space):
    """Keep the branch names in the study, so that reading it as a Study
    (listing, plots) shows them instead of branch indices."""
    if isinstance(space, BranchSpace):
        study.set_system_attr(BRANCH_LABELS_ATTR, branch_labels(space))


def branch_labels(space):
    """A label per branch of a list-of-dicts space (see ``BranchSpace.labels``)."""
    return space.labels()[0]


# -- known configurations and warm starts ----------------------------------------------
def check_initial_params(space, initial_params):
    """The encoded parameter sets to enqueue for ``initial_params``, each
    checked against ``space`` before any fit: a ValueError names the set and
    the parameter. A set of a list-of-dicts space goes to the first branch
    having all its names (its branch index is added)."""
    if initial_params is None:
        return []
    checked = []
    for i, params in enumerate(initial_params):
        where = f"initial_params[{i}]"
        encoded = _known.encode_params(params, where)
        if isinstance(space, CallableSpace):
            checked.append(encoded)  # a define-by-run space is checked as it runs
            continue
        if BRANCH_PARAM in encoded:
            raise ValueError(f"{where}: {BRANCH_PARAM!r} is not a parameter; give the "
                             "parameters of one dict of the list.")
        branches = space.branches if isinstance(space, BranchSpace) else [space]
        index = next((b for b, branch in enumerate(branches)
                      if set(encoded) <= set(branch.params)), None)
        if index is None:
            known = sorted({n for branch in branches for n in branch.params})
            unknown = sorted(set(encoded) - set(known)) or sorted(encoded)
            raise ValueError(f"{where}: the parameters {unknown!r} are not in one dict of "
                             f"the search space, whose parameters are {known!r}.")
        for name, value in encoded.items():
            _known.internal_value(name, value, branches[index].params[name], where)
        if isinstance(space, BranchSpace):
            encoded = {BRANCH_PARAM: {"value": index}, **encoded}
        checked.append(encoded)
    return checked


def check_initial_count(encoded_sets, n_iter):
    """Refuse more ``initial_params`` sets than ``n_iter`` candidates, before
    anything is stored: the extra sets would never run, yet stay queued in the
    study for whatever asks it next."""
    if len(encoded_sets) > n_iter:
        raise ValueError(
            f"initial_params has {len(encoded_sets)} parameter sets, more than "
            f"n_iter={n_iter} candidates: the last {len(encoded_sets) - n_iter} would never "
            "run. Raise n_iter or pass fewer initial_params.")


def requeue_interrupted(study, sampler):
    """Enqueue the parameters of every candidate that was cut short
    (:func:`~sksearch.trial.is_interrupted`: Ctrl-C, an error elsewhere, a
    process that died), oldest first, so a resumed search runs them again
    before it asks the sampler; returns how many. Each set is enqueued once and
    not after it ran (``skip_if_exists``), however often the search resumes.
    A sampler that proposes such parameters again itself (a grid) needs none."""
    if sampler.reproposes_interrupted:
        return 0
    interrupted = [t for t in study.get_trials((TrialState.FAIL,)) if is_interrupted(t)]
    for trial in interrupted:
        study.enqueue_trial(trial.params, skip_if_exists=True)
    return len(interrupted)


def enqueue_initial_params(study, encoded_sets):
    """Enqueue the checked sets, each unless the study has evaluated it (a
    resumed search runs each once)."""
    for encoded in encoded_sets:
        study.enqueue_trial(_decoded(encoded), skip_if_exists=True)


class _Described:
    """A value known by its description, re-encoded as that description."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _decoded(encoded):
    return {name: e["value"] if "value" in e else _Described(e["repr"])
            for name, e in encoded.items()}


def warm_start(study, source, sampler, space=None):
    """Add the finished trials of ``source`` (a Study, or a fitted search's
    ``study_``) to ``study`` as prior trials; returns how many were added.

    Checked first, each a ValueError naming ``warm_start_from``: the source
    has finished (complete or pruned) trials of its own, the same objectives
    (number and directions) as ``study`` and, when ``space`` is given and not
    define-by-run, trials over the same parameters drawn from the same
    distributions as ``space`` (prior trials of another space would mislead
    the sampler about this one)."""
    if source is None:
        return 0
    source_study = getattr(source, "study_", source)
    if not hasattr(source_study, "get_trials"):
        raise TypeError("warm_start_from must be a Study or a fitted search; got "
                        f"{source!r}, which has no study_ (fit it first).")
    if not sampler.learns_from_results:
        raise ValueError(f"warm_start_from needs a sampler that learns from results; "
                         f"{sampler!r} does not (use sampler='tpe' or 'cmaes').")
    name = source_study.study_name
    if list(source_study.directions) != list(study.directions):
        raise ValueError(
            f"warm_start_from: the study {name!r} has {_objectives_in_words(source_study)}, "
            f"this search {_objectives_in_words(study)}; its values mean something else.")
    finished = source_study.get_trials(
        (TrialState.COMPLETE, TrialState.PRUNED))
    prior = [t for t in finished if not _known.is_warm_start(t)]
    if not prior:
        raise ValueError(f"warm_start_from: the study {name!r} has no complete or pruned "
                         "trial of its own; there is nothing to start from.")
    if space is not None and not isinstance(space, CallableSpace):
        for trial in prior:
            _check_prior_space(trial, space, name)
    return study.add_prior_trials(prior, source=name)


def _objectives_in_words(study):
    n = len(study.directions)
    return f"{n} objective{'s' if n > 1 else ''} ({', '.join(study.directions)})"


def _check_prior_space(trial, space, name):
    """Raise a ValueError naming ``warm_start_from`` unless the source trial
    ``trial`` has the parameters of ``space`` (of one branch of a list of
    dicts), each drawn from the same distribution."""
    expected = space.distributions
    if isinstance(space, BranchSpace):
        branch = trial.params.get(BRANCH_PARAM)
        if isinstance(branch, int) and 0 <= branch < len(space.branches):
            expected = {BRANCH_PARAM: expected[BRANCH_PARAM], **space.branches[branch].params}
    got = trial.distributions
    if set(got) != set(expected):
        raise ValueError(
            f"warm_start_from: trial {trial.number} of the study {name!r} has the "
            f"parameters {sorted(got)!r}, this search space {sorted(expected)!r}; warm start "
            "from a study over the same space.")
    for param, distribution in expected.items():
        stored = got[param]
        if stored != distribution and stored.to_json() != distribution.to_json():
            raise ValueError(
                f"warm_start_from: trial {trial.number} of the study {name!r} drew "
                f"{param!r} from {stored!r}, this search space draws it from "
                f"{distribution!r}; warm start from a study over the same space.")
