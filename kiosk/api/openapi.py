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

# ---- money (issue 9; docs/money.md) ------------------------------------------------------------
SCHEMAS["Checkout"]["properties"]["receipt"] = {
    "type": ["object", "null"], "description": "the sale receipt: state printed | queued | unsent | failed | pending, "
                                               "message_id / message_en for the operator, copies"}
SCHEMAS |= {
    "ReceiptStatus": {"type": "object", "required": ["key", "state", "message_id", "message_en"], "properties": {
        "key": {"type": "string"}, "kind": {"type": "string"}, "journal_id": {"type": "string", "format": "uuid"},
        "state": {"type": "string", "enum": ["printed", "queued", "unsent", "failed"]},
        "message_id": {"type": "string"}, "message_en": {"type": "string"}, "reason": {"type": ["string", "null"]},
        "attempts": {"type": "integer"}, "printed_at": {"type": ["string", "null"]}, "copy_of": {"type": ["string", "null"]},
        "copies": {"type": "integer"}}},
    "TopUpRequest": {"type": "object", "required": ["amount"], "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": 50_000_000},
        "farmer": {"type": "string", "description": "pseudonym (supervisors; operators use the card in the reader)"},
        "kiosk": {"type": "string"}}},
    "TopUp": {"type": "object", "properties": {
        "journal_id": {"type": "string", "format": "uuid"}, "kiosk": {"type": "string"}, "farmer": {"type": "string"},
        "amount": {"type": "integer"}, "balance_after": {"type": "integer"}, "replayed": {"type": "boolean"},
        "receipt": _ref("ReceiptStatus")}},
    "BankImport": {"type": "object", "properties": {
        "id": {"type": "string"}, "sha256": {"type": "string"}, "rows": {"type": "integer"}, "new_rows": {"type": "integer"},
        "total": {"type": "integer"}, "total_new": {"type": "integer"}, "replayed": {"type": "boolean"},
        "lines": {"type": "array", "items": {"type": "object"}}}},
    "Deposit": {"type": "object", "required": ["amount", "reference"], "properties": {
        "kiosk": {"type": "string"}, "amount": {"type": "integer", "minimum": 1}, "reference": {"type": "string"}}},
    "Reconciliation": {"type": "object", "properties": {
        **{k: {"type": "integer"} for k in ("host_count", "host_total", "ledger_count", "ledger_total", "matched",
                                            "amount_mismatch", "missing_in_ledger", "missing_at_host")},
        "day": {"type": "string", "format": "date"}, "lines": {"type": "array", "items": {"type": "object"}}}},
    "ReconciliationException": {"type": "object", "properties": {
        "id": {"type": "string"}, "kind": {"type": "string", "enum": ["amount_mismatch", "missing_in_ledger",
                                                                          "missing_at_host"]},
        "request_id": {"type": "string"}, "host_amount": {"type": ["integer", "null"]},
        "ledger_amount": {"type": ["integer", "null"]}, "resolved_at": {"type": ["string", "null"]}}},
    "Reason": {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "minLength": 5}}},
    "Reversal": {"type": "object", "properties": {
        "original_journal_id": {"type": "string"}, "reversal_journal_id": {"type": "string"}, "refund": {"type": "integer"},
        "refund_to": {"type": "string", "enum": ["card", "cash"]}, "contribution_kept": {"type": "integer"},
        "replayed": {"type": "boolean"}, "receipt": _ref("ReceiptStatus")}},
    "EndOfDayRequest": {"type": "object", "properties": {
        "kiosk": {"type": "string"}, "day": {"type": "string", "format": "date"}, "print": {"type": "boolean"}}},
    "EndOfDay": {"type": "object", "properties": {
        "id": {"type": "string"}, "kiosk": {"type": "string"}, "day": {"type": "string", "format": "date"},
        "sha256": {"type": "string"}, "entry_id": {"type": "string"}, "report": {"type": "object"},
        "receipt": {"oneOf": [_ref("ReceiptStatus"), {"type": "null"}]}}},
}
OPTIONAL_KEY = KEY | {"required": False}
JOURNAL = {"name": "journal_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
DAY = {"name": "day", "in": "path", "required": True, "schema": {"type": "string", "format": "date"}}


def _body_of(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


PATHS |= {
    "/topups": {"post": {"summary": "Cash top-up of the card in the reader (supervisor: by pseudonym)", "parameters": [KEY],
                         "requestBody": _body_of("TopUpRequest"),
                         "responses": {"201": _json(_ref("TopUp")), "200": _json(_ref("TopUp"), "Replay"), **ERRORS}}},
    "/bank-imports": {"post": {
        "summary": "Import a bank settlement CSV (all or nothing; idempotent by file digest and line reference)",
        "parameters": [{"name": "filename", "in": "query", "required": False, "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
        "responses": {"201": _json(_ref("BankImport")), "200": _json(_ref("BankImport"), "Replay"), **ERRORS}}},
    "/deposits": {"post": {"summary": "Record a top-up of the kiosk's BPJS partner deposit (supervisor)",
                           "requestBody": _body_of("Deposit"),
                           "responses": {"201": _json({"type": "object"}), "200": _json({"type": "object"}, "Replay"),
                                         **ERRORS}}},
    "/deposits/{kiosk}": {"get": {"summary": "BPJS deposit and cash in the drawer, from the ledger",
                                  "parameters": [{"name": "kiosk", "in": "path", "required": True, "schema": {"type": "string"}}],
                                  "responses": {"200": _json({"type": "object"}), **ERRORS}}},
    "/reconciliations": {"post": {"summary": "Reconcile a WIB day with BPJS's settlement list (default yesterday)",
                                  "requestBody": {"required": False, "content": {"application/json": {"schema": {
                                      "type": "object", "properties": {"day": {"type": "string", "format": "date"}}}}}},
                                  "responses": {"201": _json(_ref("Reconciliation")), "503": ERROR, **ERRORS}}},
    "/reconciliations/{day}": {"get": {"summary": "The day's latest reconciliation (?format=csv exports it)",
                                       "parameters": [DAY, {"name": "format", "in": "query", "required": False,
                                                            "schema": {"type": "string", "enum": ["csv"]}}],
                                       "responses": {"200": {"description": "JSON or CSV", "content": {
                                           "application/json": {"schema": _ref("Reconciliation")},
                                           "text/csv": {"schema": {"type": "string"}}}}, **ERRORS}}},
    "/reconciliation-exceptions": {"get": {"summary": "Open reconciliation differences (?all=1 with resolved ones)",
                                           "parameters": [{"name": "all", "in": "query", "required": False,
                                                           "schema": {"type": "string"}}],
                                           "responses": {"200": _json({"type": "object", "properties": {"exceptions": {
                                               "type": "array", "items": _ref("ReconciliationException")}}}), **ERRORS}}},
    "/reconciliation-exceptions/{exception_id}/resolve": {"post": {
        "summary": "Supervisor resolves a difference with a reason (audited)",
        "parameters": [{"name": "exception_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}],
        "requestBody": _body_of("Reason"), "responses": {"200": _json(_ref("ReconciliationException")), **ERRORS}}},
    "/checkouts/{checkout_id}/reverse": {"post": {
        "summary": "Same-day reversal of a posted sale (supervisor); a paid BPJS contribution is never reversed",
        "parameters": [ID, KEY], "requestBody": _body_of("Reason"),
        "responses": {"201": _json(_ref("Reversal")), "200": _json(_ref("Reversal"), "Replay"), **ERRORS}}},
    "/checkouts/{checkout_id}/reprint": {"post": {
        "summary": "Reprint the checkout's receipt marked SALINAN / COPY", "parameters": [ID, OPTIONAL_KEY],
        "responses": {"201": _json(_ref("ReceiptStatus")), **ERRORS}}},
    "/receipts/{journal_id}": {"get": {"summary": "What became of a journal's receipt", "parameters": [JOURNAL],
                                       "responses": {"200": _json(_ref("ReceiptStatus")), **ERRORS}}},
    "/receipts/{journal_id}/reprint": {"post": {"summary": "Reprint a journal's receipt marked SALINAN / COPY",
                                                "parameters": [JOURNAL, OPTIONAL_KEY],
                                                "responses": {"201": _json(_ref("ReceiptStatus")), **ERRORS}}},
    "/end-of-day": {
        "post": {"summary": "Close a kiosk's WITA day from the ledger: kept (append-only), optionally printed",
                 "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("EndOfDayRequest")}}},
                 "responses": {"201": _json(_ref("EndOfDay")), **ERRORS}},
        "get": {"summary": "The kept end-of-day reports of a kiosk and day",
                "parameters": [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in ("kiosk", "day")],
                "responses": {"200": _json({"type": "object", "properties": {"reports": {
                    "type": "array", "items": _ref("EndOfDay")}}}), **ERRORS}}},
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
