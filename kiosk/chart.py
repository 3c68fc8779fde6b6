"""The kiosk's side of the chart of accounts (DESIGN §4). Quota and stock accounts are fertilizer's.

=========================  ====================  =====================  ===================================
key                        kind                  limit                  what
=========================  ====================  =====================  ===================================
``card:<farmer>``          ``card_balance``      debits <= credits      the farmer's stored-value card balance
``cash:<kiosk>``           ``cash_drawer``       credits <= debits      cash in the kiosk's drawer
``sales:<kiosk>``          ``kiosk_sales``       none (sink)            fertilizer sold at HET
``bpjs:collection:<kiosk>`` ``bpjs_collection``  none (sink)            contributions collected for BPJS
``bpjs:deposit:<kiosk>``   ``bpjs_deposit``      debits <= credits      the retailer's prefunded BPJS deposit
``bpjs:host``              ``bpjs_host``         none (sink)            what BPJS drew from deposits
``retailer:<kiosk>``       ``retailer_funding``  none (source)          the retailer's own money (deposit top-ups)
``bpjs:fee_receivable``    ``bpjs_fee_receivable`` none (source)        agent fees BPJS owes
``agent:<penyuluh>``       ``agent_fee``         none (sink)            a penyuluh's accrued agent fees
``bank:settlement``        ``bank_settlement``   none (source)          card top-ups by bank transfer
=========================  ====================  =====================  ===================================

A sale paid by card debits the card balance; paid in cash it debits the cash drawer (cash comes in).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

import ledger
from ledger import IDR, AccountSpec, Limit

DEBIT_LIMITED = Limit.DEBITS_MUST_NOT_EXCEED_CREDITS
CREDIT_LIMITED = Limit.CREDITS_MUST_NOT_EXCEED_DEBITS


def card_balance(farmer: str) -> AccountSpec:
    return AccountSpec(f"card:{farmer}", "card_balance", IDR, DEBIT_LIMITED, farmer)


def agent_fee(penyuluh: str) -> AccountSpec:
    return AccountSpec(f"agent:{penyuluh}", "agent_fee", IDR, Limit.NONE, penyuluh)


BPJS_HOST = AccountSpec("bpjs:host", "bpjs_host", IDR, Limit.NONE)
FEE_RECEIVABLE = AccountSpec("bpjs:fee_receivable", "bpjs_fee_receivable", IDR, Limit.NONE)
BANK_SETTLEMENT = AccountSpec("bank:settlement", "bank_settlement", IDR, Limit.NONE)


def kiosk_specs(kiosk: str) -> dict[str, AccountSpec]:
    return {
        "cash": AccountSpec(f"cash:{kiosk}", "cash_drawer", IDR, CREDIT_LIMITED, kiosk),
        "sales": AccountSpec(f"sales:{kiosk}", "kiosk_sales", IDR, Limit.NONE, kiosk),
        "collection": AccountSpec(f"bpjs:collection:{kiosk}", "bpjs_collection", IDR, Limit.NONE, kiosk),
        "deposit": AccountSpec(f"bpjs:deposit:{kiosk}", "bpjs_deposit", IDR, DEBIT_LIMITED, kiosk),
        "retailer": AccountSpec(f"retailer:{kiosk}", "retailer_funding", IDR, Limit.NONE, kiosk),
    }


@dataclass(frozen=True)
class KioskAccounts:
    cash: uuid.UUID
    sales: uuid.UUID
    collection: uuid.UUID
    deposit: uuid.UUID
    retailer: uuid.UUID
    bpjs_host: uuid.UUID
    fee_receivable: uuid.UUID


def kiosk_accounts(session: Session, kiosk: str, *, now: datetime) -> KioskAccounts:
    """The kiosk's money accounts, opened on first use (idempotent)."""
    specs = kiosk_specs(kiosk)
    opened = ledger.open_accounts(session, [*specs.values(), BPJS_HOST, FEE_RECEIVABLE], now=now)
    ids = dict(zip([*specs, "bpjs_host", "fee_receivable"], (a.id for a in opened), strict=True))
    return KioskAccounts(**ids)


def open_one(session: Session, spec: AccountSpec, *, now: datetime) -> uuid.UUID:
    return ledger.open_accounts(session, [spec], now=now)[0].id
