"""The agent's HTTP API (JSON, loopback, bearer token). Every error is one envelope:
``{"error": {"code", "message_id", "message_en", "fields"}}`` — a CardError's own dict.

=====================================  =====================================================
``GET  /v1/status``                    pcscd, reader, card, PIN pad and printer (with its queue) status
``GET  /v1/card/events?after=N&wait=S`` card events newer than cursor N (long-poll ≤ 25 s)
``POST /v1/card/read``                 {challenge}: raw records + card-check signature
``POST /v1/pin``                       {insertion, challenge, amount, prompt, timeout_s}: 202 + id
``GET  /v1/pin/<id>``                  the PIN operation: pending | done {atc, signature} | failed
``POST /v1/pin/<id>/cancel``           cancel it: failed pin_cancelled (an ended one is returned as is)
``POST /v1/pinpad/display``            {text}: show text on the PIN pad
``/v1/print...``                       receipts: see :mod:`kiosk.agent.print_api`
=====================================  =====================================================
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from card_reader.errors import CardError
from card_reader.protocol.card import CHALLENGE_LENGTH
from kiosk.agent.devices import Devices
from kiosk.agent.errors import AgentRefused
from kiosk.agent.operations import PinOperations, PinRequest
from kiosk.agent.print_api import bp as print_bp
from kiosk.agent.print_api import receipt_error
from kiosk.receipts.errors import ReceiptError

MAX_WAIT_S = 25.0
MAX_BODY_BYTES = 256 * 1024  # a receipt is about 2 kB of JSON
STATUS_BY_CODE = {
    "no_card": 409, "card_removed": 409, "device_busy": 409,
    "reader_unavailable": 503, "pinpad_unavailable": 503,
    "agent_refused": 400,
}

bp = Blueprint("agent", __name__, url_prefix="/v1")


def _state() -> tuple[Devices, PinOperations, int]:
    devices, ops, max_timeout = current_app.extensions["kiosk.agent"]
    return devices, ops, max_timeout


def refuse(field: str, message_id: str, message_en: str, status: int = 400) -> AgentRefused:
    return AgentRefused(message_id, message_en, field=field, http_status=status)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise refuse("body", "Badan permintaan harus objek JSON.", "The request body must be a JSON object.")
    return body


def _challenge(body: dict[str, Any]) -> bytes:
    raw = body.get("challenge")
    try:
        value = bytes.fromhex(raw) if isinstance(raw, str) else b""
    except ValueError:
        value = b""
    if len(value) != CHALLENGE_LENGTH:
        raise refuse("challenge", "challenge: 32 digit heksadesimal.", "challenge: 32 hexadecimal digits.")
    return value


def _int(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise refuse(key, f"{key}: bilangan bulat {low}-{high}.", f"{key}: a whole number {low}-{high}.")
    return value


def _text(body: dict[str, Any], key: str, limit: int = 64) -> str:
    value = body.get(key, "")
    if not isinstance(value, str) or len(value.encode("utf-8")) > limit or not value.isprintable():
        raise refuse(key, f"{key}: teks maks. {limit} bait.", f"{key}: text of at most {limit} bytes.")
    return value


@bp.get("/status")
def status() -> ResponseReturnValue:
    devices, _, _ = _state()
    reader = devices.reader.status()
    return jsonify({
        "pcscd": {"up": devices.hub.up, "restarts": devices.hub.restarts},
        "reader": {"name": reader.reader, "card_present": reader.card_present, "insertion": reader.insertion,
                   "atr": reader.atr},
        "pinpad": devices.pinpad.status_dict() if devices.pinpad else None,
        "printer": devices.printer.status_dict() if devices.printer else None,
        "events": {"cursor": devices.events.cursor},
    })


@bp.get("/card/events")
def events() -> ResponseReturnValue:
    devices, _, _ = _state()
    try:
        after = int(request.args.get("after", "0"))
        wait = min(max(float(request.args.get("wait", "0")), 0.0), MAX_WAIT_S)
    except ValueError:
        raise refuse("after", "after/wait harus angka.", "after and wait must be numbers.") from None
    found, cursor = devices.events.after(after, wait)
    return jsonify({"events": [e.to_json() for e in found], "cursor": cursor})


@bp.post("/card/read")
def read_card() -> ResponseReturnValue:
    devices, _, _ = _state()
    read = devices.reader.read_card(_challenge(_body()))
    return jsonify({
        "insertion": read.insertion,
        "records": [r.hex() for r in read.records.as_list()],
        "card_check": {"atc": read.card_check.atc, "signature": read.card_check.signature.hex()},
    })


@bp.post("/pin")
def start_pin() -> ResponseReturnValue:
    _, ops, max_timeout = _state()
    body = _body()
    op = ops.start(PinRequest(
        insertion=_int(body, "insertion", 1, 2**62), challenge=_challenge(body),
        amount=_int(body, "amount", 0, 2**62), prompt=_text(body, "prompt"),
        timeout_s=_int(body, "timeout_s", 1, max_timeout),
    ))
    return jsonify(op.to_json()), 202


@bp.get("/pin/<op_id>")
def pin_result(op_id: str) -> ResponseReturnValue:
    _, ops, _ = _state()
    op = ops.get(op_id)
    if op is None:
        raise refuse("operation", "Operasi PIN tidak dikenal.", "Unknown PIN operation.", 404)
    return jsonify(op.to_json())


@bp.post("/pin/<op_id>/cancel")
def cancel_pin(op_id: str) -> ResponseReturnValue:
    _, ops, _ = _state()
    op = ops.cancel(op_id)
    if op is None:
        raise refuse("operation", "Operasi PIN tidak dikenal.", "Unknown PIN operation.", 404)
    return jsonify(op.to_json())


@bp.post("/pinpad/display")
def display() -> ResponseReturnValue:
    devices, _, _ = _state()
    text = _text(_body(), "text")
    if devices.pinpad is None:
        raise refuse("pinpad", "Tidak ada PIN pad.", "No PIN pad configured.", 409)
    devices.pinpad.display(text)
    return jsonify({"shown": True})


def _card_error(exc: CardError) -> ResponseReturnValue:
    body = exc.to_dict()
    status = body["fields"].pop("http_status", None) or STATUS_BY_CODE.get(exc.code, 422)
    return jsonify({"error": body}), status


def _http_error(exc: HTTPException) -> ResponseReturnValue:
    error = AgentRefused(f"Permintaan ditolak ({exc.code}).", f"Request refused: {exc.name}.")
    return jsonify({"error": error.to_dict()}), exc.code or 400


def _check_token() -> ResponseReturnValue | None:
    expected: bytes = current_app.extensions["kiosk.agent.token"]
    header = request.headers.get("Authorization", "")
    given = header[7:] if header.startswith("Bearer ") else ""
    if not hmac.compare_digest(hashlib.sha256(given.encode("utf-8")).digest(), expected):
        error = AgentRefused("Token agen salah atau tidak ada.", "Missing or wrong agent token.", field="authorization")
        return jsonify({"error": error.to_dict()}), 401
    return None


def create_agent_app(devices: Devices, token: str, max_pin_timeout_s: int = 120) -> Flask:
    app = Flask("kiosk.agent")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    ops = PinOperations(devices.reader, devices.pinpad)
    if devices.card_events is not None:  # a PIN operation ends at once when its card goes
        devices.card_events.subscribe(ops.on_card_event)
    app.extensions["kiosk.agent"] = (devices, ops, max_pin_timeout_s)
    app.extensions["kiosk.agent.token"] = hashlib.sha256(token.encode("utf-8")).digest()
    app.before_request(_check_token)
    app.register_error_handler(CardError, _card_error)
    app.register_error_handler(ReceiptError, receipt_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_blueprint(bp)
    app.register_blueprint(print_bp)
    return app
