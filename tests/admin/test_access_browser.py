"""The users page in a real browser at the kiosk's 1024x600: an admin adds an operator by keyboard,
the refusal of a missing kiosk shows next to its field, then the user is added; axe-core finds no
serious or critical problem, touch targets are at least 48 px, and the CSP refuses nothing."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kiosk.models import Role
from tests.admin.access_fixtures import access_app  # noqa: F401
from tests.security.conftest import PASSWORD, add_user
from tests.support.browser import axe_violations, live_server, login, screenshot, small_targets

NEW_PASSWORD = "a new long password"


def test_users_page_by_keyboard(access_app: Flask, page: Any, db_backend: str) -> None:
    add_user(access_app, "admin-ui", Role.ADMIN)
    with live_server(access_app) as base:
        login(page, base, "admin-ui", PASSWORD)
        page.get_by_role("link", name="Pengguna", exact=True).first.click()
        page.wait_for_url(f"{base}/admin/users")
        assert page.locator("h1").inner_text() == "Pengguna dan peran"
        assert axe_violations(page) == []
        assert small_targets(page) == []
        page.locator("#username").focus()
        page.keyboard.type("citra")
        page.keyboard.press("Tab")
        page.keyboard.type("Citra Operator")
        page.keyboard.press("Tab")
        page.keyboard.press("Home")  # role: the first choice is operator
        page.keyboard.press("Tab")  # kiosk left at (none)
        page.keyboard.press("Tab")
        page.keyboard.type(NEW_PASSWORD)
        page.keyboard.press("Tab")
        page.keyboard.type(NEW_PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert page.locator("#kiosk-errors").inner_text() == "Operator harus terikat pada satu kios."
        assert page.locator("#kiosk").get_attribute("aria-invalid") == "true"
        assert page.locator("#password").input_value() == ""  # the password is never echoed
        assert axe_violations(page) == []
        screenshot(page, f"admin-users-refused-{db_backend}")
        page.select_option("#kiosk", "KIOS-001")
        page.fill("#password", NEW_PASSWORD)
        page.fill("#confirm", NEW_PASSWORD)
        page.locator("#confirm").press("Enter")
        page.wait_for_url(f"{base}/admin/users")
        page.locator("#user-citra").wait_for()
        assert "KIOS-001" in page.locator("#user-citra").inner_text()
        assert "Pengguna citra ditambahkan." in page.locator("main").inner_text()
        screenshot(page, f"admin-users-{db_backend}")
