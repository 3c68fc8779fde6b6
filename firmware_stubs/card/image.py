"""A card image: one JSON file per card holding its key, records, PIN, PIN tries left and ATC.

The state that a real card keeps in EEPROM (ATC, PIN try counter) is saved atomically after every
change, before the card answers. The file is mode 0600: it holds the card's private key and PIN.
``repr`` never shows either.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from card_reader.protocol.card import ATC_MAX, PIN_TRIES_MAX
from firmware_stubs.files import write_atomic

FORMAT = "ekartutani-image/1"


class ImageError(ValueError):
    """A card image file that cannot be used."""


@dataclass
class CardImage:
    path: Path
    card_number: str
    records: tuple[bytes, bytes, bytes] = field(repr=False)
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    pin: str = field(repr=False)
    pin_tries_left: int = PIN_TRIES_MAX
    atc: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def sign(self, data: bytes) -> bytes:
        """ECDSA P-256 over SHA-256, as 64 bytes r || s."""
        r, s = decode_dss_signature(self.private_key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def to_json(self) -> dict[str, Any]:
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")
        return {
            "format": FORMAT,
            "card_number": self.card_number,
            "records": [r.hex() for r in self.records],
            "card_private_key": pem,
            "pin": self.pin,
            "pin_tries_left": self.pin_tries_left,
            "atc": self.atc,
        }

    def save(self) -> None:
        write_atomic(self.path, (json.dumps(self.to_json(), indent=1) + "\n").encode("utf-8"))


def load_image(path: Path) -> CardImage:
    try:
        raw = json.loads(Path(path).read_text("utf-8"))
        if raw.get("format") != FORMAT:
            raise ImageError(f"{path}: not a card image ({FORMAT})")
        key = serialization.load_pem_private_key(raw["card_private_key"].encode("ascii"), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ImageError(f"{path}: the card key is not an EC key")
        records = tuple(bytes.fromhex(r) for r in raw["records"])
        image = CardImage(Path(path), str(raw["card_number"]), (records[0], records[1], records[2]), key,
                          str(raw["pin"]), int(raw["pin_tries_left"]), int(raw["atc"]))
    except (OSError, KeyError, IndexError, TypeError, ValueError) as exc:
        if isinstance(exc, ImageError):
            raise
        raise ImageError(f"{path}: unreadable card image ({type(exc).__name__})") from None
    if len(records) != 3 or not 0 <= image.pin_tries_left <= PIN_TRIES_MAX or not 0 <= image.atc <= ATC_MAX:
        raise ImageError(f"{path}: card image out of range")
    return image


def deck_paths(deck: Path) -> dict[str, Path]:
    """Card number -> image file, for every ``*.json`` card image in the deck folder."""
    out: dict[str, Path] = {}
    for path in sorted(Path(deck).glob("*.json")):
        out[path.stem] = path
    return out
