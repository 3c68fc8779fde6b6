"""Farmer erasure from the admin page (/admin/farmers) on both backends, CSRF on: find by NIK (keyed
hash, in a POST body) or pseudonym, masked NIK shown, erase with a mandatory reason; afterwards the
farmer shows as erased, the audit log still verifies (``kiosk audit verify``, a consistency proof
across the erasure), the farmer cannot be read by any path and a receipt cannot name them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

import fertilizer
import ledger
from kiosk.db import get_db
from kiosk.models import Role
from kiosk.money.errors import NotFound
from kiosk.money.facts import farmer_of
from ledger.audit import verify_consistency_between, verify_inclusion_at
from ledger.schema import entries, journals
from tests.admin.data_fixtures import (  # noqa: F401
    as_role, counts, data_app, english, field_errors, post_form, text, token,
)
from tests.fertilizer.helpers import NIK_MAN, NIK_WOMAN, row
from tests.fertilizer.world import MAN
from tests.security.audit_cli import AuditCli

SEARCH = "/admin/farmers"
MASKED = "7312********0001"
SEASON = fertilizer.DEFAULT_CALENDAR.season_at(datetime.now(UTC)).id
REASON = "Permintaan petani sendiri, UU PDP pasal 8"


def _pseudonym(app: Flask, nik: str) -> str:
    with app.app_context(), get_db().sessions() as s:
        found = fertilizer.find_by_nik(s, app.extensions["kiosk.services"].keys(), nik)
    assert found is not None
    return found.pseudonym


def _allocate(app: Flask) -> uuid.UUID:
    """Ridwan's RDKK allocation journal (so the farmer has history in the ledger)."""
    lines = [line + "\n" for line in (
        "nik,name,birth_date,group,village,kecamatan,land_ha,season,urea_kg,npk_kg,npk_fk_kg,za_kg,sp36_kg,organic_kg",
        row(NIK_MAN, season=SEASON))]
    with app.app_context(), get_db().sessions.begin() as s:
        report = fertilizer.import_rdkk(s, app.extensions["kiosk.services"].keys(), lines, season=SEASON,
                                        now=datetime.now(UTC))
    assert report.ok and report.farmers_changed == 1
    with app.app_context(), get_db().sessions() as s:
        found = s.scalar(sa.select(journals.c.id).where(journals.c.farmer == _pseudonym(app, NIK_MAN)))
    assert isinstance(found, uuid.UUID)
    return found


def test_find_by_nik_or_pseudonym_shows_the_masked_nik(data_app: Flask) -> None:
    dinas = as_role(data_app, Role.DINAS)
    found = post_form(dinas, SEARCH, SEARCH, {"query": f" {NIK_MAN} "})
    pseudonym = _pseudonym(data_app, NIK_MAN)
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/admin/farmers/{pseudonym}")
    assert NIK_MAN not in found.headers["Location"]
    page = text(dinas.get(found.headers["Location"]))
    assert MASKED in page and MAN.name in page and NIK_MAN not in page and "terdaftar" in page
    by_name = post_form(dinas, SEARCH, SEARCH, {"query": pseudonym.lower()})
    assert by_name.headers["Location"].endswith(f"/admin/farmers/{pseudonym}")


@pytest.mark.parametrize(("query", "words"), [
    ("7312019999990001", "tidak ditemukan"), ("hello world", "NIK 16 angka"), ("F-NOSUCHFARMER", "pseudonim ini"),
    ("", "NIK 16 angka"),
])
def test_search_refusals(data_app: Flask, query: str, words: str) -> None:
    refused = post_form(as_role(data_app, Role.ADMIN), SEARCH, SEARCH, {"query": query})
    assert refused.status_code == 422 and words in field_errors(refused, "query")
    assert not query.strip() or query not in refused.get_data(as_text=True)  # a NIK typed is not echoed into the page


def test_unknown_farmer_page_is_404(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    assert admin.get("/admin/farmers/F-NOSUCHFARMER").status_code == 404
    assert admin.get("/admin/farmers/bad%20name").status_code == 404


@pytest.mark.parametrize(("form", "name", "words"), [
    ({"reason": "", "confirm": "y"}, "reason", "10 sampai 200"),
    ({"reason": "terlalu", "confirm": "y"}, "reason", "10 sampai 200"),
    ({"reason": "x" * 201, "confirm": "y"}, "reason", "10 sampai 200"),
    ({"reason": f"permintaan NIK {NIK_MAN}", "confirm": "y"}, "reason", "tidak boleh memuat NIK"),
    ({"reason": REASON}, "confirm", "Centang kotak"),
])
def test_erasure_needs_a_reason_and_a_confirmation(data_app: Flask, form: dict[str, str], name: str,
                                                   words: str) -> None:
    admin = as_role(data_app, Role.ADMIN)
    pseudonym = _pseudonym(data_app, NIK_MAN)
    page = f"/admin/farmers/{pseudonym}"
    before = counts(data_app)
    refused = post_form(admin, page, f"{page}/erase", form)
    assert refused.status_code == 422 and words in field_errors(refused, name), field_errors(refused, name)
    assert NIK_MAN not in refused.get_data(as_text=True)  # a NIK typed into the reason is not sent back
    assert counts(data_app) == before
    assert _pseudonym(data_app, NIK_MAN) == pseudonym  # still found by NIK: nothing erased


def test_erasure_from_the_page_keeps_the_log_verifiable_and_the_farmer_unreadable(
        data_app: Flask, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audit = AuditCli(monkeypatch, db_url, tmp_path / "instance")
    allocation = _allocate(data_app)
    pseudonym = _pseudonym(data_app, NIK_MAN)
    keys = data_app.extensions["kiosk.services"].keys()
    with data_app.app_context(), get_db().sessions() as s:
        record = fertilizer.by_pseudonym(s, pseudonym)
    audit.init_key()
    before = audit.checkpoint()

    admin = as_role(data_app, Role.ADMIN)
    page = f"/admin/farmers/{pseudonym}"
    done = post_form(admin, page, f"{page}/erase", {"reason": REASON, "confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith(page)
    shown = text(admin.get(page))
    assert "dihapus" in shown and MAN.name not in shown and MASKED not in shown and 'action="' + page not in shown

    after = audit.checkpoint()
    assert after.size > before.size
    assert audit.ok("audit", "verify").startswith("OK:")
    consistency = audit.ok("audit", "prove", "consistency", str(before.size))
    verify_consistency_between(before, after, [bytes.fromhex(h) for h in json.loads(consistency)["proof"]])
    proof = audit.inclusion(str(allocation))
    verify_inclusion_at(after, leaf_hash=bytes.fromhex(proof["leaf_hash"]), index=proof["index"],
                        proof=[bytes.fromhex(h) for h in proof["proof"]])

    with data_app.app_context(), get_db().sessions() as s:
        with pytest.raises(fertilizer.FarmerErased):
            fertilizer.reveal(s, keys, pseudonym)
        assert fertilizer.find_by_nik(s, keys, NIK_MAN) is None
        with pytest.raises(NotFound, match="receipt cannot name them"):
            farmer_of(s, keys, pseudonym)  # receipts show no name
        assert ledger.journal(s, allocation) is not None
        bodies = [bytes(b).decode() for b in s.execute(sa.select(entries.c.body)).scalars()]
    assert keys.get([record.id]) == {}
    erased = [json.loads(b)["payload"] for b in bodies if '"fertilizer.farmer_erased"' in b]
    assert len(erased) == 1 and erased[0]["subject"] == pseudonym and erased[0]["reason"] == REASON
    assert erased[0]["actor"].startswith("admin-")
    assert not [b for b in bodies if NIK_MAN in b or MAN.name in b]
    gone = post_form(admin, SEARCH, SEARCH, {"query": NIK_MAN})
    assert gone.status_code == 422 and "tidak dapat lagi dicari" in field_errors(gone, "query")
    identity = admin.get(f"/api/v1/farmers/{pseudonym}/identity?purpose=Memeriksa penghapusan data")
    assert identity.status_code == 410
    # the other farmer is untouched
    assert _pseudonym(data_app, NIK_WOMAN)


def test_erasing_twice_is_refused(data_app: Flask) -> None:
    dinas = as_role(data_app, Role.DINAS)
    pseudonym = _pseudonym(data_app, NIK_WOMAN)
    page = f"/admin/farmers/{pseudonym}"
    token_page = dinas.get(page)
    assert post_form(dinas, page, f"{page}/erase", {"reason": REASON, "confirm": "y"}).status_code == 302
    before = counts(data_app)
    again = dinas.post(f"{page}/erase", data={"reason": REASON, "confirm": "y", "csrf_token": token(token_page)})
    assert again.status_code == 422 and "sudah dihapus" in text(again)
    assert counts(data_app) == before


def test_english_and_csrf(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    pseudonym = _pseudonym(data_app, NIK_MAN)
    page = f"/admin/farmers/{pseudonym}"
    refused = admin.post(f"{page}/erase", data={"reason": REASON, "confirm": "y"})
    assert refused.status_code == 400
    english(admin)
    short = post_form(admin, page, f"{page}/erase", {"reason": "short", "confirm": "y"})
    assert short.status_code == 422 and "Give the reason in 10 to 200 characters." in field_errors(short, "reason")
    assert _pseudonym(data_app, NIK_MAN) == pseudonym
