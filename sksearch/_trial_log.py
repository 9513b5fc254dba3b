"""The finished trials of one study, read once, and what consumers derive from them.

A finished trial never changes (see
:meth:`~sksearch.storage.BaseStorage.get_trials_finished_since`), so whatever
a sampler learns from one stays true, and a sampler keeps tables of the
finished trials that grow as trials finish instead of re-reading the study at
every ask. :class:`TrialLog` is the one cursor over the storage's finish log
that all of them share: it appends what the storage reports to one list, and
each consumer keeps only a position in that list. What a consumer derives
from the trials (a sampler's history table, CMA-ES's search) is a cache
registered with the log by name (:meth:`TrialLog.cache`), so the rules such
caches live by are the log's, once:

* **identity**: a log reads one study of one storage object
  (:meth:`TrialLog.reads`); :attr:`sksearch.Study.trial_log` makes a fresh one
  when that is no longer its study's, and with it fresh caches;
* **pickling**: a pickled (or deep-copied) log keeps which study it reads and
  drops the trials and every cache, which are rebuilt from the storage on
  demand, to the same values.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import threading
import weakref

__all__ = ["TrialLog"]


class TrialLog:
    """The finished trials of one stored study, in the order the storage
    reported them, and the caches derived from them.

    Parameters
    ----------
    storage : BaseStorage
    study_id : int

    Notes
    -----
    :meth:`since` and :meth:`cache` may be called from several threads; a
    cache's own contents are its consumer's to guard (samplers run under the
    study's sampler lock).
    """

    def __init__(self, storage, study_id):
        self._storage, self._study_id = storage, study_id
        self._lock = threading.RLock()
        self._cursor = None  # of the storage's get_trials_finished_since
        self._trials = []
        self._caches = {}  # (name, id of the owner or None) -> _Entry

    def reads(self, storage, study_id):
        """Whether this is the log of study ``study_id`` of this ``storage``
        object (the same object, not an equal one)."""
        return storage is self._storage and study_id == self._study_id

    def since(self, position=0):
        """The trials finished after the first ``position`` of the log, and
        the position to pass next time.

        The storage is asked first for the trials finished since the log last
        asked it, so the answer is as fresh as a read of the storage.

        Parameters
        ----------
        position : int, default=0
            What a previous call returned; 0 for every finished trial.

        Returns
        -------
        trials : list of FrozenTrial
            COMPLETE, PRUNED and FAIL trials, in the order the storage
            reported them (a storage may report a trial twice; see its
            ``get_trials_finished_since``).
        position : int
        """
        with self._lock:
            new, self._cursor = self._storage.get_trials_finished_since(
                self._study_id, self._cursor)
            self._trials.extend(new)
            return self._trials[position:], len(self._trials)

    def cache(self, name, factory, owner=None):
        """The cache called ``name``, made by ``factory()`` the first time.

        Parameters
        ----------
        name : hashable
            Chosen by the consumer (``"tpe"``, ``("cmaes-search", names)``).
        factory : callable
            Makes an empty cache; it absorbs the trials itself, from position
            0 of :meth:`since`.
        owner : object or None, default=None
            For a cache that depends on its consumer's settings (a sampler's
            seed, population size), the consumer: each owner, by identity, has
            its own cache of that name, which is not kept alive beyond it.
            ``None`` for a cache that depends on the trials alone, which every
            consumer asking for that name shares.

        Returns
        -------
        cache : object
        """
        key = (name, None if owner is None else id(owner))
        with self._lock:
            entry = self._caches.get(key)
            if entry is None or not entry.belongs_to(owner):
                # an id is reused once its object is gone: drop such entries
                self._caches = {k: e for k, e in self._caches.items() if e.alive()}
                entry = self._caches[key] = _Entry(factory(), owner)
            return entry.value

    def clear(self):
        """Forget the trials and every cache: the next :meth:`since` reads
        the storage from its beginning."""
        with self._lock:
            self._cursor, self._trials, self._caches = None, [], {}

    def __getstate__(self):
        # the one pickling rule of the trials and of every cache: dropped,
        # and rebuilt from the storage on demand (to the same values), so a
        # pickled sampler or study does not carry the trials twice
        return {"storage": self._storage, "study_id": self._study_id}

    def __setstate__(self, state):
        self.__init__(state["storage"], state["study_id"])

    def __repr__(self):
        return f"TrialLog(study_id={self._study_id!r}, {len(self._trials)} finished trials read)"


class _Entry:
    """A cache and, for one that has an owner, a weak reference to it."""

    __slots__ = ("value", "_owner")

    def __init__(self, value, owner):
        self.value = value
        self._owner = None if owner is None else weakref.ref(owner)

    def belongs_to(self, owner):
        return self._owner is None if owner is None else self._owner() is owner

    def alive(self):
        return self._owner is None or self._owner() is not None
