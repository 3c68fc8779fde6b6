"""The device status panel (issue 10): reader, card, PIN pad, printer, BPJS link, pending journals,
worker. The page is a frame; ``static/js/status.js`` fills it from ``GET /api/v1/devices/status``
every few seconds, so it shows what the agent and the database say now."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from kiosk.auth import access
from kiosk.models import Role
from kiosk.views import nav

bp = Blueprint("status", __name__)
nav.add("status.panel", _l("Devices"), [Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN], _l("Device status"))
STAFF = (Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
REFRESH_MS = 3000

STRINGS: Mapping[str, Any] = MappingProxyType({
    "ok": _l("OK"),
    "problem": _l("Problem"),
    "unknown": _l("unknown"),
    "yes": _l("yes"),
    "no": _l("no"),
    "up": _l("running"),
    "down": _l("not running"),
    "present": _l("card inserted"),
    "absent": _l("no card"),
    "connected": _l("connected"),
    "disconnected": _l("not connected"),
    "not_configured": _l("not configured"),
    "none": _l("none"),
    "ms": _l("%(value)s ms"),
    "offset": _l("%(value)s ms (± %(uncertainty)s ms)"),
    "queued": _l("%(count)s receipt(s) waiting"),
    "updated": _l("Updated %(time)s"),
    "network": _l("The kiosk server cannot be reached; retrying…"),
    "state.ready": _l("ready"),
    "state.busy": _l("busy"),
    "state.error": _l("error"),
    "paper.ok": _l("paper OK"),
    "paper.near_end": _l("paper nearly out"),
    "paper.out": _l("paper out"),
    "paper.unknown": _l("unknown"),
    "cover_open": _l("cover open"),
    "alive": _l("alive"),
    "stopped": _l("not running"),
})


@bp.get("/status")
@access(*STAFF)
def panel() -> ResponseReturnValue:
    return render_template("status.html", strings=STRINGS, refresh_ms=REFRESH_MS)
