"""``run_in_transaction``: bounded retries with jitter, only for transient database conflicts."""

from __future__ import annotations

import random
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger.retry import retry_reason
from ledger.storage import create_engine
from tests.ledger.helpers import open_, tx


def _err(cls: type[sa.exc.DBAPIError], text: str = "boom", **attrs: object) -> sa.exc.DBAPIError:
    orig = type("DriverError", (Exception,), {})(text)
    for k, v in attrs.items():
        setattr(orig, k, v)
    return cls("SELECT 1", {}, orig)


def test_what_is_worth_another_attempt() -> None:
    assert retry_reason(_err(sa.exc.OperationalError, sqlstate="40001")) == "serialization_failure"
    assert retry_reason(_err(sa.exc.OperationalError, sqlstate="40P01")) == "deadlock_detected"
    assert retry_reason(_err(sa.exc.OperationalError, sqlstate="55P03")) == "lock_not_available"
    assert retry_reason(_err(sa.exc.OperationalError, sqlite_errorcode=5)) == "sqlite_busy"
    assert retry_reason(_err(sa.exc.OperationalError, sqlite_errorcode=517)) == "sqlite_busy"  # SQLITE_BUSY_SNAPSHOT
    assert retry_reason(_err(sa.exc.OperationalError, sqlite_errorcode=6)) == "sqlite_locked"
    assert retry_reason(_err(sa.exc.IntegrityError, 'duplicate key value violates unique constraint '
                                                    '"uq_ledger_journals_idempotency_key"')) == "idempotency_key_race"
    assert retry_reason(L.ConcurrentSubmission()) == "concurrent_submission"
    assert retry_reason(_err(sa.exc.IntegrityError, "violates check constraint", sqlstate="23514")) is None
    assert retry_reason(_err(sa.exc.OperationalError, sqlstate="08006")) is None  # connection failure: outcome unknown
    lost = _err(sa.exc.OperationalError, sqlstate="40001")
    lost.connection_invalidated = True
    assert retry_reason(lost) is None
    assert retry_reason(ValueError("no")) is None


class _Session:
    """Stands in for a Session whose ``begin()`` context commits nothing (pure retry logic)."""

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def begin(self) -> _Session:
        return self


class _Sessions:
    def __init__(self) -> None:
        self.opened = 0

    def __call__(self) -> _Session:
        self.opened += 1
        return _Session()


def test_retries_with_bounded_full_jitter_then_gives_up() -> None:
    sleeps: list[float] = []
    calls = {"n": 0}

    def flaky(_s: object) -> str:
        calls["n"] += 1
        if calls["n"] < 4:
            raise _err(sa.exc.OperationalError, sqlstate="40001")
        return "done"

    sessions = _Sessions()
    out = L.run_in_transaction(sessions, flaky, attempts=5, base_delay=0.01, max_delay=0.025,  # type: ignore[arg-type]
                               rng=random.Random(7), sleep=sleeps.append)
    assert out == "done" and calls["n"] == 4 and sessions.opened == 4
    assert len(sleeps) == 3 and all(0 <= d <= cap for d, cap in zip(sleeps, (0.01, 0.02, 0.025), strict=True))

    def always(_s: object) -> None:
        raise _err(sa.exc.OperationalError, sqlite_errorcode=5)

    with pytest.raises(L.RetriesExhausted) as err:
        L.run_in_transaction(_Sessions(), always, attempts=3, sleep=lambda _d: None)  # type: ignore[arg-type]
    assert err.value.fields == {"attempts": 3, "last": "sqlite_busy"}
    assert isinstance(err.value.__cause__, sa.exc.OperationalError)


def test_other_errors_are_raised_at_once() -> None:
    calls = {"n": 0}

    def refused(_s: object) -> None:
        calls["n"] += 1
        raise L.LimitExceeded("a", "IDR", 5)

    with pytest.raises(L.LimitExceeded):
        L.run_in_transaction(_Sessions(), refused, sleep=lambda _d: None)  # type: ignore[arg-type]
    assert calls["n"] == 1
    with pytest.raises(L.InvalidInput):
        L.run_in_transaction(_Sessions(), refused, attempts=0)  # type: ignore[arg-type]


def test_real_conflicts_are_retried(db_url: str, db_backend: str) -> None:
    """PostgreSQL: a SERIALIZABLE write skew fails with 40001; SQLite: a writer finds the database
    locked past its (here short) busy timeout. Both succeed on a later attempt."""
    kw = {"isolation_level": "SERIALIZABLE"} if db_backend == "postgresql" else {}
    engine = create_engine(db_url, **kw)
    if db_backend == "sqlite":
        @event.listens_for(engine, "connect")
        def _short_busy(dbapi_conn: object, _record: object) -> None:
            dbapi_conn.execute("PRAGMA busy_timeout=20")  # type: ignore[attr-defined]
    sessions = sessionmaker(engine)
    try:
        account = tx(sessions, lambda s: open_(s, "counter"))
        holding, release = threading.Event(), threading.Event()
        attempts = {"n": 0}

        def other_writer() -> None:
            with sessions() as s, s.begin():
                s.connection().execute(sa.text("UPDATE ledger_accounts SET credits_posted = credits_posted + 1"))
                holding.set()
                release.wait(10)

        def bump(s: Session) -> None:
            attempts["n"] += 1
            if db_backend == "postgresql":
                s.connection().exec_driver_sql("SELECT credits_posted FROM ledger_accounts").all()  # snapshot taken
                if attempts["n"] == 1:
                    t = threading.Thread(target=other_writer)
                    t.start()
                    assert holding.wait(10)
                    release.set()
                    t.join(10)
            s.connection().execute(sa.text("UPDATE ledger_accounts SET credits_posted = credits_posted + 10"))

        if db_backend == "sqlite":
            t = threading.Thread(target=other_writer)
            t.start()
            assert holding.wait(10)
            threading.Timer(0.3, release.set).start()
        L.run_in_transaction(sessions, bump, attempts=50, base_delay=0.01, max_delay=0.05)
        if db_backend == "sqlite":
            t.join(10)
        assert attempts["n"] >= 2
        assert tx(sessions, lambda s: L.balance(s, account)).credits_posted == 11
    finally:
        engine.dispose()
