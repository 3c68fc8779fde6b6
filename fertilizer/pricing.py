"""Pricing a selection, pure: (products, kg) -> lines at the HET in force, totals and the agent fee.

Amounts are integer rupiah: a line is ``kg x HET``, exact. The agent fee is the contribution times
``agent_fee_bps / 10,000`` rounded **down** to the rupiah (the penyuluh never receives more than
the rate; with the default 7.5 % of Rp 16,800 it is exactly Rp 1,260 a month).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from fertilizer.catalogue import PRODUCT_CODES, product
from fertilizer.clock import YearMonth
from fertilizer.errors import PolicyError
from fertilizer.policy_types import Decision
from fertilizer.prices import PriceList


@dataclass(frozen=True)
class Line:
    product: str
    kg: int
    price_per_kg: int
    amount: int


@dataclass(frozen=True)
class Quote:
    lines: tuple[Line, ...]
    fertilizer_total: int
    contribution_months: tuple[YearMonth, ...]
    contribution: int
    agent_fee: int

    @property
    def total(self) -> int:
        """What the farmer pays: fertilizer plus contribution (the agent fee is BPJS's to pay)."""
        return self.fertilizer_total + self.contribution


def agent_fee(contribution: int, fee_bps: int) -> int:
    return contribution * fee_bps // 10_000


def _refuse(code: str, product_code: str, text_id: str, text_en: str) -> PolicyError:
    return PolicyError(code, text_id, text_en, product=product_code)


def price_selection(decision: Decision, selection: Mapping[str, int], prices: PriceList, at: datetime,
                    fee_bps: int) -> Quote:
    """Price what the operator picked, within what ``decision`` allows, at the HET in force at ``at``."""
    lines = []
    for code in sorted(selection, key=lambda c: PRODUCT_CODES.index(product(c).code)):
        kg = selection[code]
        allowance = decision.allowance(code)
        if type(kg) is not int or kg <= 0:
            raise _refuse("bad_quantity", code, "Jumlah kg harus bilangan bulat > 0.", "Kilograms must be a whole number > 0.")
        if allowance is None:
            raise _refuse("product_not_allowed", code, f"{product(code).name} tidak boleh dibeli sekarang.",
                          f"{product(code).name} may not be bought now.")
        if kg > allowance.max_kg:
            raise _refuse("over_allowance", code, f"Maksimum {allowance.max_kg} kg {product(code).name}.",
                          f"At most {allowance.max_kg} kg of {product(code).name}.")
        price = prices.in_force(code, at)
        if price is None:
            raise _refuse("not_for_sale", code, f"{product(code).name} tidak dijual (tanpa HET).",
                          f"{product(code).name} is not for sale (no HET).")
        lines.append(Line(code, kg, price, kg * price))
    c = decision.contribution
    return Quote(tuple(lines), sum(line.amount for line in lines), c.months, c.amount, agent_fee(c.amount, fee_bps))
