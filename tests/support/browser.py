"""Headless Chromium (Debian's) driven by Playwright, a live server, and axe-core checks.

Screenshots go to ``test-artifacts/`` (kept by CI as artifacts).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
KIOSK_VIEWPORT = {"width": 1024, "height": 600}


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("Debian's chromium is not installed (scripts/bootstrap installs it)")


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """Run axe-core on the page; the violations of the given impacts (id, impact, help, nodes)."""
    # evaluated through the DevTools protocol, not as a <script>: the pages' CSP (script-src 'self',
    # no inline script) stays on and untouched while axe runs
    page.evaluate("(source) => { if (!window.axe) (0, eval)(source); }", AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base: str, username: str, password: str) -> None:
    """Log in through the login form (as a person does) and wait for the landing page."""
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    if "/login" in page.url:
        raise AssertionError(f"login as {username!r} failed: {page.locator('main').inner_text()}")


def fits_one_screen(page: Any) -> bool:
    """Whether the page needs no scrolling at the current viewport (neither down nor across)."""
    return bool(page.evaluate(
        "() => document.documentElement.scrollHeight <= window.innerHeight"
        " && document.documentElement.scrollWidth <= window.innerWidth"))


def small_targets(page: Any, minimum: int = 48) -> list[str]:
    """Visible buttons, links, inputs and selects smaller than ``minimum`` CSS px in either
    direction (touch targets); radio buttons and checkboxes count by their label."""
    found: list[str] = page.evaluate(
        """(minimum) => {
          const out = [];
          for (const el of document.querySelectorAll('button, a[href], input, select, textarea, label')) {
            if (el.closest('[hidden], template') || el.type === 'hidden') continue;
            if (el.classList.contains('skip') || el.classList.contains('visually-hidden')) continue;
            if ((el.type === 'radio' || el.type === 'checkbox') && el.closest('label')) continue;
            if (el.tagName === 'LABEL' && !el.querySelector('input[type=radio], input[type=checkbox]')) continue;
            const r = el.getBoundingClientRect();
            if (r.width === 0 && r.height === 0) continue;
            if (r.width < minimum || r.height < minimum) out.push(`${el.tagName.toLowerCase()}#${el.id || el.textContent.trim().slice(0, 20)} ${Math.round(r.width)}x${Math.round(r.height)}`);
          }
          return out;
        }""", minimum)
    return found


def watch(page: Any) -> list[str]:
    """Collect what must never happen on our pages: uncaught script errors, and anything the
    Content-Security-Policy refused (an inline script, style or handler would show up here)."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("console", lambda msg: problems.append(f"CSP: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    return problems
