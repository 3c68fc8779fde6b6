"""Errors of the BPJS link, rooted in :class:`BpjsError` (STYLE habit 4).

Every error carries a stable ``code``, a message in Bahasa Indonesia (``message_id``) and in
English (``message_en``), and structured ``fields`` (never a PIN, key, token or full NIK).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from bpjs_link.codes import Case, ResponseCode


class BpjsError(Exception):
    """Base of every error this package raises."""

    code = "bpjs_error"

    def __init__(self, message_id: str, message_en: str, **fields: Any) -> None:
        super().__init__(message_en)
        self.message_id = message_id
        self.message_en = message_en
        self.fields = fields

    def __str__(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in sorted(self.fields.items()))
        return f"{self.message_en} / {self.message_id}" + (f" ({extra})" if extra else "")


class BpjsConfigError(BpjsError):
    """The link's settings or key files are missing or malformed."""

    code = "bpjs_config"


class BpjsInvalidInput(BpjsError):
    """The caller asked for something malformed; nothing was sent."""

    code = "bpjs_invalid_input"


class BpjsUnavailable(BpjsError):
    """The host could not be reached or answered with a server error, after the allowed retries."""

    code = "bpjs_unavailable"


class RefusalReason(StrEnum):
    """What a refusal means for the kiosk; derived from the SNAP case (codes.Case)."""

    STALE_EXPECTATION = "stale_expectation"
    DEPOSIT_TOO_LOW = "deposit_too_low"
    PARTICIPANT_INACTIVE = "participant_inactive"
    UNKNOWN_PARTICIPANT = "unknown_participant"
    WRONG_AMOUNT = "wrong_amount"
    MONTHS_NOT_ALLOWED = "months_not_allowed"
    BAD_REQUEST = "bad_request"
    UNAUTHORIZED = "unauthorized"
    EXPIRED = "expired"
    CONFLICT = "conflict"
    DUPLICATE_REQUEST = "duplicate_request"
    OTHER = "other"


REASON_BY_CASE: dict[Case, RefusalReason] = {
    Case.INCONSISTENT: RefusalReason.STALE_EXPECTATION,
    Case.INSUFFICIENT_FUNDS: RefusalReason.DEPOSIT_TOO_LOW,
    Case.INACTIVE: RefusalReason.PARTICIPANT_INACTIVE,
    Case.INVALID_ACCOUNT: RefusalReason.UNKNOWN_PARTICIPANT,
    Case.INVALID_AMOUNT: RefusalReason.WRONG_AMOUNT,
    Case.NOT_PERMITTED: RefusalReason.MONTHS_NOT_ALLOWED,
    Case.BAD_REQUEST: RefusalReason.BAD_REQUEST,
    Case.INVALID_FIELD_FORMAT: RefusalReason.BAD_REQUEST,
    Case.INVALID_MANDATORY_FIELD: RefusalReason.BAD_REQUEST,
    Case.UNAUTHORIZED: RefusalReason.UNAUTHORIZED,
    Case.INVALID_TOKEN: RefusalReason.UNAUTHORIZED,
    Case.TRANSACTION_EXPIRED: RefusalReason.EXPIRED,
    Case.CONFLICT: RefusalReason.CONFLICT,
    Case.DUPLICATE_REFERENCE: RefusalReason.DUPLICATE_REQUEST,
}

# Refusals that prove a payment was not booked: the host checks X-EXTERNAL-ID replays and the
# request id's uniqueness before these business rules, so a booked payment can never draw them.
FINAL_PAYMENT_REFUSALS = frozenset({
    RefusalReason.STALE_EXPECTATION,
    RefusalReason.DEPOSIT_TOO_LOW,
    RefusalReason.PARTICIPANT_INACTIVE,
    RefusalReason.UNKNOWN_PARTICIPANT,
    RefusalReason.WRONG_AMOUNT,
    RefusalReason.MONTHS_NOT_ALLOWED,
    RefusalReason.BAD_REQUEST,
})

_REASON_TEXT: dict[RefusalReason, tuple[str, str]] = {
    RefusalReason.STALE_EXPECTATION: (
        "Iuran peserta sudah dibayar di tempat lain; periksa ulang status BPJS.",
        "The participant's contribution was paid elsewhere meanwhile; ask BPJS again."),
    RefusalReason.DEPOSIT_TOO_LOW: (
        "Saldo deposit kios di BPJS tidak cukup; isi ulang deposit.",
        "The kiosk's BPJS deposit is too low for this payment; top it up."),
    RefusalReason.PARTICIPANT_INACTIVE: (
        "Kepesertaan BPJS tidak aktif; peserta harus mendaftar ulang.",
        "The BPJS participation is inactive; the participant must register again."),
    RefusalReason.UNKNOWN_PARTICIPANT: (
        "Peserta tidak terdaftar di BPJS.", "No such BPJS participant."),
    RefusalReason.WRONG_AMOUNT: (
        "Jumlah iuran tidak sesuai dengan jumlah bulan.", "The amount does not match the months paid."),
    RefusalReason.MONTHS_NOT_ALLOWED: (
        "Jumlah bulan tidak diizinkan (bayar tunggakan, atau 3, 6, 12 bulan di muka).",
        "That number of months is not allowed (arrears, or 3, 6 or 12 months ahead)."),
    RefusalReason.BAD_REQUEST: (
        "Permintaan ditolak karena isiannya salah.", "The host refused a malformed request."),
    RefusalReason.UNAUTHORIZED: (
        "BPJS menolak kredensial kios; periksa kunci dan rahasia mitra.",
        "BPJS refused the kiosk's credentials; check the partner keys and secret."),
    RefusalReason.EXPIRED: (
        "Waktu permintaan di luar batas; periksa jam komputer kios.",
        "The request's time is outside the host's window; check the kiosk clock."),
    RefusalReason.CONFLICT: (
        "X-EXTERNAL-ID sudah dipakai hari ini untuk permintaan lain.",
        "The X-EXTERNAL-ID was already used today for another request."),
    RefusalReason.DUPLICATE_REQUEST: (
        "Nomor permintaan sudah pernah dikirim; tanyakan statusnya.",
        "This request id was sent before; ask for its status."),
    RefusalReason.OTHER: ("BPJS menolak permintaan.", "BPJS refused the request."),
}


def reason_for(code: ResponseCode) -> RefusalReason:
    case = code.known_case
    return REASON_BY_CASE.get(case, RefusalReason.OTHER) if case is not None else RefusalReason.OTHER


class BpjsRejected(BpjsError):
    """The host answered with a SNAP refusal (a verified, signed 4xx answer)."""

    code = "bpjs_rejected"

    def __init__(self, response_code: ResponseCode, response_message: str, **fields: Any) -> None:
        self.response_code = response_code
        self.response_message = response_message
        self.reason = reason_for(response_code)
        message_id, message_en = _REASON_TEXT[self.reason]
        super().__init__(message_id, message_en, response_code=str(response_code), host_message=response_message, **fields)


class BpjsUnknownOutcome(BpjsError):
    """A payment was (maybe) sent and no trustworthy answer came: it may or may not be booked.

    The caller keeps the journal PENDING and resolves it with ``payment_status`` and
    :func:`bpjs_link.final_status`; it never sends the payment again under a new request id.
    """

    code = "bpjs_unknown_outcome"


class BpjsBadSignature(BpjsError):
    """An answer's X-SIGNATURE is missing or wrong: the answer is not trusted."""

    code = "bpjs_bad_signature"


class BpjsBadAnswer(BpjsError):
    """A signed answer that does not have the documented shape."""

    code = "bpjs_bad_answer"
