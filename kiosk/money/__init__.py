"""Money outside a swipe (issue 9): card balance top-ups, the BPJS partner deposit, balances."""

from kiosk.money.core import MoneyError, card_balance, deposit_balance, fund_deposit, topup_cash

__all__ = ["MoneyError", "card_balance", "deposit_balance", "fund_deposit", "topup_cash"]
