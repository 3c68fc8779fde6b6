"""``decide``: what a farmer may buy at this kiosk now, what must be paid with it, and why not (DESIGN §9).

Pure: no clock, no database, no network; everything arrives in a :class:`PolicyInput`.

The rules, in order:

1. Card, registry, season and kiosk: a bad card, a farmer not in e-RDKK, no allocation this season,
   or a group that redeems at another kiosk refuse everything.
2. Per product (catalogue order): allowed up to ``min(quota left, stock)`` when both are > 0 and an
   HET is in force; otherwise a product-level reason.
3. The draft Perbup rule, when in force (``settings.rule_enabled`` and ``now >= rule_start``):
   after this swipe the farmer must be paid through the current WITA month. BPJS's answer says
   what is due; the consecutive dues from the month after ``paid_through`` up to this month are
   collected in the same swipe. Not registered: registration plus this month's contribution.
   BPJS unreachable: a cached answer younger than ``max_cached_status_age`` that already shows
   this month paid still counts; anything else refuses (a payment needs BPJS online).
   Before the start date only quota and stock apply.
4. The agent fee is ``contribution x agent_fee_bps / 10,000`` rounded **down** to the rupiah, so
   the penyuluh never receives more than the rate.
"""

from __future__ import annotations

from datetime import datetime

from fertilizer.catalogue import PRODUCT_CODES, product
from fertilizer.clock import YearMonth, require_aware
from fertilizer.errors import PolicyError
from fertilizer.policy_messages import CARD_DETAILS, REASONS, rupiah
from fertilizer.pricing import agent_fee
from fertilizer.policy_types import (
    Allowance,
    BpjsAnswer,
    CardStatus,
    Contribution,
    Decision,
    PolicyInput,
    Reason,
    ReasonCode,
    Severity,
)
from fertilizer.settings import PolicySettings


def reason(code: ReasonCode, product_code: str | None = None, **values: str) -> Reason:
    severity, text_id, text_en = REASONS[code]
    name = product(product_code).name if product_code else ""
    return Reason(code, severity, text_id.format(product=name, **values), text_en.format(product=name, **values), product_code)


def _gate(inp: PolicyInput, season_id: str) -> list[Reason]:
    """Rule 1: reasons that refuse everything before any product is looked at."""
    out: list[Reason] = []
    if inp.card.status is not CardStatus.OK:
        detail_id, detail_en = CARD_DETAILS[inp.card.status]
        severity, text_id, text_en = REASONS[ReasonCode.CARD_PROBLEM]
        out.append(Reason(ReasonCode.CARD_PROBLEM, severity, text_id.format(detail=detail_id), text_en.format(detail=detail_en)))
    farmer = inp.farmer
    if farmer is None or not farmer.rdkk_seasons:
        out.append(reason(ReasonCode.NOT_IN_RDKK))
    elif season_id not in farmer.rdkk_seasons:
        out.append(reason(ReasonCode.OUT_OF_SEASON, season=season_id))
    if farmer is not None and farmer.official_outlet != inp.outlet_code:
        out.append(reason(ReasonCode.WRONG_KIOSK, outlet=farmer.official_outlet))
    return out


def _products(inp: PolicyInput) -> tuple[list[Allowance], list[Reason]]:
    """Rule 2."""
    allowed: list[Allowance] = []
    reasons: list[Reason] = []
    for code in PRODUCT_CODES:
        if code not in inp.quotas:
            continue  # no allocation of this product for the farmer
        quota, stock = inp.quotas[code], inp.stock.get(code, 0)
        price = inp.prices.in_force(code, inp.now)
        if quota <= 0:
            reasons.append(reason(ReasonCode.QUOTA_EXHAUSTED, code))
        elif stock <= 0:
            reasons.append(reason(ReasonCode.OUT_OF_STOCK, code))
        elif price is None:
            reasons.append(reason(ReasonCode.NOT_FOR_SALE, code))
        else:
            allowed.append(Allowance(code, min(quota, stock), price))
    if not allowed and not reasons:
        reasons.append(reason(ReasonCode.QUOTA_EXHAUSTED, None))
    return allowed, reasons


def _settle(answer: BpjsAnswer, month: YearMonth) -> Contribution:
    """The consecutive dues that carry ``paid_through`` forward, up to ``month``."""
    paid = answer.paid_through
    months, amount = [], 0
    for due in sorted(answer.dues, key=lambda d: d.month):
        if due.month > month:
            break
        if paid is None or due.month == paid.plus(1):
            paid, amount = due.month, amount + due.amount
            months.append(due.month)
    return Contribution(tuple(months), amount, paid)


def _fresh(answer: BpjsAnswer | None, settings: PolicySettings, now: datetime) -> bool:
    return answer is not None and now - answer.observed_at <= settings.max_cached_status_age


def _bpjs(inp: PolicyInput, month: YearMonth) -> tuple[Contribution, bool, list[Reason]]:
    """Rule 3 while the rule is in force: (contribution to collect, registration needed, reasons)."""
    answer, s = inp.bpjs.answer, inp.settings
    usable = answer if _fresh(answer, s, inp.now) else None
    if usable is None or not inp.bpjs.live:
        if usable is not None and usable.registered and usable.paid_through is not None and usable.paid_through >= month:
            return Contribution((), 0, usable.paid_through), False, [reason(ReasonCode.BPJS_CACHED, months=str(usable.paid_through))]
        return Contribution(), False, [reason(ReasonCode.BPJS_UNAVAILABLE)]
    answer = usable
    if not answer.registered:
        c = Contribution((month,), s.contribution_per_month, month)
        return c, True, [reason(ReasonCode.BPJS_NOT_REGISTERED, amount=rupiah(c.amount))]
    c = _settle(answer, month)
    if c.paid_through_after is None or c.paid_through_after < month:
        return c, False, [reason(ReasonCode.CONTRIBUTION_UNSETTLED)]
    if c.months:
        label = ", ".join(str(m) for m in c.months)
        return c, False, [reason(ReasonCode.CONTRIBUTION_DUE, months=label, amount=rupiah(c.amount))]
    return c, False, []


def _check(inp: PolicyInput) -> None:
    require_aware(inp.now, "now")
    bad = [k for k, v in (*inp.quotas.items(), *inp.stock.items()) if type(v) is not int or v < 0]
    dues = inp.bpjs.answer.dues if inp.bpjs.answer else ()
    if bad or any(type(d.amount) is not int or d.amount <= 0 for d in dues):
        raise PolicyError("bad_policy_input", "Kuota, stok dan iuran harus bilangan bulat tidak negatif.",
                          "Quotas, stock and dues must be non-negative whole numbers.", products=sorted(set(bad)))
    if inp.bpjs.live and inp.bpjs.answer is None:
        raise PolicyError("bad_policy_input", "Status BPJS tanpa jawaban dan tanpa kegagalan.",
                          "A BPJS status needs an answer or a failure.")
    season = inp.settings.calendar.season_at(inp.now).id
    if inp.quota_season != season:
        raise PolicyError("quota_season_mismatch", f"Kuota untuk musim {inp.quota_season}, sekarang musim {season}.",
                          f"Quotas are for season {inp.quota_season}, the current season is {season}.",
                          quota_season=inp.quota_season, season=season)


def decide(inp: PolicyInput) -> Decision:
    """The decision for one swipe. Raises :class:`PolicyError` only for self-contradicting input."""
    _check(inp)
    season_id = inp.settings.calendar.season_at(inp.now).id
    month = YearMonth.of(inp.now)
    reasons = _gate(inp, season_id)
    allowed, product_reasons = _products(inp)
    reasons += product_reasons
    rule = inp.settings.rule_in_force(inp.now)
    contribution, registration = Contribution(), False
    if rule:
        contribution, registration, bpjs_reasons = _bpjs(inp, month)
        reasons += bpjs_reasons
    else:
        reasons.append(reason(ReasonCode.RULE_NOT_IN_FORCE))
    if any(r.severity is Severity.REFUSE for r in reasons):
        allowed = []
    fee = agent_fee(contribution.amount, inp.settings.agent_fee_bps)
    return Decision(season_id, rule, tuple(allowed), contribution, registration, fee, tuple(reasons))
