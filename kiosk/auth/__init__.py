"""Users, roles, passwords, machine tokens, login throttling and access control for every route."""

from kiosk.auth.access import PUBLIC, access, init_app, mark_login, throttle
from kiosk.auth.passwords import PasswordHasher
from kiosk.auth.service import (
    AuthError,
    authenticate,
    create_token,
    create_user,
    disable_user,
    token_principal,
)
from kiosk.auth.throttle import (
    Attempt,
    Lock,
    LoginLocked,
    Throttle,
    ThrottlePolicy,
    active_locks,
    attempt,
    unlock_address,
    unlock_user,
)

__all__ = [
    "PUBLIC",
    "Attempt",
    "AuthError",
    "Lock",
    "LoginLocked",
    "PasswordHasher",
    "Throttle",
    "ThrottlePolicy",
    "access",
    "active_locks",
    "attempt",
    "authenticate",
    "create_token",
    "create_user",
    "disable_user",
    "init_app",
    "mark_login",
    "throttle",
    "token_principal",
    "unlock_address",
    "unlock_user",
]
