"""Top-ups and deposits as ledger journals. Services: they take a Session and never commit.

* Cash top-up at the kiosk: the farmer hands over cash, the card balance grows —
  ``cash:<kiosk>`` (debit: cash comes in) -> ``card:<farmer>`` (credit). Kind ``topup``.
* BPJS partner deposit top-up: the retailer prefunds BPJS —
  ``retailer:<kiosk>`` -> ``bpjs:deposit:<kiosk>``. Kind ``deposit``.
Both are idempotent by the caller's key (a replay returns the first journal; the same key with
another amount is ``idempotency_conflict``).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.orm import Session

import ledger
from kiosk import chart
from kiosk.money.errors import BadInput, MoneyError, Refused, idempotency_conflict
from ledger import IDR, JournalKind, JournalResult, JournalSpec, Leg

MAX_TOPUP = 50_000_000  # Rp 50 juta in one top-up: far above any farmer's need, below a typo's reach
MAX_DEPOSIT = 10**12
REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")

__all__ = ["MAX_TOPUP", "MoneyError", "card_balance", "check_amount", "deposit_balance", "fund_deposit", "topup_cash"]


def check_amount(amount: object, high: int, field: str = "amount") -> int:
    """Whole rupiah ``1..high`` (an ``int``, never a bool or a float)."""
    if type(amount) is not int or not 1 <= amount <= high:
        raise BadInput("bad_amount", f"Jumlah harus bilangan bulat Rp 1 - Rp {high:,}.".replace(",", "."),
                       f"The amount must be a whole number of rupiah, 1 to {high:,}.", field=field, amount=str(amount))
    return amount


def check_reference(reference: object, field: str = "reference") -> str:
    if not isinstance(reference, str) or not REFERENCE.match(reference):
        raise BadInput("bad_reference", "Referensi: 1-64 huruf, angka atau . _ / - (awali huruf/angka).",
                       "Reference: 1-64 letters, digits or . _ / - (starting with a letter or digit).", field=field)
    return reference


def _submit(session: Session, spec: JournalSpec, now: datetime) -> JournalResult:
    try:
        return ledger.submit(session, spec, now=now)
    except ledger.IdempotencyConflict:
        raise idempotency_conflict(spec.idempotency_key) from None
    except ledger.LimitExceeded as err:
        raise Refused("limit_exceeded", f"Saldo tidak cukup (kurang Rp {err.shortfall:,}).".replace(",", "."),
                      f"Not enough funds (short by Rp {err.shortfall:,}).", shortfall=err.shortfall) from None


def topup_cash(session: Session, *, kiosk: str, farmer: str, amount: int, key: str, operator: str, now: datetime) -> JournalResult:
    """Cash paid in at ``kiosk`` onto ``farmer``'s card balance; ``key`` is the caller's idempotency key."""
    check_amount(amount, MAX_TOPUP)
    accounts = chart.kiosk_accounts(session, kiosk, now=now)
    card = chart.open_one(session, chart.card_balance(farmer), now=now)
    return _submit(session, JournalSpec(
        idempotency_key=f"topup:{kiosk}:{key}", kind=JournalKind.TOPUP, legs=[Leg(accounts.cash, card, IDR, amount)],
        kiosk=kiosk, farmer=farmer, memo={"operator": operator, "tender": "cash"}), now)


def fund_deposit(session: Session, *, kiosk: str, amount: int, reference: str, actor: str, now: datetime) -> JournalResult:
    """The retailer tops up the BPJS partner deposit (``reference``: the bank transfer's)."""
    check_amount(amount, MAX_DEPOSIT)
    check_reference(reference)
    accounts = chart.kiosk_accounts(session, kiosk, now=now)
    return _submit(session, JournalSpec(
        idempotency_key=f"deposit:{kiosk}:{reference}", kind=JournalKind.DEPOSIT,
        legs=[Leg(accounts.retailer, accounts.deposit, IDR, amount)], kiosk=kiosk,
        memo={"reference": reference, "actor": actor}), now)


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


def cash_in_drawer(session: Session, kiosk: str) -> int:
    """Cash the ledger says is in the kiosk's drawer now (posted movements only)."""
    account = ledger.account_by_key(session, chart.kiosk_specs(kiosk)["cash"].key)
    return 0 if account is None else ledger.balance(session, account.id).net_posted
