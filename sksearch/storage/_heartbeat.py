"""Heartbeats of running trials, and the rule that tells a dead process's
trial from a live one's.

While a trial runs, its process refreshes the trial's ``heartbeat`` system
attribute (a Unix time) every ``interval`` seconds from one daemon thread,
besides every write it makes; a storage shared by processes fails, on request,
the running trials whose process is gone (:func:`stale_reason`).
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import math
import os
import threading
import time

from ._sql_rows import is_number

HEARTBEAT = "heartbeat"


class Heartbeats:
    """The trials this process runs, kept fresh by one daemon thread that ends
    when there are none.

    Parameters
    ----------
    interval : callable
        Returns the seconds between two beats (read at every beat).
    beat : callable
        ``beat(trial_ids)`` writes a fresh heartbeat for each; errors are
        ignored (a busy or unreachable database: the next beat will do).
    """

    def __init__(self, interval, beat):
        self._interval, self._write = interval, beat
        self._trial_ids = set()
        self._lock = threading.Lock()
        self.thread = None
        self._pid = os.getpid()

    def start(self, trial_id):
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the thread stayed behind
                self._trial_ids, self.thread, self._pid = set(), None, os.getpid()
            self._trial_ids.add(trial_id)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="sksearch-heartbeat",
                                               daemon=True)
                self.thread.start()

    def stop(self, trial_id):
        with self._lock:
            self._trial_ids.discard(trial_id)

    def running(self):
        """The ids of the trials this process is running."""
        with self._lock:
            return set(self._trial_ids) if self._pid == os.getpid() else set()

    def _run(self):
        while True:
            time.sleep(self._interval())
            with self._lock:
                ids = sorted(self._trial_ids)
                if not ids:
                    self.thread = None
                    return
            try:
                self._write(ids)
            except Exception:  # noqa: BLE001 - the next beat will do
                pass


def malformed_reason(system_attrs):
    """Why the running-trial record in ``system_attrs`` is not one sksearch
    writes (its ``owner`` not a dict of host and pid, its heartbeat not a
    finite number), or ``None``. Such a trial is stale at once: no process
    could keep it fresh, and waiting out the grace period would only hide the
    damage."""
    if "owner" not in system_attrs and HEARTBEAT not in system_attrs:
        return None  # a trial of a version before heartbeats: stale_reason's to judge
    owner = system_attrs.get("owner")
    if not (isinstance(owner, dict) and isinstance(owner.get("host"), str)
            and isinstance(owner.get("pid"), int) and not isinstance(owner.get("pid"), bool)):
        return (f"stale: its owner record {owner!r:.80} is malformed (sksearch writes a "
                "dict with host and pid)")
    heartbeat = system_attrs.get(HEARTBEAT)
    if not (is_number(heartbeat) and math.isfinite(heartbeat)):
        return f"stale: its heartbeat {heartbeat!r:.80} is not a finite number"
    return None


def stale_reason(system_attrs, grace_seconds, now, host):
    """Why a RUNNING trial of another storage object is stale, or ``None``.

    A trial is stale when its heartbeat is older than ``grace_seconds``,
    whoever its owner seems to be (after a container restart a new process
    may have the dead one's pid and host name); and, at once, when its owner's
    pid no longer exists on this ``host``.
    """
    owner = system_attrs.get("owner")
    owner = owner if isinstance(owner, dict) else {}
    heartbeat = system_attrs.get(HEARTBEAT)
    heartbeat = heartbeat if is_number(heartbeat) else 0.0
    if now - heartbeat > grace_seconds:
        return f"stale: no heartbeat for {now - heartbeat:.0f} s"
    if (owner.get("host") == host and owner.get("pid") != os.getpid()
            and not _pid_alive(owner.get("pid"))):
        return "stale: its process died"
    return None


def _pid_alive(pid):
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
