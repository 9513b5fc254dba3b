"""Fixtures shared by the test files: a throwaway PostgreSQL server, and the
storage contract's ``storage`` (memory, SQLite and PostgreSQL in turn)."""

import pytest
from _postgres import Unavailable, start_server


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session (tests/_postgres.py), stopped and
    deleted at the end; the tests that use it skip, saying how to run them,
    where the server binaries or the driver are missing."""
    try:
        server = start_server()
    except Unavailable as exc:
        pytest.skip(f"no PostgreSQL server: {exc}")
    yield server
    server.destroy()


@pytest.fixture
def postgres_url(postgres_server):
    """A password URL (over 127.0.0.1) of a new, empty database."""
    return postgres_server.url(postgres_server.create_database())


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def storage(request, tmp_path):
    """Each storage in turn, empty: the contract every storage keeps
    (tests/test_storage.py, tests/test_writes.py)."""
    from sksearch.storage import InMemoryStorage, PostgreSQLStorage, SQLiteStorage

    if request.param == "memory":
        return InMemoryStorage()
    if request.param == "postgres":
        return PostgreSQLStorage(request.getfixturevalue("postgres_url"))
    return SQLiteStorage(tmp_path / "study.db")
