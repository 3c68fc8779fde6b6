"""Is this card genuine, and does it consent? Pure checks over what the card returned (DESIGN §6).

* the issuer's ECDSA P-256 signature over records 1-2 and the card key (an edited card fails);
* the card's signature over ``P1 || challenge || ATC`` with the key the issuer vouched for
  (a copied card, which lacks the private key, fails);
* the ATC must move strictly forward from the highest one the server has seen (a replayed or
  stepped-back answer fails); the caller keeps that number (``kiosk.cards``);
* the expiry (end of the expiry month, kiosk local time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from card_reader.errors import Expired, MalformedAnswer, NotAuthentic
from card_reader.protocol.card import (
    ATC_LENGTH,
    CHALLENGE_LENGTH,
    SIGNATURE_LENGTH,
    AuthMode,
    auth_signed_data,
    issuer_signed_data,
)
from card_reader.records import CardData, CardRecords

WITA = timezone(timedelta(hours=8), "WITA")


@dataclass(frozen=True)
class AuthAnswer:
    """INTERNAL AUTHENTICATE's answer: the card's new ATC and its signature."""

    atc: int
    signature: bytes = field(repr=False)

    def to_bytes(self) -> bytes:
        return self.atc.to_bytes(ATC_LENGTH, "big") + self.signature


@dataclass(frozen=True)
class CardRead:
    """What the card said at insertion: its raw records and its card-check answer."""

    insertion: int
    records: CardRecords = field(repr=False)
    card_check: AuthAnswer


def parse_auth_answer(data: bytes) -> AuthAnswer:
    if len(data) != ATC_LENGTH + SIGNATURE_LENGTH:
        raise MalformedAnswer(detail="authenticate answer: wrong length")
    return AuthAnswer(int.from_bytes(data[:ATC_LENGTH], "big"), bytes(data[ATC_LENGTH:]))


def _der(raw: bytes) -> bytes:
    half = SIGNATURE_LENGTH // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def _verify(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    if len(signature) != SIGNATURE_LENGTH:
        return False
    try:
        key.verify(_der(signature), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def load_point(point: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise NotAuthentic(reason="card_key") from None


def verify_issuer(card: CardData, issuer_keys: Mapping[str, ec.EllipticCurvePublicKey]) -> None:
    """The issuer named in DF06 signed records 1-2 and the card key (DF11)."""
    key = issuer_keys.get(card.issuer_id)
    if key is None:
        raise NotAuthentic(reason="unknown_issuer", issuer_id=card.issuer_id)
    data = issuer_signed_data(card.records.record1, card.records.record2, card.card_public_key)
    if not _verify(key, card.issuer_signature, data):
        raise NotAuthentic(reason="issuer_signature", issuer_id=card.issuer_id)


def verify_card_signature(card: CardData, mode: AuthMode, challenge: bytes, answer: AuthAnswer) -> None:
    """The card holds the private key of the public key its issuer signed."""
    verify_auth(card.card_public_key, mode, challenge, answer)


def verify_auth(card_public_key: bytes, mode: AuthMode, challenge: bytes, answer: AuthAnswer) -> None:
    """An INTERNAL AUTHENTICATE answer verifies under a card public key (65-byte P-256 point) that
    was itself checked against the issuer signature when the card was read."""
    if len(challenge) != CHALLENGE_LENGTH:
        raise ValueError(f"a challenge is {CHALLENGE_LENGTH} bytes")
    data = auth_signed_data(mode, challenge, answer.atc)
    if not _verify(load_point(card_public_key), answer.signature, data):
        raise NotAuthentic(reason="card_signature", mode=mode.name.lower())


def check_atc(highest_seen: int | None, atc: int) -> None:
    """An ATC must be higher than every ATC seen before for this card."""
    if highest_seen is not None and atc <= highest_seen:
        raise NotAuthentic(reason="atc_replay", atc=atc, highest_seen=highest_seen)


def check_expiry(card: CardData, now: datetime) -> None:
    """Valid through the last day of its expiry month, Soppeng time (WITA)."""
    if now.tzinfo is None:
        raise ValueError("now must be zone-aware")
    if now.astimezone(WITA).date() > card.expiry:
        raise Expired(expiry=card.expiry.isoformat())
