"""The operator's swipe screen (issue 10): idle "Masukkan kartu", farmer panel, selection, PIN,
progress and result, all on one page driven by ``static/js/operator.js`` over the JSON API.

The page itself is server-rendered: the words the script shows come from the Babel catalogue
(``STRINGS`` and ``ADVICE`` below, rendered into ``<template>`` elements), so every text is
translated like the rest of the app and no script is inline. One small read-only JSON view adds
what the checkout JSON does not carry: the farmer's quota left per product this season and the
names of the village and kecamatan.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

import fertilizer
from fertilizer.schema import Kecamatan, Village
from kiosk.auth import access
from kiosk.checkout import store
from kiosk.checkout.errors import CheckoutError, not_found
from kiosk.db import db_session
from kiosk.models import Role
from kiosk.views import nav

bp = Blueprint("operator", __name__, url_prefix="/operator")
nav.add("operator.screen", _l("Swipe"), [Role.OPERATOR], when=nav.bound_to_kiosk)

# What the farmer (or the operator) can do about each reason or error, by its code. The policy's
# own message says *why*; this says *what next*. Codes without advice show the message alone.
ADVICE: Mapping[str, Any] = MappingProxyType({
    "card_problem": _l("Ask the issuing bank (BRI) to check or replace the card."),
    "not_in_rdkk": _l("Ask the penyuluh to enter the farmer in the e-RDKK of the farmer group."),
    "out_of_season": _l("Ask the penyuluh whether this season's RDKK allocation has been loaded."),
    "wrong_kiosk": _l("Redeem at the farmer group's own kiosk, named in the e-RDKK."),
    "quota_exhausted": _l("This season's quota is used up; the next season's RDKK brings a new quota."),
    "out_of_stock": _l("Come back after the kiosk's next delivery, or choose another product."),
    "not_for_sale": _l("Wait until the new HET price is published."),
    "bpjs_not_registered": _l("Nothing to bring: registration and the first month are paid in this swipe."),
    "contribution_due": _l("Nothing to bring: the months due are paid in this swipe."),
    "contribution_unsettled": _l("See the penyuluh or the BPJS Ketenagakerjaan office to settle the earlier months first."),
    "bpjs_unavailable": _l("Try again later, when BPJS can be reached again."),
    "hotlisted": _l("The card was reported lost or blocked: the farmer asks the bank for a new card."),
    "pin_blocked": _l("The PIN is blocked: the issuing bank unblocks it."),
    "wrong_pin": _l("The farmer types the PIN again on the PIN pad."),
    "card_removed": _l("Insert the card again and start a new swipe; nothing was taken."),
    "balance_short": _l("Top up the card balance, pay in cash, or buy less."),
    "cancelled": _l("Nothing was taken. Insert the card again to start over."),
})

# The words the swipe screen's script shows, by key (see static/js/operator.js).
STRINGS: Mapping[str, Any] = MappingProxyType({
    "reading": _l("Reading the card…"),
    "deciding": _l("Checking quota, stock and BPJS status…"),
    "ledger": _l("Recording the transaction…"),
    "bpjs.pending": _l("Sending the contribution to BPJS…"),
    "bpjs.registering": _l("Registering the farmer with BPJS…"),
    "bpjs.paying": _l("Payment sent; waiting for BPJS's answer…"),
    "bpjs.unresolved": _l("BPJS's answer is late. The kiosk keeps asking BPJS by itself; the fertilizer is handed over once BPJS confirms."),
    "bpjs.exception": _l("The payment could not be confirmed in time and was passed to the supervisor. Nothing more to do here."),
    "exception": _l("Passed to the supervisor"),
    "completed": _l("Completed"),
    "failed": _l("Failed: nothing was taken"),
    "aborted": _l("Cancelled: nothing was taken"),
    "hand_over": _l("Hand over"),
    "sacks": _l("sacks"),
    "sack": _l("sack"),
    "paid_months": _l("BPJS contribution paid for"),
    "paid_through_now": _l("Now paid through"),
    "reference": _l("BPJS reference"),
    "take_cash": _l("Take cash"),
    "card_debited": _l("Debited from the card balance"),
    "nothing_handed": _l("No fertilizer to hand over."),
    "unknown_farmer": _l("Farmer not found"),
    "not_registered": _l("not registered"),
    "registration_in_swipe": _l("registration in this swipe"),
    "nothing_due": _l("nothing due"),
    "rule_off": _l("the rule is not in force"),
    "no_products": _l("No fertilizer may be bought in this swipe."),
    "pay_contribution_only": _l("Only the BPJS contribution can be paid."),
    "kg_invalid": _l("Whole kilograms from 0 to %(max)s."),
    "select_something": _l("Choose at least one product."),
    "card_removed_note": _l("The card was removed."),
    "no_reader": _l("The card reader cannot be reached."),
    "card_in": _l("Card in the reader"),
    "card_out": _l("No card in the reader"),
    "waiting_list": _l("Still waiting for BPJS"),
    "open": _l("Show"),
    "receipt": _l("Receipt"),
    "receipt.printed": _l("printed"),
    "receipt.queued": _l("waiting for the printer"),
    "receipt.failed": _l("not printed"),
    "receipt.pending": _l("being prepared"),
    "receipt.unsent": _l("not yet sent to the printer"),
    "confirm_failed": _l("The selection was not accepted."),
    "network": _l("The kiosk server cannot be reached; retrying…"),
    "plus_sack": _l("+1 sack"),
    "minus_sack": _l("−1 sack"),
    "max": _l("Max"),
    "kg_of": _l("kg of %(name)s"),
    "may_buy": _l("may buy %(kg)s"),
    "price": _l("%(price)s/kg"),
    "paid_through": _l("paid through"),
    "due": _l("due"),
    "journal": _l("Journal"),
})


@bp.errorhandler(CheckoutError)
def _checkout_error(err: CheckoutError) -> ResponseReturnValue:
    return jsonify({"error": err.to_dict()}), err.status


@bp.get("")
@access(Role.OPERATOR)
def screen() -> ResponseReturnValue:
    return render_template("operator.html", strings=STRINGS, advice=ADVICE, kiosk=current_user.kiosk_code)


def _names(session: Session, village_code: str, kecamatan_code: str) -> tuple[str | None, str | None]:
    village, kecamatan = session.get(Village, village_code), session.get(Kecamatan, kecamatan_code)
    return (village.name if village else None), (kecamatan.name if kecamatan else None)


def farmer_facts(session: Session, pseudonym: str, season: str) -> dict[str, Any]:
    """The farmer panel's extras: quota left per product this season (pending sales counted) and
    the village and kecamatan names. Never the NIK."""
    record = fertilizer.by_pseudonym(session, pseudonym)
    village, kecamatan = _names(session, record.village_code, record.kecamatan_code)
    left = fertilizer.quota_left(session, pseudonym, season)
    quota = [{"product": p.code, "name": p.name, "sack_kg": p.sack_kg, "left_kg": left[p.code]}
             for p in fertilizer.PRODUCTS if p.code in left]
    return {"season": season, "village": village, "village_code": record.village_code, "kecamatan": kecamatan,
            "quota": quota}


@bp.get("/checkouts/<checkout_id>/farmer")
@access(Role.OPERATOR)
def farmer(checkout_id: str) -> ResponseReturnValue:
    try:
        cid = uuid.UUID(checkout_id)
    except ValueError:
        raise not_found() from None
    session = db_session()
    with session.begin():
        row = store.load(session, cid)
        if row.kiosk_code != current_user.kiosk_code:
            raise not_found()  # another kiosk's checkout: 404, not 403, so ids leak nothing
        season = (row.decision or {}).get("season")
        if row.farmer is None or season is None:
            return jsonify({"season": season, "village": None, "kecamatan": None, "quota": []})
        return jsonify(farmer_facts(session, row.farmer, season))
