"""The demo control page (issue 10, `make demo`) on the real device stack of
tests/support/kiosk_stack.py: cards inserted and removed, the PIN typed on the emulated pad and the
printed receipts read from the page, while the operator screen (a second tab of the same browser)
reacts as it does to a farmer at the kiosk. Also: the page is 404 outside demo mode, production
refuses the demo setting, and bad input gets a clear error in both languages and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.demo_cards import read_deck, write_standings
from kiosk.devstack import DeviceStack
from kiosk.devstack.stack import STACK_FILE
from kiosk.models import Role
from kiosk.settings import ConfigError, load_settings
from tests.support.browser import ARTIFACTS, KIOSK_VIEWPORT, login, screenshot, watch
from tests.support.kiosk_stack import PASSWORD, DemoFarmer, KioskWorld, pick
from tests.ui.demo_support import (  # demo_app is a fixture
    close_app,
    demo_app,  # noqa: F401
    demo_client,
    demo_mode_app,
    person_client,
)
from tests.ui.pages import assert_one_screen, checked, wait_decided

PEOPLE = [Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR, Role.DINAS, Role.ADMIN]


@pytest.fixture
def world_settings(stack: DeviceStack, population: list[DemoFarmer]) -> dict[str, Any]:
    """The world in demo mode: the page drives the session's device stack; each deck card's BPJS
    standing written next to the images, as `kiosk demo` does."""
    write_standings(stack.deck_dir, [(f.card_number, f.standing) for f in population])
    return {"demo_stack": str(stack.run_dir / STACK_FILE)}


@pytest.fixture
def two_tabs(browser: Any) -> Iterator[tuple[Any, Any]]:
    """One browser context (one login) with two tabs: the operator screen and the demo page."""
    context = browser.new_context(viewport=KIOSK_VIEWPORT, locale="id-ID", timezone_id="Asia/Makassar")
    operator_tab, demo_tab = context.new_page(), context.new_page()
    problems = {"operator": watch(operator_tab), "demo": watch(demo_tab)}  # script errors, CSP refusals
    for tab in (operator_tab, demo_tab):
        tab.set_default_timeout(15_000)
    try:
        yield operator_tab, demo_tab
    finally:
        context.close()
    assert problems == {"operator": [], "demo": []}


def test_a_whole_swipe_driven_from_the_demo_page(world: KioskWorld, base_url: str, two_tabs: Any,
                                                 population: list[DemoFarmer], db_backend: str) -> None:
    operator, demo = two_tabs
    farmer = pick(population, "paid_up", skip=3)
    _demo_login(world, "operator", Role.OPERATOR, world.kiosk_of(farmer))  # as `kiosk demo` names it
    login(operator, base_url, "operator", PASSWORD)
    operator.wait_for_url(f"{base_url}/operator")
    operator.locator("#reader-state.out").wait_for()
    assert_one_screen(operator, "the operator screen with the demo page's link in the header")

    demo.goto(f"{base_url}/demo")  # the same login, in the second tab
    row = demo.locator(f'tr[data-card="{farmer.card_number}"]')
    assert row.locator(".name").inner_text() == farmer.name
    assert farmer.nik[:4] + "*" * 8 + farmer.nik[-4:] in row.inner_text()
    nik_hidden = farmer.nik not in demo.content()
    assert nik_hidden, "a full NIK is on the demo page"
    assert row.locator(".standing").inner_text() == "lunas"
    pin_shown = row.locator(".pin").inner_text() == farmer.pin
    assert pin_shown, "the demo card's PIN is not the one in its image"
    demo.locator("#pad-state", has_text="Tidak ada permintaan PIN").wait_for()
    assert demo.get_by_label("Pembaca 0").is_checked()  # the kiosk's reader is the default
    checked(demo, f"demo-page-{db_backend}")
    assert fits_across(demo), "the demo page is wider than 1024 px"
    demo.screenshot(path=str(ARTIFACTS / f"demo-page-1024x600-{db_backend}.png"))  # what the screen shows

    row.get_by_role("button", name="Masukkan kartu").click()
    wait_decided(operator)  # the operator screen reacts to the card the demo page inserted
    assert operator.locator("#farmer-name").inner_text() == farmer.name
    demo.locator("#reader-0", has_text=farmer.card_number).wait_for()
    assert row.locator(".where").inner_text() == "di pembaca 0"

    operator.locator('.line[data-product="UREA"]').get_by_role("button", name="+1 karung").click()
    operator.get_by_role("button", name="Konfirmasi").click()
    operator.locator("#screen-pin").wait_for(state="visible")
    demo.locator("#pad-state", has_text="Kios meminta PIN").wait_for()
    wrong = "1" * len(farmer.pin) if set(farmer.pin) != {"1"} else "2" * len(farmer.pin)
    keypad = demo.locator("#pad-form")
    for digit in wrong:  # a wrong PIN key by key, then OK
        keypad.get_by_role("button", name=digit, exact=True).click()
    demo.locator("#pad-state", has_text=f"{len(wrong)} angka diketik").wait_for()
    keypad.get_by_role("button", name="OK", exact=True).click()
    operator.locator("#pin-note [lang=id]", has_text="PIN salah").wait_for(timeout=30_000)
    row.locator(".tries", has_text="sisa 2 kali").wait_for()

    demo.get_by_role("button", name="Ketik PIN kartu yang ada di pembaca kios").click()
    operator.locator("#screen-result").wait_for(state="visible", timeout=30_000)
    assert operator.locator("#result-h").inner_text() == "Selesai"
    journal_id = operator.locator("#result-journal").inner_text().split(": ")[1]

    newest = demo.locator("#receipts li.receipt").first  # the printed receipt shows up by itself
    newest.locator("code", has_text=f"j={journal_id}&").wait_for(timeout=30_000)
    assert "Urea" in newest.locator("pre.paper").inner_text()
    numbers = [int(n) for n in demo.locator("#receipts li.receipt").evaluate_all("els => els.map(e => e.dataset.number)")]
    assert numbers == sorted(numbers, reverse=True)
    checked(demo, f"demo-page-receipt-{db_backend}")

    operator.get_by_role("button", name="Pelanggan berikutnya").click()
    operator.locator("#reader-state.in").wait_for()
    demo.locator('li.reader[data-slot="0"]').get_by_role("button", name="Cabut kartu").click()
    operator.locator("#reader-state.out").wait_for()  # the operator screen sees the card go
    demo.locator("#reader-0", has_text="tidak ada kartu").wait_for()
    assert row.get_by_role("button", name="Masukkan kartu").is_visible()

    demo.set_viewport_size({"width": 512, "height": 600})  # half the screen, the operator in the other half
    grid_fits = demo.evaluate("() => { const g = document.getElementById('demo'); return g.scrollWidth <= g.clientWidth; }")
    assert grid_fits, "the demo page's columns do not fit a half-width window"
    screenshot(demo, f"demo-page-half-width-{db_backend}")


def _demo_login(world: KioskWorld, username: str, role: Role, kiosk: str | None) -> None:
    with world.app.app_context(), get_db().sessions.begin() as s:
        create_user(s, world.app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role,
                    kiosk_code=kiosk)


def fits_across(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"))


def test_every_person_role_may_use_it_in_demo_mode_and_the_agent_may_not(demo_app: Flask) -> None:
    for role in PEOPLE:
        client = person_client(demo_app, role)
        page = client.get("/demo")
        assert page.status_code == 200, role
        assert client.get("/demo/state").status_code == 200, role
        assert 'href="/demo"' in page.get_data(as_text=True), role  # in the header's pages
    anonymous = demo_app.test_client().get("/demo")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_page_is_404_outside_demo_mode(app: Flask) -> None:
    for role in PEOPLE:
        client = person_client(app, role)
        assert client.get("/demo").status_code == 404, role
        assert client.get("/demo/state").status_code == 404, role
        assert client.post("/demo/insert", json={"card_number": "1" * 16, "slot": 0}).status_code == 404, role
        assert client.post("/demo/remove", json={"slot": 0}).status_code == 404, role
        assert client.post("/demo/pinpad", json={"action": "ok"}).status_code == 404, role
        assert 'href="/demo"' not in client.get("/").get_data(as_text=True), role  # no link to it either


def test_production_refuses_the_demo_stack_setting() -> None:
    env = {"KIOSK_ENV": "production", "SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql+psycopg://kiosk@db/kiosk"}
    assert load_settings(env).demo_stack == ""
    with pytest.raises(ConfigError, match="KIOSK_DEMO_STACK"):
        load_settings({**env, "KIOSK_DEMO_STACK": "/tmp/run/stack.json"})


def _state(client: FlaskClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/demo/state").get_json()
    return body


def test_bad_input_gets_a_clear_error_in_both_languages_and_changes_nothing(demo_app: Flask, stack: DeviceStack) -> None:
    stack.remove_card(0)
    stack.remove_card(1)
    client = demo_client(demo_app)
    before = _state(client)["readers"]
    assert before == [{"slot": 0, "card_number": None}, {"slot": 1, "card_number": None}]
    cases = [
        ("/demo/insert", {"card_number": "12", "slot": 0}, "card_number", "Nomor kartu terdiri dari 16 angka.",
         "A card number has 16 digits."),
        ("/demo/insert", {"card_number": stack.card_control.cards()[0]["card_number"], "slot": 7}, "slot",
         "Pembaca kartu adalah 0 atau 1.", "The reader is 0 or 1."),
        ("/demo/remove", {}, "slot", "Pilih pembaca kartu.", "Choose a reader."),
        ("/demo/pinpad", {"action": "digit", "digit": "12"}, "digit", "Satu tombol adalah satu angka, 0 sampai 9.",
         "A key is one digit, 0 to 9."),
        ("/demo/pinpad", {"action": "digit"}, "digit", "Satu tombol adalah satu angka, 0 sampai 9.",
         "A key is one digit, 0 to 9."),
        ("/demo/pinpad", {"action": "enter"}, "action", "Pilih tombol.", "Choose a key."),
        ("/demo/insert", {"card_number": 12, "slot": [0, 1]}, "card_number", "Nomor kartu terdiri dari 16 angka.",
         "A card number has 16 digits."),
        ("/demo/insert", {"slot": {"x": 1}}, "card_number", "Pilih kartu.", "Choose a card."),
        ("/demo/insert", {"card_number": "1" * 16, "slot": {"x": 1}}, "slot", "Pembaca kartu adalah 0 atau 1.",
         "The reader is 0 or 1."),
    ]
    for path, body, field, in_id, in_en in cases:
        answer = client.post(path, json=body)
        assert answer.status_code == 400, (path, body)
        error = answer.get_json()["error"]
        assert error["fields"][field] == {"message_id": in_id, "message": in_en}, (path, body)
    refused = client.post("/demo/insert", json={"card_number": "9" * 16, "slot": 0})  # not in the deck
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert "9999999999999999" in error["message_id"] and "is not in the deck" in error["message"]
    no_card = client.post("/demo/pinpad", json={"action": "card_pin"}).get_json()["error"]
    assert no_card == {"code": "no_card", "message_id": "Tidak ada kartu di pembaca kios.",
                       "message": "There is no card in the kiosk's reader."}
    assert _state(client)["readers"] == before
    assert stack.pinpad_control.status()["queued"] == 0  # nothing was typed or queued on the pad


def test_insert_and_remove_in_either_reader_through_the_json_routes(demo_app: Flask, stack: DeviceStack) -> None:
    stack.remove_card(1)
    client = demo_client(demo_app)
    card = read_deck(stack.deck_dir)[-1]
    assert client.post("/demo/insert", json={"card_number": card.card_number, "slot": 1}).status_code == 200
    assert {"slot": 1, "card_number": card.card_number} in _state(client)["readers"]
    assert stack.card_control.status()["slots"][1]["card_number"] == card.card_number
    twice = client.post("/demo/insert", json={"card_number": card.card_number, "slot": 0})
    assert twice.status_code == 409 and twice.get_json()["error"]["message"].endswith("That card is already in a reader.")
    assert client.post("/demo/remove", json={"slot": 1}).status_code == 200
    assert stack.card_control.status()["slots"][1]["card_number"] is None
    page = client.get("/demo").get_data(as_text=True)
    assert re.search(rf'<tr data-card="{card.card_number}">', page)
    assert card.masked_nik in page


def test_a_stack_that_is_gone_is_a_clear_error_not_a_crash(db_url: str, tmp_path: Path) -> None:
    app = demo_mode_app(db_url, tmp_path, tmp_path / "run" / STACK_FILE)
    try:
        client = demo_client(app)
        page = client.get("/demo")
        assert page.status_code == 200
        assert "No device stack is running in this folder." in page.get_data(as_text=True)
        state = client.get("/demo/state")
        assert state.status_code == 503 and state.get_json()["error"]["code"] == "stack_not_running"
    finally:
        close_app(app)


def test_the_page_is_csp_ready_and_its_script_has_its_words(demo_app: Flask) -> None:
    """No inline script, style or handler; a CSRF token in every form; every word key demo.js asks
    for is in the view's STRINGS (or the common strings)."""
    from kiosk.views import demo

    html = demo_client(demo_app).get("/demo").get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []
    assert re.findall(r"<[^>]+\s(?:style|on\w+)=", html) == []
    forms = re.findall(r"<form\b.*?</form>", html, flags=re.DOTALL)
    assert len(forms) > 3 and all('name="csrf_token"' in f for f in forms)
    script = (Path(demo.__file__).parents[1] / "static" / "js" / "demo.js").read_text()
    asked = set(re.findall(r'\bt\(\s*"([\w.]+)"', script))
    assert asked and asked <= set(demo.STRINGS) | {"network"}
