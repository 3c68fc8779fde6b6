"""Top-ups and deposits as ledger journals. Services: they take a Session and never commit.

* Cash top-up at the kiosk: the farmer hands over cash, the card balance grows —
  ``cash:<kiosk>`` (debit: cash comes in) -> ``card:<farmer>`` (credit). Kind ``topup``.
* BPJS partner deposit top-up: the retailer prefunds BPJS —
  ``retailer:<kiosk>`` -> ``bpjs:deposit:<kiosk>``. Kind ``deposit``.
Both are idempotent by the caller's key (a replay returns the first journal).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

import ledger
from kiosk import chart
from ledger import IDR, JournalKind, JournalResult, JournalSpec, Leg

MAX_TOPUP = 50_000_000  # Rp 50 juta in one top-up: far above any farmer's need, below a typo's reach


class MoneyError(Exception):
    def __init__(self, code: str, message_id: str, message_en: str, **fields: Any) -> None:
        super().__init__(message_en)
        self.code, self.message_id, self.message_en, self.fields = code, message_id, message_en, fields


def _amount(amount: object, high: int) -> int:
    if type(amount) is not int or not 1 <= amount <= high:
        raise MoneyError("bad_amount", f"Jumlah harus bilangan bulat Rp 1 - Rp {high:,}.".replace(",", "."),
                         f"The amount must be a whole number of rupiah, 1 to {high:,}.", amount=str(amount))
    return amount


def topup_cash(session: Session, *, kiosk: str, farmer: str, amount: int, key: str, operator: str, now: datetime) -> JournalResult:
    _amount(amount, MAX_TOPUP)
    accounts = chart.kiosk_accounts(session, kiosk, now=now)
    card = chart.open_one(session, chart.card_balance(farmer), now=now)
    return ledger.submit(session, JournalSpec(
        idempotency_key=f"topup:{key}", kind=JournalKind.TOPUP, legs=[Leg(accounts.cash, card, IDR, amount)],
        kiosk=kiosk, farmer=farmer, memo={"operator": operator, "tender": "cash"}), now=now)


def fund_deposit(session: Session, *, kiosk: str, amount: int, reference: str, actor: str, now: datetime) -> JournalResult:
    """The retailer tops up the BPJS partner deposit (``reference``: the bank transfer's)."""
    _amount(amount, 10**12)
    accounts = chart.kiosk_accounts(session, kiosk, now=now)
    return ledger.submit(session, JournalSpec(
        idempotency_key=f"deposit:{kiosk}:{reference}", kind=JournalKind.DEPOSIT,
        legs=[Leg(accounts.retailer, accounts.deposit, IDR, amount)], kiosk=kiosk,
        memo={"reference": reference, "actor": actor}), now=now)


def _available(session: Session, key: str) -> int:
    account = ledger.account_by_key(session, key)
    if account is None:
        return 0
    available = ledger.balance(session, account.id).available
    return available if available is not None else 0


def card_balance(session: Session, farmer: str) -> int:
    """What the farmer can spend from the card now (pending spends count)."""
    return _available(session, chart.card_balance(farmer).key)


def deposit_balance(session: Session, kiosk: str) -> int:
    return _available(session, chart.kiosk_specs(kiosk)["deposit"].key)
