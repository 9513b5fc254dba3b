"""A live web dashboard over a study storage.

``python -m sksearch dashboard sqlite:///search.db`` serves, on
http://127.0.0.1:8080/ by default, a page listing the storage's studies and,
for the one chosen, its optimisation history, a sortable table of trials,
parameter importances, parallel coordinates, slice, contour, rank and EDF
views (the data of :mod:`sksearch.plot`'s plots of the same names), the
intermediate values of each trial by step (fold) and a timeline of the
workers, with other studies' best-so-far lines and EDF curves on the same
charts for comparison, updated every second
while searches in other processes write to the storage. The server only
reads; it needs nothing beyond the standard library and sksearch's own
dependencies, and the page draws its charts itself (no network needed).

Examples
--------
>>> from sksearch import Study
>>> from sksearch.dashboard import make_server
>>> from sksearch.storage import InMemoryStorage
>>> storage = InMemoryStorage()
>>> study = Study(direction="minimize", storage=storage, study_name="demo")
>>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3)
>>> server = make_server(storage, port=0)  # any free port
>>> server.url.startswith("http://127.0.0.1:")
True
>>> server.server_close()
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import sys

__all__ = ["main", "make_server", "run_dashboard"]


def make_server(storage, host="127.0.0.1", port=8080, *, threads=32, idle_timeout=15.0):
    """A dashboard server over ``storage``, bound but not yet serving.

    Parameters
    ----------
    storage : str, path or BaseStorage
        As the ``storage`` argument of :class:`~sksearch.Study`
        (``"sqlite:///search.db"``, a path, or a storage object). A URL or
        path is opened read-only: the dashboard creates, migrates and
        reconfigures nothing, and refuses (with a
        :class:`~sksearch.storage.StorageError` naming it) a missing or empty
        file or database, or one of an older schema.
    host : str, default="127.0.0.1"
        The interface to listen on; the default is reachable from this
        machine only.
    port : int, default=8080
        ``0`` takes any free port (see ``server.url``).
    threads : int, default=32
        The threads that answer connections; more connections wait for one
        (in a listen backlog of 256 and a queue), none is refused.
    idle_timeout : float, default=15.0
        Seconds after which a connection that sends nothing (an idle
        kept-alive one, or one stalled mid-request) is closed, so that idle
        connections cannot hold every thread. Longer than the page's
        one-second polling, which keeps its connection alive.

    Returns
    -------
    server : DashboardServer
        A :class:`http.server.HTTPServer` answering with a pool of
        ``threads``: call ``serve_forever()`` (``shutdown()`` from another
        thread stops it), then ``server_close()``.

    Raises
    ------
    OSError
        If the port is in use, with a message saying so.
    """
    from ..storage import get_storage
    from ._server import DashboardServer

    if not isinstance(host, str) or not host:
        raise ValueError(f"host must be a non-empty str, got {host!r}.")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an int in [0, 65535], got {port!r}.")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an int >= 1, got {threads!r}.")
    if (isinstance(idle_timeout, bool) or not isinstance(idle_timeout, (int, float))
            or not 0 < idle_timeout < float("inf")):
        raise ValueError(f"idle_timeout must be a number of seconds > 0, got "
                         f"{idle_timeout!r}.")
    return DashboardServer(get_storage(storage, read_only=True), host, port,
                           threads=threads, idle_timeout=float(idle_timeout))


def run_dashboard(storage, host="127.0.0.1", port=8080):
    """Serve the dashboard over ``storage`` until Ctrl-C.

    Parameters are those of :func:`make_server`.
    """
    server = make_server(storage, host, port)
    print(f"sksearch dashboard on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv=None):
    """``python -m sksearch dashboard STORAGE_URL [--host H] [--port P]``.

    Returns the exit status: 0 after Ctrl-C, 2 for a storage that cannot be
    opened or a port that cannot be taken (the message on stderr says why).
    """
    parser = argparse.ArgumentParser(
        prog="sksearch dashboard",
        description="Serve a live web dashboard over the studies of a storage.")
    parser.add_argument("storage", help="e.g. sqlite:///search.db, a path to a study file, "
                        "or postgresql://user@host/db")
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8080,
                        help="port (default 8080; 0 takes any free port)")
    args = parser.parse_args(argv)
    from ..storage._urls import parse_storage_string, redact

    try:
        kind, path = parse_storage_string(args.storage)
        if kind == "sqlite" and not os.path.isfile(path):
            # opening a missing file would create an empty study file
            raise FileNotFoundError(f"storage {args.storage!r}: no such file {path!r}.")
        run_dashboard(args.storage, args.host, args.port)
    except (OSError, ValueError, ImportError) as exc:
        # one line, passwords as *** (StorageError is a ValueError)
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"error: {' '.join(redact(text, args.storage).split())}", file=sys.stderr)
        return 2
    return 0
