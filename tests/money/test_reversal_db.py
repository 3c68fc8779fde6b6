"""Same-day reversals on the database (both backends): money back to its tender, quota and stock
back, refused the next day and twice, idempotent for the same request."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

import fertilizer
import ledger
from kiosk.money import card_balance, cash_in_drawer, reverse_sale
from kiosk.money.errors import Refused
from kiosk.money.schema import ReceiptPrint, SaleReversal
from ledger.schema import journals
from tests.money.small import NOON, SmallKiosk


def _journal_count(small: SmallKiosk) -> int:
    with small.sessions() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(journals)) or 0)


def _position(small: SmallKiosk, pseudonym: str, kiosk: str) -> dict[str, object]:
    with small.sessions() as s:
        return {"card": card_balance(s, pseudonym), "cash": cash_in_drawer(s, kiosk),
                "quota": fertilizer.quota_left(s, pseudonym, small.season), "stock": fertilizer.stock_left(s, kiosk)}


def test_card_sale_reversed_same_day_gives_money_quota_and_stock_back(small: SmallKiosk) -> None:
    person = small.at(small.kiosk)[0]
    before = _position(small, person.pseudonym, person.kiosk)
    quota = small.quota(person)
    sale = small.sell(person, {"UREA": min(50, quota["UREA"]), "NPK": min(25, quota["NPK"])}, "card", now=NOON)
    sold = _position(small, person.pseudonym, person.kiosk)
    assert before["card"] - sold["card"] == sale.fertilizer_total > 0  # type: ignore[operator]
    keys = small.keys()
    with small.sessions.begin() as s, pytest.raises(Refused) as late:
        reverse_sale(s, keys, checkout_id=sale.id, supervisor="spv", reason="salah jumlah kg", key="rev-key-0001",
                     now=NOON + timedelta(days=1))
    assert late.value.code == "reversal_too_late" and late.value.message_id and late.value.message_en
    count = _journal_count(small)
    with small.sessions.begin() as s:
        done = reverse_sale(s, keys, checkout_id=sale.id, supervisor="spv", reason="salah jumlah kg", key="rev-key-0001",
                            now=NOON + timedelta(hours=2))
    assert not done.replayed and done.refund == sale.fertilizer_total and done.tender == "card"
    assert _journal_count(small) == count + 1
    assert _position(small, person.pseudonym, person.kiosk) == before  # card, quota, stock all back; cash untouched
    with small.sessions() as s:
        reversal = ledger.journal(s, done.reversal_journal_id)
        assert reversal is not None and reversal.kind is ledger.JournalKind.REVERSAL
        assert reversal.state is ledger.JournalState.POSTED and reversal.memo["original"] == str(sale.journal_id)
        receipt = s.get(ReceiptPrint, f"reversal:{done.reversal_journal_id}")
        assert receipt is not None and receipt.kind == "reversal" and receipt.state == "unsent"
        assert receipt.body["header"]["farmer"] is None  # the name is never stored with the receipt
    with small.sessions.begin() as s:  # the same request again: the first answer, nothing written
        again = reverse_sale(s, keys, checkout_id=sale.id, supervisor="spv", reason="salah jumlah kg",
                             key="rev-key-0001", now=NOON + timedelta(hours=3))
    assert again.replayed and again.reversal_journal_id == done.reversal_journal_id
    with small.sessions.begin() as s, pytest.raises(Refused) as twice:
        reverse_sale(s, keys, checkout_id=sale.id, supervisor="spv2", reason="dibatalkan lagi", key="rev-key-0002",
                     now=NOON + timedelta(hours=3))
    assert twice.value.code == "already_reversed"
    assert _journal_count(small) == count + 1
    with small.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(SaleReversal)) == 1


def test_cash_sale_refund_leaves_the_drawer(small: SmallKiosk) -> None:
    person = small.at(small.kiosk)[1]
    before = _position(small, person.pseudonym, person.kiosk)
    sale = small.sell(person, {"UREA": min(100, small.quota(person)["UREA"])}, "cash", now=NOON)
    assert _position(small, person.pseudonym, person.kiosk)["cash"] == before["cash"] + sale.fertilizer_total  # type: ignore[operator]
    with small.sessions.begin() as s:
        done = reverse_sale(s, small.keys(), checkout_id=sale.id, supervisor="spv", reason="petani batal beli",
                            key="rev-cash-0001", now=NOON + timedelta(minutes=5))
    assert done.tender == "cash" and done.refund == sale.fertilizer_total
    assert _position(small, person.pseudonym, person.kiosk) == before


@pytest.mark.parametrize("reason", ["", "abc", "x" * 201, "tab\there"])
def test_a_reason_is_required(small: SmallKiosk, reason: str) -> None:
    person = small.at(small.kiosk)[2]
    sale = small.sell(person, {"UREA": min(10, small.quota(person)["UREA"])}, "card", now=NOON)
    count = _journal_count(small)
    with small.sessions.begin() as s, pytest.raises(Exception) as bad:
        reverse_sale(s, small.keys(), checkout_id=sale.id, supervisor="spv", reason=reason, key="rev-bad-0001", now=NOON)
    assert getattr(bad.value, "code", None) == "bad_reason"
    assert _journal_count(small) == count
