"""The browser fixtures, shared by every browser test (tests/ui, tests/admin): ONE Chromium per test
session (Playwright's sync API allows one running instance per thread), a fresh context per test at
the kiosk's 1024x600 in Indonesian and WITA; no script error and no CSP refusal allowed on a page.
Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import CHROMIUM_ARGS, KIOSK_VIEWPORT, chromium_path, watch


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="id-ID", timezone_id="Asia/Makassar")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    problems = watch(pg)
    try:
        yield pg
    finally:
        context.close()
    assert problems == []
