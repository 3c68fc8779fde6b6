"""The JSON API under ``/api/v1`` (one module per resource; OpenAPI 3 at ``/api/v1/openapi.json``).

Every error answers with one envelope::

    {"error": {"code": "...", "message": "<English>", "message_id": "<Bahasa Indonesia>", "details": {...}}}
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from kiosk.checkout.errors import CheckoutError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def envelope(status: int, code: str, message_en: str, message_id: str, **details: Any) -> ResponseReturnValue:
    return jsonify({"error": {"code": code, "message": message_en, "message_id": message_id, "details": details}}), status


@bp.errorhandler(CheckoutError)
def _checkout_error(err: CheckoutError) -> ResponseReturnValue:
    return jsonify({"error": err.to_dict()}), err.status


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException) -> ResponseReturnValue:
    return envelope(err.code or 500, (err.name or "error").lower().replace(" ", "_"), err.description or err.name or "",
                    err.description or err.name or "")


def register(app: Flask) -> None:
    from kiosk.api import audit, checkout, devices, farmers, money, openapi  # noqa: F401  (routes register on bp)

    app.register_blueprint(bp)
