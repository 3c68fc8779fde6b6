"""Users, roles, passwords, machine tokens and access control for every route."""

from kiosk.auth.access import PUBLIC, access, init_app
from kiosk.auth.passwords import PasswordHasher
from kiosk.auth.service import (
    AuthError,
    authenticate,
    create_token,
    create_user,
    disable_user,
    token_principal,
)

__all__ = [
    "PUBLIC",
    "AuthError",
    "PasswordHasher",
    "access",
    "authenticate",
    "create_token",
    "create_user",
    "disable_user",
    "init_app",
    "token_principal",
]
