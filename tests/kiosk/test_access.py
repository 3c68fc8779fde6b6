"""Every route declares who may use it; undeclared routes fail closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Blueprint, Flask

from kiosk import create_app
from kiosk.auth import PUBLIC, access, create_token
from kiosk.auth.access import check_declared
from kiosk.db import get_db
from kiosk.models import Role
from tests.conftest import TEST_SETTINGS


def _bp() -> Blueprint:
    bp = Blueprint("probe", __name__)

    @bp.route("/probe/admin")
    @access(Role.ADMIN)
    def admin_only() -> str:
        return "admin ok"

    @bp.route("/api/probe")
    @access(Role.AUDITOR, Role.DINAS)
    def api_probe() -> str:
        return "api ok"

    @bp.route("/probe/undeclared")
    def undeclared() -> str:
        return "should never be served"

    return bp


def test_check_declared_names_undeclared_routes() -> None:
    app = Flask("x")
    app.register_blueprint(_bp())
    with pytest.raises(RuntimeError, match="probe.undeclared"):
        check_declared(app)


def test_access_declarations_are_validated() -> None:
    with pytest.raises(ValueError):
        access()
    with pytest.raises(ValueError):
        access(PUBLIC, Role.ADMIN)
    with pytest.raises(ValueError):
        access("superuser")


@pytest.fixture
def probed(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({**TEST_SETTINGS, "database_url": db_url, "instance_path": str(tmp_path)})
    app.register_blueprint(_bp())
    yield app
    with app.app_context():
        get_db().engine.dispose()


def _token(app: Flask, role: Role) -> str:
    with app.app_context(), get_db().sessions.begin() as s:
        return create_token(s, name=f"t-{role.value}", role=role)[1]


@pytest.mark.parametrize("role", list(Role))
def test_roles_are_enforced(probed: Flask, role: Role) -> None:
    client = probed.test_client()
    auth = {"Authorization": f"Bearer {_token(probed, role)}"}
    assert client.get("/probe/admin", headers=auth).status_code == (200 if role is Role.ADMIN else 403)
    assert client.get("/api/probe", headers=auth).status_code == (200 if role in (Role.AUDITOR, Role.DINAS) else 403)
    assert client.get("/probe/undeclared", headers=auth).status_code == 403


def test_anonymous_gets_login_or_401_envelope(probed: Flask) -> None:
    client = probed.test_client()
    page = client.get("/probe/admin")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    api = client.get("/api/probe")
    assert api.status_code == 401
    assert api.get_json()["error"]["code"] == "unauthenticated"
    assert client.get("/probe/undeclared").status_code == 403
    assert client.get("/healthz").status_code == 200
