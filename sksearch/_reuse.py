"""Fit a Pipeline prefix that candidates share once per fold (issue #29).

Most searches over a :class:`~sklearn.pipeline.Pipeline` vary the last step
while the expensive part is a prefix many candidates have in common (a
``TfidfVectorizer``, ``StandardScaler`` + ``PCA``). A fold task of such a
candidate (see :mod:`sksearch._fold`) asks this module to fit its pipeline:
the leading steps whose fit is a pure function of their parameters and of the
fold's rows are looked up in a :class:`PrefixCache`, level by level (the first
step, the first two, ...), and only the levels nobody fitted yet on this fold
are fitted; the candidate's own steps after the prefix (the *tail*) are then
fitted on the cached transform of the training rows, and the test rows'
cached transform is what the tail is scored on.

The key of level ``j`` is the fold (a digest of its train and test indices)
and a digest of the unfitted step objects ``0..j`` of the candidate's
pipeline (pickled by :func:`joblib.hash`, so every parameter, nested
estimator, ``set_output`` configuration and metadata request counts). Fits are
bit-for-bit the ones ``Pipeline.fit`` makes: the same step objects called with
the same arrays in the same order; only which object does it changes.

A step is shared only when sharing is exact:

- its fit draws no unseeded randomness (no ``random_state`` anywhere in its
  parameters that is ``None`` or a ``RandomState`` instance);
- no fit parameter or metadata is routed to it (with routing off: no
  ``name__param`` fit parameter; with routing on: ``process_routing`` gives
  it none), since those differ in ways the key does not see;
- it can be pickled for hashing (a ``FunctionTransformer`` of a lambda
  cannot);
- nothing in the pipeline fits or predicts in place (``copy=False`` or
  ``copy_X=False`` anywhere), which would write into the shared arrays;
- the pipeline has no ``memory`` (the user's own cache does the job then),
  no ``verbose`` and no ``transform_input``.

The cache is bounded in bytes (the transformed arrays it holds and an
estimate of the fitted steps) and evicts the least recently used levels. One
cache serves a search per process: the caller's process at ``n_jobs=1`` and
with threads, and each worker process with loky, multiprocessing or dask
(see ``docs/reuse.md`` for hit rates).

The same cache holds the final models that later candidates of the fold grow
from, where they differ only by a parameter the model grows by exactly
(:mod:`sksearch._grow`): :class:`PrefixFit` grows a Pipeline's final step
after a fully shared prefix, :class:`GrownFit` a bare estimator.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import hashlib
import numbers
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from traceback import format_exc

import numpy as np
from joblib import hash as joblib_hash
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import process_routing

from . import _compat
from ._grow import plan_growth
from ._memory import estimated_nbytes

__all__ = ["DEFAULT_REUSE_BYTES", "GrownFit", "PrefixCache", "ReuseSpec",
           "SharedFitError",
           "cache_for", "plan_prefix", "release", "reuse_bytes", "reuse_spec"]

#: the cache's bound per search and process when ``reuse=True``
DEFAULT_REUSE_BYTES = 500 * 1000 ** 2

_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3,
          "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3}


def reuse_bytes(value):
    """The cache bound ``value`` (the searches' ``reuse`` argument) stands for.

    Parameters
    ----------
    value : bool, int or str
        ``True`` (the default bound), ``False`` or ``0`` (off), a number of
        bytes, or a str such as ``"500MB"``, ``"2GiB"`` or ``"0"``.

    Returns
    -------
    int
        The bound in bytes; 0 means no reuse.

    Raises
    ------
    ValueError
        When ``value`` is none of these.
    """
    if isinstance(value, (bool, np.bool_)):
        return DEFAULT_REUSE_BYTES if value else 0
    if isinstance(value, numbers.Integral) and value >= 0:
        return int(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([a-zA-Z]*)\s*", value)
        if match and match.group(2).lower() in _UNITS:
            return int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    raise ValueError(f"reuse must be a bool, a number of bytes or a str such as "
                     f"'500MB'; got {value!r}")


@dataclass(frozen=True)
class ReuseSpec:
    """What a fold task needs to find its search's cache: the search (one
    ``fit`` call) and the bound. Travels to the workers in the FoldContext."""

    search: str
    max_bytes: int
    error_score: object = None


def reuse_spec(value, error_score):
    """The :class:`ReuseSpec` of one ``fit`` for the ``reuse`` argument
    ``value``, or ``None`` when reuse is off."""
    max_bytes = reuse_bytes(value)
    if not max_bytes:
        return None
    return ReuseSpec(search=uuid.uuid4().hex, max_bytes=max_bytes, error_score=error_score)


# -- the cache ---------------------------------------------------------------------------


@dataclass
class _Level:
    """A fitted prefix level: the fitted steps ``0..j`` and the fold's rows
    transformed by them, or the error its fit raised."""

    steps: tuple = ()
    Xt_train: object = None
    Xt_test: object = None  # None when transforming the test rows failed
    fit_seconds: float = 0.0  # fitting the steps 0..j, each when it was fitted
    test_seconds: float = 0.0  # transforming the test rows by the steps 0..j
    error: BaseException = None
    error_text: str = None
    nbytes: int = 0


class PrefixCache:
    """Fitted prefix levels of one search in one process, least recently
    used evicted first once they hold more than ``max_bytes``.

    LRU rather than "what no pending task needs": the pending tasks are the
    scheduler's business and a worker process never sees them; candidates
    are handed out in order, all folds of one before the next, so the levels
    that the next tasks need are the recently used ones.

    A level being fitted is claimed: another thread asking for it waits for
    that fit instead of making its own (the same prefix is then never fitted
    twice at once).

    The same cache holds the fitted models that later candidates grow from
    (:mod:`sksearch._grow`): an entry may belong to a *family* (the models
    of one fold that differ only by the value of a parameter they grow by)
    under a value; :meth:`largest_at_most` finds the family's largest model
    at or below a value. Bytes, eviction and the bound are the same for both
    kinds of entries (anything with an ``nbytes``).
    """

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.nbytes = self.peak_nbytes = 0
        self.hits = self.fits = self.evictions = 0
        self.grown = 0  # models grown from a held family member
        self._levels = OrderedDict()
        self._pending = {}
        self._families = {}  # family -> {value: key}
        self._member = {}  # key -> (family, value)
        self._lock = threading.Lock()

    def get(self, key):
        """The level of ``key`` if it is held, else ``None``; never waits."""
        with self._lock:
            return self._hit(key)

    def _hit(self, key):
        """The level of ``key`` if held (a hit, now the most recently used),
        else ``None``; called with the lock held."""
        level = self._levels.get(key)
        if level is not None:
            self._levels.move_to_end(key)
            self.hits += 1
        return level

    def claim(self, key):
        """The level of ``key``, waiting for a fit of it in progress; ``None``
        when the caller is to fit it and then :meth:`put` (or :meth:`abandon`)."""
        while True:
            with self._lock:
                level = self._hit(key)
                if level is not None:
                    return level
                event = self._pending.get(key)
                if event is None:
                    self._pending[key] = threading.Event()
                    self.fits += 1
                    return None
            # a level too large to keep (or an interrupted fit) ends the wait
            # without a level: the next round claims it
            event.wait()

    def put(self, key, level, family=None, value=None):
        """Keep the claimed ``level`` (unless it alone exceeds the bound) and
        evict the least recently used levels beyond the bound. With a
        ``family``, the entry is that family's member at ``value`` (see
        :meth:`largest_at_most`)."""
        with self._lock:
            event = self._pending.pop(key, None)
            if level.nbytes <= self.max_bytes:
                self._drop(key)
                self._levels[key] = level
                self.nbytes += level.nbytes
                if family is not None:
                    self._families.setdefault(family, {})[value] = key
                    self._member[key] = (family, value)
                while self.nbytes > self.max_bytes:
                    self._drop(next(iter(self._levels)))
                    self.evictions += 1
                self.peak_nbytes = max(self.peak_nbytes, self.nbytes)
        if event is not None:
            event.set()

    def largest_at_most(self, family, value):
        """``(v, entry)`` of the member of ``family`` with the largest value
        ``v <= value``, or ``(None, None)``; never waits."""
        with self._lock:
            members = self._families.get(family, {})
            below = [v for v in members if v <= value]
            if not below:
                return None, None
            best = max(below)
            key = members[best]
            self._levels.move_to_end(key)
            self.hits += 1
            if best < value:
                self.grown += 1
            return best, self._levels[key]

    def discard(self, key):
        """Drop the entry of ``key`` if held (one superseded by a larger
        member of its family)."""
        with self._lock:
            self._drop(key)

    def _drop(self, key):
        entry = self._levels.pop(key, None)
        if entry is None:
            return
        self.nbytes -= entry.nbytes
        family, value = self._member.pop(key, (None, None))
        if family is not None:
            members = self._families[family]
            del members[value]
            if not members:
                del self._families[family]

    def abandon(self, key):
        """Give up a claim without a level (the fit was interrupted)."""
        with self._lock:
            event = self._pending.pop(key, None)
        if event is not None:
            event.set()

    def stats(self):
        """Hits, fits, evictions and bytes, for benchmarks and tests."""
        with self._lock:
            return {"hits": self.hits, "fits": self.fits, "evictions": self.evictions,
                    "nbytes": self.nbytes, "peak_nbytes": self.peak_nbytes,
                    "levels": len(self._levels), "grown": self.grown}


_REGISTRY_LOCK = threading.Lock()
_CACHES = {}
#: what ``release`` saw of each finished search, for benchmarks and tests
LAST_STATS = {}


def cache_for(spec, origin_process):
    """The cache of ``spec``'s search in this process.

    In a worker process (``origin_process`` False) a search's first task frees
    the caches of earlier searches: a worker is never told that a search ended,
    and holding the last one's levels until the pool shuts down is all it may
    otherwise keep.
    """
    with _REGISTRY_LOCK:
        cache = _CACHES.get(spec.search)
        if cache is None:
            if not origin_process:
                _CACHES.clear()
            cache = _CACHES[spec.search] = PrefixCache(spec.max_bytes)
        return cache


def release(spec):
    """Free the caller's process's cache of ``spec``'s search (end of ``fit``)."""
    if spec is None:
        return
    with _REGISTRY_LOCK:
        cache = _CACHES.pop(spec.search, None)
    if cache is not None:
        LAST_STATS.clear()
        LAST_STATS.update(cache.stats())


# -- which prefix a candidate shares -----------------------------------------------------


class SharedFitError(Exception):
    """A shared prefix level's fit failed: every candidate sharing it fails
    with the same traceback text (``fit_error``), as each would have with its
    own fit."""

    def __init__(self, level):
        super().__init__(str(level.error))
        self.fit_error = level.error_text


def _unsafe_copy(params):
    """Whether a parameter asks an estimator to work in place."""
    return any((name == "copy" or name.endswith(("__copy", "__copy_X")) or name == "copy_X")
               and value is False for name, value in params.items())


def _unseeded(params):
    return any((name == "random_state" or name.endswith("__random_state"))
               and (value is None or isinstance(value, np.random.RandomState))
               for name, value in params.items())


def _routed_steps(pipeline, fit_params):
    """Names of the steps that receive fit parameters or metadata; ``None``
    when that cannot be told (no step is shared then)."""
    if not fit_params:
        return set()
    if not _compat.routing_enabled():
        return {key.split("__", 1)[0] for key in fit_params}
    try:
        routed = process_routing(pipeline, "fit", **fit_params)
    except Exception:  # noqa: BLE001 - the pipeline's own fit will report it
        return None
    return {name for name, _ in pipeline.steps
            if any(bool(params) for params in routed.get(name, {}).values())}


def _step_key(step):
    try:
        return joblib_hash(step)
    except Exception:  # noqa: BLE001 - e.g. a lambda: not hashable, not shared
        return None


def _pipeline_allows(pipeline):
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
        return False
    if pipeline.memory is not None or pipeline.verbose:
        return False
    if getattr(pipeline, "transform_input", None) is not None:
        return False
    final = pipeline.steps[-1][1]
    return final is not None and final != "passthrough"


def _fold_digest(train, test):
    digest = hashlib.blake2b(digest_size=16)
    for rows in (train, test):
        rows = np.ascontiguousarray(rows)
        digest.update(str(rows.dtype).encode() + str(rows.shape).encode())
        digest.update(rows.tobytes())
    return digest.hexdigest()


def _level_keys(pipeline, fit_params, fold):
    """The cache keys of the pipeline's shareable levels, outermost first."""
    if not _pipeline_allows(pipeline) or _unsafe_copy(pipeline.get_params(deep=True)):
        return []
    routed = _routed_steps(pipeline, fit_params)
    if routed is None:
        return []
    keys, chain = [], fold
    for name, step in pipeline.steps[:-1]:
        if name in routed:
            break
        passthrough = step is None or step == "passthrough"
        if not passthrough and (not hasattr(step, "get_params")
                                or _unseeded(step.get_params(deep=True))):
            break
        step_key = "passthrough" if passthrough else _step_key(step)
        if step_key is None:
            break
        chain = joblib_hash((chain, name, step_key))
        keys.append(chain)
    return keys


def _plain_scorer(scorer):
    """Whether ``scorer`` only calls the estimator's prediction methods (or
    its ``score``), so that the fitted tail on transformed rows gives what
    the whole pipeline gives on the raw rows. A user's callable might look
    at the pipeline itself: it is given the whole pipeline."""
    scorers = getattr(scorer, "_scorers", None)
    if isinstance(scorers, dict):
        return all(_plain_scorer(s) for s in scorers.values())
    return type(scorer).__module__.startswith("sklearn.metrics")


def plan_prefix(context, task, estimator, fit_params, origin_process):
    """A :class:`PrefixFit` (a Pipeline) or :class:`GrownFit` (a bare
    estimator that grows, :mod:`sksearch._grow`) for the task, or ``None``
    when it shares nothing."""
    spec = context.reuse
    if spec is None or context.increments is not None or task.callback_ctx is not None:
        return None
    fold = _fold_digest(task.train, task.test)
    if not isinstance(estimator, Pipeline):
        if fit_params or not hasattr(estimator, "get_params"):
            return None
        grow = plan_growth(cache_for(spec, origin_process), fold, estimator,
                           len(task.train))
        return None if grow is None else GrownFit(estimator, grow)
    keys = _level_keys(estimator, fit_params, fold)
    if not keys:
        return None
    cache = cache_for(spec, origin_process)
    return PrefixFit(estimator, keys, cache, fit_params, spec.error_score,
                     _plain_scorer(context.scorer),
                     _final_growth(cache, estimator, keys, fit_params, len(task.train)))


def _final_growth(cache, pipeline, keys, fit_params, n_train):
    """The growth of the Pipeline's final step: only when every step before it
    is shared (the rows it is fitted on are then the cached ones) and no fit
    parameter or metadata reaches it."""
    if len(keys) != len(pipeline.steps) - 1:
        return None
    name, final = pipeline.steps[-1]
    routed = _routed_steps(pipeline, fit_params)
    if routed is None or name in routed or not hasattr(final, "get_params"):
        return None
    return plan_growth(cache, keys[-1], final, n_train)


# -- fitting with the cache --------------------------------------------------------------


@dataclass
class SharedFit:
    """What a task that fitted its pipeline with shared prefix levels scores
    with, and the seconds its timing columns are corrected by."""

    tail: object  # None: score the whole pipeline (a scorer that may look at it)
    Xt_test: object  # None: transforming the test rows failed; score the raw rows
    fit_adjust: float = 0.0
    score_adjust: float = 0.0
    estimator: object = None  # the fitted whole the task scores and keeps


class GrownFit:
    """Fit a bare estimator grown from a smaller model of the fold (see
    :mod:`sksearch._grow`)."""

    def __init__(self, estimator, grow):
        self.estimator, self.grow = estimator, grow

    def fit(self, X_train, y_train, X_test):
        """The :class:`SharedFit` of the fitted (or grown) estimator."""
        model, before = self.grow.fit(self.estimator, X_train, y_train)
        return SharedFit(tail=None, Xt_test=None, fit_adjust=before, estimator=model)


class PrefixFit:
    """Fit one candidate's pipeline on a fold, its shareable prefix levels
    taken from (or put into) the cache."""

    def __init__(self, pipeline, keys, cache, fit_params, error_score, plain_scorer,
                 grow=None):
        self.pipeline, self.keys, self.cache = pipeline, keys, cache
        self.fit_params, self.error_score = fit_params, error_score
        self.plain_scorer = plain_scorer
        self.grow = grow  # a GrowFit of the final step, or None

    def fit(self, X_train, y_train, X_test):
        """Fit the pipeline in place; the :class:`SharedFit`.

        Timing: a level taken from the cache adds the seconds its fit took to
        this task's fit time, as if the task had fitted it (what
        ``mean_fit_time`` means in scikit-learn: the cost of fitting this
        candidate, the same whichever candidate came first); transforming the
        test rows counts as scoring time, where ``Pipeline.predict`` spends it.
        """
        level, depth = self._deepest_held()
        spent_here = 0.0  # seconds of the levels this task fits, in its wall time
        Xt_train = X_train if level is None else level.Xt_train
        Xt_test = X_test if level is None else level.Xt_test
        for index in range(depth + 1, len(self.keys)):
            previous = level
            level, fitted_here = self._level(index, previous, Xt_train, Xt_test, y_train)
            if fitted_here:
                spent_here += level.fit_seconds + level.test_seconds - (
                    0.0 if previous is None else previous.fit_seconds + previous.test_seconds)
            Xt_train, Xt_test = level.Xt_train, level.Xt_test
        k = len(self.keys)
        tail = Pipeline(self.pipeline.steps[k:])
        grown_before = 0.0
        if self.grow is None:
            _fit_tail(tail, Xt_train, y_train, self.fit_params)
        else:  # the tail is the final step, grown from a smaller model
            name, final = tail.steps[-1]
            model, grown_before = self.grow.fit(final, Xt_train, y_train)
            tail.steps[-1] = (name, model)
        # the candidate's pipeline is the fitted whole: the shared prefix steps
        # (only ever read from here on) followed by its own fitted tail
        names = [name for name, _ in self.pipeline.steps[:k]]
        self.pipeline.steps = list(zip(names, level.steps)) + list(tail.steps)
        return SharedFit(tail=tail if self.plain_scorer else None, Xt_test=Xt_test,
                         fit_adjust=level.fit_seconds - spent_here + grown_before,
                         score_adjust=level.test_seconds, estimator=self.pipeline)

    def _deepest_held(self):
        """The deepest level already in the cache and its index (-1: none)."""
        for depth in range(len(self.keys) - 1, -1, -1):
            level = self.cache.get(self.keys[depth])
            if level is not None:
                self._raise_if_failed(level)
                return level, depth
        return None, -1

    def _raise_if_failed(self, level):
        if level.error is not None:
            if self.error_score == "raise":
                raise level.error
            raise SharedFitError(level)

    def _level(self, index, previous, Xt_train, Xt_test, y_train):
        """Level ``index`` from the cache or fitted now on the previous
        level's output; ``(level, fitted_here)``."""
        key = self.keys[index]
        level = self.cache.claim(key)
        fitted_here = level is None
        if fitted_here:
            try:
                level = _fit_level(self.pipeline.steps[index][1], Xt_train, Xt_test,
                                   y_train, previous)
            except BaseException:
                self.cache.abandon(key)
                raise
            self.cache.put(key, level)
        self._raise_if_failed(level)
        return level, fitted_here


def _fit_level(step, Xt_train, Xt_test, y_train, previous):
    """Fit ``step`` as ``Pipeline.fit`` does and transform the test rows as
    ``Pipeline.predict`` would; a failed fit is kept as the level's error.
    Seconds are cumulative over the levels up to this one."""
    steps = (() if previous is None else previous.steps) + (step,)
    fit_before = 0.0 if previous is None else previous.fit_seconds
    test_before = 0.0 if previous is None else previous.test_seconds
    if step is None or step == "passthrough":
        # holds the previous level's arrays, or the fold's rows at level 0
        return _Level(steps=steps, Xt_train=Xt_train, Xt_test=Xt_test,
                      fit_seconds=fit_before, test_seconds=test_before,
                      nbytes=(estimated_nbytes(Xt_train) + estimated_nbytes(Xt_test)
                              if previous is None else 0))
    start = time.perf_counter()
    try:
        if hasattr(step, "fit_transform"):
            out_train = step.fit_transform(Xt_train, y_train)
        else:
            out_train = step.fit(Xt_train, y_train).transform(Xt_train)
    except Exception as exc:
        text = format_exc()
        # the text says where it failed; the traceback's frames (holding the
        # fold's arrays) need not live as long as the cache
        return _Level(steps=steps, error=exc.with_traceback(None), error_text=text,
                      fit_seconds=fit_before + time.perf_counter() - start,
                      test_seconds=test_before)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    out_test = None
    if Xt_test is not None:
        try:
            out_test = step.transform(Xt_test)
        except Exception:  # noqa: BLE001 - scoring the whole pipeline reports it
            out_test = None
    level = _Level(steps=steps, Xt_train=out_train, Xt_test=out_test,
                   fit_seconds=fit_before + fit_seconds,
                   test_seconds=test_before + time.perf_counter() - start)
    level.nbytes = (estimated_nbytes(out_train) + estimated_nbytes(out_test)
                    + estimated_nbytes(step))
    return level


def _fit_tail(tail, Xt_train, y_train, fit_params):
    if y_train is None:
        tail.fit(Xt_train, **fit_params)
    else:
        tail.fit(Xt_train, y_train, **fit_params)
