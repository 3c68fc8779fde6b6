"""The login page in a real browser: works by keyboard, switches language, passes axe-core."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.models import Role
from tests.support.browser import axe_violations, live_server, screenshot


def test_login_by_keyboard_and_accessibility(app: Flask, page: Any, db_backend: str) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context(), get_db().sessions.begin() as s:
        create_user(s, app.extensions["kiosk.hasher"], username="siti", password="correct horse battery", role=Role.SUPERVISOR)
    with live_server(app) as base:
        page.goto(f"{base}/login")
        assert page.locator("h1").inner_text() == "Masuk"
        assert axe_violations(page) == []
        screenshot(page, f"login-{db_backend}")
        page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
        page.keyboard.type("siti")  # the username field has focus
        page.keyboard.press("Tab")
        page.keyboard.type("correct horse battery")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/")
        assert "Selamat datang" in page.locator("h1").inner_text()
        page.get_by_role("button", name="EN").click()
        page.wait_for_load_state()
        assert "Welcome" in page.locator("h1").inner_text()
        assert axe_violations(page) == []
