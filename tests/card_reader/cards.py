"""Card data for pure tests: personalised records, keys and signatures without any process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from card_reader.protocol.card import AuthMode, auth_signed_data
from card_reader.records import CardRecords
from card_reader.verify import AuthAnswer
from firmware_stubs.personalise import FarmerCard, card_records

ISSUER_ID = "BRI-7312"


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


@dataclass
class SampleCard:
    farmer: FarmerCard
    records: CardRecords
    card_key: ec.EllipticCurvePrivateKey = field(repr=False)
    issuer_key: ec.EllipticCurvePrivateKey = field(repr=False)
    atc: int = 0

    @property
    def issuer_keys(self) -> dict[str, ec.EllipticCurvePublicKey]:
        return {ISSUER_ID: self.issuer_key.public_key()}

    def answer(self, mode: AuthMode, challenge: bytes) -> AuthAnswer:
        """What the card would answer to INTERNAL AUTHENTICATE (and its ATC moves on)."""
        self.atc += 1
        return AuthAnswer(self.atc, sign(self.card_key, auth_signed_data(mode, challenge, self.atc)))


def make_card(card_number: str = "6013010000000001", expiry: date = date(2030, 12, 31), name: str = "La Baco",
              issuer_key: ec.EllipticCurvePrivateKey | None = None) -> SampleCard:
    farmer = FarmerCard(card_number, "7312010101800001", name, date(1980, 1, 1), "7312010001", "KT-SIPAKAINGE",
                        expiry, "123456")
    issuer = issuer_key or ec.generate_private_key(ec.SECP256R1())
    card_key = ec.generate_private_key(ec.SECP256R1())
    r1, r2, r3 = card_records(farmer, ISSUER_ID, issuer, card_key)
    return SampleCard(farmer, CardRecords(r1, r2, r3), card_key, issuer)
