"""The policy's own input and output types (DESIGN §9): the kiosk fills these in; nothing here
knows a database, a card reader or an HTTP client."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from fertilizer.clock import YearMonth
from fertilizer.prices import PriceList
from fertilizer.settings import PolicySettings


class CardStatus(enum.StrEnum):
    """The web side's verdict on the swiped card (issuer signature, card auth, ATC, hotlist)."""

    OK = "ok"
    NOT_READ = "not_read"
    UNKNOWN_CARD = "unknown_card"
    EXPIRED = "expired"
    PIN_BLOCKED = "pin_blocked"
    HOTLISTED = "hotlisted"
    FORGED = "forged"  # issuer signature does not verify: edited data
    CLONED = "cloned"  # INTERNAL AUTHENTICATE failed: a copied card
    REPLAYED = "replayed"  # ATC not above the last one seen


@dataclass(frozen=True)
class CardCheck:
    status: CardStatus
    detail: str = ""  # for logs (never a PIN or NIK)


@dataclass(frozen=True)
class FarmerFacts:
    pseudonym: str
    group_code: str
    official_outlet: str  # the group's kiosk in e-RDKK
    rdkk_seasons: frozenset[str]  # seasons the farmer has an RDKK allocation in


@dataclass(frozen=True)
class Due:
    month: YearMonth
    amount: int  # rupiah


@dataclass(frozen=True)
class BpjsAnswer:
    """A participant-inquiry answer: BPJS is the truth for what is due (DOMAIN.md)."""

    registered: bool
    paid_through: YearMonth | None
    dues: tuple[Due, ...]
    observed_at: datetime  # when the host gave this answer (its age decides if a cached copy counts)
    active: bool = True


@dataclass(frozen=True)
class BpjsStatus:
    """The newest answer known, and whether the host failed just now (then ``answer`` is a cached one)."""

    answer: BpjsAnswer | None
    failure: str | None = None

    @property
    def live(self) -> bool:
        return self.failure is None


@dataclass(frozen=True)
class PolicyInput:
    farmer: FarmerFacts | None  # None: no farmer with this NIK in the registry
    card: CardCheck
    outlet_code: str  # the kiosk where the card was swiped
    quota_season: str  # the season ``quotas`` belong to
    quotas: Mapping[str, int]  # kg left per product allocated to the farmer this season
    stock: Mapping[str, int]  # kg in this kiosk's stock per product
    prices: PriceList
    bpjs: BpjsStatus
    settings: PolicySettings
    now: datetime


class Severity(enum.StrEnum):
    REFUSE = "refuse"  # nothing may be bought
    PRODUCT = "product"  # this product may not be bought
    CONDITION = "condition"  # satisfied in the same swipe (contribution, registration)
    NOTICE = "notice"  # for the operator's information


class ReasonCode(enum.StrEnum):
    CARD_PROBLEM = "card_problem"
    NOT_IN_RDKK = "not_in_rdkk"
    OUT_OF_SEASON = "out_of_season"
    WRONG_KIOSK = "wrong_kiosk"
    QUOTA_EXHAUSTED = "quota_exhausted"
    OUT_OF_STOCK = "out_of_stock"
    NOT_FOR_SALE = "not_for_sale"
    BPJS_NOT_REGISTERED = "bpjs_not_registered"
    CONTRIBUTION_DUE = "contribution_due"
    CONTRIBUTION_UNSETTLED = "contribution_unsettled"
    BPJS_UNAVAILABLE = "bpjs_unavailable"
    BPJS_CACHED = "bpjs_cached"
    RULE_NOT_IN_FORCE = "rule_not_in_force"


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    severity: Severity
    message_id: str
    message_en: str
    product: str | None = None


@dataclass(frozen=True)
class Allowance:
    product: str
    max_kg: int
    price_per_kg: int


@dataclass(frozen=True)
class Contribution:
    months: tuple[YearMonth, ...] = ()
    amount: int = 0
    paid_through_after: YearMonth | None = None  # when the months are paid


@dataclass(frozen=True)
class Decision:
    season: str
    rule_in_force: bool
    allowed: tuple[Allowance, ...]
    contribution: Contribution
    registration_needed: bool
    agent_fee: int
    reasons: tuple[Reason, ...] = field(default=())

    @property
    def refusals(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.severity in (Severity.REFUSE, Severity.PRODUCT))

    @property
    def may_buy(self) -> bool:
        return bool(self.allowed)

    def allowance(self, product_code: str) -> Allowance | None:
        return next((a for a in self.allowed if a.product == product_code), None)
