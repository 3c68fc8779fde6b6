"""JSON forms of what a checkout keeps between its steps: the policy's decision and the BPJS
participant answer (cached per farmer). Round trips are exact; money stays integer rupiah."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bpjs_link import Participant
from fertilizer import Allowance, BpjsAnswer, Contribution, Decision, Due, Reason, ReasonCode, Severity, YearMonth


def decision_to_json(d: Decision) -> dict[str, Any]:
    return {
        "season": d.season,
        "rule_in_force": d.rule_in_force,
        "allowed": [{"product": a.product, "max_kg": a.max_kg, "price_per_kg": a.price_per_kg} for a in d.allowed],
        "contribution": {
            "months": [str(m) for m in d.contribution.months],
            "amount": d.contribution.amount,
            "paid_through_after": str(d.contribution.paid_through_after) if d.contribution.paid_through_after else None,
        },
        "registration_needed": d.registration_needed,
        "agent_fee": d.agent_fee,
        "reasons": [
            {"code": r.code.value, "severity": r.severity.value, "message_id": r.message_id, "message_en": r.message_en,
             "product": r.product}
            for r in d.reasons
        ],
    }


def decision_from_json(j: dict[str, Any]) -> Decision:
    c = j["contribution"]
    return Decision(
        season=j["season"],
        rule_in_force=j["rule_in_force"],
        allowed=tuple(Allowance(a["product"], a["max_kg"], a["price_per_kg"]) for a in j["allowed"]),
        contribution=Contribution(
            tuple(YearMonth.parse(m) for m in c["months"]), c["amount"],
            YearMonth.parse(c["paid_through_after"]) if c["paid_through_after"] else None,
        ),
        registration_needed=j["registration_needed"],
        agent_fee=j["agent_fee"],
        reasons=tuple(
            Reason(ReasonCode(r["code"]), Severity(r["severity"]), r["message_id"], r["message_en"], r["product"])
            for r in j["reasons"]
        ),
    )


def participant_answer(p: Participant, observed_at: datetime) -> BpjsAnswer:
    """BPJS's inquiry answer in the policy's terms. A lapsed participant who must register again
    counts as not registered (registration is offered in the same swipe)."""
    registered = p.registered and not p.registration_required
    return BpjsAnswer(
        registered=registered,
        paid_through=YearMonth.parse(str(p.paid_through)) if registered and p.paid_through else None,
        dues=tuple(Due(YearMonth.parse(str(m)), p.contribution) for m in p.months_due) if registered else (),
        observed_at=observed_at,
        active=registered,
    )


def answer_to_json(a: BpjsAnswer, kpj: str | None) -> dict[str, Any]:
    return {
        "registered": a.registered,
        "paid_through": str(a.paid_through) if a.paid_through else None,
        "dues": [{"month": str(d.month), "amount": d.amount} for d in a.dues],
        "observed_at": a.observed_at.isoformat(),
        "active": a.active,
        "kpj": kpj,
    }


def answer_from_json(j: dict[str, Any]) -> BpjsAnswer:
    return BpjsAnswer(
        registered=j["registered"],
        paid_through=YearMonth.parse(j["paid_through"]) if j["paid_through"] else None,
        dues=tuple(Due(YearMonth.parse(d["month"]), d["amount"]) for d in j["dues"]),
        observed_at=datetime.fromisoformat(j["observed_at"]),
        active=j["active"],
    )
