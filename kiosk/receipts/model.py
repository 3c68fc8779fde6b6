"""What a receipt says: frozen, typed, validated values. Pure; no I/O.

Five kinds (issue 9): a fertilizer **sale** (with the BPJS contribution paid in the same swipe, if
any), a **contribution**-only payment, a cash **top-up** of the card balance, a supervisor's
**reversal** of a sale, and a kiosk's **end-of-day** report (no farmer; its proof is the report's
audit entry). Any of them may be a reprint (``header.copy``), printed "SALINAN / COPY".
Money is integer rupiah, quantities integer kilograms, times zone-aware. The farmer is named with
the **masked** NIK only (``7312********0001``): a full NIK is refused here.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.receipts.errors import InvalidReceipt

MASKED_NIK = re.compile(r"^\d{4}\*{8}\d{4}$")
KPJ = re.compile(r"^[0-9A-Z]{6,20}$")
MAX_NAME = 48
MAX_PRODUCT = 32
MAX_REASON = 200
MAX_RUPIAH = 10**12
MAX_KG = 10**6
HASH_BYTES = 32


class Tender(enum.Enum):
    CASH = "cash"
    CARD_BALANCE = "card_balance"


class ReceiptKind(enum.Enum):
    SALE = "sale"
    CONTRIBUTION = "contribution"
    TOPUP = "topup"
    REVERSAL = "reversal"
    END_OF_DAY = "end_of_day"


def check_text(field: str, value: object, limit: int = MAX_NAME, required: bool = True) -> str:
    """A printable one-line text of at most ``limit`` characters."""
    if not isinstance(value, str):
        raise InvalidReceipt(field, "harus teks", "must be text")
    if required and not value.strip():
        raise InvalidReceipt(field, "tidak boleh kosong", "must not be empty")
    if len(value) > limit:
        raise InvalidReceipt(field, f"paling banyak {limit} karakter", f"at most {limit} characters")
    if not value.isprintable():
        raise InvalidReceipt(field, "berisi karakter kontrol", "contains control characters")
    return value


def check_int(field: str, value: object, low: int, high: int) -> int:
    """An ``int`` (never a bool or float) within ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidReceipt(field, "harus bilangan bulat", "must be a whole number")
    if not low <= value <= high:
        raise InvalidReceipt(field, f"harus {low}..{high}", f"must be {low}..{high}")
    return value


@dataclass(frozen=True, order=True)
class YearMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        check_int("year", self.year, 2000, 2199)
        check_int("month", self.month, 1, 12)

    def plus(self, months: int) -> YearMonth:
        index = self.year * 12 + self.month - 1 + months
        return YearMonth(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.year:04d}"


@dataclass(frozen=True)
class Kiosk:
    code: str
    name: str
    address: str = ""

    def __post_init__(self) -> None:
        check_text("kiosk.code", self.code, 24)
        check_text("kiosk.name", self.name)
        check_text("kiosk.address", self.address, 64, required=False)


@dataclass(frozen=True)
class Farmer:
    name: str
    masked_nik: str

    def __post_init__(self) -> None:
        check_text("farmer.name", self.name)
        if not isinstance(self.masked_nik, str) or not MASKED_NIK.match(self.masked_nik):
            raise InvalidReceipt("farmer.masked_nik", "harus NIK tersamar seperti 7312********0001",
                                 "must be a masked NIK like 7312********0001")


@dataclass(frozen=True)
class Proof:
    """What the QR carries: the journal and the hash its audit entry has in the Merkle log."""

    journal_id: uuid.UUID
    entry_hash: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.journal_id, uuid.UUID):
            raise InvalidReceipt("journal_id", "harus UUID", "must be a UUID")
        if not isinstance(self.entry_hash, bytes) or len(self.entry_hash) != HASH_BYTES:
            raise InvalidReceipt("entry_hash", "harus 32 byte (SHA-256)", "must be 32 bytes (SHA-256)")


@dataclass(frozen=True)
class Header:
    kiosk: Kiosk
    at: datetime
    operator: str
    farmer: Farmer | None  # None only on an end-of-day report
    proof: Proof
    copy: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime) or self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidReceipt("at", "waktu harus berzona", "the time must carry its zone")
        check_text("operator", self.operator)
        if self.farmer is not None and not isinstance(self.farmer, Farmer):
            raise InvalidReceipt("farmer", "harus petani", "must be a Farmer")


def _needs_farmer(header: Header) -> None:
    if header.farmer is None:
        raise InvalidReceipt("farmer", "wajib diisi", "is required")


@dataclass(frozen=True)
class ProductLine:
    name: str
    kg: int
    het: int  # rupiah per kg, the HET in force at the sale

    def __post_init__(self) -> None:
        check_text("product.name", self.name, MAX_PRODUCT)
        check_int("product.kg", self.kg, 1, MAX_KG)
        check_int("product.het", self.het, 1, MAX_RUPIAH // MAX_KG)

    @property
    def amount(self) -> int:
        return self.kg * self.het


@dataclass(frozen=True)
class QuotaLeft:
    name: str
    kg: int

    def __post_init__(self) -> None:
        check_text("quota.name", self.name, MAX_PRODUCT)
        check_int("quota.kg", self.kg, 0, MAX_KG)


@dataclass(frozen=True)
class Contribution:
    """BPJS months paid: ``months`` from ``first_month`` at ``monthly`` rupiah each."""

    kpj: str
    months: int
    monthly: int
    first_month: YearMonth

    def __post_init__(self) -> None:
        if not isinstance(self.kpj, str) or not KPJ.match(self.kpj):
            raise InvalidReceipt("contribution.kpj", "KPJ 6-20 angka/huruf besar", "KPJ must be 6-20 digits/capitals")
        check_int("contribution.months", self.months, 1, 12)
        check_int("contribution.monthly", self.monthly, 1, MAX_RUPIAH)
        if not isinstance(self.first_month, YearMonth):
            raise InvalidReceipt("contribution.first_month", "harus bulan", "must be a YearMonth")

    @property
    def amount(self) -> int:
        return self.months * self.monthly

    @property
    def paid_through(self) -> YearMonth:
        return self.first_month.plus(self.months - 1)


def _check_tender(field: str, value: object) -> None:
    if not isinstance(value, Tender):
        raise InvalidReceipt(field, "harus tunai atau saldo kartu", "must be cash or card balance")


def _optional_balance(value: int | None) -> None:
    if value is not None:
        check_int("balance_after", value, 0, MAX_RUPIAH)


def _check_items(field: str, items: object, kind: type, required: bool) -> None:
    if not isinstance(items, tuple) or not all(isinstance(i, kind) for i in items):
        raise InvalidReceipt(field, "harus tuple", f"must be a tuple of {kind.__name__}")
    if required and not items:
        raise InvalidReceipt(field, "tidak boleh kosong", "must not be empty")


@dataclass(frozen=True)
class SaleReceipt:
    header: Header
    products: tuple[ProductLine, ...]
    tender: Tender
    contribution: Contribution | None = None
    agent: str | None = None  # the penyuluh of record
    quota_left: tuple[QuotaLeft, ...] = ()
    balance_after: int | None = None  # card balance after the sale (card tender)
    released: bool = False  # printed for a POSTED journal: the fertilizer may be handed over

    kind = ReceiptKind.SALE

    def __post_init__(self) -> None:
        _needs_farmer(self.header)
        _check_items("products", self.products, ProductLine, True)
        _check_items("quota_left", self.quota_left, QuotaLeft, False)
        _check_tender("tender", self.tender)
        if self.contribution is not None and not isinstance(self.contribution, Contribution):
            raise InvalidReceipt("contribution", "harus iuran", "must be a Contribution")
        if self.agent is not None:
            check_text("agent", self.agent)
        _optional_balance(self.balance_after)

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.products) + (self.contribution.amount if self.contribution else 0)


@dataclass(frozen=True)
class ContributionReceipt:
    header: Header
    contribution: Contribution
    tender: Tender
    agent: str | None = None
    balance_after: int | None = None

    kind = ReceiptKind.CONTRIBUTION

    def __post_init__(self) -> None:
        _needs_farmer(self.header)
        if not isinstance(self.contribution, Contribution):
            raise InvalidReceipt("contribution", "harus iuran", "must be a Contribution")
        _check_tender("tender", self.tender)
        if self.agent is not None:
            check_text("agent", self.agent)
        _optional_balance(self.balance_after)

    @property
    def total(self) -> int:
        return self.contribution.amount


@dataclass(frozen=True)
class TopUpReceipt:
    """Cash paid in at the kiosk onto the card balance (topup journal from the cash drawer)."""

    header: Header
    amount: int
    balance_after: int

    kind = ReceiptKind.TOPUP
    tender = Tender.CASH

    def __post_init__(self) -> None:
        _needs_farmer(self.header)
        check_int("amount", self.amount, 1, MAX_RUPIAH)
        check_int("balance_after", self.balance_after, self.amount, MAX_RUPIAH)

    @property
    def total(self) -> int:
        return self.amount


@dataclass(frozen=True)
class ReversalReceipt:
    """A supervisor's same-day reversal: money, quota and stock go back; a contribution already
    paid to BPJS is never reversed (``contribution_kept`` says how much stays paid)."""

    header: Header
    original_journal_id: uuid.UUID
    supervisor: str
    reason: str
    products: tuple[ProductLine, ...]
    refund_to: Tender
    contribution_kept: int = 0
    quota_left: tuple[QuotaLeft, ...] = ()
    balance_after: int | None = None

    kind = ReceiptKind.REVERSAL

    def __post_init__(self) -> None:
        _needs_farmer(self.header)
        if not isinstance(self.original_journal_id, uuid.UUID):
            raise InvalidReceipt("original_journal_id", "harus UUID", "must be a UUID")
        check_text("supervisor", self.supervisor)
        check_text("reason", self.reason, MAX_REASON)
        _check_items("products", self.products, ProductLine, True)
        _check_items("quota_left", self.quota_left, QuotaLeft, False)
        _check_tender("refund_to", self.refund_to)
        check_int("contribution_kept", self.contribution_kept, 0, MAX_RUPIAH)
        _optional_balance(self.balance_after)

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.products)


@dataclass(frozen=True)
class DayProduct:
    """One product's day at a kiosk: sales it was in, kg and rupiah net of same-day reversals."""

    name: str
    sales: int
    kg: int
    rupiah: int

    def __post_init__(self) -> None:
        check_text("product.name", self.name, MAX_PRODUCT)
        check_int("product.sales", self.sales, 0, MAX_KG)
        check_int("product.kg", self.kg, 0, MAX_RUPIAH)
        check_int("product.rupiah", self.rupiah, 0, MAX_RUPIAH)


DAY_COUNTS = ("sales", "reversals", "contributions", "topups")
DAY_AMOUNTS = ("fertilizer", "refunds", "contribution_total", "agent_fees", "topup_total", "card_total", "cash_total",
               "cash_opening", "cash_expected")


@dataclass(frozen=True)
class EndOfDayReceipt:
    """A kiosk's WITA day from the ledger (kiosk.money.eod): the header names no farmer and its
    proof is the report's audit entry (id and leaf hash)."""

    header: Header
    day: date
    products: tuple[DayProduct, ...]
    sales: int
    fertilizer: int  # rupiah sold, net of refunds
    reversals: int
    refunds: int
    contributions: int
    contribution_total: int
    agent_fees: int
    topups: int
    topup_total: int
    card_total: int  # paid from card balances (fertilizer + contributions, net of refunds)
    cash_total: int  # paid in cash (fertilizer + contributions, net of refunds)
    cash_opening: int
    cash_expected: int

    kind = ReceiptKind.END_OF_DAY

    def __post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise InvalidReceipt("day", "harus tanggal", "must be a date")
        _check_items("products", self.products, DayProduct, False)
        for name in DAY_COUNTS:
            check_int(name, getattr(self, name), 0, MAX_KG)
        for name in DAY_AMOUNTS:
            check_int(name, getattr(self, name), 0, MAX_RUPIAH)

    @property
    def total(self) -> int:
        return self.fertilizer + self.contribution_total


Receipt = SaleReceipt | ContributionReceipt | TopUpReceipt | ReversalReceipt | EndOfDayReceipt
RECEIPT_TYPES: tuple[type, ...] = (SaleReceipt, ContributionReceipt, TopUpReceipt, ReversalReceipt, EndOfDayReceipt)


def as_copy(receipt: Receipt) -> Receipt:
    """The same receipt marked as a reprint ("SALINAN / COPY")."""
    return dataclasses.replace(receipt, header=dataclasses.replace(receipt.header, copy=True))
