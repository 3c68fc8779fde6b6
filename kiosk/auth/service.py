"""Account services. They take a Session and never commit (STYLE habit 3)."""

from __future__ import annotations

import hashlib
import re
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kiosk.auth.passwords import MIN_LENGTH, PasswordHasher
from kiosk.models import ApiToken, Role, User

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOKEN_PREFIX = "skt_"


class AuthError(Exception):
    """A refused account operation; ``message_id`` (Bahasa Indonesia) and ``message_en``."""

    def __init__(self, code: str, message_id: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_id = message_id
        self.message_en = message_en


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    username: str,
    password: str,
    role: Role,
    kiosk_code: str | None = None,
    full_name: str = "",
) -> User:
    if not USERNAME_RE.match(username):
        raise AuthError(
            "bad_username",
            "Nama pengguna: 2-64 huruf kecil, angka, titik, garis bawah atau tanda hubung.",
            "Username: 2-64 lowercase letters, digits, dots, underscores or hyphens.",
        )
    if len(password) < MIN_LENGTH:
        raise AuthError(
            "weak_password",
            f"Kata sandi minimal {MIN_LENGTH} karakter.",
            f"The password needs at least {MIN_LENGTH} characters.",
        )
    if not role.is_person:
        raise AuthError("bad_role", "Peran ini hanya untuk token mesin.", "This role is for machine tokens only.")
    if role is Role.OPERATOR and not kiosk_code:
        raise AuthError("operator_needs_kiosk", "Operator harus terikat pada satu kios.", "An operator must be bound to a kiosk.")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise AuthError("username_taken", "Nama pengguna sudah dipakai.", "That username is taken.")
    user = User(
        username=username,
        password_hash=hasher.hash(password),
        role=role,
        kiosk_code=kiosk_code if role is Role.OPERATOR or kiosk_code else None,
        full_name=full_name,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def disable_user(session: Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise AuthError("unknown_user", "Pengguna tidak ditemukan.", "No such user.")
    user.active = False
    return user


def authenticate(session: Session, hasher: PasswordHasher, username: str, password: str) -> User | None:
    """The active user with that password, or None. Timing does not reveal unknown usernames."""
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        hasher.dummy_verify(password)
        return None
    if not hasher.verify(user.password_hash, password) or not user.active:
        return None
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, name: str, role: Role, kiosk_code: str | None = None) -> tuple[ApiToken, str]:
    """A new machine token. The secret is returned once and stored only as its SHA-256."""
    if session.scalar(sa.select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise AuthError("token_name_taken", "Nama token sudah dipakai.", "A token with that name exists.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_sha256=_digest(secret), role=role, kiosk_code=kiosk_code, active=True)
    session.add(row)
    session.flush()
    return row, secret


def token_principal(session: Session, secret: str) -> ApiToken | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_sha256 == _digest(secret)))
    return row if row is not None and row.active else None
