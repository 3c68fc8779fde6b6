"""``/api/v1/audit``: proofs through the API verify with part A's verifier; roles; the error envelope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import sessionmaker

from kiosk.auth import create_token
from kiosk.db import get_db
from kiosk.models import Role
from ledger.audit import NoteVerifier, create_key_file, open_checkpoint, verify_consistency_between, verify_inclusion_at
from ledger.storage import create_engine
from tests.ledger.audit.world import Booked


@pytest.fixture
def world(db_url: str) -> Iterator[Booked]:
    engine = create_engine(db_url)
    yield Booked(sessionmaker(engine, expire_on_commit=False))
    engine.dispose()


@pytest.fixture
def keyed(app: Flask) -> str:
    settings = app.extensions["kiosk.settings"]
    key = create_key_file(settings.ledger_key_file)
    return NoteVerifier.from_public_key(settings.log_origin, key.public_key()).vkey


def bearer(app: Flask, role: Role) -> dict[str, str]:
    with app.app_context(), get_db().sessions.begin() as s:
        return {"Authorization": f"Bearer {create_token(s, name=f'audit-{role.value}', role=role)[1]}"}


def test_proofs_through_the_api_verify(app: Flask, client: FlaskClient, world: Booked, keyed: str) -> None:
    verifier = NoteVerifier.from_vkey(keyed)
    admin, auditor = bearer(app, Role.ADMIN), bearer(app, Role.AUDITOR)
    made = client.post("/api/v1/audit/checkpoints", headers=admin)
    assert made.status_code == 201 and made.json["size"] == 15
    assert client.post("/api/v1/audit/checkpoints", headers=admin).status_code == 200  # nothing new
    world.redeem("r4", 1, 1_800)
    assert client.post("/api/v1/audit/checkpoints", headers=admin).json["size"] == 16
    assert client.get("/api/v1/audit/key", headers=auditor).json["vkey"] == keyed

    latest = client.get("/api/v1/audit/checkpoint", headers=auditor).json
    checkpoint = open_checkpoint(latest["note"], verifier).checkpoint
    assert checkpoint.size == 16 and latest["root"] == checkpoint.root_hash.hex()
    proof = client.get(f"/api/v1/audit/inclusion?journal={world.journals[1]}", headers=auditor).json
    verify_inclusion_at(checkpoint, leaf_hash=bytes.fromhex(proof["leaf_hash"]), index=proof["index"],
                        proof=[bytes.fromhex(h) for h in proof["proof"]])
    again = client.get(f"/api/v1/audit/inclusion?leaf_hash={proof['leaf_hash']}&checkpoint=15", headers=auditor).json
    assert again["journal_id"] == str(world.journals[1]) and again["checkpoint"]["size"] == 15
    consistency = client.get("/api/v1/audit/consistency?from=15", headers=auditor).json
    old = open_checkpoint(consistency["old"]["note"], verifier).checkpoint
    verify_consistency_between(old, checkpoint, [bytes.fromhex(h) for h in consistency["proof"]])
    listed = client.get("/api/v1/audit/checkpoints", headers=auditor).json["checkpoints"]
    assert [c["size"] for c in listed] == [15, 16]


@pytest.mark.parametrize("role", list(Role))
def test_roles(app: Flask, client: FlaskClient, keyed: str, role: Role) -> None:
    auth = bearer(app, role)
    read = client.get("/api/v1/audit/key", headers=auth).status_code
    write = client.post("/api/v1/audit/checkpoints", headers=auth).status_code
    assert read == (200 if role in (Role.AUDITOR, Role.DINAS, Role.SUPERVISOR, Role.ADMIN) else 403)
    assert write == (201 if role in (Role.SUPERVISOR, Role.ADMIN) else 403)
    assert client.get("/api/v1/audit/key").status_code == 401


def test_refusals_are_enveloped_in_both_languages(app: Flask, client: FlaskClient, world: Booked, keyed: str) -> None:
    auditor = bearer(app, Role.AUDITOR)
    none_yet = client.get("/api/v1/audit/checkpoint", headers=auditor)
    assert none_yet.status_code == 404 and none_yet.json["error"]["code"] == "checkpoint_not_found"
    unsealed = client.get(f"/api/v1/audit/inclusion?journal={world.journals[0]}", headers=auditor)
    error = unsealed.json["error"]
    assert unsealed.status_code == 409 and error["code"] == "entry_not_sealed"
    assert "not sealed yet" in error["message"] and "belum disegel" in error["message_id"]
    for bad in ("/api/v1/audit/inclusion?journal=nope", "/api/v1/audit/inclusion?leaf_hash=zz",
                "/api/v1/audit/inclusion", "/api/v1/audit/consistency?from=-1", "/api/v1/audit/consistency"):
        answer = client.get(bad, headers=auditor)
        assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_query", bad
    missing = client.get(f"/api/v1/audit/inclusion?leaf_hash={'ab' * 32}", headers=auditor)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "leaf_not_found"


def test_no_key_file_is_a_clear_503(app: Flask, client: FlaskClient) -> None:
    answer = client.get("/api/v1/audit/key", headers=bearer(app, Role.DINAS))
    assert answer.status_code == 503 and answer.json["error"]["code"] == "key_missing"
    assert "kiosk keys init" in answer.json["error"]["message"]
