"""The landing page after login (operators go straight to their swipe screen), and a health probe."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kiosk.auth import PUBLIC, access
from kiosk.models import Role

bp = Blueprint("home", __name__)


@bp.route("/")
@access(*Role)
def index() -> ResponseReturnValue:
    if current_user.role is Role.OPERATOR and current_user.kiosk_code:
        return redirect(url_for("operator.screen"))
    return render_template("home.html", user=current_user)


@bp.route("/healthz")
@access(PUBLIC)
def healthz() -> ResponseReturnValue:
    return jsonify({"status": "ok"})
