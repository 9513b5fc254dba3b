"""Workers that run fold tasks one at a time, as they are handed out.

The scheduler (:mod:`sksearch._scheduler`) decides *what* runs next as soon as
a task finishes, so it needs an executor that takes one task at a time and
reports each result the moment it is ready -- not ``Parallel(...)(tasks)``,
which returns when a whole list is done. :func:`open_workers` picks one for
the active joblib backend (``joblib.parallel_config`` applies, as it does for
``GridSearchCV``):

- one worker, or the sequential backend: tasks run in the calling thread, in
  the order they were handed out (the search is then exactly sequential);
- the threading backend: a thread pool of ``n_jobs`` threads;
- any other backend (loky, the default; multiprocessing; dask; a registered
  custom backend): ``n_jobs`` runner threads, each passing the tasks queued
  at the time to one call of its own ``joblib.Parallel`` object (entered
  once, so the data are memory-mapped once per runner), so that short tasks
  share a call. Process pools are shared between calls (loky's pool is
  reused), so a call costs little; joblib only notices a finished task within
  ~10 ms, which the runners hide by keeping up to ``pre_dispatch`` tasks (more
  when tasks are short) on the pool.

What every task of a search carries alike -- the training data and the
scoring, the fold context -- is handed over once with :meth:`_Workers.share`:
on dask it is scattered once and tasks carry only its key; each worker
process fetches it at its first task and holds it until the search closes, so
the data travel once per worker instead of once per task (joblib scatters
only a call's large arguments, and the context is neither large to
``dask.sizeof`` nor shared between calls); elsewhere it is
the object itself (threads share memory; loky memory-maps large arrays once
per runner).

:meth:`_Workers.run_aside` runs a function in the scheduler's own process but
off its thread, its result delivered by ``next_result`` like a task's: the
scheduler proposes the next candidate there (a model-based sampler's ask can
take a tenth of a second) while it goes on handing out tasks and taking
results. With one worker there is nothing to overlap, and the function runs
at once, in the calling thread.

Only joblib's public interface is used: ``Parallel``, ``delayed``,
``parallel_config``, ``effective_n_jobs`` and ``joblib.parallel.get_active_backend``
/ ``BACKENDS`` to name the active backend; and ``distributed.get_client`` on
dask.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import joblib
from joblib import Parallel, delayed, effective_n_jobs, parallel_config
from sklearn import config_context, get_config

__all__ = ["open_workers"]


def open_workers(n_jobs, pre_dispatch):
    """The executor for ``n_jobs`` (as in ``GridSearchCV``) on the active backend."""
    n_workers = max(1, effective_n_jobs(n_jobs))
    backend_name = _active_backend_name()
    if n_workers == 1 or backend_name == "sequential":
        return _Inline()
    capacity = max(n_workers, _evaluate_pre_dispatch(pre_dispatch, n_workers))
    if backend_name == "threading":
        return _Threads(n_workers)
    return _JoblibRunners(n_jobs, n_workers, capacity, backend_name)


class _Workers:
    """Hand out tasks with :meth:`submit`; :meth:`next_result` returns
    ``(token, outcome, error)`` of a finished one, in order of completion."""

    #: how many workers compute at once
    n_workers = 1
    #: how many tasks may be handed out and not yet returned
    capacity = 1

    def __init__(self):
        # the caller's scikit-learn configuration (it is thread-local), for the
        # tasks, as scikit-learn's own Parallel does
        self._config = get_config()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        """Stop accepting tasks; tasks still running finish on their own."""

    def share(self, obj):
        """What tasks should carry to reach ``obj``, which every task of the
        search passes alike: ``obj`` itself, but on dask (see the module docs)."""
        return obj

    #: whether :meth:`run_aside` overlaps the caller's thread
    runs_aside = False

    def run_aside(self, token, fn, *args):
        """Run ``fn(*args)`` in this process: its ``(token, result, error)``
        comes out of :meth:`next_result` like a task's; returns a
        :class:`~concurrent.futures.Future` that is done once it has run."""
        raise NotImplementedError

    def _run(self, fn, args):
        with config_context(**self._config):
            return fn(*args)


class _Inline(_Workers):
    """Tasks run in the calling thread when their result is asked for."""

    def __init__(self):
        super().__init__()
        self._tasks = deque()
        self._ready = deque()  # what run_aside ran, delivered first

    def submit(self, token, fn, *args):
        self._tasks.append((token, fn, args))

    def run_aside(self, token, fn, *args):
        done = Future()
        try:
            self._ready.append((token, fn(*args), None))
        except Exception as exc:  # noqa: BLE001 - the scheduler re-raises it
            self._ready.append((token, None, exc))
        done.set_result(None)
        return done

    def next_result(self):
        if self._ready:
            return self._ready.popleft()
        token, fn, args = self._tasks.popleft()
        try:
            return token, fn(*args), None
        except BaseException as exc:  # noqa: BLE001 - the scheduler re-raises it
            if isinstance(exc, KeyboardInterrupt):
                raise
            return token, None, exc


class _Queued(_Workers):
    """Results arrive on a queue, read by the scheduler's thread with a short
    timeout so that Ctrl-C reaches it."""

    runs_aside = True

    def __init__(self):
        super().__init__()
        self._results = queue.Queue()
        self._aside = None  # one thread, started at the first run_aside

    def run_aside(self, token, fn, *args):
        if self._aside is None:
            self._aside = ThreadPoolExecutor(max_workers=1,
                                             thread_name_prefix="sksearch-aside")
        return self._aside.submit(self._call, token, fn, args)

    def close(self):
        if self._aside is not None:
            self._aside.shutdown(wait=False)

    def next_result(self):
        while True:
            try:
                return self._results.get(timeout=0.2)
            except queue.Empty:
                continue

    def _call(self, token, fn, args):
        try:
            self._results.put((token, self._run(fn, args), None))
        except BaseException as exc:  # noqa: BLE001 - delivered to the scheduler
            self._results.put((token, None, exc))


class _Threads(_Queued):
    def __init__(self, n_workers):
        super().__init__()
        self.n_workers = self.capacity = n_workers
        self._pool = ThreadPoolExecutor(max_workers=n_workers,
                                        thread_name_prefix="sksearch-worker")

    def submit(self, token, fn, *args):
        self._pool.submit(self._call, token, fn, args)

    def close(self):
        super().close()
        self._pool.shutdown(wait=False, cancel_futures=True)


class _JoblibRunners(_Queued):
    """``n_workers`` runner threads, each passing the tasks queued at the time
    to one ``joblib.Parallel`` call on the active backend and delivering each
    result as it arrives (``return_as="generator_unordered"``).

    A call costs a few milliseconds (joblib polls for finished tasks every
    10 ms), nothing next to a fit of tenths of a second but everything next to
    a fit of one millisecond; so when tasks turn out short the capacity grows
    (up to 64 tasks a worker) and a call carries many of them, which joblib
    batches further as it does for ``GridSearchCV``.
    """

    #: seconds of work a call should carry to make its cost negligible
    _CALL_SECONDS = 0.1

    def __init__(self, n_jobs, n_workers, capacity, backend_name):
        super().__init__()
        self.n_workers = n_workers
        self._min_capacity = capacity
        self._task_seconds = None  # running estimate of one task's wall time
        self._backend = backend_name
        self._kept = []  # what share() scattered and published for the search
        self._tasks = queue.Queue()
        self._lock = threading.Lock()
        self._runners = [threading.Thread(target=self._runner, daemon=True,
                                          name=f"sksearch-runner-{i}")
                         for i in range(n_workers)]
        for runner in self._runners:
            runner.start()

    @property
    def capacity(self):
        seconds = self._task_seconds
        # before the first call has been timed, enough for one call of short
        # tasks; a long task's few extra queued tasks cost nothing
        per_worker = 8 if not seconds else min(64, max(1, int(self._CALL_SECONDS / seconds)))
        return max(self._min_capacity, per_worker * self.n_workers)

    def submit(self, token, fn, *args):
        self._tasks.put((token, fn, args))

    def share(self, obj):
        if self._backend != "dask":
            return obj
        from distributed import get_client

        # scattered once, kept (the future) for the search; tasks carry only
        # its key, and each worker process fetches it at its first task and
        # holds it (see _HeldOnWorkers)
        client = get_client()
        future = client.scatter(obj, hash=False)
        held = _HeldOnWorkers(future.key)
        client.publish_dataset(**{held.name: future})
        self._kept.append(held)
        return held

    def close(self):
        super().close()
        for _ in self._runners:
            self._tasks.put(None)
        if self._kept:
            from distributed import get_client

            # released now, not when the futures are collected: the cluster
            # may be closed right after the search
            client = get_client()
            with contextlib.suppress(Exception):  # a worker lost meanwhile holds nothing
                client.run(_forget, [held.key for held in self._kept])
            for held in self._kept:
                client.unpublish_dataset(held.name)
            self._kept.clear()

    def _runner(self):
        # joblib's configuration is thread-local: name the backend again here,
        # with the number of workers found in the caller's thread (n_jobs=None
        # there may mean a parallel_config(n_jobs=...) that this thread lacks).
        # One Parallel object serves all of the runner's calls (entered as a
        # context manager): its workers and its folder of memory-mapped arrays
        # are set up once, so the training data is dumped once per runner, not
        # at every call (a 3 MB X made a call of two tiny tasks cost 33 ms
        # instead of 11 ms), and a killed search leaves one such folder per
        # runner behind, not one per call.
        with parallel_config(backend=self._backend, n_jobs=self.n_workers), \
                contextlib.ExitStack() as stack:
            parallel = None
            while True:
                batch = [self._tasks.get()]
                while True:  # everything queued now goes in the same call
                    try:
                        batch.append(self._tasks.get_nowait())
                    except queue.Empty:
                        break
                stop = any(item is None for item in batch)
                batch = [item for item in batch if item is not None]
                if batch:
                    if parallel is None:
                        parallel = stack.enter_context(
                            Parallel(return_as="generator_unordered"))
                    if not self._run_batch(parallel, batch):
                        stack.close()  # a broken backend: a fresh one next time
                        parallel = None
                if stop:
                    return

    def _run_batch(self, parallel, batch):
        """Run ``batch`` in one call of ``parallel``; ``False`` if the backend
        broke (each task not delivered then gets the error)."""
        start = time.perf_counter()
        delivered = set()
        try:
            outputs = parallel(
                delayed(_configured)(token, fn, args, self._config)
                for token, fn, args in batch)
            for token, outcome, error in outputs:
                delivered.add(token)
                self._results.put((token, outcome, error))
        except BaseException as exc:  # noqa: BLE001 - the backend broke: say so
            for token, _, _ in batch:
                if token not in delivered:
                    self._results.put((token, None, exc))
            return False
        seconds = (time.perf_counter() - start) * min(len(batch), self.n_workers) / len(batch)
        with self._lock:
            previous = self._task_seconds
            self._task_seconds = seconds if previous is None else 0.7 * previous + 0.3 * seconds
        return True


class _HeldOnWorkers:
    """What a task carries on dask instead of an object every task shares:
    the key of its scattered future. A worker process fetches the object at
    the first task that needs it (from its own memory if the scatter left it
    there, else from a peer) and holds it in :data:`_HELD` until the search
    closes, so the object travels once per worker process whatever dask's
    active memory manager does with replicas that no task waits on (with the
    future itself as a task argument it dropped them, and later tasks fetched
    the data again: 2-18 copies a worker on long searches)."""

    def __init__(self, key):
        self.key = key
        # published under this name for the search, so that a worker can ask
        # the scheduler for it (a Future rebuilt from its key in a worker
        # would wait for ever: the scheduler does not learn that it is wanted)
        self.name = f"sksearch-shared-{key}"

    def resolve(self):
        with _HELD_LOCK:  # one fetch per process, whatever its threads
            if self.key not in _HELD:
                _HELD[self.key] = _fetch(self)
            return _HELD[self.key]


#: objects shared with :class:`_HeldOnWorkers`, by key, in a dask worker process
_HELD = {}
_HELD_LOCK = threading.Lock()


def _fetch(held):
    from distributed import get_client, get_worker

    data = get_worker().data
    if held.key in data:  # the worker the object was scattered to
        return data[held.key]
    return get_client().get_dataset(held.name).result()


def _forget(keys):
    """Run on every dask worker when the search closes."""
    with _HELD_LOCK:
        for key in keys:
            _HELD.pop(key, None)


def _configured(token, fn, args, config):
    """A task in a worker: the caller's scikit-learn configuration, the
    objects shared with :class:`_HeldOnWorkers` resolved, and its error
    returned rather than raised, so that one failing task does not take down
    the other tasks of its call."""
    try:
        args = tuple(a.resolve() if isinstance(a, _HeldOnWorkers) else a for a in args)
        with config_context(**config):
            return token, fn(*args), None
    except Exception as exc:  # noqa: BLE001 - delivered to the scheduler
        return token, None, exc


def _active_backend_name():
    backend, _ = joblib.parallel.get_active_backend()
    for name, cls in joblib.parallel.BACKENDS.items():
        if type(backend) is cls:
            return name
    return backend  # a backend instance without a registered name


def _evaluate_pre_dispatch(pre_dispatch, n_workers):
    if isinstance(pre_dispatch, str):
        if pre_dispatch == "all":
            return 2 * n_workers
        try:
            value = eval(pre_dispatch, {"__builtins__": {}}, {"n_jobs": n_workers})
        except Exception as exc:
            raise ValueError(
                f"pre_dispatch must be an int or an expression in n_jobs such as "
                f"'2*n_jobs', got {pre_dispatch!r}.") from exc
        return max(1, int(value))
    return max(1, int(pre_dispatch))
