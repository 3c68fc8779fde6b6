"""A bounded retry of pure database work at the edge (DESIGN §4, §10).

``run_in_transaction`` opens a session, runs ``fn(session)`` in one transaction and commits; when
the database says "try again" (PostgreSQL serialization failure 40001, deadlock 40P01, lock not
available 55P03; SQLite BUSY/LOCKED after its busy timeout; a concurrent insert of the same
idempotency key) it rolls back, sleeps a random "full jitter" delay (uniform in
``[0, min(max_delay, base_delay * 2**n)]``) and runs ``fn`` again, at most ``attempts`` times.

Never wrap a remote call (BPJS, the card) in it: ``fn`` may run more than once. Lost connections
are not retried either: whether the COMMIT landed is unknown, so the caller decides (ledger writes
are idempotent by key, so re-submitting the same spec is safe).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.errors import ConcurrentSubmission, InvalidInput, RetriesExhausted

log = logging.getLogger("ledger")
T = TypeVar("T")

PG_RETRY_SQLSTATES = {"40001": "serialization_failure", "40P01": "deadlock_detected", "55P03": "lock_not_available"}
SQLITE_RETRY_CODES = {5: "sqlite_busy", 6: "sqlite_locked"}  # primary result codes (low byte)
_RETRY_CONSTRAINTS = ("uq_ledger_journals_idempotency_key", "ledger_journals.idempotency_key")


def retry_reason(exc: BaseException) -> str | None:
    """Why ``exc`` is worth another attempt, or None when it is not."""
    if isinstance(exc, ConcurrentSubmission):
        return exc.code
    if not isinstance(exc, sa.exc.DBAPIError) or exc.connection_invalidated:
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate in PG_RETRY_SQLSTATES:
        return PG_RETRY_SQLSTATES[sqlstate]
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in SQLITE_RETRY_CODES:
        return SQLITE_RETRY_CODES[code & 0xFF]
    if isinstance(exc, sa.exc.IntegrityError) and any(c in str(orig) for c in _RETRY_CONSTRAINTS):
        return "idempotency_key_race"
    return None


def run_in_transaction(
    sessions: Callable[[], Session],
    fn: Callable[[Session], T],
    *,
    attempts: int = 6,
    base_delay: float = 0.005,
    max_delay: float = 0.5,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``fn(session)`` in one committed transaction, retried on transient conflicts."""
    if type(attempts) is not int or attempts < 1:
        raise InvalidInput("attempts", "minimal 1", "at least 1")
    pick = rng or random.Random()
    attempt = 0
    while True:
        attempt += 1
        try:
            with sessions() as session, session.begin():
                return fn(session)
        except (sa.exc.DBAPIError, ConcurrentSubmission) as exc:
            reason = retry_reason(exc)
            if reason is None:
                raise
            if attempt == attempts:
                raise RetriesExhausted(attempts, reason) from exc
            delay = pick.uniform(0.0, min(max_delay, base_delay * 2 ** (attempt - 1)))
            log.warning("event=transaction_retry attempt=%d reason=%s delay_ms=%.1f", attempt, reason, delay * 1000)
            sleep(delay)
