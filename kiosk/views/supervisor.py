"""The supervisor's exception queue (issue 10): payments BPJS never confirmed in time.

The list is rendered here from the same view of a checkout the API gives (never a NIK); each entry
is resolved through ``POST /api/v1/exceptions/<id>/resolve`` by ``static/js/supervisor.js``, so
the decision, its reason and the journal's posting or voiding stay in one place (the API).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from kiosk.api.view import checkout_view
from kiosk.auth import access
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import State
from kiosk.db import db_session
from kiosk.i18n import now_wita
from kiosk.models import Role
from kiosk.views import nav
from kiosk.wiring import services

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")
nav.add("supervisor.exceptions", _l("Exceptions"), [Role.SUPERVISOR], _l("Exception queue"))
SHOWN = 200  # a queue longer than this is a problem of its own; the page says how many there are

STRINGS: Mapping[str, Any] = MappingProxyType({
    "resolved.posted": _l("Resolved: the journal is posted and the fertilizer may be handed over."),
    "resolved.voided": _l("Resolved: the journal is voided and nothing was taken."),
    "reason_short": _l("Give a reason of at least 5 characters."),
    "choose_outcome": _l("Choose what BPJS confirmed: booked or not booked."),
    "failed": _l("The resolution was not accepted."),
    "network": _l("The kiosk server cannot be reached; try again."),
    "empty": _l("No payments are waiting for a supervisor."),
})


def _age_minutes(created_at: datetime) -> int:
    return max(0, int((now_wita() - created_at).total_seconds() // 60))


@bp.get("/exceptions")
@access(Role.SUPERVISOR)
def exceptions() -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        total = session.scalar(sa.select(sa.func.count()).select_from(CheckoutRow).where(CheckoutRow.state == State.EXCEPTION))
        rows = session.scalars(sa.select(CheckoutRow).where(CheckoutRow.state == State.EXCEPTION)
                               .order_by(CheckoutRow.created_at).limit(SHOWN)).all()
        items = [(checkout_view(session, services().keys(), r), r.created_at, _age_minutes(r.created_at)) for r in rows]
    return render_template("supervisor_exceptions.html", items=items, total=total or 0, strings=STRINGS)
