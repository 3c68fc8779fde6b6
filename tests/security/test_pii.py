"""The full NIK only for admin and dinas, only with a purpose, each view an audit entry."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

import fertilizer
import ledger
from fertilizer.generator import GeneratorConfig, farmers, load_registry
from kiosk import pii
from kiosk.db import get_db
from kiosk.models import Role
from ledger.schema import entries
from tests.security.conftest import person

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
PURPOSE = "Verifikasi klaim subsidi kecamatan Lalabata"


@dataclass(frozen=True)
class Known:
    pseudonym: str
    nik: str
    name: str


@pytest.fixture
def registry(secure_app: Flask) -> list[Known]:
    config = GeneratorConfig(farmers=3)
    with secure_app.app_context(), get_db().sessions.begin() as s:
        keys = secure_app.extensions["kiosk.services"].keys()
        load_registry(s, keys, config, now=NOW)
        return [Known(fertilizer.find_by_nik(s, keys, f.nik).pseudonym, f.nik, f.name)  # type: ignore[union-attr]
                for f in farmers(config)]


def _viewed(app: Flask) -> list[dict[str, Any]]:
    with app.app_context(), get_db().sessions() as s:
        rows = s.execute(sa.select(entries.c.body).where(entries.c.kind == pii.ENTRY_KIND)).all()
    return [ledger.decode(bytes(r.body))["payload"] for r in rows]


def _url(pseudonym: str, purpose: str | None = PURPOSE) -> str:
    return f"/api/v1/farmers/{pseudonym}/identity" + (f"?purpose={purpose}" if purpose is not None else "")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DINAS])
def test_admin_and_dinas_see_the_full_nik_and_each_view_is_recorded(secure_app: Flask, registry: list[Known], role: Role,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    farmer = registry[0]
    client = person(secure_app, role)
    with caplog.at_level(logging.DEBUG):
        answer = client.get(_url(farmer.pseudonym))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["nik"] == farmer.nik and body["name"] == farmer.name and body["masked_nik"] == fertilizer.mask_nik(farmer.nik)
    assert answer.headers["Cache-Control"] == "no-store"
    [entry] = _viewed(secure_app)
    assert entry["viewer"] == f"{role.value}-0" and entry["role"] == role.value
    assert entry["pseudonym"] == farmer.pseudonym and entry["purpose"] == PURPOSE and entry["at"].endswith("Z")
    assert farmer.nik not in str(entry) and farmer.name not in str(entry)
    assert str(body["entry_id"]) and uuid.UUID(body["entry_id"])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"event=nik_viewed viewer={role.value}-0" in logged and farmer.nik not in logged and farmer.name not in logged
    client.get(_url(registry[1].pseudonym))
    assert [e["pseudonym"] for e in _viewed(secure_app)] == [farmer.pseudonym, registry[1].pseudonym]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR])
def test_other_roles_are_refused_and_nothing_is_recorded(secure_app: Flask, registry: list[Known], role: Role) -> None:
    answer = person(secure_app, role).get(_url(registry[0].pseudonym))
    assert answer.status_code == 403 and registry[0].nik not in answer.get_data(as_text=True)
    assert _viewed(secure_app) == []


def test_reveal_nik_itself_refuses_roles_without_the_need(secure_app: Flask, registry: list[Known]) -> None:
    @dataclass(frozen=True)
    class Who:
        username: str
        role: Role

    keys = secure_app.extensions["kiosk.services"].keys()
    with secure_app.app_context(), get_db().sessions() as s:
        for role in set(Role) - pii.NIK_ROLES:
            with pytest.raises(pii.PiiError) as refused:
                pii.reveal_nik(s, keys, registry[0].pseudonym, Who("x", role), PURPOSE, now=NOW)
            assert refused.value.code == "nik_not_permitted" and refused.value.status == 403
        seen = pii.reveal_nik(s, keys, registry[0].pseudonym, Who("andi", Role.ADMIN), PURPOSE, now=NOW)
        assert seen.nik == registry[0].nik and registry[0].nik not in repr(seen) and seen.masked_nik in repr(seen)
        s.rollback()


@pytest.mark.parametrize("purpose,code", [
    (None, "purpose_required"), ("", "purpose_required"), ("cek", "purpose_required"), ("x" * 201, "purpose_required"),
    ("cek NIK 7312011705800001 di KTP", "purpose_has_number"),
])
def test_a_purpose_is_required_and_must_not_carry_a_nik(secure_app: Flask, registry: list[Known], purpose: str | None,
                                                        code: str) -> None:
    answer = person(secure_app, Role.DINAS).get(_url(registry[0].pseudonym, purpose))
    assert answer.status_code == 400 and answer.get_json()["error"]["code"] == code
    assert answer.get_json()["error"]["message_id"] and registry[0].nik not in answer.get_data(as_text=True)
    assert _viewed(secure_app) == []


def test_unknown_and_erased_farmers(secure_app: Flask, registry: list[Known]) -> None:
    admin = person(secure_app, Role.ADMIN)
    assert admin.get(_url("P-NOSUCH")).get_json()["error"]["code"] == "unknown_farmer"
    assert admin.get(_url("P-NOSUCH")).status_code == 404
    assert admin.get(_url("bad%20name")).status_code == 404
    keys = secure_app.extensions["kiosk.services"].keys()
    with secure_app.app_context(), get_db().sessions.begin() as s:
        fertilizer.erase_farmer(s, keys, fertilizer.ledger_audit_sink(), registry[2].pseudonym, actor="admin-andi",
                                now=NOW, reason="permintaan petani (UU PDP)")
    gone = admin.get(_url(registry[2].pseudonym))
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "farmer_erased"
    assert _viewed(secure_app) == []


def test_anonymous_gets_401_and_the_agent_token_403(secure_app: Flask, registry: list[Known]) -> None:
    from tests.security.conftest import add_token

    assert secure_app.test_client().get(_url(registry[0].pseudonym)).status_code == 401
    token = add_token(secure_app, "agent-pii", Role.AGENT)
    answer = secure_app.test_client().get(_url(registry[0].pseudonym), headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
