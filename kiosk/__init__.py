"""Sutasoma Kiosk: the web app, checkout, device agent, worker and CLI (DESIGN §2-3).

``create_app`` only wires (STYLE habit 6): settings, database, auth, blueprints.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from kiosk.settings import Settings, load_settings


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """The web app; ``overrides`` replace settings from the environment (tests, demo, CLI)."""
    settings: Settings = load_settings(**(overrides or {}))
    app = Flask(__name__, instance_path=settings.instance_path, instance_relative_config=True)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.env == "testing",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.extensions["kiosk.settings"] = settings

    from kiosk import api, auth, db, i18n, security, wiring
    from kiosk.auth.access import check_declared
    from kiosk.auth.passwords import PasswordHasher
    from kiosk.views import auth as auth_views
    from kiosk.views import home, lang

    db.init_app(app, settings.database_url, pool=settings.database_pool)
    app.extensions["kiosk.hasher"] = PasswordHasher(settings.password_time_cost, settings.password_memory_kib)
    security.init_app(app, settings)  # cookies, size limit, headers, error pages (docs/security.md)
    auth.init_app(app)
    i18n.init_app(app, settings.instance_path)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(home.bp)
    app.register_blueprint(lang.bp)
    from kiosk.views import admin_access, admin_data, demo, money_pages, operator, status, supervisor

    for page in (operator, money_pages, supervisor, status, admin_access, admin_data, demo):
        app.register_blueprint(page.bp)
    api.register(app)
    wiring.init_app(app, settings)
    check_declared(app)
    return app


def settings_of(app: Flask) -> Settings:
    s: Settings = app.extensions["kiosk.settings"]
    return s
