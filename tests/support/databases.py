"""Throwaway databases for tests and benchmarks, on SQLite and PostgreSQL.

PostgreSQL is found in this order: ``KIOSK_TEST_PG_URL``; the server on 127.0.0.1:5432 (trust auth,
user postgres) when it answers; a private cluster from installed PostgreSQL binaries; else None
(the tests skip with the reason, except under ``CI=true``).

Each test gets a fresh, migrated database: PostgreSQL copies a per-run template database
(``CREATE DATABASE ... TEMPLATE``), SQLite copies a migrated file. Names carry the process id so
that parallel runs never collide, and databases left by dead runs are dropped.
"""

from __future__ import annotations

import glob
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PREFIX = "kt_"
_counter = itertools.count()


def _answers(url: str) -> bool:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class PrivateCluster:
    """A PostgreSQL cluster of our own, in a temporary folder, for machines without a server."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb) installed")
        self.bindir = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
            shutil.chown(self.dir, "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run("pg_ctl", "-D", str(data), "-w", "-l", str(self.dir / "log"), "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as_user, str(self.bindir / tool), *args], check=True, capture_output=True)

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def find_postgres() -> tuple[str | None, str, PrivateCluster | None]:
    """(admin URL or None, how it was found or why not, private cluster to stop later)."""
    env = os.environ.get("KIOSK_TEST_PG_URL")
    if env:
        return env, "KIOSK_TEST_PG_URL", None
    if _answers(DEFAULT_PG):
        return DEFAULT_PG, "server at 127.0.0.1:5432", None
    try:
        cluster = PrivateCluster()
    except (FileNotFoundError, subprocess.CalledProcessError, KeyError) as exc:
        return None, f"no PostgreSQL: nothing on 127.0.0.1:5432 and no private cluster ({exc})", None
    return cluster.url, "private throwaway cluster", cluster


class PgDatabases:
    """Creates migrated databases from a per-run template on one server."""

    def __init__(self, admin_url: str, migrate: Callable[[str], None]) -> None:
        self.admin_url = admin_url
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self._drop_stale()
        self.template = f"{PREFIX}{os.getpid()}_template"
        self._exec(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self._exec(f'CREATE DATABASE "{self.template}"')
        migrate(self.url_for(self.template))

    def url_for(self, name: str) -> str:
        return sa.make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _exec(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(sql)

    def _drop_stale(self) -> None:
        with self.admin.connect() as conn:
            names = conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'kt\\_%'")).scalars().all()
        for name in names:
            m = re.match(rf"{PREFIX}(\d+)_", name)
            if m and not _pid_alive(int(m.group(1))):
                self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self) -> str:
        name = f"{PREFIX}{os.getpid()}_{next(_counter)}"
        for attempt in range(20):  # the template must have no other session while it is copied
            try:
                self._exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
                break
            except sa.exc.OperationalError:
                if attempt == 19:
                    raise
                time.sleep(0.1)
        return self.url_for(name)

    def drop(self, url: str) -> None:
        name = sa.make_url(url).database
        self._exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        self._exec(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()


class SqliteDatabases:
    def __init__(self, root: Path, migrate: Callable[[str], None]) -> None:
        self.root = root
        self.template = root / "template.sqlite3"
        migrate(f"sqlite:///{self.template}")

    def create(self) -> str:
        path = self.root / f"db{next(_counter)}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        path = Path(sa.make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
