"""The money pages (issues 9, 10): without a browser, who may open which page and what each shows
(no inline script or style, CSRF on every form that changes something, the scripts' words in the
catalogue); in a real browser through the real stack (card emulator, PIN pad, printer emulator,
device agent, BPJS sandbox, both databases): a top-up with the card in the reader, the end of day
equal to what the API keeps, a copy of a receipt, a supervisor's reversal, the deposit, a
reconciliation run and the bank file. Each page is screenshotted at 1024x600 and run through axe-core.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import ledger
from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.models import Role
from kiosk.money import card_balance
from kiosk.money.reconcile import WIB
from kiosk.views import money_pages
from tests.support.browser import login
from tests.support.kiosk_stack import (
    PASSWORD,
    KioskWorld,
    pick,
    printed_number,
    printed_since,
    snapshot,
    today_wita,
)
from tests.ui.money_flows import figure, journal, net, person_page, pseudonym, sale
from tests.ui.pages import checked, make_user, rupiah

STATIC = Path(__file__).resolve().parents[2] / "kiosk" / "static"
PAGES = {
    "/money/topup": {Role.OPERATOR, Role.SUPERVISOR},
    "/money/receipts": {Role.OPERATOR, Role.SUPERVISOR},
    "/money/day": {Role.OPERATOR, Role.SUPERVISOR},
    "/money/bpjs": {Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR},
    "/money/bank": {Role.SUPERVISOR, Role.ADMIN},
}
SCRIPTS = ("money_shared.js", "money_topup.js", "money_receipts.js", "money_day.js", "money_bpjs.js", "money_bank.js")
TEST_PASSWORD = "correct horse battery"



# ---- without a browser --------------------------------------------------------------------------


def _client(app: Flask, role: Role, kiosk: str | None = None) -> FlaskClient:
    username = f"{role.value}-{uuid.uuid4().hex[:6]}"
    with app.app_context(), get_db().sessions.begin() as s:
        create_user(s, app.extensions["kiosk.hasher"], username=username, password=TEST_PASSWORD, role=role,
                    kiosk_code=kiosk)
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": TEST_PASSWORD}).status_code == 302
    return client


class _Page(HTMLParser):
    """What a strict CSP would block, the scripts loaded, and the forms with their CSRF token."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "style" in a or tag == "style":
            self.problems.append(f"inline style on <{tag}>")
        self.problems += [f"{k}= on <{tag}>" for k in a if k.startswith("on")]
        if tag == "script":
            if a.get("src"):
                self.scripts.append(str(a["src"]))
            else:
                self.problems.append("inline <script>")
        if tag == "form":
            self.forms.append({"method": (a.get("method") or "get").lower(), "csrf": False, "id": a.get("id")})
        if tag == "input" and a.get("name") == "csrf_token" and self.forms:
            self.forms[-1]["csrf"] = True


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.AGENT])
def test_each_money_page_opens_for_its_roles_only(app: Flask, role: Role) -> None:
    client = _client(app, role, "KIOS-001" if role is Role.OPERATOR else None)
    for path, allowed in PAGES.items():
        assert client.get(path).status_code == (200 if role in allowed else 403), (path, role)
    anonymous = app.test_client().get("/money/topup")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


@pytest.mark.parametrize("path", list(PAGES))
def test_money_pages_are_csp_clean_and_every_changing_form_carries_the_csrf_token(app: Flask, path: str) -> None:
    role = Role.SUPERVISOR if Role.SUPERVISOR in PAGES[path] else Role.ADMIN
    html = _client(app, role).get(path).get_data(as_text=True)
    parser = _Page()
    parser.feed(html)
    assert parser.problems == []
    assert parser.scripts and all((STATIC / s.removeprefix("/static/")).is_file() for s in parser.scripts)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', html)
    posting = [f for f in parser.forms if f["method"] == "post"]
    assert all(f["csrf"] for f in posting), posting
    assert not any(f["csrf"] for f in parser.forms if f["method"] == "get")  # a token never goes into a URL


def test_the_auditor_reads_the_reconciliation_but_gets_no_deposit_and_no_form(app: Flask) -> None:
    html = _client(app, Role.AUDITOR).get("/money/bpjs").get_data(as_text=True)
    assert 'id="recon-h"' in html and 'id="exc-h"' in html
    assert 'id="deposit"' not in html and 'id="run"' not in html and "resolve-recon" not in html
    assert 'id="deposits"' not in html


def test_a_bad_day_is_said_next_to_the_field_and_today_is_shown(app: Flask) -> None:
    client = _client(app, Role.OPERATOR, "KIOS-001")
    future = (today_wita() + timedelta(days=2)).isoformat()
    html = client.get(f"/money/day?day={future}").get_data(as_text=True)
    assert "Hari itu belum tiba." in html and f'value="{today_wita().isoformat()}"' in html
    assert "Tanggal harus YYYY-MM-DD." in client.get("/money/day?day=kemarin").get_data(as_text=True)


def test_a_supervisor_without_a_kiosk_chooses_one_first(app: Flask) -> None:
    html = _client(app, Role.SUPERVISOR).get("/money/day?kiosk=KIOS-NOPE").get_data(as_text=True)
    assert 'id="no-kiosk"' in html and 'id="close-day"' not in html


def _keys_used(script: str) -> set[str]:
    return set(re.findall(r'\bt\(\s*"([\w.]+)"', (STATIC / "js" / script).read_text()))


def test_every_word_the_money_scripts_show_is_in_the_catalogue_table() -> None:
    common = {"network", "session", *(f"month.{m}" for m in range(1, 13))}
    used = set().union(*(_keys_used(s) for s in SCRIPTS))
    assert used and sorted(used - set(money_pages.STRINGS) - common) == []
    states = {f"receipt.{s}" for s in ("printed", "queued", "unsent", "failed", "pending")}
    assert states | {"tender.card", "tender.cash"} <= set(money_pages.STRINGS)


# ---- in a browser, through the real stack ----------------------------------------------------------


def test_top_up_with_the_card_in_the_reader_then_close_the_day(world: KioskWorld, base_url: str, page: Any,
                                                               population: Any, db_backend: str) -> None:
    farmer = pick(population, "paid_up", skip=1)
    kiosk = world.kiosk_of(farmer)
    login(page, base_url, make_user(world, Role.OPERATOR, kiosk), PASSWORD)
    page.get_by_role("link", name="Uang").first.click()
    page.wait_for_url(f"{base_url}/money/topup")
    checked(page, f"money-topup-{db_backend}")

    before = snapshot(world)  # bad amounts: a message next to the field, nothing changed
    page.get_by_label("Jumlah (rupiah)").fill("12,5")
    page.get_by_role("button", name="Isi saldo", exact=True).click()
    assert "hanya angka" in page.locator("#amount-error").inner_text()
    assert page.locator("#amount").get_attribute("aria-invalid") == "true"
    page.get_by_label("Jumlah (rupiah)").fill("60000001")  # above the top-up limit: the API says so
    page.get_by_role("button", name="Isi saldo", exact=True).click()
    page.locator("#amount-error [lang=en]").wait_for()
    assert "Rp 50.000.000" in page.locator("#amount-error [lang=id]").inner_text()
    assert "whole number of rupiah" in page.locator("#amount-error [lang=en]").inner_text()
    checked(page, f"money-topup-bad-amount-{db_backend}")
    assert snapshot(world) == before

    card = pseudonym(world, farmer)
    with world.session() as s:
        balance_before = card_balance(s, card)
    mark = printed_number(world)
    world.insert(farmer)
    page.get_by_label("Jumlah (rupiah)").fill("75.000")
    page.keyboard.press("Enter")
    page.locator("#tu-result").wait_for(state="visible", timeout=30_000)
    world.stack.remove_card(wait=True)
    assert page.locator("#tu-result-h").inner_text() == "Saldo ditambah Rp 75.000"
    with world.session() as s:
        assert card_balance(s, card) == balance_before + 75_000
    assert page.locator("#tu-balance").inner_text() == f"Saldo kartu sekarang: {rupiah(balance_before + 75_000)}"
    assert page.locator("#tu-receipt").inner_text() == "Struk: sudah dicetak"
    journal_id = page.locator("#tu-journal").inner_text().split(": ")[1]
    assert journal(world, journal_id).state is ledger.JournalState.POSTED
    [printed] = printed_since(world, mark, journal_id)
    assert "75.000" in printed["text"]
    checked(page, f"money-topup-done-{db_backend}")

    page.get_by_role("link", name="Tutup hari").first.click()
    page.wait_for_url(f"{base_url}/money/day")
    assert figure(page, "topups") == "1, Rp 75.000"
    checked(page, f"money-day-{db_backend}")
    mark = printed_number(world)
    page.get_by_role("button", name="Tutup hari dan cetak").click()
    page.locator("#kept tr.fresh").wait_for()
    assert "sudah dicetak" in page.locator("#kept tr.fresh").inner_text()
    answer = page.request.get(f"{base_url}/api/v1/end-of-day?day={today_wita().isoformat()}")  # as this operator
    assert answer.ok
    kept = answer.json()["reports"]
    assert len(kept) == 1 and page.locator("#kept tr.fresh").get_attribute("id") == f"k-{kept[0]['id']}"
    report = kept[0]["report"]  # what the page shows is what the API kept
    shown = {k: figure(page, k) for k in ("fertilizer_net", "tender_card", "tender_cash", "cash_opening", "cash_in",
                                          "cash_out", "cash_expected")}
    assert shown == {"fertilizer_net": rupiah(report["fertilizer_net"]), "tender_card": rupiah(report["tender"]["card"]),
                     "tender_cash": rupiah(report["tender"]["cash"]), "cash_opening": rupiah(report["cash"]["opening"]),
                     "cash_in": rupiah(report["cash"]["in"]), "cash_out": rupiah(report["cash"]["out"]),
                     "cash_expected": rupiah(report["cash"]["expected"])}
    assert report["cash"]["expected"] == net(world, f"cash:{kiosk}")
    assert figure(page, "topups") == f"{report['topups']['count']}, {rupiah(report['topups']['total'])}"
    assert len(printed_since(world, mark)) == 1  # the day's report on paper
    checked(page, f"money-day-closed-{db_backend}")


def test_copy_then_a_supervisor_reverses_the_sale_and_reconciles(world: KioskWorld, base_url: str, page: Any, browser: Any,
                                                                 population: Any, db_backend: str) -> None:
    farmer = pick(population, "one_behind", skip=4)  # the sale also pays a BPJS month
    kiosk = world.kiosk_of(farmer)
    done = sale(world, farmer, {"UREA": 50})
    assert done["totals"]["contribution"] > 0 and done["receipt"]["state"] == "printed"

    login(page, base_url, make_user(world, Role.OPERATOR, kiosk), PASSWORD)
    page.goto(f"{base_url}/money/receipts")
    item = page.locator(f"#s-{done['id']}")
    assert done["journal_id"] in item.inner_text() and "sudah dicetak" in item.locator(".receipt-line").inner_text()
    assert farmer.nik not in page.content() and farmer.nik[-4:] in item.inner_text()
    assert item.locator("form.reverse").count() == 0  # operators may not reverse
    mark = printed_number(world)
    item.get_by_role("button", name="Cetak salinan").click()
    item.locator(".done-note", has_text="sudah dicetak").wait_for()
    [copy] = printed_since(world, mark, done["journal_id"])
    assert "SALINAN / COPY" in copy["text"]
    checked(page, f"money-receipts-copy-{db_backend}")

    deposit, host = net(world, f"bpjs:deposit:{kiosk}"), world.bpjs.state()
    with person_page(browser, base_url, make_user(world, Role.SUPERVISOR)) as sv:
        sv.goto(f"{base_url}/money/receipts?kiosk={kiosk}")
        row = sv.locator(f"#s-{done['id']}")
        row.get_by_text("Batalkan penjualan ini").click()
        assert "tidak dibatalkan" in row.locator(".reverse .hint").inner_text()  # the BPJS month stays paid
        row.get_by_role("button", name="Batalkan penjualan", exact=True).click()
        assert "minimal 5 karakter" in row.locator(".reverse .field-error").inner_text()
        row.get_by_label("Alasan (disimpan di log audit)").fill("Petani salah pilih pupuk")
        checked(sv, f"money-receipts-reverse-{db_backend}")
        row.get_by_role("button", name="Batalkan penjualan", exact=True).click()
        row.locator("div.reversed").wait_for(timeout=30_000)
        text = row.locator("div.reversed").inner_text()
        assert f"Dibatalkan: {rupiah(done['totals']['fertilizer'])} kembali ke saldo kartu." in text
        assert f"Iuran BPJS {rupiah(done['totals']['contribution'])} tetap lunas." in text
        reversal_id = row.locator("div.reversed .mono").inner_text().split(": ")[1]
        reversal = journal(world, reversal_id)
        assert reversal.state is ledger.JournalState.POSTED and reversal.kind is ledger.JournalKind.REVERSAL
        assert net(world, f"bpjs:deposit:{kiosk}") == deposit and world.bpjs.state() == host  # BPJS untouched
        sv.reload()
        assert "Dibatalkan oleh" in sv.locator(f"#s-{done['id']} .reversed").inner_text()

        today_wib = datetime.now(WIB).date().isoformat()
        sv.get_by_role("link", name="Deposit BPJS").click()
        sv.get_by_label("Hari (WIB)").fill(today_wib)
        sv.get_by_role("button", name="Tampilkan").click()
        sv.wait_for_url(f"**day={today_wib}*")
        sv.locator("#no-run").wait_for(state="visible")
        sv.get_by_role("button", name="Rekonsiliasi hari ini sekarang").click()
        sv.locator("#run-counts").wait_for(timeout=30_000)
        assert int(sv.locator('#run-counts [data-k="matched"]').inner_text()) >= 1  # the month paid in the sale
        assert sv.locator("#lines tr.status-matched").count() >= 1
        assert sv.locator("#csv").get_attribute("href") == f"/api/v1/reconciliations/{today_wib}?format=csv"
        checked(sv, f"money-bpjs-reconciled-{db_backend}")


def test_deposit_and_bank_file_refused_whole_then_imported(world: KioskWorld, base_url: str, page: Any,
                                                           population: Any, db_backend: str, tmp_path: Path) -> None:
    farmer = pick(population, "paid_up", skip=2)
    kiosk = world.kiosk_of(farmer)
    login(page, base_url, make_user(world, Role.SUPERVISOR), PASSWORD)
    page.goto(f"{base_url}/money/bpjs")
    deposit = net(world, f"bpjs:deposit:{kiosk}")
    before = snapshot(world)
    form = page.locator("#deposit")
    form.get_by_label("Kios").select_option(kiosk)
    form.get_by_label("Jumlah (rupiah)").fill("1.000.000")
    form.get_by_label("Referensi transfer").fill("TRF 01")  # a space: not a reference
    form.get_by_role("button", name="Catat deposit").click()
    page.locator("#dep-error [lang=en]").wait_for()
    assert "Reference" in page.locator("#dep-error [lang=en]").inner_text()
    assert page.locator("#dep-reference").get_attribute("aria-invalid") == "true"
    assert snapshot(world) == before
    form.get_by_label("Referensi transfer").fill(f"TRF-{uuid.uuid4().hex[:8]}")
    form.get_by_role("button", name="Catat deposit").click()
    page.locator("#dep-done").wait_for()
    assert net(world, f"bpjs:deposit:{kiosk}") - deposit == -1_000_000  # a liability grows: credit
    shown = rupiah(-net(world, f"bpjs:deposit:{kiosk}"))
    assert page.locator(f"#dep-{kiosk}").inner_text() == shown and shown in page.locator("#dep-done").inner_text()
    checked(page, f"money-bpjs-deposit-{db_backend}")

    page.get_by_role("link", name="Berkas bank").click()
    page.wait_for_url(f"{base_url}/money/bank")
    checked(page, f"money-bank-{db_backend}")
    card = pseudonym(world, farmer)
    with world.session() as s:
        balance = card_balance(s, card)
    day = today_wita().isoformat()
    bad = tmp_path / "bad.csv"
    bad.write_text(f"reference,value_date,nik,amount\nBRI-1,{day},{farmer.nik},150000\nBRI-2,2099-01-01,{farmer.nik},12x\n")
    before = snapshot(world)
    page.get_by_label("Berkas CSV (paling besar 10 MB)").set_input_files(str(bad))
    page.get_by_role("button", name="Impor").click()
    problems = page.locator("#bank-problems")
    problems.wait_for()
    assert "ditolak" in page.locator("#bank-result-h [lang=id]").inner_text()
    assert "refused" in page.locator("#bank-result-h [lang=en]").inner_text()
    rows = problems.locator("tbody tr")
    assert rows.count() == 2 and {rows.nth(i).locator("td").first.inner_text() for i in range(2)} == {"3"}
    assert "future" in rows.first.locator("[lang=en]").inner_text() or "future" in rows.nth(1).locator("[lang=en]").inner_text()
    assert farmer.nik not in page.content()
    checked(page, f"money-bank-refused-{db_backend}")
    assert snapshot(world) == before

    good = tmp_path / "good.csv"
    good.write_text(f"reference,value_date,nik,amount\nBRI-{uuid.uuid4().hex[:10]},{day},{farmer.nik},150000\n")
    page.get_by_label("Berkas CSV (paling besar 10 MB)").set_input_files(str(good))
    page.get_by_role("button", name="Impor").click()
    page.locator("#bank-result-h", has_text="Diimpor 1 baris").wait_for()
    assert problems.is_hidden()
    with world.session() as s:
        assert card_balance(s, card) == balance + 150_000
