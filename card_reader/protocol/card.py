"""Wire facts of the e-Kartu Tani applet (DESIGN §6), in tables.

Everything here is a constant, a table or a pure function over bytes: the card emulator
(``firmware_stubs``) and the reader side both take their facts from this module, and the tests
fix them with hex fixtures. References: ISO/IEC 7816-4:2020 §5 (APDU structure, status words),
§7.1.1 (SELECT), §7.3.3 (READ RECORD), §7.5.2 (INTERNAL AUTHENTICATE), §7.5.6 (VERIFY),
§7.4.2 (GET DATA), §7.6.1 (GET RESPONSE); EMV Book 3 Annex A (tags 5A, 5F24, 9F36, 9F17);
ISO 9564-1 format 2 (plaintext PIN block, as EMV's VERIFY P2=80).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

AID = bytes.fromhex("F04B54414E4901")
APPLICATION_LABEL = b"e-Kartu Tani"
APPLICATION_VERSION = b"\x01\x00"

CLA_ISO = 0x00
CLA_PROPRIETARY = 0x80  # GET DATA as EMV issues it


class Ins(enum.IntEnum):
    """Instruction bytes (ISO 7816-4 Table 4)."""

    SELECT = 0xA4
    READ_RECORD = 0xB2
    GET_RESPONSE = 0xC0
    INTERNAL_AUTHENTICATE = 0x88
    VERIFY = 0x20
    GET_DATA = 0xCA


class AuthMode(enum.IntEnum):
    """P1 of INTERNAL AUTHENTICATE."""

    CARD_CHECK = 0x00
    TRANSACTION = 0x01  # only after a successful VERIFY in this card session


class Tag(enum.IntEnum):
    """BER-TLV tags (EMV Book 3 Annex A; DF01-DF11 are this applet's own)."""

    FCI = 0x6F
    DF_NAME = 0x84
    FCI_PROPRIETARY = 0xA5
    APPLICATION_LABEL = 0x50
    APPLICATION_VERSION = 0x9F08
    RECORD_TEMPLATE = 0x70
    CARD_NUMBER = 0x5A  # n16, BCD
    EXPIRY = 0x5F24  # n6 YYMMDD, BCD (last day of the month)
    NIK = 0xDF01  # n16, BCD
    NAME = 0xDF02  # UTF-8, 1-64 bytes
    BIRTH_DATE = 0xDF03  # n8 YYYYMMDD, BCD
    VILLAGE_CODE = 0xDF04  # n10, ASCII digits (Kemendagri village code)
    GROUP_CODE = 0xDF05  # ASCII, 1-32
    ISSUER_ID = 0xDF06  # ASCII, 1-16, names the issuer's public key
    CARD_PUBLIC_KEY = 0xDF10  # P-256 uncompressed point, 65 bytes
    ISSUER_SIGNATURE = 0xDF11  # ECDSA P-256 r||s, 64 bytes
    ATC = 0x9F36  # 2 bytes
    PIN_TRY_COUNTER = 0x9F17  # 1 byte


SFI = 1
RECORD_P2 = (SFI << 3) | 0x04  # 0x0C: "record number in P1", SFI 1 (ISO 7816-4 Table 49)
RECORD_NUMBERS = (1, 2, 3)
RECORD_TAGS: dict[int, tuple[Tag, ...]] = {
    1: (Tag.CARD_NUMBER, Tag.EXPIRY, Tag.NIK, Tag.NAME, Tag.BIRTH_DATE),
    2: (Tag.VILLAGE_CODE, Tag.GROUP_CODE, Tag.ISSUER_ID),
    3: (Tag.CARD_PUBLIC_KEY, Tag.ISSUER_SIGNATURE),
}
PERSONAL_TAGS = frozenset({Tag.CARD_NUMBER, Tag.NIK, Tag.NAME, Tag.BIRTH_DATE})
GET_DATA_TAGS = (Tag.ATC, Tag.PIN_TRY_COUNTER)

CHALLENGE_LENGTH = 16
ATC_LENGTH = 2
ATC_MAX = 0xFFFF
SIGNATURE_LENGTH = 64
PUBLIC_KEY_LENGTH = 65
PIN_BLOCK_LENGTH = 8
PIN_TRIES_MAX = 3
PIN_MIN_DIGITS, PIN_MAX_DIGITS = 4, 12

# ATR: TS=3B, T0=88 (TD1, 8 historical bytes), TD1=80 (TD2; T=0), TD2=01 (T=1), "EKTANI01", TCK.
_ATR_BODY = bytes.fromhex("888001") + b"EKTANI01"


def _tck(body: bytes) -> int:
    out = 0
    for b in body:
        out ^= b
    return out


ATR = b"\x3b" + _ATR_BODY + bytes([_tck(_ATR_BODY)])


@dataclass(frozen=True)
class StatusWord:
    sw: int
    name: str
    message_id: str
    message_en: str


def _sw(sw: int, name: str, message_id: str, message_en: str) -> tuple[int, StatusWord]:
    return sw, StatusWord(sw, name, message_id, message_en)


# ISO 7816-4:2020 §5.6, Tables 5-6.
STATUS_WORDS: dict[int, StatusWord] = dict(
    (
        _sw(0x9000, "ok", "Berhasil.", "Success."),
        _sw(0x6700, "wrong_length", "Panjang perintah salah.", "Wrong length."),
        _sw(0x6982, "security_status", "Syarat keamanan belum dipenuhi.", "Security status not satisfied."),
        _sw(0x6983, "blocked", "PIN terblokir.", "Authentication method blocked."),
        _sw(0x6985, "conditions_not_satisfied", "Syarat penggunaan belum dipenuhi (PIN belum diverifikasi?).",
            "Conditions of use not satisfied (PIN not verified?)."),
        _sw(0x6A80, "wrong_data", "Data perintah salah.", "Incorrect parameters in the data field."),
        _sw(0x6A82, "not_found", "Aplikasi atau berkas tidak ditemukan.", "File or application not found."),
        _sw(0x6A83, "record_not_found", "Rekaman tidak ditemukan.", "Record not found."),
        _sw(0x6A86, "wrong_p1p2", "Parameter P1-P2 salah.", "Incorrect parameters P1-P2."),
        _sw(0x6A88, "data_not_found", "Data yang diminta tidak ada.", "Referenced data not found."),
        _sw(0x6D00, "ins_not_supported", "Instruksi tidak dikenal.", "Instruction not supported."),
        _sw(0x6E00, "cla_not_supported", "Kelas perintah tidak didukung.", "Class not supported."),
        _sw(0x6F00, "no_diagnosis", "Kesalahan kartu tanpa keterangan.", "No precise diagnosis."),
    )
)
SW_OK = 0x9000


def describe_sw(sw: int) -> StatusWord:
    """The table entry for ``sw``; the 61xx, 6Cxx and 63Cx families are described by pattern."""
    if sw in STATUS_WORDS:
        return STATUS_WORDS[sw]
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x61:
        return StatusWord(sw, "more_data", f"Masih ada {sw2} bait data.", f"{sw2} more bytes available.")
    if sw1 == 0x6C:
        return StatusWord(sw, "wrong_le", f"Le salah; tersedia {sw2} bait.", f"Wrong Le; {sw2} bytes available.")
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        left = sw2 & 0x0F
        return StatusWord(sw, "wrong_pin", f"PIN salah, sisa {left} kali.", f"Wrong PIN, {left} tries left.")
    return StatusWord(sw, "unknown", f"Status kartu tidak dikenal {sw:04X}.", f"Unknown card status {sw:04X}.")


def sw_wrong_pin(tries_left: int) -> int:
    return 0x63C0 | (tries_left & 0x0F)


# ---- command APDUs (host side) ------------------------------------------------------------


def select_aid(aid: bytes = AID) -> bytes:
    return bytes([CLA_ISO, Ins.SELECT, 0x04, 0x00, len(aid)]) + aid + b"\x00"


def read_record(number: int, le: int = 0) -> bytes:
    return bytes([CLA_ISO, Ins.READ_RECORD, number, RECORD_P2, le])


def get_response(le: int) -> bytes:
    return bytes([CLA_ISO, Ins.GET_RESPONSE, 0x00, 0x00, le & 0xFF])


def internal_authenticate(mode: AuthMode, challenge: bytes) -> bytes:
    if len(challenge) != CHALLENGE_LENGTH:
        raise ValueError(f"a challenge is {CHALLENGE_LENGTH} bytes")
    return bytes([CLA_ISO, Ins.INTERNAL_AUTHENTICATE, mode, 0x00, CHALLENGE_LENGTH]) + challenge + b"\x00"


def verify(pin_block_bytes: bytes) -> bytes:
    if len(pin_block_bytes) != PIN_BLOCK_LENGTH:
        raise ValueError(f"a PIN block is {PIN_BLOCK_LENGTH} bytes")
    return bytes([CLA_ISO, Ins.VERIFY, 0x00, 0x80, PIN_BLOCK_LENGTH]) + pin_block_bytes


def get_data(tag: Tag) -> bytes:
    return bytes([CLA_PROPRIETARY, Ins.GET_DATA, tag >> 8, tag & 0xFF, 0x00])


def with_le(apdu: bytes, le: int) -> bytes:
    """The same command with its Le byte replaced (6Cxx: resend with the exact length)."""
    return apdu[:-1] + bytes([le & 0xFF])


# ---- command APDU parsing (card side) -----------------------------------------------------


class ApduFormatError(ValueError):
    """A command APDU that is not a well-formed short APDU (answered 6700)."""


@dataclass(frozen=True)
class Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None  # None: no Le field; 0x00 means 256

    @property
    def ne(self) -> int | None:
        """Maximum number of response bytes expected (Le 00 = 256)."""
        return None if self.le is None else (self.le or 256)


def parse_command(apdu: bytes) -> Command:
    """Parse a short command APDU (ISO 7816-4 §5.1, cases 1-4); extended lengths are refused."""
    if len(apdu) < 4:
        raise ApduFormatError("shorter than a header")
    cla, ins, p1, p2 = apdu[:4]
    body = apdu[4:]
    if not body:
        return Command(cla, ins, p1, p2, b"", None)
    if len(body) == 1:
        return Command(cla, ins, p1, p2, b"", body[0])
    lc = body[0]
    if lc == 0:
        raise ApduFormatError("extended length APDUs are not supported")
    if len(body) == 1 + lc:
        return Command(cla, ins, p1, p2, bytes(body[1:]), None)
    if len(body) == 2 + lc:
        return Command(cla, ins, p1, p2, bytes(body[1 : 1 + lc]), body[1 + lc])
    raise ApduFormatError("Lc does not match the data")


# ---- what is signed ----------------------------------------------------------------------


def issuer_signed_data(record1: bytes, record2: bytes, card_public_key: bytes) -> bytes:
    """DF11 covers records 1 and 2 exactly as the card returns them (template 70 included),
    followed by the 65-byte card public key (the value of DF10)."""
    return record1 + record2 + card_public_key


def auth_signed_data(mode: AuthMode | int, challenge: bytes, atc: int) -> bytes:
    """INTERNAL AUTHENTICATE signs P1 || challenge || ATC (the incremented ATC, big-endian)."""
    return bytes([mode]) + challenge + atc.to_bytes(ATC_LENGTH, "big")


# ---- EMV plaintext PIN block (ISO 9564-1 format 2) ---------------------------------------


def pin_block(pin: str) -> bytes:
    """``2N`` + PIN digits + ``F`` fill, 8 bytes. Raises ValueError for a malformed PIN."""
    if not (pin.isascii() and pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS):
        raise ValueError(f"a PIN is {PIN_MIN_DIGITS}-{PIN_MAX_DIGITS} digits")
    nibbles = f"2{len(pin):X}{pin}".ljust(2 * PIN_BLOCK_LENGTH, "F")
    return bytes.fromhex(nibbles)


def parse_pin_block(block: bytes) -> str:
    """The PIN in a format 2 block; raises ValueError for anything else (never echoes digits)."""
    if len(block) != PIN_BLOCK_LENGTH:
        raise ValueError("a PIN block is 8 bytes")
    nibbles = block.hex().upper()
    if nibbles[0] != "2":
        raise ValueError("not a format 2 PIN block")
    n = int(nibbles[1], 16)
    digits, fill = nibbles[2 : 2 + n], nibbles[2 + n :]
    if not PIN_MIN_DIGITS <= n <= PIN_MAX_DIGITS or not digits.isdigit() or set(fill) - {"F"}:
        raise ValueError("malformed PIN block")
    return digits
