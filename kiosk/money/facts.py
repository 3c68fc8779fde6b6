"""What every receipt's header says, read from the database: the kiosk (registry outlet and its
kecamatan), the operator's name, the farmer (name and masked NIK from the registry, never the NIK),
the penyuluh's name, and the proof the QR carries (journal id + audit leaf hash).

The proof is the leaf hash ``SHA-256(0x00 || body)`` (``ledger.audit.leaf_hash``) of the journal's
``journal.posted`` entry; a journal posted at once has no such entry and its ``journal.submitted``
entry (which recorded it as posted) is the one the audit log proves (docs/audit-log.md).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

import fertilizer
import ledger
from fertilizer import KeyStore
from fertilizer.schema import Kecamatan, Penyuluh
from kiosk.models import User
from kiosk.money.errors import NotFound
from kiosk.receipts import Farmer, Kiosk, Proof
from kiosk.receipts.model import MAX_NAME, QuotaLeft
from ledger.audit import leaf_hash

POSTED_ENTRY = "journal.posted"
SUBMITTED_ENTRY = "journal.submitted"


def _fit(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "."


def kiosk_of(session: Session, code: str) -> Kiosk:
    """The outlet as its receipts name it: registry name and kecamatan; the bare code if unknown."""
    try:
        outlet = fertilizer.outlet(session, code)
    except fertilizer.FertilizerError:
        return Kiosk(code[:24], _fit(code))
    kecamatan = session.get(Kecamatan, outlet.kecamatan_code)
    address = f"Kec. {kecamatan.name}" if kecamatan is not None else ""
    return Kiosk(code[:24], _fit(outlet.name), address[:64])


def person_name(session: Session, username: str) -> str:
    """A user's full name (their username when none was given); ``token:...`` machines as named."""
    user = session.scalar(sa.select(User).where(User.username == username))
    name = (user.full_name if user is not None else "") or username
    return _fit(name)


def farmer_of(session: Session, keys: KeyStore, pseudonym: str) -> Farmer:
    """Name and masked NIK; an erased farmer cannot be named on paper (``farmer_erased``)."""
    view = fertilizer.views(session, keys, [pseudonym])[0]
    if view.erased:
        raise NotFound("farmer_erased", "Data petani sudah dihapus; struk tidak dapat mencetak namanya.",
                       "The farmer's data was erased; a receipt cannot name them.", status=410)
    return Farmer(_fit(view.name), view.masked_nik)


def penyuluh_name(session: Session, code: str | None) -> str | None:
    if not code:
        return None
    row = session.get(Penyuluh, code)
    return _fit(row.name if row is not None else code)


def entry_hash(session: Session, journal_id: uuid.UUID) -> bytes:
    """The audit leaf hash of the journal's posting (see the module docs)."""
    entries = ledger.journal_entries(session, journal_id)
    chosen = [e for e in entries if e.kind == POSTED_ENTRY] or [e for e in entries if e.kind == SUBMITTED_ENTRY]
    if not chosen:
        raise NotFound("journal_not_logged", "Jurnal belum tercatat di log audit.", "The journal has no audit entry.",
                       journal=str(journal_id))
    return leaf_hash(chosen[0].body)


def proof_of(session: Session, journal_id: uuid.UUID) -> Proof:
    return Proof(journal_id, entry_hash(session, journal_id))


def quota_left(session: Session, pseudonym: str, season: str, products: list[str]) -> tuple[QuotaLeft, ...]:
    """What the farmer may still redeem this season of the products on the receipt."""
    left = fertilizer.quota_left(session, pseudonym, season)
    return tuple(QuotaLeft(fertilizer.product(p).name, max(0, left.get(p, 0))) for p in products)
