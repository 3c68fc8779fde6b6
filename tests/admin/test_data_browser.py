"""The RDKK upload page in a real browser (Chromium at the kiosk's 1024x600), served live with CSRF
on, on both backends: a file with a bad line is refused with its line, a good file is checked and
then imported; axe-core finds nothing serious, touch targets are 48 px, the CSP refuses nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from kiosk.models import Role
from tests.admin.data_fixtures import counts, data_app  # noqa: F401
from tests.admin.test_data_rdkk import SEASON, _rows, csv_file
from tests.fertilizer.helpers import row
from tests.fertilizer.world import nik
from tests.security.conftest import PASSWORD, add_user
from tests.support.browser import live_server, login
from tests.ui.pages import checked


def test_rdkk_upload_in_the_browser(data_app: Flask, page: Any, tmp_path: Path, db_backend: str) -> None:
    add_user(data_app, "dinas-browser", Role.DINAS)
    bad, good = tmp_path / "rdkk-bad.csv", tmp_path / "rdkk.csv"
    bad.write_bytes(csv_file(*_rows(), row(nik(3), name="Baco", born="1970-01-01", land="0.5", season=SEASON,
                                           kg="900,0,0,0,0,0")))  # over the Urea ceiling: line 5
    good.write_bytes(csv_file(*_rows()))
    before = counts(data_app)
    with live_server(data_app) as base:
        login(page, base, "dinas-browser", PASSWORD)
        page.get_by_role("link", name="Data subsidi").click()
        page.wait_for_url(f"{base}/admin/rdkk")
        checked(page, f"admin-rdkk-{db_backend}")

        page.set_input_files("#rdkk_file", str(bad))
        page.get_by_role("button", name="Periksa").click()
        page.locator("#rdkk-report").wait_for()
        assert page.locator("#report-h").inner_text().startswith("Ditolak")
        assert page.locator("#rdkk-bad").inner_text() == "1"
        assert page.locator("table.problems tbody tr td").first.inner_text() == "5"
        checked(page, f"admin-rdkk-refused-{db_backend}")
        assert counts(data_app) == before

        page.set_input_files("#rdkk_file", str(good))
        page.keyboard.press("Tab")  # keyboard only from here: the focus moves to Check
        page.focus("#check")
        page.keyboard.press("Enter")
        page.locator("#report-h", has_text="Diperiksa").wait_for()
        page.set_input_files("#rdkk_file", str(good))
        page.get_by_role("button", name="Impor").click()
        page.locator("#report-h", has_text="Telah diimpor").wait_for()
        assert page.locator("#rdkk-rows").inner_text() == "3"
        checked(page, f"admin-rdkk-imported-{db_backend}")
    after = counts(data_app)
    assert after["farmers"] == before["farmers"] + 2 and after["journals"] == before["journals"] + 3
