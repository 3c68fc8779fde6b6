"""``/api/v1/farmers/<pseudonym>/identity``: a farmer's full NIK, name and birth date, for admin and
dinas only, each view recorded as a ``kiosk.nik_viewed`` audit entry (kiosk.pii, docs/security.md).

``GET /api/v1/farmers/<pseudonym>/identity?purpose=<why, 10-200 characters>`` answers
``{"pseudonym", "nik", "masked_nik", "name", "birth_date", "viewed_at", "entry_id"}`` with
``Cache-Control: no-store``; refusals are the API's envelope: 400 (purpose), 403, 404, 410 (erased).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from kiosk import pii
from kiosk.api import bp
from kiosk.auth import access
from kiosk.db import db_session
from kiosk.wiring import services


@bp.errorhandler(pii.PiiError)
def _pii_error(err: pii.PiiError) -> ResponseReturnValue:
    return jsonify({"error": err.to_dict()}), err.status


@bp.get("/farmers/<pseudonym>/identity")
@access(*pii.NIK_ROLES)
def farmer_identity(pseudonym: str) -> ResponseReturnValue:
    """The farmer's personal data; the view is on the audit record before the answer leaves."""
    session = db_session()
    with session.begin():
        who = pii.reveal_nik(session, services().keys(), pseudonym, current_user, request.args.get("purpose", ""),
                             now=datetime.now(UTC))
    return jsonify({"pseudonym": who.pseudonym, "nik": who.nik, "masked_nik": who.masked_nik, "name": who.name,
                    "birth_date": who.birth_date.isoformat(), "viewed_at": who.viewed_at.isoformat(),
                    "entry_id": str(who.entry_id)})
