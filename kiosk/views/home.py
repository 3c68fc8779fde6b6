"""The landing page after login, and a health probe."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kiosk.auth import PUBLIC, access
from kiosk.models import Role

bp = Blueprint("home", __name__)


@bp.route("/")
@access(*Role)
def index() -> ResponseReturnValue:
    return render_template("home.html", user=current_user)


@bp.route("/healthz")
@access(PUBLIC)
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})
