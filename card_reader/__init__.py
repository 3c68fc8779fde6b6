"""e-Kartu Tani over PC/SC and the serial PIN pad (DESIGN §6, §7). Imports nothing of ours.

This package's top level is the pure core (no pyscard or pyserial): errors, the protocol tables,
the TLV codec, records, PIN blocks and the verification rules. The adapters are imported from
their modules: ``card_reader.session`` / ``card_reader.monitor`` / ``card_reader.pcsc`` (pyscard)
and ``card_reader.pinpad`` (pyserial).
"""

from card_reader.errors import (
    CardError,
    CardRefused,
    CardRemoved,
    DeviceBusy,
    Expired,
    Hotlisted,
    MalformedAnswer,
    NoCard,
    NotAuthentic,
    PinBlocked,
    PinEntryCancelled,
    PinEntryTimeout,
    PinPadUnavailable,
    ReaderUnavailable,
    UnknownApplication,
    WrongPin,
    error_from_dict,
)
from card_reader.pin import PinBlock
from card_reader.protocol.card import CHALLENGE_LENGTH, AuthMode
from card_reader.records import CardData, CardRecords, mask_card_number, mask_nik, parse_records
from card_reader.verify import (
    WITA,
    AuthAnswer,
    CardRead,
    check_atc,
    check_expiry,
    parse_auth_answer,
    verify_auth,
    verify_card_signature,
    verify_issuer,
)

__all__ = [
    "CHALLENGE_LENGTH", "WITA", "AuthAnswer", "AuthMode", "CardData", "CardError", "CardRead", "CardRecords",
    "CardRefused", "CardRemoved", "DeviceBusy", "Expired", "Hotlisted", "MalformedAnswer", "NoCard", "NotAuthentic",
    "PinBlock", "PinBlocked", "PinEntryCancelled", "PinEntryTimeout", "PinPadUnavailable", "ReaderUnavailable",
    "UnknownApplication", "WrongPin", "check_atc", "check_expiry", "error_from_dict", "mask_card_number", "mask_nik",
    "parse_auth_answer", "parse_records", "verify_auth", "verify_card_signature", "verify_issuer",
]
