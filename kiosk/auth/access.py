"""Access control on every route, fail-closed.

Each view declares who may call it with ``@access(Role.X, ...)`` or ``@access(PUBLIC)``. At start-up
``check_declared`` refuses an app with an undeclared endpoint, and ``before_request`` enforces the
declaration: anonymous -> login page (HTML) or 401 envelope (``/api/``); wrong role -> 403.
Machines authenticate with ``Authorization: Bearer <token>``. A person's login ends after
``session_max_hours`` however busy (the signed cookie itself expires after ``session_idle_minutes``
unused; kiosk.security sets that), and login throttling lives in :mod:`kiosk.auth.throttle`.
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Request, Response, current_app, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, logout_user
from flask_wtf import CSRFProtect

from kiosk.auth.throttle import Throttle
from kiosk.db import get_db
from kiosk.models import ApiToken, Role, User

PUBLIC = "public"
F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "_kiosk_access"
AUTH_AT = "_auth_at"  # session key: when this login happened (epoch seconds)


def access(*who: Role | str) -> Callable[[F], F]:
    """Declare the roles allowed on a view (or ``PUBLIC``)."""
    if not who:
        raise ValueError("access() needs PUBLIC or at least one role")
    if PUBLIC in who and len(who) > 1:
        raise ValueError("PUBLIC cannot be combined with roles")
    allowed = frozenset(w if w == PUBLIC else Role(w) for w in who)

    def mark(view: F) -> F:
        setattr(view, _ATTR, allowed)
        return view

    return mark


def declared(view: Callable[..., Any]) -> frozenset[Any] | None:
    found: frozenset[Any] | None = getattr(view, _ATTR, None)
    # class-based views keep the declaration on the class
    if found is None and hasattr(view, "view_class"):
        found = getattr(view.view_class, _ATTR, None)
    return found


@dataclass(frozen=True)
class MachinePrincipal:
    """The caller behind a bearer token, in Flask-Login's user protocol."""

    token_id: uuid.UUID
    name: str
    role: Role
    kiosk_code: str | None
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return f"token:{self.token_id}"

    @property
    def username(self) -> str:
        return f"token:{self.name}"


def _load_user(user_id: str) -> User | None:
    kind, _, rest = user_id.partition(":")
    raw, _, fingerprint = rest.partition(":")
    if kind != "user":
        return None
    try:
        uid = uuid.UUID(raw)
    except ValueError:
        return None
    # its own short session: the request's session stays free for the view's own transaction
    with get_db().sessions() as session:
        user = session.get(User, uid)
    if user is None or not user.active or not hmac.compare_digest(fingerprint, user.login_fingerprint()):
        return None  # disabled, or the password changed since this login
    return user


def bearer_secret(req: Any) -> str | None:
    """The bearer token of a request, if it carries one."""
    scheme, _, secret = req.headers.get("Authorization", "").partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


class BearerAwareSessionInterface(SecureCookieSessionInterface):
    """Machines authenticate per request: a bearer request neither reads nor writes a cookie session,
    so it cannot ride on a browser session and needs no CSRF token (it has no ambient credential)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if bearer_secret(request) is not None:
            return self.session_class()  # in memory for this request only; never saved
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if bearer_secret(request) is not None:
            return
        super().save_session(app, session, response)


def _load_from_request(req: Any) -> MachinePrincipal | None:
    from kiosk.auth.service import token_principal

    secret = bearer_secret(req)
    if secret is None:
        return None
    with get_db().sessions() as session:
        row: ApiToken | None = token_principal(session, secret)
    if row is None:
        return None
    return MachinePrincipal(row.id, row.name, row.role, row.kiosk_code)


def mark_login() -> None:
    """Call right after ``login_user``: starts the clock of the login's absolute lifetime."""
    session[AUTH_AT] = int(time.time())
    session.permanent = True  # the cookie expires (PERMANENT_SESSION_LIFETIME) instead of living on


def _end_stale_login() -> None:
    """A person's login older than ``session_max_hours`` (or of unknown age) ends here."""
    if "_user_id" not in session:
        return
    max_age = current_app.extensions["kiosk.settings"].session_max_hours * 3600
    at = session.get(AUTH_AT)
    if isinstance(at, int) and 0 <= time.time() - at <= max_age:
        return
    logout_user()
    session.pop(AUTH_AT, None)


def _enforce() -> ResponseReturnValue | None:
    if bearer_secret(request) is None:
        _end_stale_login()
    if request.endpoint is None:
        return None  # 404/405 follow
    view = current_app.view_functions.get(request.endpoint)
    allowed = declared(view) if view is not None else None
    if allowed is None:
        if request.endpoint == "static":
            return None
        return _deny(403, "route_undeclared", "Akses ditolak.", "Access denied.")
    if PUBLIC in allowed:
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            return _deny(401, "unauthenticated", "Silakan masuk terlebih dahulu.", "Please log in first.")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if current_user.role not in allowed:
        return _deny(403, "forbidden", "Peran Anda tidak diizinkan di sini.", "Your role is not allowed here.")
    return None


def _deny(status: int, code: str, message_id: str, message_en: str) -> ResponseReturnValue:
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        body = {"error": {"code": code, "message": message_en, "message_id": message_id}}
        return jsonify(body), status
    from flask import render_template

    return render_template("errors/page.html", status=status, code=code, message_id=message_id,
                           message_en=message_en), status


def check_declared(app: Flask) -> None:
    """Refuse to start with a route that does not say who may use it."""
    missing = sorted(ep for ep, view in app.view_functions.items() if ep != "static" and declared(view) is None)
    if missing:
        raise RuntimeError(f"routes without an @access declaration: {', '.join(missing)}")


def _csrf_unless_bearer() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and bearer_secret(request) is None:
        csrf: CSRFProtect = current_app.extensions["csrf"]
        csrf.protect()


def throttle() -> Throttle:
    """The app's login throttle (kiosk.auth.throttle); tests replace its clock."""
    found: Throttle = current_app.extensions["kiosk.throttle"]
    return found


def init_app(app: Flask) -> None:
    """Sessions, CSRF (every cookie-authenticated write), login, throttling, and the access check."""
    app.extensions["kiosk.throttle"] = Throttle.from_settings(app.extensions["kiosk.settings"])
    app.session_interface = BearerAwareSessionInterface()
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    CSRFProtect(app)
    app.before_request(_csrf_unless_bearer)
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.session_protection = "strong"
    manager.user_loader(_load_user)
    manager.request_loader(_load_from_request)
    manager.init_app(app)
    app.before_request(_enforce)
