"""Key management (/admin/keys) on both backends with CSRF on: issuer public keys uploaded (type- and
size-limited; a private key refused and never written) and retired; the ledger signing key created and
rotated, after which the new checkpoint verifies under the new key, the old one under the old key, and
the whole log under both; the BPJS partner key's next pair generated (0600) with its public PEM for
download. No page or download ever carries private key bytes."""

from __future__ import annotations

import base64
import io
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from flask.testing import FlaskClient

import ledger
from bpjs_link.keys import generate_partner_keys
from kiosk.db import get_db
from kiosk.models import Role
from ledger.audit import AuditError, NoteVerifier, load_key_file, log_verifiers, open_checkpoint, signer_from_file
from ledger.audit import db as audit_db
from tests.admin.access_fixtures import (  # noqa: F401
    PAGES,
    access_app,
    as_role,
    audit_kinds,
    english,
    field_errors,
    post_form,
    text,
)

ISSUER = "BNI-7312"


def _p256_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _upload(client: FlaskClient, issuer: str, data: bytes, filename: str = "issuer.pub.pem") -> object:
    return post_form(client, "/admin/keys", "/admin/keys/issuers",
                     {"issuer": issuer, "key_file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def test_issuer_key_upload_and_retire(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    directory = Path(access_app.extensions["kiosk.settings"].issuer_keys_dir)
    pem = _p256_pem()
    assert _upload(admin, ISSUER, pem).status_code == 303  # type: ignore[attr-defined]
    assert (directory / f"{ISSUER}.pub.pem").read_bytes() == pem
    page = text(admin.get("/admin/keys"))
    assert ISSUER in page and "SHA256:" in page
    answer = _upload(admin, ISSUER, _p256_pem())
    assert answer.status_code == 422 and field_errors(answer, "issuer")  # type: ignore[attr-defined]
    assert post_form(admin, "/admin/keys", f"/admin/keys/issuers/{ISSUER}/retire", {}).status_code == 303
    assert not (directory / f"{ISSUER}.pub.pem").exists()
    assert [p.name.split(".")[0] for p in (directory / "retired").iterdir()] == [ISSUER]
    kinds = audit_kinds(access_app)
    assert "kiosk.key_issuer_added" in kinds and "kiosk.key_issuer_retired" in kinds


def test_bad_issuer_uploads_are_refused_next_to_the_field(access_app: Flask) -> None:
    admin, _ = as_role(access_app, Role.ADMIN)
    english(admin)
    private = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for data, name, field, message in (
        (private, "k.pem", "key_file", "This is a PRIVATE key"),
        (rsa_public, "k.pem", "key_file", "one P-256 public key"),
        (b"-----BEGIN PUBLIC KEY-----\n" + b"A" * 5000, "k.pem", "key_file", "too large"),
        (_p256_pem(), "k.exe", "key_file", "not accepted"),
        (_p256_pem(), "k.pem", "issuer", "Issuer code"),
    ):
        answer = _upload(admin, "bad issuer" if field == "issuer" else ISSUER, data, name)
        assert answer.status_code == 422, message  # type: ignore[attr-defined]
        assert message in field_errors(answer, field), message  # type: ignore[arg-type]
        assert "PRIVATE KEY-----" not in text(answer)  # type: ignore[arg-type]
    directory = Path(access_app.extensions["kiosk.settings"].issuer_keys_dir)
    assert not directory.exists() or not list(directory.glob("*.pem"))
    assert "kiosk.key_issuer_added" not in audit_kinds(access_app)


def _checkpoint(app: Flask, kind: str) -> str:
    """Append an entry, seal and sign a checkpoint as the worker does; the signed note."""
    settings = app.extensions["kiosk.settings"]
    now = datetime.now(UTC)
    with app.app_context():
        with get_db().sessions.begin() as s:
            ledger.append_entry(s, kind, {"n": 1}, now=now)
        with get_db().sessions.begin() as s:
            audit_db.seal_all(s, now=now)
        with get_db().sessions.begin() as s:
            signer = signer_from_file(settings.ledger_key_file, settings.log_origin)
            earlier = log_verifiers(settings.ledger_key_file, settings.log_origin)
            return audit_db.write_checkpoint(s, signer, now=now, earlier=earlier).row.note


def test_ledger_key_create_rotate_and_both_generations_verify(access_app: Flask) -> None:
    settings = access_app.extensions["kiosk.settings"]
    admin, _ = as_role(access_app, Role.ADMIN)
    assert "Buat kunci penanda tangan" in text(admin.get("/admin/keys"))
    assert post_form(admin, "/admin/keys", "/admin/keys/ledger", {}).status_code == 303
    key_file = Path(settings.ledger_key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    old = NoteVerifier.from_public_key(settings.log_origin, load_key_file(key_file).public_key())
    assert old.vkey in text(admin.get("/admin/keys"))
    assert post_form(admin, "/admin/keys", "/admin/keys/ledger", {}).status_code == 422  # never over an existing key
    old_note = _checkpoint(access_app, "tests.before_rotation")

    assert post_form(admin, "/admin/keys", "/admin/keys/ledger/rotate", {}).status_code == 303
    new = NoteVerifier.from_public_key(settings.log_origin, load_key_file(key_file).public_key())
    assert new != old and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    new_note = _checkpoint(access_app, "tests.after_rotation")

    assert open_checkpoint(new_note, new).checkpoint.size > open_checkpoint(old_note, old).checkpoint.size
    for note, wrong in ((new_note, old), (old_note, new)):
        with pytest.raises(AuditError):
            open_checkpoint(note, wrong)
    exported = admin.get("/admin/keys/ledger.vkeys")
    assert exported.status_code == 200 and text(exported).splitlines() == [new.vkey, old.vkey]
    with access_app.app_context(), audit_db.read_snapshot(get_db().engine) as s:
        report = audit_db.verify_live(s, [NoteVerifier.from_vkey(v) for v in text(exported).splitlines()])
    assert report.checkpoints == 2
    kinds = audit_kinds(access_app)
    assert "kiosk.key_ledger_created" in kinds and "kiosk.key_ledger_rotated" in kinds
    _no_private_bytes(access_app, admin, [key_file.read_bytes()])


def test_bpjs_next_key_pair(access_app: Flask, tmp_path: Path) -> None:
    settings = access_app.extensions["kiosk.settings"]
    admin, _ = as_role(access_app, Role.ADMIN)
    assert "Tautan BPJS belum dikonfigurasi" in text(admin.get("/admin/keys"))
    assert post_form(admin, "/admin/keys", "/admin/keys/bpjs/next", {}).status_code == 422
    files = generate_partner_keys(Path(settings.bpjs_client_file).parent, partner_id="KIOSK-SOPPENG")
    assert Path(settings.bpjs_client_file) == files.client_config
    current = admin.get("/admin/keys/bpjs/current.pub.pem")
    assert current.status_code == 200 and text(current).startswith("-----BEGIN PUBLIC KEY-----")
    assert admin.get("/admin/keys/bpjs/next.pub.pem").status_code == 404
    assert post_form(admin, "/admin/keys", "/admin/keys/bpjs/next", {}).status_code == 303
    nxt = files.private_key.with_name("partner-private.next.pem")
    assert stat.S_IMODE(nxt.stat().st_mode) == 0o600
    key = serialization.load_pem_private_key(nxt.read_bytes(), password=None)
    download = admin.get("/admin/keys/bpjs/next.pub.pem")
    want = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert download.get_data() == want
    assert "kiosk.key_bpjs_next_generated" in audit_kinds(access_app)
    _no_private_bytes(access_app, admin, [files.private_key.read_bytes(), nxt.read_bytes()])


def _no_private_bytes(app: Flask, client: FlaskClient, pems: list[bytes]) -> None:
    """No page or download carries a private key: its PEM body lines, its DER in base64 or hex."""
    needles = ["PRIVATE KEY"]
    for pem in pems:
        body = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
        needles += body
        der = base64.b64decode("".join(body))
        needles += [der[-32:].hex(), base64.b64encode(der[-48:]).decode()]
    urls = [*PAGES, "/admin/keys/ledger.vkeys", "/admin/keys/bpjs/current.pub.pem", "/admin/keys/bpjs/next.pub.pem"]
    for url in urls:
        shown = text(client.get(url))
        found = [n[:12] for n in needles if n in shown]
        assert not found, (url, found)
