"""Audited account changes: what an admin does to people and machine tokens (issue 11).

:mod:`kiosk.auth.service` holds the bare operations (create a user, disable, a token); it records
nothing, because tests and the demo seed call it freely. Every change an administrator makes — on
the admin pages or with ``kiosk user`` / ``kiosk token`` — goes through here instead, which adds the
checks an administrator needs (the operator's kiosk must exist; an admin cannot lock themselves out)
and appends one audit entry per change (``ledger.append_entry``) in the caller's transaction, as
:mod:`kiosk.auth.throttle` does for locks. Entries name users by username, never a password.

Services take the caller's ``Session`` and never commit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

import ledger
from fertilizer.errors import RegistryError
from fertilizer.registry import outlet
from kiosk.auth.passwords import MIN_LENGTH, PasswordHasher
from kiosk.auth.service import AuthError, create_token, create_user, disable_user
from kiosk.auth.throttle import active_locks
from kiosk.models import ApiToken, Role, User

log = logging.getLogger("kiosk.auth")

USER_CREATED = "kiosk.user_created"
USER_CHANGED = "kiosk.user_changed"
USER_DISABLED = "kiosk.user_disabled"
USER_ENABLED = "kiosk.user_enabled"
PASSWORD_RESET = "kiosk.user_password_reset"
TOKEN_ISSUED = "kiosk.token_issued"
TOKEN_REVOKED = "kiosk.token_revoked"


@dataclass(frozen=True)
class UserRow:
    """One line of the users list."""

    username: str
    full_name: str
    role: Role
    kiosk_code: str | None
    active: bool
    locked_until: datetime | None


def _user(session: Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise AuthError("unknown_user", "Pengguna tidak ditemukan.", "No such user.")
    return user


def _check_kiosk(session: Session, role: Role, kiosk_code: str | None) -> str | None:
    """An operator (or a device token) is bound to a registered kiosk; other roles to none or one."""
    code = (kiosk_code or "").strip() or None
    if code is None:
        if role is Role.OPERATOR:
            raise AuthError("operator_needs_kiosk", "Operator harus terikat pada satu kios.",
                            "An operator must be bound to a kiosk.")
        return None
    try:
        outlet(session, code)
    except RegistryError:
        raise AuthError("unknown_kiosk", f"Kios {code} tidak terdaftar.", f"Kiosk {code} is not registered.") from None
    return code


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise AuthError("weak_password", f"Kata sandi minimal {MIN_LENGTH} karakter.",
                        f"The password needs at least {MIN_LENGTH} characters.")


def _not_self(actor: str, username: str, code: str, message_id: str, message_en: str) -> None:
    if actor == username:
        raise AuthError(code, message_id, message_en)


def _entry(session: Session, kind: str, payload: dict[str, object], now: datetime) -> None:
    ledger.append_entry(session, kind, payload, now=now)
    log.warning("event=%s %s", kind.removeprefix("kiosk."),
                " ".join(f"{k}={v if v is not None else '-'}" for k, v in payload.items()))


def list_users(session: Session, now: datetime) -> list[UserRow]:
    """Every user, with the end of the login lock in force on them (if any)."""
    locks = {lock.username: lock.until for lock in active_locks(session, now) if lock.scope == "user" and lock.username}
    return [UserRow(u.username, u.full_name, u.role, u.kiosk_code, u.active, locks.get(u.username))
            for u in session.scalars(sa.select(User).order_by(User.username))]


def get_user(session: Session, username: str) -> User:
    return _user(session, username)


def add_user(session: Session, hasher: PasswordHasher, *, actor: str, now: datetime, username: str, password: str,
             role: Role, kiosk_code: str | None = None, full_name: str = "") -> User:
    """A new person who logs in (password policy of :func:`kiosk.auth.service.create_user`)."""
    code = _check_kiosk(session, role, kiosk_code)
    user = create_user(session, hasher, username=username, password=password, role=role, kiosk_code=code,
                       full_name=full_name.strip())
    _entry(session, USER_CREATED, {"username": user.username, "role": user.role.value, "kiosk": user.kiosk_code,
                                   "by": actor}, now)
    return user


def change_role(session: Session, *, actor: str, now: datetime, username: str, role: Role,
                kiosk_code: str | None) -> User:
    """Give a user another role and/or kiosk. An admin cannot demote themselves (someone must remain
    able to manage accounts, and a slip of the hand must not lock the office out)."""
    user = _user(session, username)
    if not role.is_person:
        raise AuthError("bad_role", "Peran ini hanya untuk token mesin.", "This role is for machine tokens only.")
    if user.role is Role.ADMIN and role is not Role.ADMIN:
        _not_self(actor, username, "self_demote", "Admin tidak dapat menurunkan perannya sendiri.",
                  "An administrator cannot demote themselves.")
    code = _check_kiosk(session, role, kiosk_code)
    before = (user.role.value, user.kiosk_code)
    user.role, user.kiosk_code = role, code
    session.flush()
    _entry(session, USER_CHANGED, {"username": username, "role": role.value, "kiosk": code, "role_before": before[0],
                                   "kiosk_before": before[1], "by": actor}, now)
    return user


def set_active(session: Session, *, actor: str, now: datetime, username: str, active: bool) -> User:
    """Disable (they can no longer log in, and a running login ends at its next request) or enable."""
    if active:
        user = _user(session, username)
        user.active = True
    else:
        _not_self(actor, username, "self_disable", "Admin tidak dapat menonaktifkan dirinya sendiri.",
                  "An administrator cannot disable themselves.")
        user = disable_user(session, username)
    session.flush()
    _entry(session, USER_ENABLED if active else USER_DISABLED, {"username": username, "by": actor}, now)
    return user


def reset_password(session: Session, hasher: PasswordHasher, *, actor: str, now: datetime, username: str,
                   password: str) -> User:
    """Set a new password (told to the person out of band; never shown or logged here)."""
    user = _user(session, username)
    _check_password(password)
    user.password_hash = hasher.hash(password)
    session.flush()
    _entry(session, PASSWORD_RESET, {"username": username, "by": actor}, now)
    return user


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.created_at, ApiToken.name)))


def issue_token(session: Session, *, actor: str, now: datetime, name: str, role: Role,
                kiosk_code: str | None) -> tuple[ApiToken, str]:
    """A machine token; the secret is returned once (only its SHA-256 is stored). The device agent's
    token is bound to a registered kiosk."""
    name = name.strip()
    if not (1 <= len(name) <= 64):
        raise AuthError("bad_token_name", "Nama token: 1-64 karakter.", "Token name: 1-64 characters.")
    code = _check_kiosk(session, Role.OPERATOR if role is Role.AGENT else role, kiosk_code)
    row, secret = create_token(session, name=name, role=role, kiosk_code=code)
    _entry(session, TOKEN_ISSUED, {"name": name, "role": role.value, "kiosk": code, "by": actor}, now)
    return row, secret


def revoke_token(session: Session, *, actor: str, now: datetime, token_id: uuid.UUID) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise AuthError("unknown_token", "Token tidak ditemukan.", "No such token.")
    row.active = False
    session.flush()
    _entry(session, TOKEN_REVOKED, {"name": row.name, "role": row.role.value, "kiosk": row.kiosk_code, "by": actor}, now)
    return row
