"""The agent's printing API (JSON, same token and error envelope as the rest of ``/v1``).

=========================================  =====================================================
``POST /v1/print``                         ``{key, receipt}``: 200 printed / 202 queued (+ why)
``GET  /v1/print``                         the jobs still queued, oldest first
``GET  /v1/print/<key>``                   that job's state
``POST /v1/print/<key>/reprint``           ``{key?}``: the same receipt marked "SALINAN / COPY"
=========================================  =====================================================

``receipt`` is the JSON of :func:`kiosk.receipts.receipt_to_dict`, checked by
:func:`~kiosk.receipts.receipt_from_dict`: a bad one is a 400 naming the field, and nothing is queued.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from kiosk.agent.errors import AgentRefused, NoPrinter
from kiosk.agent.print_types import PrintState, check_key
from kiosk.agent.printing import PrintService, PrintView
from kiosk.receipts.codec import receipt_from_dict
from kiosk.receipts.errors import ReceiptError

PRINT_BODY_KEYS = {"key", "receipt"}
STATUS_BY_CODE = {"invalid_receipt": 400, "unknown_print_job": 404, "print_key_conflict": 409, "no_printer": 409,
                  "print_queue_error": 500}

bp = Blueprint("agent_print", __name__, url_prefix="/v1/print")


def _service() -> PrintService:
    devices = current_app.extensions["kiosk.agent"][0]
    if devices.printer is None:
        raise NoPrinter()
    service: PrintService = devices.printer
    return service


def _body(allowed: set[str], required: bool = True) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not required and not request.get_data():
        return {}
    if not isinstance(body, dict):
        raise AgentRefused("Badan permintaan harus objek JSON.", "The request body must be a JSON object.", field="body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise AgentRefused(f"Kunci tidak dikenal: {unknown}.", f"Unknown keys: {unknown}.", field=unknown[0])
    return body


def _answer(view: PrintView) -> ResponseReturnValue:
    return jsonify(view.to_json()), 200 if view.state is PrintState.PRINTED else 202


@bp.post("")
def print_receipt() -> ResponseReturnValue:
    body = _body(PRINT_BODY_KEYS)
    key = check_key(body.get("key"))
    if not isinstance(body.get("receipt"), dict):
        raise AgentRefused("receipt: objek struk (JSON).", "receipt: a receipt object (JSON).", field="receipt")
    receipt = receipt_from_dict(body["receipt"])
    return _answer(_service().submit(key, receipt))


@bp.get("")
def queued() -> ResponseReturnValue:
    views = _service().pending()
    return jsonify({"jobs": [v.to_json() for v in views], "queued": len(views)})


@bp.get("/<key>")
def job(key: str) -> ResponseReturnValue:
    return jsonify(_service().view(key).to_json())


@bp.post("/<key>/reprint")
def reprint(key: str) -> ResponseReturnValue:
    body = _body({"key"}, required=False)
    new_key = check_key(body["key"]) if "key" in body else None
    return _answer(_service().reprint(key, new_key))


def receipt_error(exc: ReceiptError) -> ResponseReturnValue:
    return jsonify({"error": exc.to_dict()}), STATUS_BY_CODE.get(exc.code, 503)
