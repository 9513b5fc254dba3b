"""A throwaway PostgreSQL server for the tests: ``initdb`` into a temporary
folder, listening on a Unix socket in that folder and on 127.0.0.1 only (a free
port), stopped at the end of the test session.

The server binaries come from the ``postgresql`` Debian package
(``/usr/lib/postgresql/*/bin``) or the PATH. Run as root, the server runs as the
``postgres`` user (PostgreSQL refuses to run as root). Without the binaries or
the driver, :func:`start_server` raises :class:`Unavailable` with a message saying
how to get them, which the fixtures turn into a skip.
"""

import getpass
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid

PASSWORD = "s3cret-pw"
INSTALL = ("apt-get install postgresql (the server binaries initdb and pg_ctl) and "
           "pip install 'sksearch[postgres]' (the driver)")


class Unavailable(RuntimeError):
    """No server can be started here; the message says how to make one."""


def _binary(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One PostgreSQL cluster in a temporary folder.

    ``url(name)`` is a password URL over TCP; ``socket_url(name)`` the
    ``postgresql:///db?host=/socket/dir`` form. ``create_database()`` gives each
    test a fresh database.
    """

    def __init__(self):
        self.initdb, self.pg_ctl = _binary("initdb"), _binary("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise Unavailable(f"PostgreSQL server binaries not found; {INSTALL}.")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise Unavailable(f"the psycopg driver is not installed; {INSTALL}.") from None
        self.as_postgres = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="sksearch-pg-")
        self.data = os.path.join(self.dir, "data")
        self.user = getpass.getuser()  # the superuser: local socket logins need no password
        self.port = _free_port()
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD)
        if self.as_postgres:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run([self.initdb, "-D", self.data, "-U", self.user, "--pwfile", pwfile,
                   "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                   "--locale=C", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                       f"unix_socket_directories = '{self.dir}'\nfsync = off\n"
                       "max_connections = 200\n")
        self.start()

    def _run(self, command, check=True):
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise Unavailable(f"{' '.join(command)} failed: {result.stderr.strip()}")
        return result

    def start(self):
        self._run([self.pg_ctl, "-D", self.data, "-l", os.path.join(self.dir, "log"),
                   "-w", "-t", "60", "start"])

    def stop(self, mode="fast"):
        self._run([self.pg_ctl, "-D", self.data, "-m", mode, "-w", "stop"], check=False)

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname):
        return f"postgresql://{self.user}:{PASSWORD}@127.0.0.1:{self.port}/{dbname}"

    def socket_url(self, dbname):
        return f"postgresql:///{dbname}?host={self.dir}&port={self.port}"

    def create_database(self):
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.socket_url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        return name


def start_server():
    """A started :class:`Server`, or :class:`Unavailable`."""
    return Server()
