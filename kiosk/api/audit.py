"""``/api/v1/audit``: the log's key, checkpoints, inclusion and consistency proofs (auditors, Dinas,
supervisors, admins); on-demand checkpoints (supervisors, admins). Hashes travel as lowercase hex;
every refusal is the API's error envelope with the audit error's code and both languages."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue

from kiosk.api import bp, envelope
from kiosk.auth import access
from kiosk.db import db_session
from kiosk.models import Role
from kiosk.settings import Settings
from ledger.audit import (
    AuditError,
    LogStateError,
    ProofError,
    load_key_file,
    log_verifiers,
    public_vkey,
    signer_from_file,
)
from ledger.audit import db as audit_db

READERS = (Role.AUDITOR, Role.DINAS, Role.SUPERVISOR, Role.ADMIN)
WRITERS = (Role.SUPERVISOR, Role.ADMIN)
STATUS = {
    "checkpoint_not_found": 404, "leaf_not_found": 404, "journal_not_logged": 404,
    "entry_not_sealed": 409, "entry_not_in_checkpoint": 409, "key_missing": 503, "log_tampered": 500,
}


class BadQuery(Exception):
    def __init__(self, name: str, id_: str, en: str) -> None:
        super().__init__(en)
        self.name, self.message_id, self.message_en = name, id_, en


@bp.errorhandler(AuditError)
def _audit_error(err: AuditError) -> ResponseReturnValue:
    status = STATUS.get(err.code, 400 if isinstance(err, ProofError) else 500 if isinstance(err, LogStateError) else 400)
    details = {k: (v.en if hasattr(v, "en") else v) for k, v in err.fields.items()}
    return envelope(status, err.code, err.message_en, err.message_id, **details)


@bp.errorhandler(BadQuery)
def _bad_query(err: BadQuery) -> ResponseReturnValue:
    return envelope(400, "bad_query", err.message_en, err.message_id, parameter=err.name)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["kiosk.settings"]
    return settings


def _size(name: str, required: bool = False) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise BadQuery(name, f"parameter {name} wajib", f"the {name} parameter is required")
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 20:
        raise BadQuery(name, f"{name} harus bilangan bulat >= 0", f"{name} must be a whole number >= 0")
    return int(raw)


@bp.get("/audit/key")
@access(*READERS)
def audit_key() -> ResponseReturnValue:
    """The log's verifier key, to pin (compare it with the published one)."""
    settings = _settings()
    return jsonify({"origin": settings.log_origin, "vkey": public_vkey(settings.log_origin, load_key_file(settings.ledger_key_file))})


@bp.get("/audit/checkpoint")
@access(*READERS)
def audit_checkpoint() -> ResponseReturnValue:
    """The latest signed checkpoint (``?size=`` for an older one)."""
    with db_session().begin():
        row = audit_db.checkpoint_or_latest(db_session().connection(), _size("size"))
    return jsonify(audit_db.checkpoint_json(row))


@bp.get("/audit/checkpoints")
@access(*READERS)
def audit_checkpoints() -> ResponseReturnValue:
    """Checkpoint sizes and roots, oldest first (``?after=<size>&limit=<n>``, at most 1000)."""
    after, limit = _size("after"), min(_size("limit") or 100, 1000)
    with db_session().begin():
        rows = audit_db.all_checkpoints(db_session().connection())
    rows = [r for r in rows if after is None or r.size > after][:limit]
    return jsonify({"checkpoints": [{"size": r.size, "root": r.root_hash.hex(), "created_at": r.created_at.isoformat()}
                                    for r in rows]})


@bp.get("/audit/inclusion")
@access(*READERS)
def audit_inclusion() -> ResponseReturnValue:
    """Inclusion proof of ``?journal=<id>`` (its final state change) or ``?leaf_hash=<hex>``, against
    ``?checkpoint=<size>`` (default: the latest checkpoint)."""
    journal, leaf, size = request.args.get("journal"), request.args.get("leaf_hash"), _size("checkpoint")
    if (journal is None) == (leaf is None):
        raise BadQuery("journal", "berikan journal atau leaf_hash (salah satu)", "give one of journal and leaf_hash")
    with db_session().begin():
        session = db_session()
        if journal is not None:
            proof = audit_db.inclusion_for_journal(session, _uuid(journal), checkpoint_size=size)
        else:
            proof = audit_db.inclusion_for_leaf(session, _hex32(leaf or ""), checkpoint_size=size)
    return jsonify(audit_db.inclusion_json(proof))


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadQuery("journal", "journal harus UUID", "journal must be a UUID") from None


def _hex32(raw: str) -> bytes:
    if len(raw) != 64 or any(c not in "0123456789abcdef" for c in raw):
        raise BadQuery("leaf_hash", "leaf_hash harus 64 digit hex kecil", "leaf_hash must be 64 lowercase hex digits")
    return bytes.fromhex(raw)


@bp.get("/audit/consistency")
@access(*READERS)
def audit_consistency() -> ResponseReturnValue:
    """Consistency proof from the checkpoint ``?from=<size>`` to ``?to=<size>`` (default: the latest)."""
    old, new = _size("from", required=True), _size("to")
    with db_session().begin():
        proof = audit_db.consistency_between(db_session(), old or 0, new)
    return jsonify(audit_db.consistency_json(proof))


@bp.post("/audit/checkpoints")
@access(*WRITERS)
def audit_checkpoint_now() -> ResponseReturnValue:
    """Seal what is committed and sign a checkpoint now (the worker also does both on its own)."""
    settings = _settings()
    signer = signer_from_file(settings.ledger_key_file, settings.log_origin)
    now = datetime.now(timezone.utc)
    with db_session().begin():
        audit_db.seal_all(db_session(), now=now)
    with db_session().begin():
        result = audit_db.write_checkpoint(db_session(), signer, now=now,
                                           earlier=log_verifiers(settings.ledger_key_file, settings.log_origin))
    return jsonify({**audit_db.checkpoint_json(result.row), "new": result.new}), 201 if result.new else 200
