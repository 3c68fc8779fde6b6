"""One worker per database (DESIGN §3), enforced by the database tier's own lock.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the worker's life; if
the process dies the connection closes and the lock is released. SQLite (one machine by nature):
an exclusive ``flock`` on a file beside the database, released by the kernel when the process dies.
Either way a second worker cannot start, and a crashed one never blocks its successor.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

# The worker's PostgreSQL advisory lock key (any fixed bigint unique to this application).
WORKER_LOCK_KEY = 0x2C5E_8F1B_6A4D_33E1


class SingletonLock(Protocol):
    def acquire(self) -> bool: ...
    def release(self) -> None: ...
    def held_elsewhere(self) -> bool: ...


class PgAdvisoryLock:
    def __init__(self, engine: sa.Engine, key: int = WORKER_LOCK_KEY) -> None:
        self._engine = engine
        self._key = key
        self._conn: sa.Connection | None = None

    def acquire(self) -> bool:
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar():
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            self._conn.close()
            self._conn = None

    def held_elsewhere(self) -> bool:
        """True when another session holds the lock (the status panel's "worker alive")."""
        if self._conn is not None:
            return False
        with self._engine.connect() as conn:
            found = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = :k"
                ),
                {"k": self._key},
            ).scalar()
        return bool(found)


class FileLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def held_elsewhere(self) -> bool:
        if self._fd is not None:
            return False
        if self.acquire():
            self.release()
            return False
        return True


def worker_lock(engine: sa.Engine) -> SingletonLock:
    if engine.dialect.name == "postgresql":
        return PgAdvisoryLock(engine)
    database = engine.url.database
    if not database or database == ":memory:":
        raise ValueError("the worker needs a file-backed SQLite database")
    return FileLock(Path(database + ".worker.lock"))
