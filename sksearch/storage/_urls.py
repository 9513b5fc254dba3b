"""Storage strings: which ones sksearch accepts, and how they are shown.

A ``storage`` string is one of

* ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``;
* ``postgresql://user:password@host:port/dbname?param=value`` (or
  ``postgres://``);
* a plain path of a SQLite file (``search.db``, ``runs/lr=0.1.db``,
  ``my runs/search.db``).

A string that is neither a URL nor a plain path is refused rather than taken
as a file name: a libpq ``key=value`` string (``host=db user=me
password=...``), or anything holding both ``=`` and white space, or starting
with a libpq keyword and ``=`` (``dbname=studies``), or holding a control
character. Taken as a path, such a string would create a file named after it
(a password included) and run the search there.

:func:`redact` is the one function that turns a storage string, or a message
that may quote one, into text that can be shown: every password (in the
userinfo of a URL, ``password=`` and ``sslpassword=`` in a query string or a
``key=value`` string) becomes ``***``. Every error, warning, ``repr`` and
command-line message that shows a storage string goes through it.
"""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

import re
import urllib.parse

__all__ = ["ACCEPTED_FORMS", "parse_storage_string", "redact"]

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")

#: What a refused storage string is told to be instead.
ACCEPTED_FORMS = ("'sqlite:///path.db' (or 'sqlite:////absolute/path.db'), a path of a "
                  "study file such as 'search.db' or 'runs/search.sqlite', or "
                  "'postgresql://user@host:5432/dbname' (a password in the URL or in "
                  "~/.pgpass)")

# scheme://user:SECRET@ -- the secret ends at the last '@' before the path
_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@:]*:)"
                       r"(?P<secret>[^\s/?#]*)@")
# password=SECRET or sslpassword=SECRET, in a query string or a libpq
# key=value string (where a value may be quoted, with backslash escapes); an
# unquoted one ends at a quote, which no such value holds, so a URL quoted in
# a repr or a message keeps its closing quote
_KEY_SECRET = re.compile(r"(?P<head>(?<![A-Za-z0-9_])(?:ssl)?password\s*=\s*)"
                         r"(?P<secret>'(?:[^'\\]|\\.)*'?|[^\s&#;'\"]*)", re.IGNORECASE)
# the keywords of a libpq connection string (a string starting with one and
# '=' is one, not a file name)
_LIBPQ_KEYWORDS = frozenset((
    "host", "hostaddr", "port", "dbname", "user", "password", "passfile", "channel_binding",
    "connect_timeout", "client_encoding", "options", "application_name",
    "fallback_application_name", "keepalives", "sslmode", "sslcert", "sslkey",
    "sslpassword", "sslrootcert", "sslcrl", "requiressl", "gssencmode", "service",
    "target_session_attrs", "load_balance_hosts"))
_LEADING_KEYWORD = re.compile(r"\s*([A-Za-z_]+)\s*=")
# Secrets shorter than this are redacted where they stand in a URL or
# key=value string, but not searched for elsewhere in a message: replacing
# every "pw" would garble the text and hide nothing.
_MIN_LITERAL = 4


def _secrets(text):
    """The passwords written in ``text``, as written and percent-decoded."""
    found = {m["secret"] for m in _USERINFO.finditer(text)}
    for match in _KEY_SECRET.finditer(text):
        secret = match["secret"]
        if secret.startswith("'"):
            secret = secret.strip("'")
        found.add(secret)
    found |= {urllib.parse.unquote(s) for s in found}
    return {s for s in found if len(s) >= _MIN_LITERAL}


def redact(text, *sources):
    """``text`` with every password shown as ``***``.

    Parameters
    ----------
    text : object
        A storage string, or a message (``str(text)`` is used) that may quote
        one.
    *sources : str
        Storage strings whose passwords may appear in ``text`` on their own
        (a driver's message quoting a parameter): those are replaced wherever
        they stand.

    Returns
    -------
    shown : str

    Examples
    --------
    >>> redact("postgresql://me:hunter22@db/studies?sslpassword=k3y&port=5432")
    'postgresql://me:***@db/studies?sslpassword=***&port=5432'
    >>> redact("host=db password='a b' dbname=x")
    'host=db password=*** dbname=x'
    """
    text = str(text)
    secrets = set()
    for source in (text, *sources):
        secrets |= _secrets(str(source))
    text = _USERINFO.sub(lambda m: f"{m['head']}***@", text)
    text = _KEY_SECRET.sub(lambda m: f"{m['head']}***", text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _refusal(storage):
    """Why ``storage`` (not a URL) is not taken as a path, or ``None``."""
    if any(ord(c) < 32 or c == "\x7f" for c in storage):
        return "it holds a control character"
    if "=" in storage and any(c.isspace() for c in storage):
        return "it holds '=' and white space, as a libpq 'key=value' connection string does"
    match = _LEADING_KEYWORD.match(storage)
    if match and match[1].lower() in _LIBPQ_KEYWORDS:
        return f"it starts with the libpq keyword {match[1]!r} and '='"
    return None


def parse_storage_string(storage):
    """What a ``storage`` string names: ``("sqlite", path)`` or
    ``("postgresql", url)``.

    Parameters
    ----------
    storage : str

    Returns
    -------
    kind : {"sqlite", "postgresql"}
    target : str
        The file path, or the URL as given.

    Raises
    ------
    ValueError
        For a URL of another scheme, an empty string, or a string that is
        neither a URL nor a plain path (see the module's docstring); the
        message shows the string redacted and the accepted forms.
    """
    if storage.startswith(SQLITE_PREFIX):
        return "sqlite", storage[len(SQLITE_PREFIX):]
    if storage.startswith(POSTGRES_PREFIXES):
        return "postgresql", storage
    if "://" in storage:
        scheme = storage.split("://", 1)[0]
        raise ValueError(f"storage URL scheme {redact(scheme)!r} is not supported; use "
                         f"{ACCEPTED_FORMS}, or pass a BaseStorage instance.")
    if not storage:
        raise ValueError("storage='' is not a path; pass None for an in-memory study.")
    reason = _refusal(storage)
    if reason is not None:
        raise ValueError(f"storage {redact(storage)!r} is neither a URL nor a plain path "
                         f"({reason}), so it is not taken as a file name. Use "
                         f"{ACCEPTED_FORMS}. A file whose name holds '=' and spaces can be "
                         "given as 'sqlite:///' followed by its path.")
    return "sqlite", storage
