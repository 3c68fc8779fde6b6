"""The ledger's domain values (DESIGN §4): frozen, typed, validated on construction. Pure.

Assets are ``IDR`` (integer rupiah) and ``KG:<PRODUCT>`` (integer kilograms). An account holds one
asset and may carry one of TigerBeetle's two limit flags. A journal is a list of legs, each moving
one amount of one asset from a debit account to a credit account, so every journal balances per
asset by construction.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from ledger.errors import BadAmount, InvalidInput, UnbalancedJournal

IDR = "IDR"
KG_PREFIX = "KG:"
# Amounts stay within I-JSON's exactly representable integers (RFC 7493 §2.2) so that every audit
# entry can be verified by any JSON implementation; one leg of Rp 9 quadrillion is plenty.
MAX_AMOUNT = 2**53 - 1
MAX_LEGS = 64
MAX_TEXT = 200

_PRODUCT_RE = re.compile(r"^[A-Z0-9_]{1,32}$")
_ASSET_RE = re.compile(r"^(IDR|KG:[A-Z0-9_]{1,32})$")
_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._@/+=-]{0,199}$")
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_MEMO_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class Limit(enum.StrEnum):
    """TigerBeetle's account flags: which side may never exceed the other (pending debits count)."""

    NONE = "none"
    DEBITS_MUST_NOT_EXCEED_CREDITS = "debits_must_not_exceed_credits"
    CREDITS_MUST_NOT_EXCEED_DEBITS = "credits_must_not_exceed_debits"


class JournalKind(enum.StrEnum):
    REDEMPTION = "redemption"
    CONTRIBUTION = "contribution"
    TOPUP = "topup"
    QUOTA_ALLOCATION = "quota_allocation"
    STOCK_RECEIPT = "stock_receipt"
    DEPOSIT = "deposit"
    REVERSAL = "reversal"
    ADJUSTMENT = "adjustment"


class JournalState(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


def kg_asset(product_code: str) -> str:
    """The asset of a product's kilograms: ``kg_asset("UREA") == "KG:UREA"``."""
    if not isinstance(product_code, str) or not _PRODUCT_RE.match(product_code):
        raise InvalidInput("product_code", "1-32 huruf besar, angka atau _", "1-32 capital letters, digits or _")
    return KG_PREFIX + product_code


def check_asset(asset: object) -> str:
    if not isinstance(asset, str) or not _ASSET_RE.match(asset):
        raise InvalidInput("asset", f"harus IDR atau KG:<PRODUK>, bukan {asset!r}", f"must be IDR or KG:<PRODUCT>, not {asset!r}")
    return asset


def check_key(what: str, key: object) -> str:
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise InvalidInput(
            what,
            "1-200 karakter: huruf, angka dan : . _ @ / + = -, diawali huruf atau angka",
            "1-200 characters: letters, digits and : . _ @ / + = -, starting with a letter or digit",
        )
    return key


def check_kind(what: str, kind: object) -> str:
    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        raise InvalidInput(what, "huruf kecil, angka dan _ (maks. 64)", "lowercase letters, digits and _ (max 64)")
    return kind


def check_text(what: str, value: object, *, optional: bool = True, limit: int = MAX_TEXT) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit or not value.isprintable():
        raise InvalidInput(what, f"teks tercetak 1-{limit} karakter", f"printable text of 1-{limit} characters")
    return value


def check_time(what: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(what, "waktu harus membawa zona waktu", "a time must carry its zone")
    return value


def check_amount(amount: object) -> int:
    if type(amount) is not int or not 1 <= amount <= MAX_AMOUNT:
        raise BadAmount(amount, MAX_AMOUNT)
    return amount


def _check_uuid(what: str, value: object) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise InvalidInput(what, "harus UUID", "must be a UUID")
    return value


@dataclass(frozen=True, slots=True)
class Leg:
    """``amount`` of ``asset`` from ``debit`` (its debits grow) to ``credit`` (its credits grow)."""

    debit: uuid.UUID
    credit: uuid.UUID
    asset: str
    amount: int

    def __post_init__(self) -> None:
        _check_uuid("debit", self.debit)
        _check_uuid("credit", self.credit)
        check_asset(self.asset)
        check_amount(self.amount)
        if self.debit == self.credit:
            raise UnbalancedJournal("baris mendebit dan mengkredit akun yang sama", "a leg debits and credits the same account")


def _frozen_memo(memo: Mapping[str, str]) -> Mapping[str, str]:
    if not isinstance(memo, Mapping):
        raise InvalidInput("memo", "harus pemetaan teks ke teks", "must map text to text")
    for k, v in memo.items():
        if not isinstance(k, str) or not _MEMO_KEY_RE.match(k):
            raise InvalidInput("memo", f"kunci {k!r} tidak sah", f"key {k!r} is not valid")
        check_text(f"memo.{k}", v, optional=False, limit=1000)
    return MappingProxyType(dict(sorted(memo.items())))


@dataclass(frozen=True)
class JournalSpec:
    """What a caller asks the ledger to record. ``remote_ref`` marks a journal whose payment may
    have reached BPJS: it never expires by itself. ``journal_id`` lets a caller fix the id in
    advance (e.g. to use it as the BPJS request id); it is part of the body."""

    idempotency_key: str
    kind: JournalKind
    legs: Sequence[Leg]
    kiosk: str | None = None
    farmer: str | None = None
    remote_ref: str | None = None
    pending: bool = False
    timeout: timedelta | None = None
    memo: Mapping[str, str] = field(default_factory=dict)
    journal_id: uuid.UUID | None = None

    def __post_init__(self) -> None:
        check_key("idempotency_key", self.idempotency_key)
        object.__setattr__(self, "kind", _coerce_kind(self.kind))
        legs = tuple(self.legs)
        if not legs:
            raise UnbalancedJournal("jurnal tanpa baris", "a journal without legs")
        if len(legs) > MAX_LEGS:
            raise InvalidInput("legs", f"maks. {MAX_LEGS} baris", f"at most {MAX_LEGS} legs")
        for i, leg in enumerate(legs):
            if not isinstance(leg, Leg):
                raise InvalidInput(f"legs[{i}]", "harus Leg", "must be a Leg")
        object.__setattr__(self, "legs", legs)
        check_text("kiosk", self.kiosk, limit=64)
        check_text("farmer", self.farmer, limit=64)
        check_text("remote_ref", self.remote_ref, limit=128)
        if type(self.pending) is not bool:
            raise InvalidInput("pending", "harus True atau False", "must be True or False")
        self._check_timeout()
        object.__setattr__(self, "memo", _frozen_memo(self.memo))
        if self.journal_id is not None:
            _check_uuid("journal_id", self.journal_id)

    def _check_timeout(self) -> None:
        if self.timeout is None:
            return
        if not isinstance(self.timeout, timedelta) or self.timeout <= timedelta(0):
            raise InvalidInput("timeout", "harus durasi positif", "must be a positive duration")
        if not self.pending:
            raise InvalidInput("timeout", "hanya untuk jurnal tertunda", "only a pending journal can time out")
        if self.remote_ref is not None:
            raise InvalidInput(
                "timeout", "jurnal jarak jauh tidak pernah kedaluwarsa sendiri", "a remote journal never expires by itself"
            )

    @property
    def remote(self) -> bool:
        return self.remote_ref is not None


def _coerce_kind(kind: object) -> JournalKind:
    if isinstance(kind, str) and kind in JournalKind._value2member_map_:
        return JournalKind(kind)
    raise InvalidInput("kind", f"jenis jurnal {kind!r} tidak dikenal", f"unknown journal kind {kind!r}")


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account to open: ``key`` is the caller's unique natural key."""

    key: str
    kind: str
    asset: str
    limit: Limit
    owner: str | None = None

    def __post_init__(self) -> None:
        check_key("key", self.key)
        check_kind("kind", self.kind)
        check_asset(self.asset)
        if not isinstance(self.limit, Limit):
            raise InvalidInput("limit", "harus Limit", "must be a Limit")
        check_text("owner", self.owner, limit=128)


@dataclass(frozen=True, slots=True)
class Account:
    id: uuid.UUID
    key: str
    kind: str
    asset: str
    limit: Limit
    owner: str | None
    created_at: datetime
    closed_at: datetime | None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @property
    def limited(self) -> bool:
        return self.limit is not Limit.NONE


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What the rules need of an account: its asset, its limit and whether it is closed."""

    id: uuid.UUID
    asset: str
    limit: Limit
    closed: bool

    @property
    def limited(self) -> bool:
        return self.limit is not Limit.NONE


@dataclass(frozen=True, slots=True)
class Balance:
    """An account's four counters. ``net_posted`` and ``net_pending`` are debit-positive (the
    per-asset sum over all accounts is zero); ``available`` is the room left under the account's
    limit (pending debits or credits count), None for an unlimited account."""

    account_id: uuid.UUID
    asset: str
    limit: Limit
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int

    @property
    def net_posted(self) -> int:
        return self.debits_posted - self.credits_posted

    @property
    def net_pending(self) -> int:
        return self.debits_pending - self.credits_pending

    @property
    def available(self) -> int | None:
        if self.limit is Limit.DEBITS_MUST_NOT_EXCEED_CREDITS:
            return self.credits_posted - self.debits_posted - self.debits_pending
        if self.limit is Limit.CREDITS_MUST_NOT_EXCEED_DEBITS:
            return self.debits_posted - self.credits_posted - self.credits_pending
        return None


@dataclass(frozen=True)
class Journal:
    id: uuid.UUID
    idempotency_key: str
    kind: JournalKind
    state: JournalState
    legs: tuple[Leg, ...]
    kiosk: str | None
    farmer: str | None
    remote_ref: str | None
    memo: Mapping[str, str]
    created_at: datetime
    expires_at: datetime | None
    finalized_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class JournalResult:
    """What a write returns: the journal's id and state now, and the balances of the limited
    accounts it touched. ``replayed`` is True when the idempotency key was seen before with the
    same body: nothing was written and the first journal is returned as it stands now."""

    journal_id: uuid.UUID
    state: JournalState
    balances: Mapping[uuid.UUID, Balance]
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One leg as seen from one account: ``amount`` is debit-positive for this account."""

    journal_id: uuid.UUID
    leg: int
    kind: JournalKind
    state: JournalState
    created_at: datetime
    counterparty: uuid.UUID
    asset: str
    amount: int
