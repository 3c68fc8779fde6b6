"""A cash top-up of the card balance at the kiosk, with its receipt (issue 9).

The farmer is identified by the card in the reader (read through the device agent over a fresh
challenge; the web side verifies the issuer signature, the card's signature, expiry, hotlist and
ATC itself, as for a checkout) or, by a supervisor, by pseudonym. The journal is ``cash:<kiosk>`` ->
``card:<farmer>`` (kind ``topup``), idempotent by the caller's key: a replay neither reads the card
again nor writes anything, and prints nothing twice (receipt key ``topup:<journal id>``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session, sessionmaker

import fertilizer
import ledger
from card_reader import CardRead
from fertilizer import KeyStore
from kiosk import chart
from kiosk.cards import new_challenge, verify_card_read
from kiosk.money import facts, prints
from kiosk.money.core import MAX_TOPUP, card_balance, check_amount, topup_cash
from kiosk.money.errors import NotFound, idempotency_conflict
from kiosk.money.schema import ReceiptPrint
from kiosk.receipts import Header, TopUpReceipt

log = logging.getLogger("kiosk.money")


class CardReaderPort(Protocol):
    def read_card(self, challenge: bytes) -> CardRead: ...


@dataclass(frozen=True)
class TopUp:
    journal_id: uuid.UUID
    kiosk: str
    farmer: str
    amount: int
    balance_after: int
    replayed: bool

    @property
    def receipt_key(self) -> str:
        return topup_key(self.journal_id)


def topup_key(journal_id: uuid.UUID) -> str:
    return f"topup:{journal_id}"


def journal_key(kiosk: str, key: str) -> str:
    return f"topup:{kiosk}:{key}"


def farmer_by_card(sessions: sessionmaker[Session], reader: CardReaderPort, issuer_keys: Mapping[str, ec.EllipticCurvePublicKey],
                   keys: KeyStore, *, now: Callable[[], datetime]) -> str:
    """The pseudonym of the farmer whose card is in the reader, verified here (CardError if not)."""
    challenge = new_challenge()
    read = reader.read_card(challenge)
    with sessions.begin() as s:
        card = verify_card_read(s, read.records, read.card_check, challenge, issuer_keys, now(), read.insertion)
        found = fertilizer.find_by_nik(s, keys, card.data.nik)
    if found is None or found.erased:
        raise NotFound("farmer_unknown", "Pemilik kartu tidak terdaftar di registri petani.",
                       "The card's holder is not in the farmer registry.", status=404)
    return found.pseudonym


def _result(session: Session, journal: ledger.Journal, replayed: bool) -> TopUp:
    """A recorded top-up as its receipt states it (the balance right after it)."""
    receipt = session.get(ReceiptPrint, topup_key(journal.id))
    farmer = journal.farmer or ""
    balance = int(receipt.body["balance_after"]) if receipt is not None else card_balance(session, farmer)
    return TopUp(journal.id, journal.kiosk or "", farmer, journal.legs[0].amount, balance, replayed)


def replay(session: Session, *, kiosk: str, key: str, amount: int) -> TopUp | None:
    """The top-up already made with this key (same amount), or None; another amount: conflict."""
    check_amount(amount, MAX_TOPUP)
    journal = ledger.journal_by_key(session, journal_key(kiosk, key))
    if journal is None:
        return None
    if journal.legs[0].amount != amount:
        raise idempotency_conflict(key)
    return _result(session, journal, True)


def _receipt(session: Session, keys: KeyStore, journal: ledger.Journal, operator: str, balance_after: int) -> TopUpReceipt:
    header = Header(facts.kiosk_of(session, journal.kiosk or ""), journal.finalized_at or journal.created_at,
                    facts.person_name(session, operator), facts.farmer_of(session, keys, journal.farmer or ""),
                    facts.proof_of(session, journal.id))
    return TopUpReceipt(header, journal.legs[0].amount, balance_after)


def top_up(session: Session, keys: KeyStore, *, kiosk: str, farmer: str, amount: int, key: str, operator: str,
           now: datetime) -> TopUp:
    """Book the top-up and record its receipt (printed by :func:`kiosk.money.prints.deliver` after
    the commit). Refused for an unknown or erased farmer."""
    facts.farmer_of(session, keys, farmer)  # unknown -> RegistryError, erased -> farmer_erased
    result = topup_cash(session, kiosk=kiosk, farmer=farmer, amount=amount, key=key, operator=operator, now=now)
    journal = ledger.journal(session, result.journal_id)
    if journal is None:
        raise NotFound("journal_not_found", "Jurnal tidak ditemukan.", "No such journal.")
    card_id = chart.open_one(session, chart.card_balance(farmer), now=now)
    balance_after = result.balances[card_id].available or 0
    prints.record(session, topup_key(journal.id), _receipt(session, keys, journal, operator, balance_after),
                  kiosk=kiosk, farmer=farmer, now=now)
    log.info("event=topup kiosk=%s journal=%s farmer=%s amount=%d replayed=%s", kiosk, journal.id, farmer, amount,
             result.replayed)
    return TopUp(journal.id, kiosk, farmer, amount, balance_after, result.replayed)
