"""The card hotlist as an audited admin action (issue 11): add a card, lift a block, with reasons.

:mod:`kiosk.cards` keeps the table and the check every swipe makes (``check_hotlist``); this module
is what a person does to it, from the admin pages or ``kiosk card hotlist``. Each change appends an
audit entry (``kiosk.card_hotlisted``, ``kiosk.card_unlisted``) in the caller's transaction.
Services take the caller's ``Session`` and never commit.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

import ledger
from kiosk.cards import CardHotlist, HotlistReason, hotlist_card, hotlisted, unlist_card

log = logging.getLogger("kiosk.cards")

CARD_HOTLISTED = "kiosk.card_hotlisted"
CARD_UNLISTED = "kiosk.card_unlisted"
NOTE_MAX = 200
REMOVE_REASON_MIN = 5
DIGIT_RUN = re.compile(r"[0-9]{8,}")


class HotlistError(Exception):
    """A refused hotlist change; ``field`` names the form field it concerns."""

    def __init__(self, code: str, message_id: str, message_en: str, field: str | None = None) -> None:
        super().__init__(message_en)
        self.code, self.message_id, self.message_en, self.field = code, message_id, message_en, field


def masked(card_number: str) -> str:
    """For logs: the first six and last four digits."""
    return f"{card_number[:6]}******{card_number[-4:]}"


def _free_text(text: str, field: str) -> str:
    """A note or reason goes into the permanent audit log: it must not carry a NIK or card number."""
    if DIGIT_RUN.search(text):
        raise HotlistError("digits_in_text", "Jangan menulis NIK atau nomor kartu di sini.",
                           "Do not write a NIK or card number here.", field)
    return text.strip()


def _card(card_number: str) -> str:
    number = card_number.replace(" ", "").replace("-", "")
    if not (number.isascii() and number.isdigit() and len(number) == 16):
        raise HotlistError("bad_card_number", "Nomor kartu harus 16 angka.", "A card number is 16 digits.", "card_number")
    return number


def entries(session: Session) -> list[CardHotlist]:
    return list(session.scalars(sa.select(CardHotlist).order_by(CardHotlist.listed_at.desc())))


def add(session: Session, *, card_number: str, reason: HotlistReason, note: str, actor: str,
        now: datetime) -> CardHotlist:
    """Block a card on every kiosk of this database (again: the reason and note are replaced)."""
    number = _card(card_number)
    if len(note) > NOTE_MAX:
        raise HotlistError("note_too_long", f"Catatan paling panjang {NOTE_MAX} karakter.",
                           f"The note may have at most {NOTE_MAX} characters.", "note")
    entry = hotlist_card(session, number, reason, now, _free_text(note, "note"))
    # the audit log is permanent and exported: the card appears masked, as on receipts and screens
    ledger.append_entry(session, CARD_HOTLISTED, {"card": masked(number), "reason": reason.value, "note": entry.note,
                                                  "by": actor}, now=now)
    log.warning("event=card_hotlisted card=%s reason=%s by=%s", masked(number), reason.value, actor)
    return entry


def remove(session: Session, *, card_number: str, reason: str, actor: str, now: datetime) -> None:
    """Lift a block (the card was found, or listed by mistake); the reason goes into the audit log."""
    number = _card(card_number)
    why = _free_text(reason, "reason")
    if not (REMOVE_REASON_MIN <= len(why) <= NOTE_MAX):
        raise HotlistError("reason_needed", f"Sebutkan alasannya ({REMOVE_REASON_MIN}-{NOTE_MAX} karakter).",
                           f"Give the reason ({REMOVE_REASON_MIN}-{NOTE_MAX} characters).", "reason")
    before = hotlisted(session, number)
    was = before.reason.value if before is not None else None
    if was is None or not unlist_card(session, number):
        raise HotlistError("not_hotlisted", "Kartu ini tidak ada di daftar blokir.", "This card is not on the hotlist.",
                           "card_number")
    ledger.append_entry(session, CARD_UNLISTED, {"card": masked(number), "was": was, "reason": why,
                                                 "by": actor}, now=now)
    log.warning("event=card_unlisted card=%s by=%s", masked(number), actor)
