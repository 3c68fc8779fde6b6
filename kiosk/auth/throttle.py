"""Login throttling and lockout (issue 11; docs/security.md).

* Every failed login is counted twice: against the attempted username (by a keyed hash, whether or
  not such a user exists, so a lock says nothing about who exists) and against the client address.
* ``max_failures`` failures for one username, or ``address_max_failures`` from one address, within
  ``window`` (and since that subject's last lock) lock that username or address for ``lock_for``.
  While locked, logins are refused without checking the password (no more guesses).
* A successful login deletes that username's failures. An admin may release a lock early
  (:func:`unlock_user`, :func:`unlock_address`; ``kiosk user unlock``).
* Failures and locks are logged (``kiosk.auth``, key=value; never a password, and a username only
  when the user exists); every lock and release is an audit entry (``kiosk.user_locked``,
  ``kiosk.user_unlocked``) in the same transaction.

Services take the caller's ``Session`` and never commit; time comes from :attr:`Throttle.clock`,
which tests replace.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

import ledger
from kiosk.auth.passwords import PasswordHasher
from kiosk.auth.schema import LoginFailure, LoginLockout
from kiosk.auth.service import AuthError, authenticate
from kiosk.models import User
from kiosk.settings import Settings

log = logging.getLogger("kiosk.auth")
ENTRY_LOCKED = "kiosk.user_locked"
ENTRY_UNLOCKED = "kiosk.user_unlocked"
LOCKED_ID = ("Terlalu banyak percobaan masuk yang gagal. Akun atau perangkat ini dikunci sementara; "
             "coba lagi nanti atau minta admin membukanya.")
LOCKED_EN = ("Too many failed log-in attempts. This account or device is locked for a while; "
             "try again later or ask an administrator to release it.")


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures: int
    address_max_failures: int
    window: timedelta
    lock_for: timedelta

    @classmethod
    def from_settings(cls, s: Settings) -> ThrottlePolicy:
        return cls(s.login_max_failures, s.login_address_max_failures, timedelta(minutes=s.login_window_minutes),
                   timedelta(minutes=s.login_lock_minutes))

    def limit(self, scope: str) -> int:
        return self.max_failures if scope == "user" else self.address_max_failures


@dataclass(frozen=True)
class Throttle:
    """The policy, the key that hashes usernames, and the clock (replaceable in tests)."""

    policy: ThrottlePolicy
    key: bytes = field(repr=False)
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, s: Settings) -> Throttle:
        key = hmac.new(s.secret_key.encode("utf-8"), b"kiosk.auth.throttle/v1", hashlib.sha256).digest()
        return cls(ThrottlePolicy.from_settings(s), key)

    def username_key(self, username: str) -> str:
        return hmac.new(self.key, username.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("the throttle's clock must return zone-aware times")
        return now


@dataclass(frozen=True)
class Lock:
    scope: str  # "user" | "address"
    subject: str
    username: str | None
    failures: int
    locked_at: datetime
    until: datetime


@dataclass(frozen=True)
class Attempt:
    """The outcome of one login: the user, or why not (``lock`` set when locked, now or before)."""

    user: User | None
    lock: Lock | None = None


class LoginLocked(AuthError):
    """Refused because the username or the address is locked (HTTP 429)."""

    status = 429

    def __init__(self, until: datetime) -> None:
        super().__init__("login_locked", LOCKED_ID, LOCKED_EN)
        self.until = until


def _lock(row: LoginLockout) -> Lock:
    return Lock(row.scope, row.subject, row.username, row.failures, row.locked_at, row.until)


def _active(scope: str, subject: str, now: datetime) -> sa.Select[LoginLockout]:
    return (sa.select(LoginLockout).where(LoginLockout.scope == scope, LoginLockout.subject == subject,
                                          LoginLockout.until > now, LoginLockout.released_at.is_(None))
            .order_by(LoginLockout.until.desc()).limit(1))


def active_lock(session: Session, *, username_key: str, address: str, now: datetime) -> Lock | None:
    """The lock on this username or this address that is in force at ``now``, if any."""
    for scope, subject in (("user", username_key), ("address", address)):
        row = session.scalar(_active(scope, subject, now))
        if row is not None:
            return _lock(row)
    return None


def _recent_failures(session: Session, policy: ThrottlePolicy, scope: str, subject: str, now: datetime) -> int:
    since = now - policy.window
    last = session.scalar(sa.select(sa.func.max(LoginLockout.locked_at))
                          .where(LoginLockout.scope == scope, LoginLockout.subject == subject))
    column = LoginFailure.username_key if scope == "user" else LoginFailure.address
    cond = [column == subject, LoginFailure.at > since]
    if last is not None:
        cond.append(LoginFailure.at > last)
    return int(session.scalar(sa.select(sa.func.count()).select_from(LoginFailure).where(*cond)) or 0)


def _record_lock(session: Session, lock: Lock, address: str) -> None:
    session.add(LoginLockout(scope=lock.scope, subject=lock.subject, username=lock.username, failures=lock.failures,
                             locked_at=lock.locked_at, until=lock.until))
    session.flush()
    who = {"username": lock.username} if lock.scope == "user" else {"username": None}
    subject = lock.subject if lock.scope == "address" else lock.subject[:16]
    ledger.append_entry(session, ENTRY_LOCKED, {
        "scope": lock.scope, **who, "subject": subject, "address": address, "failures": lock.failures,
        "until": ledger.rfc3339(lock.until), "known_user": lock.username is not None,
    }, now=lock.locked_at)
    log.warning("event=login_locked scope=%s user=%s subject=%s address=%s failures=%d until=%s", lock.scope,
                lock.username or "-", subject, address, lock.failures, ledger.rfc3339(lock.until))


def record_failure(session: Session, throttle: Throttle, *, username_key: str, known_user: str | None, address: str,
                   now: datetime) -> Lock | None:
    """Count a failed login; lock the username and/or the address when a limit is reached.
    Returns the new lock (the username's first) or None."""
    session.add(LoginFailure(username_key=username_key, address=address, at=now))
    session.flush()
    policy, made = throttle.policy, []
    for scope, subject in (("user", username_key), ("address", address)):
        count = _recent_failures(session, policy, scope, subject, now)
        if count >= policy.limit(scope) and session.scalar(_active(scope, subject, now)) is None:
            lock = Lock(scope, subject, known_user if scope == "user" else None, count, now, now + policy.lock_for)
            _record_lock(session, lock, address)
            made.append(lock)
        if scope == "user":
            log.info("event=login_failed user=%s key=%s address=%s failures=%d limit=%d", known_user or "-",
                     username_key[:12], address, count, policy.max_failures)
    return made[0] if made else None


def clear_failures(session: Session, username_key: str) -> int:
    """Forget a username's failures (after a successful login or a release)."""
    result = session.execute(sa.delete(LoginFailure).where(LoginFailure.username_key == username_key))
    return int(getattr(result, "rowcount", 0) or 0)


def attempt(session: Session, hasher: PasswordHasher, throttle: Throttle, username: str, password: str,
            address: str) -> Attempt:
    """One login: refused while locked, else the password is checked and the outcome counted."""
    now = throttle.now()
    key = throttle.username_key(username)
    lock = active_lock(session, username_key=key, address=address, now=now)
    if lock is not None:
        log.info("event=login_refused_locked scope=%s key=%s address=%s until=%s", lock.scope, key[:12], address,
                 ledger.rfc3339(lock.until))
        return Attempt(None, lock)
    user = authenticate(session, hasher, username, password)
    if user is None:
        known = session.scalar(sa.select(User.username).where(User.username == username))
        return Attempt(None, record_failure(session, throttle, username_key=key, known_user=known, address=address,
                                            now=now))
    clear_failures(session, key)
    log.info("event=login_succeeded user=%s role=%s address=%s", user.username, user.role.value, address)
    return Attempt(user)


def _release(session: Session, scope: str, subject: str, *, actor: str, now: datetime) -> int:
    rows = list(session.scalars(sa.select(LoginLockout).where(
        LoginLockout.scope == scope, LoginLockout.subject == subject, LoginLockout.until > now,
        LoginLockout.released_at.is_(None))))
    for row in rows:
        row.released_at, row.released_by = now, actor
    session.flush()
    return len(rows)


def unlock_user(session: Session, throttle: Throttle, username: str, *, actor: str, now: datetime) -> int:
    """Release an existing user's lock early and forget their failures; returns how many locks were released."""
    if session.scalar(sa.select(User.id).where(User.username == username)) is None:
        raise AuthError("unknown_user", "Pengguna tidak ditemukan.", "No such user.")
    key = throttle.username_key(username)
    released = _release(session, "user", key, actor=actor, now=now)
    clear_failures(session, key)
    ledger.append_entry(session, ENTRY_UNLOCKED, {"scope": "user", "username": username, "by": actor,
                                                  "released": released}, now=now)
    log.warning("event=login_unlocked scope=user user=%s by=%s released=%d", username, actor, released)
    return released


def unlock_address(session: Session, address: str, *, actor: str, now: datetime) -> int:
    """Release a client address's lock early. Failures before the lock no longer count (a subject's
    count starts after its last lock), so the address starts afresh."""
    released = _release(session, "address", address, actor=actor, now=now)
    ledger.append_entry(session, ENTRY_UNLOCKED, {"scope": "address", "address": address, "by": actor,
                                                  "released": released}, now=now)
    log.warning("event=login_unlocked scope=address address=%s by=%s released=%d", address, actor, released)
    return released


def active_locks(session: Session, now: datetime) -> list[Lock]:
    """Every lock in force at ``now``, soonest ending first."""
    rows = session.scalars(sa.select(LoginLockout).where(LoginLockout.until > now, LoginLockout.released_at.is_(None))
                           .order_by(LoginLockout.until))
    return [_lock(r) for r in rows]
