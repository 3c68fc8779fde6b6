"""The operator UI's pages without a browser: who may open which page, the landing page by role,
no inline script or style anywhere (CSP-ready), CSRF on the JSON calls the pages make, the farmer
panel's JSON view, and every word the scripts show present in the page's catalogue strings."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import create_user
from kiosk.checkout import store
from kiosk.checkout.states import State
from kiosk.db import get_db
from kiosk.models import Role
from kiosk.views import operator, status, supervisor

PASSWORD = "correct horse battery"
STATIC = Path(__file__).resolve().parents[2] / "kiosk" / "static"
PAGES = {"/operator": {Role.OPERATOR}, "/supervisor/exceptions": {Role.SUPERVISOR},
         "/status": {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}}


def _user(app: Flask, role: Role, kiosk: str | None = None) -> str:
    username = f"{role.value}-{uuid.uuid4().hex[:6]}"
    with app.app_context(), get_db().sessions.begin() as s:
        create_user(s, app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role,
                    kiosk_code=kiosk)
    return username


def _client(app: Flask, role: Role, kiosk: str | None = "KIOS-001") -> FlaskClient:
    client = app.test_client()
    username = _user(app, role, kiosk if role is Role.OPERATOR else None)
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.AGENT])
def test_each_page_opens_for_its_roles_only(app: Flask, role: Role) -> None:
    client = _client(app, role)
    for path, allowed in PAGES.items():
        assert client.get(path).status_code == (200 if role in allowed else 403), (path, role)


def test_anonymous_is_sent_to_the_login(client: FlaskClient) -> None:
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_operators_land_on_the_swipe_screen_supervisors_on_their_links(app: Flask) -> None:
    resp = _client(app, Role.OPERATOR).get("/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/operator"
    home = _client(app, Role.SUPERVISOR).get("/").get_data(as_text=True)
    assert 'href="/supervisor/exceptions"' in home and 'href="/status"' in home and 'href="/operator"' not in home


class _Inline(HTMLParser):
    """Collects what a strict CSP (script-src 'self'; no unsafe-inline) would block."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        if "style" in names or tag == "style":
            self.problems.append(f"inline style on <{tag}>")
        self.problems += [f"{k}= on <{tag}>" for k in names if k.startswith("on")]
        if tag == "script":
            src = dict(attrs).get("src")
            if not src:
                self.problems.append("inline <script>")
            else:
                self.scripts.append(src)
        if tag == "a" and (dict(attrs).get("href") or "").startswith("javascript:"):
            self.problems.append("javascript: link")


@pytest.mark.parametrize("path", list(PAGES))
def test_pages_have_no_inline_script_or_style_and_carry_the_csrf_token(app: Flask, path: str) -> None:
    role = next(iter(PAGES[path]))
    client = _client(app, role)
    if path == "/supervisor/exceptions":  # one entry in the queue, so its resolve form is rendered too
        _exception(app)
    html = client.get(path).get_data(as_text=True)
    parser = _Inline()
    parser.feed(html)
    assert parser.problems == []
    assert parser.scripts and all((STATIC / s.removeprefix("/static/")).is_file() for s in parser.scripts)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    forms = re.findall(r"<form\b.*?</form>", html, flags=re.DOTALL)
    assert forms and all('name="csrf_token"' in f for f in forms)


def test_json_calls_need_the_csrf_header_that_the_pages_send(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    username = _user(app, Role.SUPERVISOR)
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    assert token is not None
    assert client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token.group(1)}).status_code == 302
    page = client.get("/supervisor/exceptions").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert meta is not None
    url = f"/api/v1/exceptions/{uuid.uuid4()}/resolve"
    body = {"outcome": "posted", "reason": "checked with BPJS"}
    refused = client.post(url, json=body)
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    passed = client.post(url, json=body, headers={"X-CSRFToken": meta.group(1)})
    assert passed.status_code == 404 and passed.get_json()["error"]["code"] == "checkout_not_found"


def _exception(app: Flask) -> None:
    """A checkout moved by hand into the exception queue (its journal id is all the page needs)."""
    with app.app_context(), get_db().sessions.begin() as s:
        row, _ = store.create(s, kiosk="KIOS-001", operator="someone", key=f"k-{uuid.uuid4()}", actor="test",
                              now=datetime.now(UTC))
        row.state, row.journal_id = State.EXCEPTION, uuid.uuid4()


def _checkout(app: Flask, kiosk: str) -> str:
    with app.app_context(), get_db().sessions.begin() as s:
        row, _ = store.create(s, kiosk=kiosk, operator="someone", key=f"k-{uuid.uuid4()}", actor="test",
                              now=datetime.now(UTC))
        assert row.state is State.CREATED
        return str(row.id)


def test_farmer_panel_view_is_for_the_operators_own_kiosk(app: Flask) -> None:
    mine, theirs = _checkout(app, "KIOS-001"), _checkout(app, "KIOS-002")
    client = _client(app, Role.OPERATOR, kiosk="KIOS-001")
    assert client.get(f"/operator/checkouts/{mine}/farmer").get_json() == {
        "season": None, "village": None, "kecamatan": None, "quota": []}  # no card read yet
    other = client.get(f"/operator/checkouts/{theirs}/farmer")
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "checkout_not_found"
    assert client.get("/operator/checkouts/not-a-uuid/farmer").status_code == 404
    assert _client(app, Role.SUPERVISOR).get(f"/operator/checkouts/{mine}/farmer").status_code == 403


def _keys_used(script: str) -> set[str]:
    return set(re.findall(r'\bt\(\s*"([\w.]+)"', (STATIC / "js" / script).read_text()))


COMMON = {"network", "session", *(f"month.{m}" for m in range(1, 13))}


@pytest.mark.parametrize("script,table", [("operator.js", operator.STRINGS), ("operator_view.js", operator.STRINGS),
                                          ("status.js", status.STRINGS), ("supervisor.js", supervisor.STRINGS)])
def test_every_word_a_script_shows_is_in_its_catalogue_table(script: str, table: object) -> None:
    keys = set(table) | COMMON  # type: ignore[call-overload]
    used = _keys_used(script)
    assert used, script
    assert sorted(used - keys) == []


def test_the_keys_scripts_build_from_states_exist() -> None:
    words = set(operator.STRINGS)
    waiting = {"pending", "registering", "paying", "unresolved", "exception"}
    assert {f"bpjs.{s}" for s in waiting} <= words
    assert {s.value for s in State if s.final} <= words
    assert {"receipt.printed", "receipt.queued", "receipt.failed"} <= words
    assert {f"paper.{p}" for p in ("ok", "near_end", "out", "unknown")} <= set(status.STRINGS)
    assert {f"state.{p}" for p in ("ready", "busy", "error")} <= set(status.STRINGS)
    assert {"resolved.posted", "resolved.voided"} <= set(supervisor.STRINGS)
    assert set(operator.ADVICE) >= {"quota_exhausted", "out_of_stock", "wrong_kiosk", "bpjs_unavailable", "not_in_rdkk"}
