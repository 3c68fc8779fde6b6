"""Loopback-only admin endpoints for tests and demos (``/_sandbox/...``). Not part of the BPJS API.

* ``GET  /_sandbox/health``                 liveness
* ``POST /_sandbox/faults``                 ``{"service": "payment", "fault": "commit-then-drop", "count": 1, "latencyMs": 0}``
* ``DELETE /_sandbox/faults``               forget queued faults
* ``POST /_sandbox/tokens/expire``          every access token expires now
* ``POST /_sandbox/deposit``                ``{"partnerId": "...", "amount": 100000}`` (top-up) or ``{"partnerId", "balance"}``
* ``POST /_sandbox/paid-elsewhere``         ``{"nik": "...", "months": 1}``: paid through another channel
* ``GET  /_sandbox/participants/<nik>``     the raw record
* ``GET  /_sandbox/state``                  a digest of participants, payments and deposits, and counts
* ``GET  /_sandbox/stats``                  calls per service, tokens issued, faults fired
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select

from bpjs_link.codes import BPU_SERVICES
from bpjs_link.sandbox.faults import Fault, FaultPlan
from bpjs_link.sandbox.fields import Problem
from bpjs_link.sandbox.host import Host
from bpjs_link.sandbox.schema import DepositRow, ParticipantRow, PaymentRow, TokenRow
from bpjs_link.sandbox.services import Ctx, deposit, paid_elsewhere

admin = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")
LOOPBACK = {"127.0.0.1", "::1"}
_SERVICES = {s.path.rsplit("/", 1)[-1]: s for s in BPU_SERVICES}


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, sort_keys=True), status=status, mimetype="application/json")


def _host() -> Host:
    host: Host = current_app.extensions["bpjs_host"]
    return host


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data


@admin.before_request
def _loopback_only() -> None:
    if request.remote_addr not in LOOPBACK:
        abort(404)


@admin.get("/health")
def health() -> Response:
    return _json({"ok": True, "hostTime": _host().now().isoformat()})


@admin.post("/faults")
def set_faults() -> Response:
    data = _body()
    service = _SERVICES.get(str(data.get("service")))
    try:
        fault = Fault(str(data.get("fault")))
    except ValueError:
        abort(400)
    count, latency = data.get("count", 1), data.get("latencyMs", 0)
    if service is None or not isinstance(count, int) or not isinstance(latency, int) or count < 1 or latency < 0:
        abort(400)
    plan: FaultPlan = current_app.extensions["bpjs_faults"]
    plan.queue(service, fault, count, latency)
    return _json({"queued": count})


@admin.delete("/faults")
def clear_faults() -> Response:
    plan: FaultPlan = current_app.extensions["bpjs_faults"]
    plan.clear()
    return _json({"cleared": True})


@admin.post("/tokens/expire")
def expire_tokens() -> Response:
    host = _host()
    with host.transaction() as s:
        rows = s.scalars(select(TokenRow)).all()
        for row in rows:
            row.expires_at = host.now()
    return _json({"expired": len(rows)})


@admin.post("/deposit")
def set_deposit() -> Response:
    data, host = _body(), _host()
    partner_id = str(data.get("partnerId", ""))
    amount, balance = data.get("amount"), data.get("balance")
    if host.options.partner(partner_id) is None or (amount is None) == (balance is None):
        abort(400)
    value = amount if amount is not None else balance
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        abort(400)
    with host.transaction() as s:
        row = deposit(s, partner_id, host.options.initial_deposit)
        row.balance = row.balance + value if amount is not None else value
        new = row.balance
    return _json({"partnerId": partner_id, "balance": new})


@admin.post("/paid-elsewhere")
def pay_elsewhere() -> Response:
    data, host = _body(), _host()
    nik, months = str(data.get("nik", "")), data.get("months", 1)
    if not isinstance(months, int) or not 1 <= months <= 36:
        abort(400)
    with host.transaction() as s:
        ctx = Ctx("*elsewhere*", host.now(), host.options.rules, host.options.initial_deposit)
        try:
            paid = paid_elsewhere(s, ctx, nik, months)
        except Problem:
            abort(404)
    return _json({"paidThrough": str(paid)})


@admin.get("/participants/<nik>")
def participant(nik: str) -> Response:
    host = _host()
    with host.transaction() as s:
        row = s.get(ParticipantRow, nik)
        if row is None:
            abort(404)
        data = {"nik": row.nik, "kpj": row.kpj, "name": row.name, "paidThrough": row.paid_through, "status": row.status}
    return _json(data)


@admin.get("/state")
def state() -> Response:
    """Business state only (not tokens or replays): equal digests mean nothing changed."""
    host = _host()
    with host.transaction() as s:
        people = [(r.nik, r.kpj, r.paid_through, r.status) for r in s.scalars(select(ParticipantRow).order_by(ParticipantRow.nik))]
        pays = [(r.reference_no, r.partner_id, r.partner_reference_no, r.state, r.amount, r.paid_through)
                for r in s.scalars(select(PaymentRow).order_by(PaymentRow.reference_no))]
        deps = [(r.partner_id, r.balance) for r in s.scalars(select(DepositRow).order_by(DepositRow.partner_id))]
    digest = hashlib.sha256(json.dumps([people, pays, deps]).encode()).hexdigest()
    booked = sum(1 for p in pays if p[3] == "booked" and p[1] != "*elsewhere*")
    return _json({"digest": digest, "participants": len(people), "payments": len(pays), "booked": booked,
                  "deposits": dict(deps)})


@admin.get("/stats")
def stats() -> Response:
    host = _host()
    plan: FaultPlan = current_app.extensions["bpjs_faults"]
    return _json({"calls": dict(host.calls), "tokensIssued": host.tokens_issued, "faultsFired": dict(plan.fired)})
