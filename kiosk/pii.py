"""The full NIK, for the roles that need it, and every such view on the record (issue 11; UU 27/2022).

Screens, receipts, exports and logs show a farmer's NIK masked (``7312********0001``). The full NIK,
name and birth date come only through :func:`reveal_nik`:

* only for :data:`NIK_ROLES` — **admin** (corrects registry records, answers a farmer's data request)
  and **dinas** (the district office verifies RDKK membership and subsidy claims against the KTP).
  Operators, supervisors and auditors see masked NIKs only; an auditor checks the ledger, which
  names farmers by pseudonym and never needs the NIK;
* with a stated purpose (10-200 characters, no long digit runs: a purpose must not carry a NIK);
* each view appends a ``kiosk.nik_viewed`` audit entry (viewer, role, pseudonym, purpose, time) in
  the caller's transaction, so the data leaves only once its record commits;
* an erased farmer (crypto-shredded) can never be revealed again.

Services take the caller's ``Session`` and never commit.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

import fertilizer
import ledger
from fertilizer import FarmerErased, KeyStore, RegistryError
from kiosk.models import Role

log = logging.getLogger("kiosk.pii")
NIK_ROLES = frozenset({Role.ADMIN, Role.DINAS})
ENTRY_KIND = "kiosk.nik_viewed"
PURPOSE_MIN, PURPOSE_MAX = 10, 200
PSEUDONYM_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_DIGIT_RUN = re.compile(r"\d{8,}")


class Viewer(Protocol):
    """Who asks: a logged-in user or a machine principal (both have these)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> Role: ...


class PiiError(Exception):
    """A refused reveal: stable ``code``, HTTP ``status``, bilingual message, structured ``fields``."""

    def __init__(self, code: str, status: int, message_id: str, message_en: str, **fields: Any) -> None:
        super().__init__(message_en)
        self.code, self.status, self.message_id, self.message_en, self.fields = code, status, message_id, message_en, fields

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message_en, "message_id": self.message_id, "details": self.fields}


@dataclass(frozen=True, repr=False)
class Identity:
    """A farmer's personal data as revealed to one viewer; its repr shows only the masked NIK."""

    pseudonym: str
    nik: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: date = field(repr=False)
    viewed_at: datetime
    entry_id: uuid.UUID

    @property
    def masked_nik(self) -> str:
        return fertilizer.mask_nik(self.nik)

    def __repr__(self) -> str:
        return (f"Identity(pseudonym={self.pseudonym!r}, masked_nik={self.masked_nik!r}, "
                f"viewed_at={self.viewed_at.isoformat()!r}, entry_id={str(self.entry_id)!r})")


def may_see_nik(role: Role) -> bool:
    return role in NIK_ROLES


def check_purpose(purpose: str) -> str:
    """The stated purpose, trimmed; refused when too short, too long, unprintable or carrying a NIK."""
    text = " ".join(purpose.split())
    if not PURPOSE_MIN <= len(text) <= PURPOSE_MAX or not text.isprintable():
        raise PiiError("purpose_required", 400,
                       f"Tuliskan tujuan melihat NIK ({PURPOSE_MIN}-{PURPOSE_MAX} karakter).",
                       f"State why you need the NIK ({PURPOSE_MIN}-{PURPOSE_MAX} characters).", field="purpose")
    if _DIGIT_RUN.search(text):
        raise PiiError("purpose_has_number", 400, "Tujuan tidak boleh memuat NIK atau nomor panjang lain.",
                       "The purpose must not contain a NIK or another long number.", field="purpose")
    return text


def _personal(session: Session, keys: KeyStore, pseudonym: str) -> fertilizer.FarmerPersonal:
    if not PSEUDONYM_RE.match(pseudonym):
        raise PiiError("unknown_farmer", 404, "Petani tidak ditemukan.", "No such farmer.")
    try:
        return fertilizer.reveal(session, keys, pseudonym)
    except FarmerErased:
        raise PiiError("farmer_erased", 410, "Data pribadi petani ini telah dihapus.",
                       "This farmer's personal data was erased.", pseudonym=pseudonym) from None
    except RegistryError:
        raise PiiError("unknown_farmer", 404, "Petani tidak ditemukan.", "No such farmer.", pseudonym=pseudonym) from None


def reveal_nik(session: Session, keys: KeyStore, pseudonym: str, viewer: Viewer, purpose: str, *,
               now: datetime) -> Identity:
    """The farmer's full NIK, name and birth date for ``viewer``, recorded as a ``kiosk.nik_viewed`` entry."""
    if not may_see_nik(viewer.role):
        raise PiiError("nik_not_permitted", 403, "Peran Anda tidak boleh melihat NIK lengkap.",
                       "Your role may not see full NIKs.", role=viewer.role.value)
    stated = check_purpose(purpose)
    person = _personal(session, keys, pseudonym)
    entry = ledger.append_entry(session, ENTRY_KIND, {
        "viewer": viewer.username, "role": viewer.role.value, "pseudonym": pseudonym, "purpose": stated,
        "at": ledger.rfc3339(now),
    }, now=now)
    log.info("event=nik_viewed viewer=%s role=%s pseudonym=%s entry=%s", viewer.username, viewer.role.value,
             pseudonym, entry.id)
    return Identity(pseudonym, person.nik, person.name, person.birth_date, now, entry.id)
