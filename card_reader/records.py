"""The card's records as typed values (DESIGN §6): strict parsing, masking, and the record encoder
used to check round trips. Malformed records raise :class:`~card_reader.errors.MalformedAnswer`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from card_reader import tlv
from card_reader.errors import MalformedAnswer
from card_reader.protocol.card import PUBLIC_KEY_LENGTH, RECORD_TAGS, SIGNATURE_LENGTH, Tag

ISSUER_ID_RE = re.compile(r"^[A-Z0-9-]{1,16}$")
GROUP_RE = re.compile(r"^[A-Za-z0-9 ./-]{1,32}$")


def mask_nik(nik: str) -> str:
    """``7312********0001``: region and the last four digits, never the birth date in between."""
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:] if len(nik) > 8 else "*" * len(nik)


def mask_card_number(number: str) -> str:
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)


@dataclass(frozen=True)
class CardRecords:
    """The three records exactly as read (template 70 included); what the issuer signed."""

    record1: bytes
    record2: bytes
    record3: bytes

    def as_list(self) -> list[bytes]:
        return [self.record1, self.record2, self.record3]


@dataclass(frozen=True)
class CardData:
    """The card's data. ``repr`` shows only masked personal data (logs never see NIK or name)."""

    card_number: str = field(repr=False)
    expiry: date
    nik: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: date = field(repr=False)
    village_code: str
    group_code: str
    issuer_id: str
    card_public_key: bytes = field(repr=False)
    issuer_signature: bytes = field(repr=False)
    records: CardRecords = field(repr=False)

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)

    @property
    def masked_card_number(self) -> str:
        return mask_card_number(self.card_number)

    def __repr__(self) -> str:
        return (f"CardData(card={self.masked_card_number}, nik={self.masked_nik}, expiry={self.expiry}, "
                f"village={self.village_code}, group={self.group_code}, issuer={self.issuer_id})")


def _bcd_digits(raw: bytes, digits: int, what: str) -> str:
    text = raw.hex()
    if len(text) != digits or not text.isdigit():
        raise MalformedAnswer(detail=f"{what}: expected {digits} BCD digits")
    return text


def _bcd_date(raw: bytes, what: str) -> date:
    text = _bcd_digits(raw, 8, what)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise MalformedAnswer(detail=f"{what}: not a date") from None


def _expiry(raw: bytes) -> date:
    text = _bcd_digits(raw, 6, "expiry")
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        raise MalformedAnswer(detail="expiry: not a date") from None


def _ascii(raw: bytes, pattern: re.Pattern[str], what: str) -> str:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedAnswer(detail=f"{what}: not ASCII") from None
    if not pattern.match(text):
        raise MalformedAnswer(detail=f"{what}: bad format")
    return text


def _name(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedAnswer(detail="name: not UTF-8") from None
    if not 1 <= len(raw) <= 64 or not text.isprintable() or text.strip() != text:
        raise MalformedAnswer(detail="name: bad format")
    return text


def record_fields(raw: bytes, number: int) -> dict[int, bytes]:
    """The tags of record ``number``: exactly one template 70 holding exactly the expected tags."""
    try:
        template = tlv.decode_one(raw, Tag.RECORD_TEMPLATE)
        return tlv.children_by_tag(template, tuple(RECORD_TAGS[number]))
    except tlv.TlvError as exc:
        raise MalformedAnswer(detail=f"record {number}: {exc}") from None


def parse_records(records: CardRecords) -> CardData:
    r1 = record_fields(records.record1, 1)
    r2 = record_fields(records.record2, 2)
    r3 = record_fields(records.record3, 3)
    key, signature = r3[Tag.CARD_PUBLIC_KEY], r3[Tag.ISSUER_SIGNATURE]
    if len(key) != PUBLIC_KEY_LENGTH or key[0] != 0x04:
        raise MalformedAnswer(detail="card public key: not an uncompressed P-256 point")
    if len(signature) != SIGNATURE_LENGTH:
        raise MalformedAnswer(detail="issuer signature: wrong length")
    village = r2[Tag.VILLAGE_CODE]
    if len(village) != 10 or not village.isdigit():
        raise MalformedAnswer(detail="village code: 10 digits expected")
    return CardData(
        card_number=_bcd_digits(r1[Tag.CARD_NUMBER], 16, "card number"),
        expiry=_expiry(r1[Tag.EXPIRY]),
        nik=_bcd_digits(r1[Tag.NIK], 16, "NIK"),
        name=_name(r1[Tag.NAME]),
        birth_date=_bcd_date(r1[Tag.BIRTH_DATE], "birth date"),
        village_code=village.decode("ascii"),
        group_code=_ascii(r2[Tag.GROUP_CODE], GROUP_RE, "group code"),
        issuer_id=_ascii(r2[Tag.ISSUER_ID], ISSUER_ID_RE, "issuer id"),
        card_public_key=key,
        issuer_signature=signature,
        records=records,
    )


def expiry_from_yymm(yymm: str) -> date:
    """EMV expiry YYMM -> the last day of that month (as 5F24 carries it)."""
    if len(yymm) != 4 or not yymm.isdigit() or not 1 <= int(yymm[2:]) <= 12:
        raise ValueError("expiry is YYMM")
    year, month = 2000 + int(yymm[:2]), int(yymm[2:])
    return date(year, month, calendar.monthrange(year, month)[1])
