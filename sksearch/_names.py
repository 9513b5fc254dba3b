"""Names and text a database can hold: one check for every storage and caller."""

# Authors: the sksearch developers
# SPDX-License-Identifier: BSD-3-Clause

__all__ = ["MAX_NAME_BYTES", "check_name", "check_text", "shown"]

#: The longest study name, parameter name or attribute key, in UTF-8 bytes.
#: Each is part of a unique index (``studies.name``, the primary keys of
#: ``trial_params`` and ``trial_attrs``), and a PostgreSQL B-tree entry holds at
#: most about 2700 bytes (a third of a page; more only where the text happens
#: to compress): 2000 bytes leave room for the rest of the key, and every
#: storage refuses beyond it, so that a study can be copied between them.
MAX_NAME_BYTES = 2000


def shown(value, width=80):
    text = repr(value)
    return text if len(text) <= width else f"{text[:width]}..."


def check_text(text, what):
    """ValueError naming ``what`` when ``text`` holds what no database stores
    as text: NUL (PostgreSQL refuses it; SQLite's C API cuts at it) or a lone
    surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        raise ValueError(f"{what} holds a NUL character (\\x00), which a database cannot "
                         f"store in text: {shown(text)}.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} holds the lone surrogate {text[exc.start]!r} at position "
                         f"{exc.start}, which is not text (it has no UTF-8 encoding): "
                         f"{shown(text)}.") from None


def check_name(name, what):
    """Raise unless ``name`` can be a study name, parameter name or attribute
    key: a str of text, at most :data:`MAX_NAME_BYTES` bytes in UTF-8."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, got {shown(name)}.")
    check_text(name, what)
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise ValueError(f"{what} is {size} bytes long in UTF-8; a storage takes names of "
                         f"at most {MAX_NAME_BYTES} (they are indexed): {shown(name, 60)}.")
