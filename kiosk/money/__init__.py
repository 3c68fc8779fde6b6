"""Money around the checkout (issue 9; docs/money.md): receipts through the device agent, card
balance top-ups (cash at the kiosk, bank transfers from a settlement file), the BPJS partner deposit
and its daily reconciliation with BPJS, same-day reversals, and the end of day.

Services take the caller's ``Session`` and never commit; the few that call the device agent or BPJS
(``prints.deliver``, ``reconcile.run``, ``topup.farmer_by_card``) own short transactions of their
own and never hold one while they wait for the other side. Errors are :class:`MoneyError`.
"""

from kiosk.money.bank import BankImportReport, import_bank_file
from kiosk.money.core import (
    card_balance,
    cash_in_drawer,
    deposit_balance,
    fund_deposit,
    topup_cash,
)
from kiosk.money.eod import KeptReport, close_day, kept_reports, summarize_day
from kiosk.money.errors import BadInput, BankFileRefused, MoneyError, NotFound, Refused
from kiosk.money.prints import PrintPort, ReceiptStatus, deliver, record_copy
from kiosk.money.reconcile import SettlementSource, resolve, run
from kiosk.money.reversal import Reversal, reverse_sale
from kiosk.money.topup import TopUp, farmer_by_card, top_up

__all__ = [
    "BadInput", "BankFileRefused", "BankImportReport", "KeptReport", "MoneyError", "NotFound", "PrintPort",
    "ReceiptStatus", "Refused", "Reversal", "SettlementSource", "TopUp", "card_balance", "cash_in_drawer", "close_day",
    "deliver", "deposit_balance", "farmer_by_card", "fund_deposit", "import_bank_file", "kept_reports", "record_copy",
    "resolve", "reverse_sale", "run", "summarize_day", "top_up", "topup_cash",
]
