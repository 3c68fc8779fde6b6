"""Users, roles, login and machine tokens, on both databases."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import AuthError, authenticate, create_token, create_user, disable_user, token_principal
from kiosk.db import get_db
from kiosk.models import Role, User

PASSWORD = "correct horse battery"


def add_user(app: Flask, username: str, role: Role, kiosk_code: str | None = None) -> None:
    with app.app_context(), get_db().sessions.begin() as s:
        create_user(s, app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role, kiosk_code=kiosk_code)


def login(client: FlaskClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": password})


def test_password_is_stored_as_argon2id(app: Flask) -> None:
    add_user(app, "siti", Role.SUPERVISOR)
    with app.app_context(), get_db().sessions() as s:
        stored = s.scalar(sa.select(User.password_hash).where(User.username == "siti"))
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_then_home_then_logout(app: Flask, client: FlaskClient) -> None:
    add_user(app, "siti", Role.SUPERVISOR)
    assert client.get("/").status_code == 302  # anonymous -> login
    resp = login(client, "siti")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200 and b"supervisor" in page.data
    client.post("/logout")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("username,password", [("siti", "wrong password!"), ("nobody", PASSWORD)])
def test_wrong_credentials_are_refused_alike(app: Flask, client: FlaskClient, username: str, password: str) -> None:
    add_user(app, "siti", Role.SUPERVISOR)
    resp = login(client, username, password)
    assert resp.status_code == 401
    assert "Nama pengguna atau kata sandi salah." in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_disabled_user_cannot_log_in_and_loses_session(app: Flask, client: FlaskClient) -> None:
    add_user(app, "siti", Role.SUPERVISOR)
    assert login(client, "siti").status_code == 302
    with app.app_context(), get_db().sessions.begin() as s:
        disable_user(s, "siti")
    assert client.get("/").status_code == 302  # the existing session no longer counts
    assert login(client, "siti").status_code == 401


def test_next_parameter_cannot_redirect_off_site(app: Flask, client: FlaskClient) -> None:
    add_user(app, "siti", Role.SUPERVISOR)
    resp = client.post("/login?next=https://evil.example/", data={"username": "siti", "password": PASSWORD})
    assert resp.headers["Location"] == "/"
    resp = client.post("/login?next=//evil.example/x", data={"username": "siti", "password": PASSWORD})
    assert resp.headers["Location"] == "/"
    for sneaky in ("/%5Cevil.example", "/%5C%5Cevil.example", "/%09/evil.example"):  # "/\\host", "/<tab>/host"
        resp = client.post(f"/login?next={sneaky}", data={"username": "siti", "password": PASSWORD})
        assert resp.headers["Location"] == "/", sneaky
    resp = client.post("/login?next=/status", data={"username": "siti", "password": PASSWORD})
    assert resp.headers["Location"] == "/status"


def test_account_rules(app: Flask) -> None:
    hasher = app.extensions["kiosk.hasher"]
    with app.app_context(), get_db().sessions() as s, s.begin():
        with pytest.raises(AuthError) as e:
            create_user(s, hasher, username="op", password=PASSWORD, role=Role.OPERATOR)
        assert e.value.code == "operator_needs_kiosk"
        with pytest.raises(AuthError) as e:
            create_user(s, hasher, username="x", password="short", role=Role.ADMIN)
        assert e.value.code == "bad_username"
        with pytest.raises(AuthError) as e:
            create_user(s, hasher, username="admin2", password="short", role=Role.ADMIN)
        assert e.value.code == "weak_password"
        with pytest.raises(AuthError) as e:
            create_user(s, hasher, username="bot", password=PASSWORD, role=Role.AGENT)
        assert e.value.code == "bad_role"
        create_user(s, hasher, username="admin2", password=PASSWORD, role=Role.ADMIN)
        with pytest.raises(AuthError) as e:
            create_user(s, hasher, username="admin2", password=PASSWORD, role=Role.ADMIN)
        assert e.value.code == "username_taken"
        assert authenticate(s, hasher, "admin2", PASSWORD) is not None
        assert authenticate(s, hasher, "admin2", PASSWORD + "x") is None


def test_operator_role_needs_kiosk_in_the_database_too(engine: sa.Engine) -> None:
    """The rule lives twice: a domain error above and a CHECK constraint here."""
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(sa.insert(User.__table__).values(
            id=uuid.uuid4(), username="op", full_name="", password_hash="x",
            role="operator", kiosk_code=None, active=True, created_at=datetime.now(timezone.utc),
        ))


def test_machine_token_authenticates_and_is_stored_hashed(app: Flask, client: FlaskClient) -> None:
    with app.app_context(), get_db().sessions.begin() as s:
        row, secret = create_token(s, name="agent-kios-001", role=Role.AUDITOR)
        assert secret not in row.token_sha256
    assert client.get("/api/v1/nothing-here").status_code == 404
    assert client.get("/", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert client.get("/", headers={"Authorization": "Bearer skt_wrong"}).status_code == 302
    with app.app_context(), get_db().sessions() as s:
        assert token_principal(s, secret) is not None
        assert token_principal(s, "not-a-token") is None


def test_login_form_needs_its_csrf_token(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    add_user(app, "siti", Role.SUPERVISOR)
    client = app.test_client()
    assert login(client, "siti").status_code == 400  # no token: refused before any password check
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/login", data={"username": "siti", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


def test_login_starts_a_fresh_session_keeping_only_the_language(app: Flask, client: FlaskClient) -> None:
    add_user(app, "siti", Role.SUPERVISOR)
    client.post("/lang/en")
    with client.session_transaction() as s:
        s["planted"] = "set before the login, e.g. by a session-fixation attempt"
    assert login(client, "siti").status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s and s["lang"] == "en" and isinstance(s["_auth_at"], int) and s.permanent


def test_logout_forgets_the_session_but_the_language(app: Flask, client: FlaskClient) -> None:
    add_user(app, "siti", Role.SUPERVISOR)
    client.post("/lang/en")
    login(client, "siti")
    client.post("/logout")
    with client.session_transaction() as s:
        assert dict(s) == {"lang": "en"}
    assert client.get("/").status_code == 302
