"""What the API (and the operator screen) shows of a checkout: never a NIK, never a PIN."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

import fertilizer
from fertilizer import KeyStore
from kiosk.checkout import store
from kiosk.checkout.printing import receipt_view
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import State

WAITING_FOR = {
    State.CREATED: "card", State.IDENTIFIED: "decision", State.DECIDED: "operator", State.SELECTED: "pin",
    State.AWAITING_PIN: "pin", State.CONSENTED: "ledger", State.PENDING: "bpjs", State.REGISTERING: "bpjs",
    State.PAYING: "bpjs", State.UNRESOLVED: "bpjs", State.BOOKED: "ledger", State.REFUSED: "ledger",
    State.EXCEPTION: "supervisor",
}


def _farmer(session: Session, keys: KeyStore, pseudonym: str | None) -> dict[str, Any] | None:
    if pseudonym is None:
        return None
    view = fertilizer.views(session, keys, [pseudonym])[0]
    record = fertilizer.by_pseudonym(session, pseudonym)
    group = fertilizer.group(session, record.group_code)
    return {"pseudonym": pseudonym, "name": view.name, "masked_nik": view.masked_nik, "erased": view.erased,
            "group": group.name, "group_code": group.code, "village_code": record.village_code,
            "kecamatan_code": record.kecamatan_code}


def _decision(row: CheckoutRow) -> dict[str, Any] | None:
    if row.decision is None:
        return None
    d = dict(row.decision)
    d["allowed"] = [a | {"name": fertilizer.product(a["product"]).name, "sack_kg": fertilizer.product(a["product"]).sack_kg}
                    for a in d["allowed"]]
    return d


def _last_note(session: Session, row: CheckoutRow) -> dict[str, Any] | None:
    """The newest step's detail when it carries a message for the operator (e.g. wrong PIN)."""
    last = store.steps(session, row.id)[-1:]
    if last and "message_en" in last[0].detail:
        return {"event": last[0].event, **last[0].detail}
    return None


def checkout_view(session: Session, keys: KeyStore, row: CheckoutRow) -> dict[str, Any]:
    selection = row.selection or {}
    return {
        "id": str(row.id),
        "state": row.state.value,
        "version": row.version,
        "final": row.state.final,
        "waiting_for": WAITING_FOR.get(row.state),
        "kiosk": row.kiosk_code,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "card": {k: (row.card or {}).get(k) for k in ("number_masked", "expiry")} if row.card else None,
        "farmer": _farmer(session, keys, row.farmer),
        "decision": _decision(row),
        "selection": {"lines": selection.get("lines", []), "months": selection.get("months", [])} if row.selection else None,
        "tender": row.tender,
        "totals": {"fertilizer": row.fertilizer_total, "contribution": row.contribution, "agent_fee": row.agent_fee,
                   "total": row.fertilizer_total + row.contribution},
        "journal_id": str(row.journal_id) if row.journal_id and row.state.money_may_have_moved else None,
        "bpjs": {"kpj": row.kpj, "paid_through_before": row.paid_through_before,
                 "paid_through_after": row.paid_through_after, "reference": row.bpjs_reference},
        "fertilizer_released": row.state is State.COMPLETED and bool(selection.get("lines")),
        "receipt": receipt_view(session, row),
        "note": _last_note(session, row),
        "error": {"code": row.error_code, "message": row.error_en, "message_id": row.error_id} if row.error_code else None,
    }
