"""The demo control page (demo mode only): cards, PIN pad, printed receipts (issue 10).

Demo mode is ``KIOSK_DEMO_STACK`` set: ``kiosk demo`` points it at the device stack's
``stack.json`` (production refuses the setting at start-up). Outside demo mode every route here
answers 404, after the usual access check (fail-closed: an anonymous caller is still sent to the
login page, the agent's token still gets 403). Every person role may use the page: it is a demo.

The page drives the emulated hardware through the clients ``kiosk devices`` uses
(:mod:`kiosk.devstack.controls`, :func:`~kiosk.devstack.deck.card_pin`): no second
implementation of the control protocol. The demo cards' PINs are shown on purpose: they are demo
data personalised into the emulator's deck; a real card's PIN never reaches this app.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, StringField
from wtforms.validators import ValidationError

from kiosk.auth import access
from kiosk.demo_cards import DeckCard, read_deck
from kiosk.devstack.controls import CardControl, PinPadControl, PrinterControl
from kiosk.devstack.deck import card_pin
from kiosk.devstack.errors import ControlFailed, DevStackError, StackNotRunning
from kiosk.devstack.stack import reader_slot
from kiosk.models import Role
from kiosk.views import nav

bp = Blueprint("demo", __name__, url_prefix="/demo")
PEOPLE = (Role.OPERATOR, Role.SUPERVISOR, Role.AUDITOR, Role.DINAS, Role.ADMIN)
SLOTS = (0, 1)  # the card emulator's two readers (Virtual PCD 00 00 / 00 01)
LATEST_RECEIPTS = 5
REFRESH_MS = 1000


def demo_mode(_user: object = None) -> bool:
    """Whether this app runs the demo (``KIOSK_DEMO_STACK`` set); also the nav entry's condition."""
    return bool(current_app.extensions["kiosk.settings"].demo_stack)


nav.add("demo.page", _l("Demo"), PEOPLE, _l("Demo control: cards, PIN pad, receipts"), when=demo_mode)

STANDINGS: Mapping[str, Any] = MappingProxyType({
    "paid_up": _l("paid up"),
    "one_behind": _l("one month behind"),
    "two_behind": _l("two months behind"),
    "behind": _l("more than two months behind"),
    "ahead": _l("paid ahead"),
    "inactive": _l("not active"),
    "unregistered": _l("not registered"),
    "unknown": _l("unknown"),
})

# The words the page's script shows, by key (see static/js/demo.js).
STRINGS: Mapping[str, Any] = MappingProxyType({
    "empty": _l("no card"),
    "in_reader": _l("in reader %(slot)s"),
    "tries": _l("%(count)s tries left"),
    "pad.busy": _l("The kiosk asks for the PIN"),
    "pad.ready": _l("No PIN asked for now"),
    "pad.typed": _l("%(count)s digit(s) typed"),
    "pad.off": _l("No PIN pad in this stack"),
    "receipt": _l("Receipt %(number)s"),
    "qr": _l("QR payload"),
    "updated": _l("Updated %(time)s"),
    "network": _l("The kiosk server cannot be reached; retrying…"),
})


class _Form(FlaskForm):
    """Fields arrive as JSON too (any type): each check reads them as text and says what is wrong in
    a lazy message, so that the answer can carry it in both languages."""

    class Meta:
        csrf = False  # the app checks the X-CSRFToken header (or csrf_token field) on every write already


def _text(field: Field) -> str:
    return "" if field.data is None else str(field.data)


def _a_reader(_form: FlaskForm, field: Field) -> None:
    if not _text(field):
        raise ValidationError(_l("Choose a reader."))
    if _text(field) not in {str(slot) for slot in SLOTS}:
        raise ValidationError(_l("The reader is 0 or 1."))


def _a_card_number(_form: FlaskForm, field: Field) -> None:
    if not _text(field):
        raise ValidationError(_l("Choose a card."))
    if not re.fullmatch(r"\d{16}", _text(field)):
        raise ValidationError(_l("A card number has 16 digits."))


class InsertForm(_Form):
    card_number = StringField(validators=[_a_card_number])
    slot = StringField(validators=[_a_reader])


class RemoveForm(_Form):
    slot = StringField(validators=[_a_reader])


PAD_ACTIONS = ("digit", "ok", "cancel", "clear", "card_pin")


class PadForm(_Form):
    action = StringField()
    digit = StringField()

    def validate_action(self, field: StringField) -> None:
        if _text(field) not in PAD_ACTIONS:
            raise ValidationError(_l("Choose a key."))

    def validate_digit(self, field: StringField) -> None:
        """One digit with ``digit``; ignored with the other keys."""
        if _text(self.action) == "digit" and not re.fullmatch(r"\d", _text(field)):
            raise ValidationError(_l("A key is one digit, 0 to 9."))


# ---- the stack ------------------------------------------------------------------------------------


def _require_demo() -> None:
    if not demo_mode():
        abort(404)


def _stack() -> dict[str, Any]:
    """The running device stack as ``stack.json`` describes it (re-read: the demo may restart it)."""
    path = Path(current_app.extensions["kiosk.settings"].demo_stack)
    try:
        described: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        raise StackNotRunning(run_dir=str(path.parent)) from None
    return described


def _control(stack: dict[str, Any], name: str) -> str:
    if name not in stack:
        raise StackNotRunning(f"{name} tidak berjalan di tumpukan ini.", f"{name} is not running in this stack.")
    return str(stack[name]["control"])


def kiosk_slot(stack: dict[str, Any]) -> int | None:
    """The emulator slot behind the device agent's reader: the kiosk's own reader."""
    return reader_slot(str(stack.get("agent", {}).get("reader", "0")))


def _both(message: Any) -> tuple[str, str]:
    with force_locale("id"):
        in_id = str(message)
    with force_locale("en"):
        in_en = str(message)
    return in_id, in_en


def _invalid(form: FlaskForm) -> ResponseReturnValue:
    fields: dict[str, dict[str, str]] = {}
    for name, errors in form.errors.items():
        in_id, in_en = _both(errors[0])
        fields[name] = {"message_id": in_id, "message": in_en}
    first = next(iter(fields.values()))
    return jsonify({"error": {"code": "invalid", "message_id": first["message_id"], "message": first["message"],
                              "fields": fields}}), 400


@bp.errorhandler(DevStackError)
def _device_error(err: DevStackError) -> ResponseReturnValue:
    refused = isinstance(err, ControlFailed) and err.fields.get("status") is not None
    body = {"code": err.code, "message_id": err.message_id, "message": err.message_en}
    return jsonify({"error": body}), 409 if refused else 503


# ---- routes ---------------------------------------------------------------------------------------


@bp.get("")
@access(*PEOPLE)
def page() -> ResponseReturnValue:
    _require_demo()
    problem: DevStackError | None = None
    cards: list[DeckCard] = []
    slot: int | None = None
    try:
        stack = _stack()
        cards, slot = read_deck(Path(stack["deck"])), kiosk_slot(stack)
    except DevStackError as exc:
        problem = exc
    return render_template("demo.html", cards=cards, standings=STANDINGS, kiosk_slot=slot, slots=SLOTS,
                           problem=problem, strings=STRINGS, refresh_ms=REFRESH_MS)


def _pad_view(status: dict[str, Any]) -> dict[str, Any]:
    return {"state": status.get("state"), "prompt": status.get("prompt", ""), "amount": status.get("amount", 0),
            "typed": status.get("typed_digits", 0)}


def _receipts(printer: PrinterControl) -> list[dict[str, Any]]:
    """The printer's latest receipts, newest first."""
    last = int(printer.status()["receipts"])
    found = printer.receipts(max(0, last - LATEST_RECEIPTS))
    return [{"number": r["number"], "text": r.get("text", ""), "qr": r.get("qr", [])} for r in reversed(found)]


@bp.get("/state")
@access(*PEOPLE)
def state() -> ResponseReturnValue:
    """What the page shows live: the readers, PIN tries, the PIN pad and the latest receipts. One
    device not answering is reported in ``errors``; the others are still shown."""
    _require_demo()
    stack = _stack()
    card = CardControl(_control(stack, "card_emulator"))
    errors: list[dict[str, str]] = []

    def read(what: Callable[[], Any], default: Any = None) -> Any:
        try:
            return what()
        except DevStackError as exc:
            errors.append({"message_id": exc.message_id, "message": exc.message_en})
            return default

    out: dict[str, Any] = {
        "kiosk_slot": kiosk_slot(stack),
        "readers": read(lambda: [{"slot": s["slot"], "card_number": s["card_number"]} for s in card.status()["slots"]]),
        "tries": read(lambda: {c["card_number"]: c.get("pin_tries_left") for c in card.cards()}),
        "pinpad": read(lambda: _pad_view(PinPadControl(_control(stack, "pinpad")).status())) if "pinpad" in stack else None,
        "receipts": read(lambda: _receipts(PrinterControl(_control(stack, "printer"))), []) if "printer" in stack else [],
    }
    out["errors"] = errors
    return jsonify(out)


@bp.post("/insert")
@access(*PEOPLE)
def insert() -> ResponseReturnValue:
    _require_demo()
    form = InsertForm()
    if not form.validate():
        return _invalid(form)
    card = CardControl(_control(_stack(), "card_emulator"))
    return jsonify(card.insert(_text(form.card_number), int(_text(form.slot))))


@bp.post("/remove")
@access(*PEOPLE)
def remove() -> ResponseReturnValue:
    _require_demo()
    form = RemoveForm()
    if not form.validate():
        return _invalid(form)
    return jsonify(CardControl(_control(_stack(), "card_emulator")).remove(int(_text(form.slot))))


@bp.post("/pinpad")
@access(*PEOPLE)
def pinpad() -> ResponseReturnValue:
    """A key on the emulated pad, or the PIN of the card in the kiosk's reader typed, then OK."""
    _require_demo()
    form = PadForm()
    if not form.validate():
        return _invalid(form)
    stack = _stack()
    pad = PinPadControl(_control(stack, "pinpad"))
    action = _text(form.action)
    if action == "card_pin":
        slot = kiosk_slot(stack)
        slots = CardControl(_control(stack, "card_emulator")).status()["slots"]
        number = next((s["card_number"] for s in slots if s["slot"] == slot and s["card_number"]), None)
        if number is None:
            return jsonify({"error": {"code": "no_card", "message_id": "Tidak ada kartu di pembaca kios.",
                                      "message": "There is no card in the kiosk's reader."}}), 409
        pad.type_keys(card_pin(Path(stack["deck"]), number), enter=True)
    else:
        pad.type_keys(_text(form.digit) if action == "digit" else "", enter=action == "ok",
                      cancel=action == "cancel", clear=action == "clear")
    return jsonify({"pinpad": _pad_view(pad.status())})
