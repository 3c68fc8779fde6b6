"""Kiosks (/admin/kiosks) and the card hotlist (/admin/hotlist) on both backends with CSRF on: kiosks
listed with kecamatan, farmer groups and operators, added and renamed through the registry services
(audited); a card blocked on the page is refused by ``check_hotlist`` at the next swipe; supervisors
may block but not lift a block; bad input refused next to its field, changing nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from card_reader import Hotlisted
from fertilizer.registry import outlet
from kiosk.cards import check_hotlist, hotlisted
from ledger.schema import entries as ledger_entries
from kiosk.db import get_db
from kiosk.models import Role
from tests.admin.access_fixtures import (  # noqa: F401
    access_app,
    as_role,
    audit_kinds,
    english,
    field_errors,
    post_form,
    text,
)

CARD = "6011000012345678"


def test_kiosks_list_add_and_rename(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    _, operator = as_role(access_app, Role.OPERATOR, "KIOS-002")
    page = text(admin.get("/admin/kiosks"))
    assert "KIOS-001" in page and "Marioriwawo" in page and "Kelompok Tani Sipakainge I" in page
    assert operator in page.split('id="kiosk-KIOS-002"')[1].split("</li>")[0]
    answer = post_form(admin, "/admin/kiosks", "/admin/kiosks", {"code": "KIOS-010", "name": "Kios Baru",
                                                                 "kecamatan": "731204"})
    assert answer.status_code == 303
    answer = post_form(admin, "/admin/kiosks", "/admin/kiosks/KIOS-010/name", {"name": "Kios Baru Lalabata"})
    assert answer.status_code == 303
    with access_app.app_context(), get_db().sessions() as s:
        rec = outlet(s, "KIOS-010")
    assert (rec.name, rec.kecamatan_code) == ("Kios Baru Lalabata", "731204")
    kinds = audit_kinds(access_app)
    assert "fertilizer.outlet_added" in kinds and "fertilizer.outlet_renamed" in kinds


@pytest.mark.parametrize("data,field,message", [
    ({"code": "KIOSK-1", "name": "X", "kecamatan": "731201"}, "code", "An outlet code looks like KIOS-001"),
    ({"code": "KIOS-001", "name": "X", "kecamatan": "731201"}, "code", "Codes already present: KIOS-001."),
    ({"code": "KIOS-011", "name": "X", "kecamatan": "999999"}, "kecamatan", "Unknown kecamatan: 999999."),
    ({"code": "KIOS-011", "name": "", "kecamatan": "731201"}, "name", "This field is required."),
])
def test_bad_kiosk_is_refused_next_to_its_field(access_app: Flask, data: dict[str, str], field: str, message: str) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    english(admin)
    answer = post_form(admin, "/admin/kiosks", "/admin/kiosks", data)
    assert answer.status_code == 422
    assert message in field_errors(answer, field)
    assert not [k for k in audit_kinds(access_app) if k.startswith("fertilizer.outlet")]


def test_rename_refusals(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    assert post_form(admin, "/admin/kiosks", "/admin/kiosks/KIOS-404/name", {"name": "X"}).status_code == 404
    answer = post_form(admin, "/admin/kiosks", "/admin/kiosks/KIOS-001/name", {"name": ""})
    assert answer.status_code == 422 and field_errors(answer, "name-KIOS-001")


def test_hotlisted_card_is_refused_at_the_next_swipe(access_app: Flask) -> None:
    supervisor, _ = as_role(access_app, Role.SUPERVISOR)
    answer = post_form(supervisor, "/admin/hotlist", "/admin/hotlist",
                       {"card_number": "6011 0000 1234 5678", "reason": "stolen", "note": "dilaporkan ke polsek"})
    assert answer.status_code == 303
    with access_app.app_context(), get_db().sessions() as s:
        with pytest.raises(Hotlisted) as refused:
            check_hotlist(s, CARD)
    assert refused.value.message_en.startswith("This card was reported stolen.")
    page = text(supervisor.get("/admin/hotlist"))
    assert CARD in page and "dilaporkan ke polsek" in page
    assert 'action="/admin/hotlist/remove"' not in page  # a supervisor does not lift blocks
    assert post_form(supervisor, "/admin/hotlist", "/admin/hotlist/remove",
                     {"card_number": CARD, "reason": "ditemukan kembali"}).status_code == 403
    assert "kiosk.card_hotlisted" in audit_kinds(access_app)


def test_admin_lifts_a_block_with_a_reason(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    assert post_form(admin, "/admin/hotlist", "/admin/hotlist", {"card_number": CARD, "reason": "lost"}).status_code == 303
    answer = post_form(admin, "/admin/hotlist", "/admin/hotlist/remove", {"card_number": CARD, "reason": ""})
    assert answer.status_code == 422 and field_errors(answer, f"reason-{CARD}")
    answer = post_form(admin, "/admin/hotlist", "/admin/hotlist/remove", {"card_number": CARD, "reason": "kartu ditemukan"})
    assert answer.status_code == 303
    with access_app.app_context(), get_db().sessions() as s:
        assert hotlisted(s, CARD) is None
        check_hotlist(s, CARD)  # no longer refused
    assert "kiosk.card_unlisted" in audit_kinds(access_app)
    with access_app.app_context(), get_db().sessions() as s:  # the permanent log has the card masked only
        bodies = [bytes(b) for b in s.scalars(sa.select(ledger_entries.c.body).where(
            ledger_entries.c.kind.in_(("kiosk.card_hotlisted", "kiosk.card_unlisted"))))]
    assert len(bodies) == 2 and all(CARD.encode() not in b and CARD[-4:].encode() in b for b in bodies)


@pytest.mark.parametrize("data,field", [({"card_number": "1234", "reason": "lost"}, "card_number"),
                                        ({"card_number": CARD, "reason": "eaten"}, "reason"),
                                        ({"card_number": CARD, "reason": "lost", "note": "x" * 201}, "note"),
                                        ({"card_number": CARD, "reason": "lost", "note": "NIK 7312011705800001"}, "note")])
def test_bad_hotlist_input_is_refused_next_to_its_field(access_app: Flask, data: dict[str, str], field: str) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    answer = post_form(admin, "/admin/hotlist", "/admin/hotlist", data)
    assert answer.status_code == 422 and field_errors(answer, field)
    with access_app.app_context(), get_db().sessions() as s:
        assert hotlisted(s, CARD) is None
