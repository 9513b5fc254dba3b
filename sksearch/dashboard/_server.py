"""The dashboard's HTTP server: routes, JSON answers and the page's own files.

Routes (all ``GET``; every other method answers 405, the server is read-only):

``/``                                   the page (``static/index.html``)
``/static/<name>``                      one of the files shipped in ``static/``
``/api/studies``                        every study of the storage
``/api/studies/<id>``                   a study's name, direction and axes
``/api/studies/<id>/trials?since=<n>``  trials finished after the first ``n``
                                        sent, and the running ones
``/api/studies/<id>/importances``       parameter importances
``/api/studies/<id>/pareto``            the Pareto front (several objectives)
``/api/studies/<id>/trial/<number>``    everything stored of one trial
``/api/studies/<id>/slice``             the data of ``plot_slice``
``/api/studies/<id>/rank``              the data of ``plot_rank``
``/api/studies/<id>/contour?x=&y=``     the data of ``plot_contour`` over x and y
``/api/studies/<id>/edf``               the study's curve of ``plot_edf``
``/api/studies/<id>/history``           the best-so-far line of
                                        ``plot_optimization_history``

The study routes but ``/pareto`` and ``/trial`` take ``?objective=<k>``
(default 0): the objective of a study of several whose value, direction,
importances and figures they answer with.

The static files are listed once at start-up and served by name from that
list only, so no path a client sends (``..``, encoded or not, absolute, a
symbolic link) can reach another file.

A malformed query parameter (not ASCII digits, more than 18 of them) is a 400
naming it; an error of the server itself is a 500 whose body says only that
(the traceback goes to the server's stderr, never to a client). Connections
are answered by a bounded pool of threads, with a listen backlog that holds
bursts of them, and a connection idle (or stalled) for ``idle_timeout``
seconds is closed, so idle kept-alive connections cannot hold every thread.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import errno
import importlib
import json
import re
import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from ._api import Storage
from ._views import FIGURES

__all__ = ["DashboardServer"]

_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
          ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png"}
# Scripts and styles from our own files only; no inline script, no eval, no
# other origin: even a string that slipped into markup could not run.
_SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; "
                                "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_STUDY = re.compile(r"^/api/studies/([0-9]{1,18})"
                    r"(/trials|/importances|/pareto|/trial/([0-9]{1,18})|/"
                    + "|/".join(FIGURES) + ")?$")
# A count in a query: ASCII digits only (str.isdigit takes "²", which int()
# refuses), and few enough that int() is cheap and cannot refuse them.
_COUNT = re.compile(r"[0-9]{1,18}")


def _static_files():
    """``{name: (bytes, content type)}`` of every file shipped in ``static/``."""
    files = {}
    for entry in resources.files("sksearch.dashboard").joinpath("static").iterdir():
        suffix = "." + entry.name.rsplit(".", 1)[-1] if "." in entry.name else ""
        if entry.is_file() and suffix in _TYPES:
            files[entry.name] = (entry.read_bytes(), _TYPES[suffix])
    return files


class DashboardServer(HTTPServer):
    """A threaded HTTP server over one storage; see :func:`sksearch.dashboard.make_server`."""

    # Connections the kernel holds until they are accepted; the default 5
    # refused (or left to time out) bursts of a few dozen requests.
    request_queue_size = 256

    def __init__(self, storage, host, port, threads=32, idle_timeout=15.0):
        self.studies = Storage(storage)
        self.static = _static_files()
        # The answers import sksearch.plot where they need it; the page's
        # first requests (importances, a view, the Pareto front) did so from
        # several threads at once, and a package whose modules import each
        # other deadlocked on its import locks or was seen half initialised:
        # a 500 on a fresh server. Imported here, once, before any thread.
        importlib.import_module("sksearch.plot")
        #: Seconds a connection may stay idle (or stall mid-request) before
        #: the server closes it.
        self.idle_timeout = idle_timeout
        # A bounded pool instead of a thread per connection: hundreds of
        # connections queue for a thread instead of starting hundreds. (Made
        # first: a failed bind calls server_close, which shuts it down.)
        self._pool = ThreadPoolExecutor(max_workers=threads,
                                        thread_name_prefix="sksearch-dashboard")
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(
                    exc.errno, f"Cannot serve the dashboard on {host}:{port}: the port is "
                    "already in use (another dashboard?). Pass another --port, or "
                    "--port 0 for any free one.") from None
            raise
        #: Set once the server has read every study (the first page is then
        #: served from memory).
        self.ready = threading.Event()
        threading.Thread(target=self._warm, name="sksearch-dashboard-warm",
                         daemon=True).start()

    def process_request(self, request, client_address):
        self._pool.submit(self._process, request, client_address)

    def _process(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - one connection's error, not the server's
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self):
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _warm(self):
        try:
            self.studies.warm()
        finally:
            self.ready.set()

    @property
    def url(self):
        """The address to open, e.g. ``http://127.0.0.1:8080/``."""
        host, port = self.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}/"


class _Handler(BaseHTTPRequestHandler):
    server_version = "sksearch-dashboard"
    protocol_version = "HTTP/1.1"
    # headers and body are two writes: without this, each answer on a kept-alive
    # connection waited ~40 ms for the delayed ACK of the first
    disable_nagle_algorithm = True

    def setup(self):
        # the socket timeout closes a connection idle for this long (the base
        # class's handle_one_request ends the connection on it)
        self.timeout = self.server.idle_timeout
        super().setup()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # a page polling every second would flood the terminal

    def do_GET(self):
        try:
            if not self._host_allowed():
                return self._json({"error": "This dashboard answers to its own address "
                                            "only."}, HTTPStatus.FORBIDDEN)
            self._route(urlsplit(self.path))
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - answer, do not kill the thread
            # what failed is for the server's terminal, not for any client
            traceback.print_exc(file=sys.stderr)
            self._json({"error": "The dashboard server failed on this request; its "
                                 "terminal shows why."}, HTTPStatus.INTERNAL_SERVER_ERROR)

    def _host_allowed(self):
        """On a loopback address, only requests naming this machine: a web page
        elsewhere that points its own domain at 127.0.0.1 (DNS rebinding)
        would otherwise read the studies through the visitor's browser."""
        bound = self.server.server_address[0]
        if not (bound.startswith("127.") or bound == "::1" or bound == "localhost"):
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.find("]")]
        return name in ("localhost", "127.0.0.1", "::1", bound)

    def _refuse(self):
        self._json({"error": f"{self.command} is not allowed: the dashboard is read-only."},
                   HTTPStatus.METHOD_NOT_ALLOWED, extra={"Allow": "GET"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _refuse

    def _route(self, url):
        path = url.path
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        if path == "/api/studies":
            return self._json(self.server.studies.studies())
        match = _STUDY.match(path)
        if match is None:
            return self._not_found(f"No such page: {path!r}.")
        try:
            view = self.server.studies.view(int(match.group(1)))
        except KeyError:
            return self._not_found(f"No study with id {match.group(1)} in this storage.")
        query = parse_qs(url.query)
        try:
            objective = view.objective(query.get("objective", [None])[-1])
        except ValueError as exc:
            return self._json({"error": str(exc)}, HTTPStatus.BAD_REQUEST)
        if match.group(2) is None:
            return self._json(view.summary(objective))
        if match.group(2) == "/importances":
            return self._json(view.importances(objective))
        if match.group(2) == "/pareto":
            return self._json(view.pareto())
        if match.group(2)[1:] in FIGURES:
            return self._json(view.figure(match.group(2)[1:], objective, query))
        if match.group(3) is not None:
            return self._trial(view, int(match.group(3)))
        since = query.get("since", ["0"])[-1]
        if not _COUNT.fullmatch(since):
            return self._json({"error": f"since must be a non-negative integer, got "
                                        f"{_shown(since)} (ASCII digits, at most 18)."},
                              HTTPStatus.BAD_REQUEST)
        self._send(view.trials(int(since), objective).encode(), "application/json",
                   HTTPStatus.OK)

    def _trial(self, view, number):
        try:
            return self._json(view.trial(number))
        except KeyError:
            return self._not_found(f"No trial {number} in this study.")

    def _static(self, name):
        found = self.server.static.get(name)
        if found is None:
            return self._not_found(f"No such file: {name!r}.")
        body, content_type = found
        self._send(body, content_type, HTTPStatus.OK)

    def _not_found(self, message):
        self._json({"error": message}, HTTPStatus.NOT_FOUND)

    def _json(self, payload, status=HTTPStatus.OK, extra=None):
        # allow_nan=False: a NaN reaching here is a bug, not something to send
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
        self._send(body, "application/json", status, extra)

    def _send(self, body, content_type, status, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in {**_SECURITY_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _shown(text, limit=40):
    """``repr(text)``, cut to ``limit`` characters: an error echoes what it
    refused without sending back a client's megabyte."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[:limit - 4] + "...'"
