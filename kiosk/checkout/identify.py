"""Steps before the operator's selection: read and verify the card, then decide (DESIGN §1).

Both run off the request thread (the runner): the card read goes through the device agent and the
participant inquiry through BPJS, and no web request waits on either.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.orm import Session

import fertilizer
from bpjs_link import BpjsError
from card_reader import CardError, CardRead, mask_card_number
from fertilizer import BpjsStatus, CardCheck, CardStatus, FarmerFacts, PolicyInput, decide
from kiosk.cards import VerifiedCard, new_challenge, verify_card_read
from kiosk.checkout import store
from kiosk.checkout.codec import answer_from_json, answer_to_json, decision_to_json, participant_answer
from kiosk.checkout.ports import CheckoutDeps
from kiosk.checkout.schema import BpjsStatusCache, CheckoutRow
from kiosk.checkout.states import Event

log = logging.getLogger("kiosk.checkout")


def card_facts(card: VerifiedCard) -> dict[str, Any]:
    """What the checkout keeps of a verified card: no NIK, no name, no birth date."""
    d = card.data
    return {
        "number_masked": mask_card_number(d.card_number),
        "issuer": d.issuer_id,
        "expiry": d.expiry.isoformat(),
        "public_key": d.card_public_key.hex(),
        "insertion": card.insertion,
        "atc": card.atc,
    }


def abort(deps: CheckoutDeps, checkout_id: uuid.UUID, actor: str, err: CardError | Exception) -> None:
    code = getattr(err, "code", "aborted")
    msg_id = getattr(err, "message_id", "Transaksi dibatalkan.")
    msg_en = getattr(err, "message_en", "The checkout was aborted.")
    with deps.sessions.begin() as s:
        row = store.load(s, checkout_id, lock=True)
        if not row.state.final and not row.state.money_may_have_moved:
            store.move(s, row, Event.ABORTED, actor=actor, now=deps.now(), detail={"code": code},
                       error_code=code, error_id=msg_id, error_en=msg_en)


def read_card(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """CREATED -> IDENTIFIED: the agent reads the card over a fresh challenge; we verify it."""
    challenge = new_challenge()
    try:
        read: CardRead = deps.agent(row.kiosk_code).read_card(challenge)
    except CardError as err:
        abort(deps, row.id, actor, err)
        return
    try:
        with deps.sessions.begin() as s:
            now = deps.now()
            card = verify_card_read(s, read.records, read.card_check, challenge, deps.issuer_keys, now, read.insertion)
            farmer = fertilizer.find_by_nik(s, deps.keys, card.data.nik)
            current = store.load(s, row.id, lock=True)
            store.move(s, current, Event.CARD_VERIFIED, actor=actor, now=now,
                       detail={"card": mask_card_number(card.card_number), "atc": card.atc, "farmer_found": farmer is not None},
                       card_number=card.card_number, card=card_facts(card),
                       farmer=farmer.pseudonym if farmer is not None and not farmer.erased else None)
    except CardError as err:
        abort(deps, row.id, actor, err)


def _facts(s: Session, pseudonym: str | None) -> FarmerFacts | None:
    if pseudonym is None:
        return None
    record = fertilizer.by_pseudonym(s, pseudonym)
    group = fertilizer.group(s, record.group_code)
    return FarmerFacts(pseudonym, record.group_code, group.outlet_code, fertilizer.quota_seasons(s, pseudonym))


def _inquire(deps: CheckoutDeps, pseudonym: str) -> tuple[BpjsStatus, str | None, str | None]:
    """(status for the policy, KPJ, paid-through) from a live inquiry, else the cached answer."""
    with deps.sessions() as s:
        nik = fertilizer.reveal(s, deps.keys, pseudonym).nik
        cached = s.get(BpjsStatusCache, pseudonym)
        cached_json = dict(cached.answer) if cached is not None else None
    try:
        participant = deps.bpjs.inquire(nik)
    except BpjsError as err:
        log.warning("event=bpjs_inquiry_failed code=%s", err.code)
        answer = answer_from_json(cached_json) if cached_json else None
        return BpjsStatus(answer, failure=err.code), (cached_json or {}).get("kpj"), (cached_json or {}).get("paid_through")
    answer = participant_answer(participant, deps.now())
    with deps.sessions.begin() as s:
        body = answer_to_json(answer, participant.kpj)
        found = s.get(BpjsStatusCache, pseudonym)
        if found is None:
            s.add(BpjsStatusCache(farmer=pseudonym, answer=body, observed_at=answer.observed_at))
        else:
            found.answer, found.observed_at = body, answer.observed_at
    paid = str(participant.paid_through) if participant.registered and participant.paid_through else None
    return BpjsStatus(answer), participant.kpj if answer.registered else None, paid


def make_decision(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """IDENTIFIED -> DECIDED: quotas, stock, prices and BPJS status go through the policy."""
    now = deps.now()
    season = deps.policy.calendar.season_at(now).id
    with deps.sessions() as s:
        farmer = _facts(s, row.farmer)
        quotas = fertilizer.quota_left(s, row.farmer, season) if row.farmer else {}
        stock = fertilizer.stock_left(s, row.kiosk_code)
        prices = fertilizer.load_price_list(s)
        agent = fertilizer.group(s, farmer.group_code).penyuluh_code if farmer else None
    if row.farmer is not None:
        bpjs, kpj, paid_through = _inquire(deps, row.farmer)
    else:
        bpjs, kpj, paid_through = BpjsStatus(None, failure="farmer_unknown"), None, None
    decision = decide(PolicyInput(farmer, CardCheck(CardStatus.OK), row.kiosk_code, season, quotas, stock, prices,
                                  bpjs, deps.policy, deps.now()))
    body = decision_to_json(decision) | {"agent": agent, "bpjs_live": bpjs.live}
    with deps.sessions.begin() as s:
        current = store.load(s, row.id, lock=True)
        store.move(s, current, Event.DECIDED, actor=actor, now=deps.now(),
                   detail={"may_buy": decision.may_buy, "reasons": [r.code.value for r in decision.reasons]},
                   decision=body, kpj=kpj, paid_through_before=paid_through, agent_fee=decision.agent_fee)
