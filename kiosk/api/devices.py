"""``/api/v1/devices`` and ``/api/v1/card``: what the operator's status panel and idle screen show."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import jsonify, request
from flask.typing import ResponseReturnValue

import ledger
from card_reader import CardError
from kiosk.api import bp
from kiosk.auth import access
from kiosk.db import db_session, get_db
from kiosk.models import Role
from kiosk.singleton import worker_lock
from kiosk.wiring import services

STAFF = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)


def _agent_status() -> dict[str, Any]:
    try:
        return {"ok": True, **services().agent().status()}  # type: ignore[attr-defined]
    except CardError as err:
        return {"ok": False, "error": {"code": err.code, "message": err.message_en, "message_id": err.message_id}}


def _bpjs_status() -> dict[str, Any]:
    link = services().bpjs()
    offset = link.clock_offset
    return {
        "configured": link.config.partner_id != "unconfigured",
        "latency_ms": link.last_latency_ms,
        "clock_offset_ms": round(offset.estimate.total_seconds() * 1000) if offset else None,
        "clock_uncertainty_ms": round(offset.uncertainty.total_seconds() * 1000) if offset else None,
    }


@bp.get("/card/events")
@access(*STAFF)
def card_events() -> ResponseReturnValue:
    """Card inserted/removed, relayed from the device agent (long-poll: ``?after=<cursor>&wait=<s>``)."""
    after = request.args.get("after", default=0, type=int)
    wait = min(max(request.args.get("wait", default=0.0, type=float), 0.0), 5.0)
    try:
        events, cursor = services().agent().events(after, wait)  # type: ignore[attr-defined]
    except CardError as err:
        return jsonify({"ok": False, "cursor": after, "events": [],
                        "error": {"code": err.code, "message": err.message_en, "message_id": err.message_id}})
    return jsonify({"ok": True, "cursor": cursor,
                    "events": [{"seq": e.seq, "kind": e.kind, "insertion": e.insertion, "at": e.at} for e in events]})


@bp.get("/devices/status")
@access(*STAFF)
def device_status() -> ResponseReturnValue:
    session = db_session()
    started = time.monotonic()
    with session.begin():
        pending = len(ledger.pending_journals(session, limit=1000))
    db_ms = round((time.monotonic() - started) * 1000, 1)
    return jsonify({
        "agent": _agent_status(),
        "bpjs": _bpjs_status(),
        "ledger": {"pending_journals": pending, "database_ms": db_ms,
                   "backend": get_db().engine.dialect.name},
        "worker": {"alive": worker_lock(get_db().engine).held_elsewhere()},
    })
