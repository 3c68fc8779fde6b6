"""``/api/v1/checkouts``: start a swipe, follow it, confirm the selection, cancel; the exception
queue. No request waits for the card, the PIN or BPJS: the runner does, and clients poll
(``GET .../<id>?after=<version>&wait=<s>`` answers as soon as the version moves, or after ``wait``)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

import ledger
from kiosk.api import bp
from kiosk.api.view import checkout_view
from kiosk.auth import access
from kiosk.checkout import changes, consent, runner, store
from kiosk.checkout.errors import CheckoutError, bad_request, not_found, wrong_state
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import Event, State
from kiosk.db import db_session
from kiosk.models import Role
from kiosk.wiring import checkout_deps, checkout_runner, services

MAX_WAIT_S = 5.0
POLL_S = 0.05  # database poll for changes made by other processes


def _key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not 8 <= len(key) <= 128 or not key.isprintable():
        raise bad_request("idempotency_key_required", "Header Idempotency-Key (8-128 karakter) wajib.",
                          "An Idempotency-Key header (8-128 characters) is required.")
    return key


def _actor() -> str:
    return f"user:{current_user.username}"


def _visible(row: CheckoutRow) -> CheckoutRow:
    """Operators see only their own kiosk's checkouts (others: 404, not 403, so ids leak nothing)."""
    if current_user.role is Role.OPERATOR and row.kiosk_code != current_user.kiosk_code:
        raise not_found()
    return row


def _parse_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise not_found() from None


def _view(row: CheckoutRow) -> dict[str, Any]:
    return checkout_view(db_session(), services().keys(), row)


@bp.post("/checkouts")
@access(Role.OPERATOR)
def start_checkout() -> ResponseReturnValue:
    deps = checkout_deps()
    session = db_session()
    with session.begin():
        row, new = store.create(session, kiosk=current_user.kiosk_code, operator=current_user.username, key=_key(),
                                actor=_actor(), now=deps.now())
    checkout_runner().kick(row.id)
    return jsonify(_view(row)), 202 if new else 200


@bp.get("/checkouts/<checkout_id>")
@access(Role.OPERATOR, Role.SUPERVISOR)
def get_checkout(checkout_id: str) -> ResponseReturnValue:
    cid = _parse_id(checkout_id)
    after = request.args.get("after", type=int)
    wait = min(max(request.args.get("wait", default=0.0, type=float), 0.0), MAX_WAIT_S)
    deadline = time.monotonic() + wait
    session = db_session()
    while True:
        seen = changes.generation()
        with session.begin():
            row = _visible(store.load(session, cid))
            if after is None or row.version > after or time.monotonic() >= deadline:
                body = _view(row)
                break
        changes.wait(seen, min(POLL_S, max(0.0, deadline - time.monotonic())))
    if not row.state.final and row.state is not State.DECIDED and (row.lease_until is None or row.lease_until < checkout_deps().now()):
        checkout_runner().kick(row.id)  # nobody drives it (a process died): pick it up
    return jsonify(body)


@bp.post("/checkouts/<checkout_id>/confirm")
@access(Role.OPERATOR)
def confirm_checkout(checkout_id: str) -> ResponseReturnValue:
    cid = _parse_id(checkout_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request("bad_body", "Isi permintaan harus objek JSON.", "The request body must be a JSON object.")
    session = db_session()
    with session.begin():
        _visible(store.load(session, cid))
    row = consent.confirm(checkout_deps(), cid, lines=body.get("lines", []), tender=body.get("tender"), key=_key(),
                          actor=_actor())
    checkout_runner().kick(cid)
    with session.begin():
        return jsonify(_view(store.load(session, row.id))), 202


@bp.post("/checkouts/<checkout_id>/cancel")
@access(Role.OPERATOR, Role.SUPERVISOR)
def cancel_checkout(checkout_id: str) -> ResponseReturnValue:
    cid = _parse_id(checkout_id)
    session = db_session()
    with session.begin():
        _visible(store.load(session, cid))
    row = runner.cancel(checkout_deps(), cid, _actor())
    with session.begin():
        return jsonify(_view(store.load(session, row.id)))


@bp.get("/checkouts")
@access(Role.OPERATOR, Role.SUPERVISOR)
def list_checkouts() -> ResponseReturnValue:
    """Recent checkouts (``?state=a,b`` filters; ``?open=1`` only those not final: the recovery list)."""
    session = db_session()
    query = sa.select(CheckoutRow).order_by(CheckoutRow.created_at.desc()).limit(min(request.args.get("limit", 50, type=int), 200))
    if current_user.role is Role.OPERATOR:
        query = query.where(CheckoutRow.kiosk_code == current_user.kiosk_code)
    states = [s for s in request.args.get("state", "").split(",") if s]
    try:
        wanted = [State(s) for s in states]
    except ValueError:
        raise bad_request("bad_state", "Status tidak dikenal.", "Unknown state.", states=states) from None
    if wanted:
        query = query.where(CheckoutRow.state.in_(wanted))
    if request.args.get("open") == "1":
        query = query.where(CheckoutRow.state.not_in([State.COMPLETED, State.FAILED, State.ABORTED]))
    with session.begin():
        return jsonify({"checkouts": [_view(r) for r in session.scalars(query)]})


@bp.get("/exceptions")
@access(Role.SUPERVISOR)
def exception_queue() -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        rows = session.scalars(sa.select(CheckoutRow).where(CheckoutRow.state == State.EXCEPTION).order_by(CheckoutRow.created_at))
        return jsonify({"checkouts": [_view(r) for r in rows]})


@bp.post("/exceptions/<checkout_id>/resolve")
@access(Role.SUPERVISOR)
def resolve_exception(checkout_id: str) -> ResponseReturnValue:
    """A supervisor ends a stuck payment: ``{"outcome": "posted"|"voided", "reason": "..."}``.
    The decision and its reason are an audit entry; the journal is posted or voided with it."""
    cid = _parse_id(checkout_id)
    body = request.get_json(silent=True) or {}
    outcome, reason = body.get("outcome"), body.get("reason")
    if outcome not in ("posted", "voided") or not isinstance(reason, str) or not 5 <= len(reason.strip()) <= 500:
        raise bad_request("bad_resolution", "Hasil: posted atau voided, dengan alasan (5-500 karakter).",
                          "Outcome posted or voided, with a reason (5-500 characters).")
    deps = checkout_deps()
    session = db_session()
    with session.begin():
        row = store.load(session, cid, lock=True)
        if row.state is not State.EXCEPTION or row.journal_id is None:
            raise wrong_state(row.state.value, "resolve")
        now = deps.now()
        if outcome == "posted":
            ledger.post(session, row.journal_id, now=now)
        else:
            ledger.void(session, row.journal_id, reason="supervisor: " + reason.strip()[:150], now=now)
        ledger.append_entry(session, "kiosk.exception_resolved", {
            "checkout": str(row.id), "journal": str(row.journal_id), "outcome": outcome,
            "reason": reason.strip(), "supervisor": current_user.username,
        }, now=now)
        event = Event.RESOLVED_POSTED if outcome == "posted" else Event.RESOLVED_VOIDED
        store.move(session, row, event, actor=_actor(), now=now, detail={"reason": reason.strip()},
                   **({} if outcome == "posted" else {"error_code": "resolved_voided", "error_id": reason.strip(),
                                                       "error_en": reason.strip()}))
        return jsonify(_view(row))


@bp.errorhandler(ledger.LedgerError)
def _ledger_error(err: ledger.LedgerError) -> ResponseReturnValue:
    e = CheckoutError(err.code, err.message_id, err.message_en, status=409)
    return jsonify({"error": e.to_dict()}), 409
