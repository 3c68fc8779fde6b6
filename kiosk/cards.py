"""The web side's card checks (DESIGN §3, §6): it never takes the agent's word for a card.

* ``card_atc``: per card, the highest ATC any kiosk on this database has accepted. An answer whose
  ATC is not strictly higher is a replay (or a cloned card's stale state) and is refused. The
  update is one conditional ``UPDATE ... WHERE atc < :new``, so two kiosks racing on one card
  cannot both accept the same ATC (PostgreSQL re-checks the row after the other commit; SQLite
  serialises writers with ``BEGIN IMMEDIATE``).
* ``card_hotlist``: card numbers reported lost, stolen or replaced.
* :func:`verify_card_read` and :func:`verify_transaction`: the facade the checkout calls. They
  take the caller's ``Session`` and never commit (STYLE habit 3); commit promptly so the ATC moves.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Mapped, Session, mapped_column

from card_reader import (
    CHALLENGE_LENGTH,
    AuthAnswer,
    AuthMode,
    CardData,
    CardRecords,
    Hotlisted,
    NotAuthentic,
    check_atc,
    check_expiry,
    parse_records,
    verify_auth,
    verify_card_signature,
    verify_issuer,
)
from kiosk.models import Base, utcnow
from ledger.storage import UTCDateTime

IssuerKeys = Mapping[str, ec.EllipticCurvePublicKey]


class HotlistReason(enum.StrEnum):
    LOST = "lost"
    STOLEN = "stolen"
    REPLACED = "replaced"


HOTLIST_MESSAGES: dict[HotlistReason, tuple[str, str]] = {
    HotlistReason.LOST: ("Kartu ini dilaporkan hilang.", "This card was reported lost."),
    HotlistReason.STOLEN: ("Kartu ini dilaporkan dicuri.", "This card was reported stolen."),
    HotlistReason.REPLACED: ("Kartu ini sudah diganti kartu baru.", "This card was replaced by a new one."),
}


class CardAtc(Base):
    __tablename__ = "card_atc"

    card_number: Mapped[str] = mapped_column(sa.String(19), primary_key=True)
    atc: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("atc >= 0 AND atc <= 65535", name="atc_range"),)


class CardHotlist(Base):
    __tablename__ = "card_hotlist"

    card_number: Mapped[str] = mapped_column(sa.String(19), primary_key=True)
    reason: Mapped[HotlistReason] = mapped_column(
        sa.Enum(HotlistReason, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- ATC -----------------------------------------------------------------------------------


def highest_atc(session: Session, card_number: str) -> int | None:
    return session.scalar(sa.select(CardAtc.atc).where(CardAtc.card_number == card_number))


def accept_atc(session: Session, card_number: str, atc: int, now: datetime) -> None:
    """Record ``atc`` as the card's highest; NotAuthentic(atc_replay) unless it is strictly higher."""
    moved = session.execute(
        sa.update(CardAtc).where(CardAtc.card_number == card_number, CardAtc.atc < atc).values(atc=atc, updated_at=now)
    )
    if moved.rowcount == 1:  # type: ignore[attr-defined]
        return
    seen = highest_atc(session, card_number)
    if seen is not None:
        check_atc(seen, atc)  # raises: the row exists and was not lower
        raise NotAuthentic(reason="atc_replay", atc=atc)
    try:
        with session.begin_nested():
            session.add(CardAtc(card_number=card_number, atc=atc, updated_at=now))
    except sa.exc.IntegrityError:  # another kiosk saw this card first, just now
        accept_atc(session, card_number, atc, now)


# ---- hotlist -------------------------------------------------------------------------------


def hotlist_card(session: Session, card_number: str, reason: HotlistReason, now: datetime, note: str = "") -> CardHotlist:
    if not (card_number.isdigit() and len(card_number) == 16):
        raise ValueError("a card number is 16 digits")
    entry = session.get(CardHotlist, card_number)
    if entry is None:
        entry = CardHotlist(card_number=card_number, reason=reason, note=note[:200], listed_at=now)
        session.add(entry)
    else:
        entry.reason, entry.note, entry.listed_at = reason, note[:200], now
    session.flush()
    return entry


def unlist_card(session: Session, card_number: str) -> bool:
    result = session.execute(sa.delete(CardHotlist).where(CardHotlist.card_number == card_number))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def hotlisted(session: Session, card_number: str) -> CardHotlist | None:
    return session.get(CardHotlist, card_number)


def check_hotlist(session: Session, card_number: str) -> None:
    entry = hotlisted(session, card_number)
    if entry is not None:
        message_id, message_en = HOTLIST_MESSAGES[entry.reason]
        raise Hotlisted(f"{message_id} Tahan kartu dan hubungi penyuluh.",
                        f"{message_en} Retain the card and call the extension officer.", reason=entry.reason.value)


# ---- the facade ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifiedCard:
    """A card proven genuine, not hotlisted, not expired, its ATC moved forward."""

    data: CardData
    atc: int
    insertion: int | None
    verified_at: datetime

    @property
    def card_number(self) -> str:
        return self.data.card_number


@dataclass(frozen=True)
class Consent:
    """The farmer's consent: the card's transaction signature over the checkout's challenge."""

    card_number: str
    challenge: bytes
    atc: int
    signature: bytes = field(repr=False)
    signed_at: datetime

    def signed_data(self) -> bytes:
        """What the signature covers (P1 01 || challenge || ATC): enough to re-verify offline."""
        return bytes([AuthMode.TRANSACTION]) + self.challenge + self.atc.to_bytes(2, "big")


def new_challenge() -> bytes:
    return secrets.token_bytes(CHALLENGE_LENGTH)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    return now


def verify_card_read(session: Session, records: CardRecords, card_check: AuthAnswer, challenge: bytes,
                     issuer_keys: IssuerKeys, now: datetime | None = None, insertion: int | None = None) -> VerifiedCard:
    """Parse, check the issuer signature, expiry, hotlist, the card-check signature, then the ATC."""
    when = _now(now)
    data = parse_records(records)
    verify_issuer(data, issuer_keys)
    check_expiry(data, when)
    check_hotlist(session, data.card_number)
    verify_card_signature(data, AuthMode.CARD_CHECK, challenge, card_check)
    accept_atc(session, data.card_number, card_check.atc, when)
    return VerifiedCard(data, card_check.atc, insertion, when)


def verify_transaction(session: Session, card: VerifiedCard, challenge: bytes, atc: int, signature: bytes,
                       now: datetime | None = None) -> Consent:
    """The card signed ``challenge`` in transaction mode (so its PIN was verified) with a fresh ATC."""
    return verify_transaction_key(session, card.card_number, card.data.card_public_key, challenge, atc, signature, now)


def verify_transaction_key(session: Session, card_number: str, card_public_key: bytes, challenge: bytes, atc: int,
                           signature: bytes, now: datetime | None = None) -> Consent:
    """``verify_transaction`` with only the card number and the public key kept from a verified read
    (a checkout keeps these, not the personal data of records 1-2, between its steps)."""
    when = _now(now)
    check_hotlist(session, card_number)
    verify_auth(card_public_key, AuthMode.TRANSACTION, challenge, AuthAnswer(atc, signature))
    accept_atc(session, card_number, atc, when)
    return Consent(card_number, challenge, atc, signature, when)


def load_issuer_keys(directory: Path) -> dict[str, ec.EllipticCurvePublicKey]:
    """Issuer public keys from ``<ISSUER-ID>.pub.pem`` files (P-256 only)."""
    keys: dict[str, ec.EllipticCurvePublicKey] = {}
    for path in sorted(Path(directory).glob("*.pub.pem")):
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"{path}: not a P-256 public key")
        keys[path.name.removesuffix(".pub.pem")] = key
    return keys
