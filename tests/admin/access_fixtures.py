"""Fixtures of the admin access page tests (tests/admin/test_access_*.py): the web app as production
wires it (CSRF on) on a fresh database of each backend, with tests/fertilizer/world.py's small Soppeng
(two kecamatan, three kiosks, two farmer groups) registered, and people logged in through the form.

Import in a test module: ``from tests.admin.access_fixtures import access_app  # noqa: F401``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fertilizer.registry import add_reference
from kiosk.db import get_db
from kiosk.models import Role
from ledger.schema import entries
from tests.fertilizer.world import REF
from tests.security.conftest import add_user, close_app, login, make_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGES = ("/admin/users", "/admin/tokens", "/admin/kiosks", "/admin/hotlist", "/admin/keys")
_people = iter(range(1_000_000))


@pytest.fixture
def access_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(db_url, tmp_path)
    with app.app_context(), get_db().sessions.begin() as s:
        add_reference(s, REF)
    yield app
    close_app(app)


def as_role(app: Flask, role: Role, kiosk: str | None = None) -> tuple[FlaskClient, str]:
    """A new person with ``role`` logged in through the form: (client, username)."""
    username = f"{role.value}-{next(_people)}"
    add_user(app, username, role, kiosk or ("KIOS-001" if role is Role.OPERATOR else None))
    client = app.test_client()
    assert login(client, username) == 302
    return client, username


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def post_form(client: FlaskClient, page_url: str, action: str, data: dict[str, Any], **kw: Any) -> TestResponse:
    """Post ``data`` to ``action`` with the CSRF token of the page at ``page_url``, as a browser does."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    found = CSRF.search(text(page))
    assert found is not None, "the page has no CSRF token"
    return client.post(action, data={**data, "csrf_token": found.group(1)}, **kw)


def field_errors(response: TestResponse, name: str) -> str:
    """The messages shown right after the field ``name`` ("" when it has none)."""
    found = re.search(rf'<div id="{name}-errors">(.*?)</div>', text(response), re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip() if found else ""


def english(client: FlaskClient) -> None:
    page = client.get("/login")
    found = CSRF.search(text(page))
    assert found is not None
    assert client.post("/lang/en", data={"csrf_token": found.group(1), "next": "/"}).status_code == 302


def audit_kinds(app: Flask) -> list[str]:
    """The kinds of the audit log's entries, oldest first."""
    with app.app_context(), get_db().sessions() as s:
        return list(s.scalars(sa.select(entries.c.kind).order_by(entries.c.created_at, entries.c.id)))
