"""Switch the interface language (Bahasa Indonesia / English)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from kiosk.auth import PUBLIC, access
from kiosk.i18n import LANGUAGES
from kiosk.views.auth import safe_next

bp = Blueprint("lang", __name__)


@bp.route("/lang/<code>", methods=["POST"])
@access(PUBLIC)
def switch(code: str) -> ResponseReturnValue:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) if request.form.get("next") else url_for("home.index"))
