"""Users and roles, device tokens (/admin/users, /admin/tokens) on both backends with CSRF on: every
admin page renders for an admin and is refused to every other role; a user made on the page logs in;
bad input is refused next to its field in both languages and changes nothing; disable, lock release,
self-protection, tokens shown once; every change is an audit entry."""

from __future__ import annotations

import dataclasses
import re
import pytest
import sqlalchemy as sa
from flask import Flask

from kiosk.auth.service import token_principal
from kiosk.db import get_db
from kiosk.models import Role, User
from tests.admin.access_fixtures import (  # noqa: F401
    PAGES,
    access_app,
    as_role,
    audit_kinds,
    english,
    field_errors,
    post_form,
    text,
)
from tests.security.conftest import PASSWORD, FakeClock, login

NEW_PASSWORD = "a new long password"


def _user(app: Flask, username: str) -> User | None:
    with app.app_context(), get_db().sessions() as s:
        return s.scalar(sa.select(User).where(User.username == username))


def test_pages_render_for_admin_and_are_refused_to_other_roles(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    for page in PAGES:
        answer = admin.get(page)
        assert answer.status_code == 200, page
        assert 'name="csrf_token"' in text(answer)
    for role in (Role.OPERATOR, Role.AUDITOR, Role.DINAS, Role.SUPERVISOR):
        client, _ = as_role(access_app, role)
        for page in PAGES:
            want = 200 if (role is Role.SUPERVISOR and page == "/admin/hotlist") else 403
            assert client.get(page).status_code == want, (role, page)
    anonymous = access_app.test_client().get("/admin/users")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_created_user_can_log_in_and_the_password_is_never_echoed(access_app: Flask) -> None:
    admin, who = as_role(access_app, Role.ADMIN)
    answer = post_form(admin, "/admin/users", "/admin/users", {
        "username": "andi", "full_name": "Andi Operator", "role": "operator", "kiosk": "KIOS-002",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True)
    assert answer.status_code == 200
    page = text(answer)
    assert "andi" in page and NEW_PASSWORD not in page
    user = _user(access_app, "andi")
    assert user is not None and user.role is Role.OPERATOR and user.kiosk_code == "KIOS-002"
    assert login(access_app.test_client(), "andi", NEW_PASSWORD) == 302
    assert "kiosk.user_created" in audit_kinds(access_app)


def test_operator_without_kiosk_is_refused_next_to_the_field_in_both_languages(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    form = {"username": "budi", "role": "operator", "kiosk": "", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    answer = post_form(admin, "/admin/users", "/admin/users", form)
    assert answer.status_code == 422
    assert field_errors(answer, "kiosk") == "Operator harus terikat pada satu kios."
    assert NEW_PASSWORD not in text(answer)
    english(admin)
    answer = post_form(admin, "/admin/users", "/admin/users", {**form, "kiosk": "KIOS-999"})
    assert answer.status_code == 422 and field_errors(answer, "kiosk") == "Kiosk KIOS-999 is not registered."
    answer = post_form(admin, "/admin/users", "/admin/users", {**form, "kiosk": "KIOS-001", "password": "short",
                                                               "confirm": "short"})
    assert answer.status_code == 422 and "at least 10 characters" in field_errors(answer, "password")
    answer = post_form(admin, "/admin/users", "/admin/users", {**form, "role": "agent", "kiosk": "KIOS-001"})
    assert answer.status_code == 422 and field_errors(answer, "role")  # not a choice
    assert _user(access_app, "budi") is None
    assert "kiosk.user_created" not in audit_kinds(access_app)


def test_disable_ends_logins_and_enable_restores_them(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    victim, name = as_role(access_app, Role.SUPERVISOR)
    page = f"/admin/users/{name}"
    assert post_form(admin, page, f"{page}/active", {"active": "0"}).status_code == 303
    assert victim.get("/admin/hotlist").status_code == 302  # the running login ended
    assert login(access_app.test_client(), name) == 401
    assert post_form(admin, page, f"{page}/active", {"active": "1"}).status_code == 303
    assert login(access_app.test_client(), name) == 302
    kinds = audit_kinds(access_app)
    assert "kiosk.user_disabled" in kinds and "kiosk.user_enabled" in kinds


def test_role_change_and_password_reset(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    victim, name = as_role(access_app, Role.AUDITOR)
    page = f"/admin/users/{name}"
    assert victim.get("/").status_code == 200
    answer = post_form(admin, page, f"{page}/role", {"role": "operator", "kiosk": ""})
    assert answer.status_code == 422 and field_errors(answer, "kiosk")
    assert post_form(admin, page, f"{page}/role", {"role": "operator", "kiosk": "KIOS-001"}).status_code == 303
    user = _user(access_app, name)
    assert user is not None and user.role is Role.OPERATOR and user.kiosk_code == "KIOS-001"
    answer = post_form(admin, page, f"{page}/password", {"password": NEW_PASSWORD, "confirm": "something else"})
    assert answer.status_code == 422 and field_errors(answer, "confirm")
    assert post_form(admin, page, f"{page}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303
    assert login(access_app.test_client(), name, PASSWORD) == 401
    assert victim.get("/").status_code == 302  # a login made with the old password ended (a stolen session too)
    assert login(access_app.test_client(), name, NEW_PASSWORD) == 302
    kinds = audit_kinds(access_app)
    assert "kiosk.user_changed" in kinds and "kiosk.user_password_reset" in kinds


def test_admin_cannot_demote_or_disable_self(access_app: Flask) -> None:
    admin, me = as_role(access_app, Role.ADMIN)
    page = f"/admin/users/{me}"
    answer = post_form(admin, page, f"{page}/role", {"role": "auditor", "kiosk": ""})
    assert answer.status_code == 422 and field_errors(answer, "role") == "Admin tidak dapat menurunkan perannya sendiri."
    answer = post_form(admin, page, f"{page}/active", {"active": "0"})
    assert answer.status_code == 422 and "Admin tidak dapat menonaktifkan dirinya sendiri." in text(answer)
    user = _user(access_app, me)
    assert user is not None and user.role is Role.ADMIN and user.active
    assert admin.get("/admin/users").status_code == 200


def test_lock_release(access_app: Flask) -> None:
    clock = FakeClock()
    access_app.extensions["kiosk.throttle"] = dataclasses.replace(access_app.extensions["kiosk.throttle"], clock=clock)
    admin, _ = as_role(access_app, Role.ADMIN)
    _, name = as_role(access_app, Role.DINAS)
    for _ in range(access_app.extensions["kiosk.throttle"].policy.max_failures):
        login(access_app.test_client(), name, "wrong password")
    assert login(access_app.test_client(), name) == 429
    page = f"/admin/users/{name}"
    assert "Buka kunci masuk" in text(admin.get(page))
    assert "terkunci sampai" in text(admin.get("/admin/users"))
    assert post_form(admin, page, f"{page}/unlock", {}).status_code == 303
    assert login(access_app.test_client(), name) == 302
    assert "terkunci sampai" not in text(admin.get("/admin/users"))
    assert "kiosk.user_unlocked" in audit_kinds(access_app)


def test_device_token_is_shown_once_and_can_be_revoked(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    answer = post_form(admin, "/admin/tokens", "/admin/tokens", {"name": "agent-kios-001", "kiosk": "KIOS-001"})
    assert answer.status_code == 201
    secret = re.search(r'<code id="token-secret">([^<]+)</code>', text(answer))
    assert secret is not None
    with access_app.app_context(), get_db().sessions() as s:
        row = token_principal(s, secret.group(1))
        assert row is not None and row.role is Role.AGENT and row.kiosk_code == "KIOS-001"
        token_id = row.id
    listing = text(admin.get("/admin/tokens"))
    assert secret.group(1) not in listing and "agent-kios-001" in listing
    answer = post_form(admin, "/admin/tokens", "/admin/tokens", {"name": "agent-x", "kiosk": ""})
    assert answer.status_code == 422 and field_errors(answer, "kiosk")
    assert post_form(admin, "/admin/tokens", f"/admin/tokens/{token_id}/revoke", {}).status_code == 303
    with access_app.app_context(), get_db().sessions() as s:
        assert token_principal(s, secret.group(1)) is None
    kinds = audit_kinds(access_app)
    assert "kiosk.token_issued" in kinds and "kiosk.token_revoked" in kinds


@pytest.mark.parametrize("action,data", [("/admin/users", {"username": "eve", "role": "admin", "password": NEW_PASSWORD,
                                                           "confirm": NEW_PASSWORD}),
                                         ("/admin/hotlist", {"card_number": "6011000000000001", "reason": "lost"})])
def test_csrf_missing_is_refused_with_400(access_app: Flask, action: str, data: dict[str, str]) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    answer = admin.post(action, data=data)
    assert answer.status_code == 400
    assert _user(access_app, "eve") is None
    assert not [k for k in audit_kinds(access_app) if k in ("kiosk.user_created", "kiosk.card_hotlisted")]
