"""``/api/v1/openapi.json``: the API described in OpenAPI 3.1 (a test checks every route is here)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from kiosk.api import bp
from kiosk.auth import PUBLIC, access


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "Error envelope")
ERRORS = {"400": ERROR, "401": ERROR, "403": ERROR, "404": ERROR, "409": ERROR, "422": ERROR}
KEY = {"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string", "minLength": 8, "maxLength": 128}}
ID = {"name": "checkout_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "message_id"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string", "description": "English"},
                       "message_id": {"type": "string", "description": "Bahasa Indonesia"},
                       "details": {"type": "object"}}}}},
    "Line": {"type": "object", "required": ["product", "kg"],
             "properties": {"product": {"type": "string", "example": "UREA"}, "kg": {"type": "integer", "minimum": 0}}},
    "Confirm": {"type": "object", "required": ["tender"], "properties": {
        "lines": {"type": "array", "items": _ref("Line")}, "tender": {"type": "string", "enum": ["card", "cash"]}}},
    "Resolve": {"type": "object", "required": ["outcome", "reason"], "properties": {
        "outcome": {"type": "string", "enum": ["posted", "voided"]}, "reason": {"type": "string", "minLength": 5}}},
    "Checkout": {"type": "object", "required": ["id", "state", "version", "final"], "properties": {
        "id": {"type": "string", "format": "uuid"},
        "state": {"type": "string", "enum": ["created", "identified", "decided", "selected", "awaiting_pin", "consented",
                                             "pending", "registering", "paying", "unresolved", "booked", "refused",
                                             "exception", "completed", "failed", "aborted"]},
        "version": {"type": "integer"}, "final": {"type": "boolean"},
        "waiting_for": {"type": ["string", "null"], "enum": ["card", "decision", "operator", "pin", "ledger", "bpjs",
                                                             "supervisor", None]},
        "kiosk": {"type": "string"},
        "card": {"type": ["object", "null"]}, "farmer": {"type": ["object", "null"], "description": "masked NIK only"},
        "decision": {"type": ["object", "null"]}, "selection": {"type": ["object", "null"]},
        "tender": {"type": ["string", "null"]},
        "totals": {"type": "object", "properties": {k: {"type": "integer"} for k in ("fertilizer", "contribution", "agent_fee", "total")}},
        "journal_id": {"type": ["string", "null"]}, "bpjs": {"type": "object"},
        "fertilizer_released": {"type": "boolean"}, "note": {"type": ["object", "null"]},
        "error": {"type": ["object", "null"]}}},
    "CheckoutList": {"type": "object", "properties": {"checkouts": {"type": "array", "items": _ref("Checkout")}}},
    "CardEvents": {"type": "object", "properties": {"ok": {"type": "boolean"}, "cursor": {"type": "integer"},
                                                    "events": {"type": "array", "items": {"type": "object"}}}},
    "DeviceStatus": {"type": "object", "properties": {k: {"type": "object"} for k in ("agent", "bpjs", "ledger", "worker")}},
}

PATHS: dict[str, Any] = {
    "/checkouts": {
        "post": {"summary": "Start a checkout for the card in the reader", "parameters": [KEY],
                 "responses": {"202": _json(_ref("Checkout"), "Started"), "200": _json(_ref("Checkout"), "Replay"), **ERRORS}},
        "get": {"summary": "Recent checkouts (recovery list with open=1)",
                "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}}
                               for n in ("state", "open", "limit")],
                "responses": {"200": _json(_ref("CheckoutList")), **ERRORS}},
    },
    "/checkouts/{checkout_id}": {"get": {
        "summary": "A checkout; long-polls until its version passes `after` (at most `wait` seconds)",
        "parameters": [ID, {"name": "after", "in": "query", "required": False, "schema": {"type": "integer"}},
                       {"name": "wait", "in": "query", "required": False, "schema": {"type": "number", "maximum": 5}}],
        "responses": {"200": _json(_ref("Checkout")), **ERRORS}}},
    "/checkouts/{checkout_id}/confirm": {"post": {
        "summary": "Fix the selection and tender; PIN entry starts on the PIN pad", "parameters": [ID, KEY],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Confirm")}}},
        "responses": {"202": _json(_ref("Checkout")), **ERRORS}}},
    "/checkouts/{checkout_id}/cancel": {"post": {
        "summary": "Cancel before consent (nothing taken)", "parameters": [ID],
        "responses": {"200": _json(_ref("Checkout")), **ERRORS}}},
    "/exceptions": {"get": {"summary": "Payments stuck past the setting (supervisor)",
                            "responses": {"200": _json(_ref("CheckoutList")), **ERRORS}}},
    "/exceptions/{checkout_id}/resolve": {"post": {
        "summary": "Supervisor posts or voids a stuck payment, with a reason (audited)", "parameters": [ID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Resolve")}}},
        "responses": {"200": _json(_ref("Checkout")), **ERRORS}}},
    "/card/events": {"get": {"summary": "Card inserted/removed (long-poll)",
                             "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "number"}}
                                            for n in ("after", "wait")],
                             "responses": {"200": _json(_ref("CardEvents")), **ERRORS}}},
    "/devices/status": {"get": {"summary": "Reader, PIN pad, printer, BPJS link, pending journals, worker",
                                "responses": {"200": _json(_ref("DeviceStatus")), **ERRORS}}},
    "/openapi.json": {"get": {"summary": "This document", "security": [],
                              "responses": {"200": {"description": "OpenAPI 3.1"}}}},
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Sutasoma Kiosk API", "version": "1",
             "description": "One swipe of the e-Kartu Tani: BPJS Ketenagakerjaan contribution and subsidized fertilizer."},
    "servers": [{"url": "/api/v1"}],
    "components": {"schemas": SCHEMAS, "securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"},
        "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    "security": [{"bearer": []}, {"session": []}],
    "paths": PATHS,
}


@bp.get("/openapi.json")
@access(PUBLIC)
def openapi() -> ResponseReturnValue:
    return jsonify(SPEC)
