"""The operator's selection fixes the amounts; the farmer consents with PIN and card (DESIGN §1).

``confirm`` runs in the request: it prices the selection within the decision, builds the consent
document and its challenge, and moves the checkout to SELECTED. The runner then asks the device
agent for PIN entry and the card's transaction signature over the challenge (AWAITING_PIN), and
verifies that signature itself before the checkout may touch the ledger (CONSENTED).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import fertilizer
from card_reader import CardError, CardRemoved, PinBlocked, WrongPin
from kiosk.cards import verify_transaction_key
from kiosk.checkout import store
from kiosk.checkout.codec import decision_from_json
from kiosk.checkout.document import ConsentDocument, DocumentLine, challenge_of
from kiosk.checkout.errors import CheckoutError, bad_request, idempotency_conflict, wrong_state
from kiosk.checkout.identify import abort
from kiosk.checkout.ports import CheckoutDeps
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import Event, State
from ledger import new_journal_id

log = logging.getLogger("kiosk.checkout")
TENDERS = ("card", "cash")


def _selection(lines: object) -> dict[str, int]:
    if not isinstance(lines, list):
        raise bad_request("bad_selection", "Pilihan harus daftar produk dan kg.", "The selection must be a list of products and kg.")
    out: dict[str, int] = {}
    for item in lines:
        if not isinstance(item, dict) or not isinstance(item.get("product"), str) or type(item.get("kg")) is not int:
            raise bad_request("bad_selection", "Setiap baris: produk dan kg (bilangan bulat).",
                              "Each line needs a product and whole kilograms.")
        if item["kg"] == 0:
            continue
        if item["product"] in out:
            raise bad_request("bad_selection", "Produk yang sama dua kali.", "The same product twice.", product=item["product"])
        out[item["product"]] = item["kg"]
    return out


def _request_digest(selection: Mapping[str, int], tender: str) -> str:
    return hashlib.sha256(repr((sorted(selection.items()), tender)).encode()).hexdigest()


def confirm(deps: CheckoutDeps, checkout_id: uuid.UUID, *, lines: object, tender: object, key: str, actor: str) -> CheckoutRow:
    """DECIDED -> SELECTED. Replays with the same key and body change nothing."""
    selection = _selection(lines)
    if tender not in TENDERS:
        raise bad_request("bad_tender", "Cara bayar: kartu atau tunai.", "Tender must be card or cash.")
    digest = _request_digest(selection, str(tender))
    with deps.sessions.begin() as s:
        row = store.load(s, checkout_id, lock=True)
        if row.confirm_key is not None:
            if row.confirm_key != key or (row.selection or {}).get("digest") != digest:
                raise idempotency_conflict(key)
            return row
        if row.state is not State.DECIDED:
            raise wrong_state(row.state.value, "confirm")
        decision = decision_from_json(row.decision or {})
        now = deps.now()
        try:
            quote = fertilizer.price_selection(decision, selection, fertilizer.load_price_list(s), now,
                                               deps.policy.agent_fee_bps)
        except fertilizer.PolicyError as err:
            raise CheckoutError(err.code, err.message_id, err.message_en, status=422) from None
        if not quote.lines and not quote.contribution:
            raise bad_request("nothing_to_pay", "Tidak ada yang dibeli atau dibayar.", "Nothing to buy or pay.")
        if quote.lines and not decision.may_buy:
            raise CheckoutError("not_allowed", "Pupuk tidak boleh dibeli.", "Fertilizer may not be bought.", status=422)
        journal_id = new_journal_id(now)
        doc = ConsentDocument(
            checkout_id=row.id, journal_id=journal_id, kiosk=row.kiosk_code, card_number=row.card_number or "",
            farmer=row.farmer or "", at=now,
            lines=tuple(DocumentLine(ln.product, ln.kg, ln.price_per_kg, ln.amount) for ln in quote.lines),
            contribution_months=tuple(str(m) for m in quote.contribution_months), contribution=quote.contribution,
            kpj=row.kpj, agent=(row.decision or {}).get("agent"), agent_fee=quote.agent_fee, tender=str(tender),
        )
        document = doc.encode()
        store.move(
            s, row, Event.SELECTED, actor=actor, now=now,
            detail={"lines": len(quote.lines), "total": doc.total, "tender": tender},
            confirm_key=key, tender=tender, journal_id=journal_id, document=document,
            challenge=challenge_of(document).hex(), fertilizer_total=quote.fertilizer_total,
            contribution=quote.contribution, agent_fee=quote.agent_fee,
            selection={"digest": digest, "season": decision.season, "months": [str(m) for m in quote.contribution_months],
                       "lines": [{"product": ln.product, "kg": ln.kg, "price_per_kg": ln.price_per_kg, "amount": ln.amount}
                                 for ln in quote.lines]},
        )
        return row


def request_pin(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """SELECTED -> AWAITING_PIN (recorded first), then the agent starts PIN entry."""
    if row.state is State.SELECTED:
        with deps.sessions.begin() as s:
            store.move(s, store.load(s, row.id, lock=True), Event.CONSENT_REQUESTED, actor=actor, now=deps.now())
    _start_pin(deps, row, actor, retry_note=None)


def _start_pin(deps: CheckoutDeps, row: CheckoutRow, actor: str, retry_note: dict[str, Any] | None) -> None:
    card = row.card or {}
    try:
        op = deps.agent(row.kiosk_code).start_pin(int(card.get("insertion") or 0), bytes.fromhex(row.challenge or ""),
                                                  row.fertilizer_total + row.contribution, "", deps.settings.pin_timeout_s)
    except CardError as err:
        abort(deps, row.id, actor, err)
        return
    with deps.sessions.begin() as s:
        current = store.load(s, row.id, lock=True)
        if current.state is State.AWAITING_PIN:
            current.pin_operation = op
            store.note(s, current, "pin_requested", actor=actor, now=deps.now(), detail=retry_note or {})


def await_pin(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> bool:
    """AWAITING_PIN: poll the agent's PIN operation. True when the checkout moved on."""
    if not row.pin_operation:
        _start_pin(deps, row, actor, retry_note=None)
        return True
    try:
        op = deps.agent(row.kiosk_code).pin_operation(row.pin_operation)
    except CardError as err:
        abort(deps, row.id, actor, err)
        return True
    if op.state == "pending":
        if _card_gone(deps, row):
            abort(deps, row.id, actor, CardRemoved(insertion=(row.card or {}).get("insertion")))
            return True
        return False
    if op.error is not None or op.answer is None:
        err = op.error if isinstance(op.error, CardError) else CardRemoved()
        if isinstance(err, WrongPin) and not isinstance(err, PinBlocked):
            # the pad prompts again at once; the operator sees how many tries are left
            _start_pin(deps, row, actor, retry_note={"code": err.code, "message_id": err.message_id,
                                                     "message_en": err.message_en, **err.fields})
            return True
        abort(deps, row.id, actor, err)
        return True
    _consent(deps, row, actor, op.answer.atc, op.answer.signature)
    return True


def release_pin(deps: CheckoutDeps, kiosk_code: str, op_id: str | None) -> None:
    """After a checkout waiting for the PIN was aborted (committed first): free the PIN pad now, so the
    next customer's swipe does not find it busy until the entry times out. Best effort: if the agent
    does not answer, the entry still ends at its timeout, and a PIN typed meanwhile consents to nothing
    (the checkout is final)."""
    if not op_id:
        return
    try:
        deps.agent(kiosk_code).cancel_pin(op_id)
    except CardError as err:
        log.info("event=checkout.pin_release_failed operation=%s code=%s", op_id, err.code)


def _card_gone(deps: CheckoutDeps, row: CheckoutRow) -> bool:
    """The farmer pulled the card (or another was inserted) while the PIN pad waits: before the
    transaction signature nothing was taken, so the checkout ends now instead of at the pad's timeout."""
    try:
        reader = deps.agent(row.kiosk_code).status().get("reader", {})
    except CardError:
        return False  # the agent did not answer this time: the PIN operation's own outcome decides
    return not reader.get("card_present") or reader.get("insertion") != (row.card or {}).get("insertion")


def _consent(deps: CheckoutDeps, row: CheckoutRow, actor: str, atc: int, signature: bytes) -> None:
    card = row.card or {}
    try:
        with deps.sessions.begin() as s:
            now = deps.now()
            consent = verify_transaction_key(s, row.card_number or "", bytes.fromhex(card["public_key"]),
                                             bytes.fromhex(row.challenge or ""), atc, signature, now)
            store.move(s, store.load(s, row.id, lock=True), Event.CONSENTED, actor=actor, now=now,
                       detail={"atc": consent.atc},
                       consent={"atc": consent.atc, "signature": consent.signature.hex(),
                                "signed_at": consent.signed_at.isoformat()})
    except CardError as err:
        abort(deps, row.id, actor, err)
