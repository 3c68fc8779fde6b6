"""SNAP response codes: ``HTTP status (3) + service code (2) + case code (2)``, e.g. ``2005400``.

Sources. Bank Indonesia's SNAP standard (Governor Decree 23/10/KEP.GBI/2021, "Standar Nasional
Open API Pembayaran") fixes the 7-digit layout, the access-token service code 73 and the general
case codes below; providers' public SNAP references (Durianpay, Midtrans, NICEPAY) list the same
case codes. Service code 54 is SNAP's direct-debit payment: the host debits the partner's prefunded
money, as here. Everything marked *invented* is ours: BPJS publishes no host-to-host spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Service(Enum):
    """Service codes. ``path`` is relative to the base URL."""

    ACCESS_TOKEN = ("73", "/snap/v1.0/access-token/b2b", "SNAP: Access Token (B2B)")
    PAYMENT = ("54", "/snap/v1.0/bpu/payment", "SNAP: direct-debit payment (54), borrowed")
    PAYMENT_STATUS = ("55", "/snap/v1.0/bpu/payment-status", "invented: next to payment, as SNAP groups a status inquiry with its payment")
    PARTICIPANT_INQUIRY = ("90", "/snap/v1.0/bpu/participant-inquiry", "invented")
    REGISTRATION = ("91", "/snap/v1.0/bpu/registration", "invented")
    SETTLEMENT = ("92", "/snap/v1.0/bpu/settlement", "invented")
    NONE = ("00", "", "invented: a path that names no service")

    def __init__(self, code: str, path: str, source: str) -> None:
        self.code = code
        self.path = path
        self.source = source

    @classmethod
    def for_path(cls, path: str) -> Service:
        for service in cls:
            if service.path and service.path == path:
                return service
        return cls.NONE


BPU_SERVICES = (Service.PARTICIPANT_INQUIRY, Service.REGISTRATION, Service.PAYMENT, Service.PAYMENT_STATUS, Service.SETTLEMENT)


class Case(Enum):
    """(HTTP status, case code, SNAP response message, id message, en meaning as we use it)."""

    SUCCESS = (200, "00", "Successful", "Berhasil", "the request was carried out")
    BAD_REQUEST = (400, "00", "Bad Request", "Permintaan tidak dapat dibaca", "the body is not JSON or not an object")
    INVALID_FIELD_FORMAT = (400, "01", "Invalid Field Format", "Format isian salah", "a field or header has the wrong format")
    INVALID_MANDATORY_FIELD = (400, "02", "Invalid Mandatory Field", "Isian wajib kosong atau salah", "a mandatory field or header is missing")
    UNAUTHORIZED = (401, "00", "Unauthorized", "Tidak berwenang", "unknown partner or channel, or a bad signature")
    INVALID_TOKEN = (401, "01", "Invalid Token (B2B)", "Token akses tidak berlaku", "the access token is missing, unknown or expired")
    TRANSACTION_EXPIRED = (403, "00", "Transaction Expired", "Waktu permintaan di luar batas", "X-TIMESTAMP is outside the host's acceptance window")
    INSUFFICIENT_FUNDS = (403, "14", "Insufficient Funds", "Saldo deposit mitra tidak cukup", "the partner deposit is lower than the payment")
    NOT_PERMITTED = (403, "15", "Transaction Not Permitted", "Transaksi tidak diizinkan", "the number of months breaks the BPU rules")
    INACTIVE = (403, "18", "Inactive Card/Account/Customer", "Kepesertaan tidak aktif", "the participant is inactive and must register again")
    NOT_FOUND = (404, "01", "Transaction Not Found", "Transaksi tidak ditemukan", "no payment with this request id")
    INVALID_ROUTING = (404, "02", "Invalid Routing", "Layanan tidak dikenal", "no service at this path")
    INVALID_ACCOUNT = (404, "11", "Invalid Card/Account/Customer", "Peserta tidak ditemukan", "no participant with this KPJ or NIK")
    INVALID_AMOUNT = (404, "13", "Invalid Amount", "Jumlah iuran salah", "amount is not months x contribution")
    INCONSISTENT = (404, "18", "Inconsistent Request", "Data bulan lunas sudah berubah", "the expected paid-through month is stale")
    METHOD_NOT_ALLOWED = (405, "00", "Requested Function Is Not Supported", "Metode tidak didukung", "only POST is served")
    CONFLICT = (409, "00", "Conflict", "X-EXTERNAL-ID sudah dipakai untuk isi lain", "X-EXTERNAL-ID reused today with another body")
    DUPLICATE_REFERENCE = (409, "01", "Duplicate partnerReferenceNo", "Nomor permintaan sudah dipakai", "the request id was used by another external id")
    GENERAL_ERROR = (500, "00", "General Error", "Kesalahan umum di host", "the host failed")
    INTERNAL_ERROR = (500, "01", "Internal Server Error", "Kesalahan internal di host", "the host failed before doing anything")

    def __init__(self, http: int, case: str, message: str, message_id: str, meaning: str) -> None:
        self.http = http
        self.case = case
        self.message = message
        self.message_id = message_id
        self.meaning = meaning


_CODE = re.compile(r"^([1-5]\d\d)(\d\d)(\d\d)$")
_BY_HTTP_CASE = {(c.http, c.case): c for c in Case}


@dataclass(frozen=True)
class ResponseCode:
    """A parsed 7-digit SNAP response code."""

    http: int
    service: str
    case: str

    @classmethod
    def parse(cls, text: str) -> ResponseCode:
        m = _CODE.match(text)
        if m is None:
            raise ValueError(f"not a 7-digit SNAP response code: {text!r}")
        return cls(int(m.group(1)), m.group(2), m.group(3))

    @classmethod
    def of(cls, case: Case, service: Service) -> ResponseCode:
        return cls(case.http, service.code, case.case)

    @property
    def known_case(self) -> Case | None:
        return _BY_HTTP_CASE.get((self.http, self.case))

    @property
    def success(self) -> bool:
        return 200 <= self.http < 300

    def __str__(self) -> str:
        return f"{self.http:03d}{self.service}{self.case}"
