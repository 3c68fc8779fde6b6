"""Every refusal is a LedgerError with a stable code, structured fields and id/en messages."""

from __future__ import annotations

import inspect
import json
import uuid

import ledger as L
from ledger import errors

SAMPLES = [
    L.InvalidInput("asset", "salah", "wrong"), L.BadAmount(0, L.MAX_AMOUNT), L.UnbalancedJournal("x", "x", leg=1),
    L.UnknownAccount(uuid.uuid4()), L.AccountClosed(uuid.uuid4()), L.AccountConflict("k", "asset"),
    L.AccountHasPending(uuid.uuid4()), L.AssetMismatch(uuid.uuid4(), "IDR", "KG:UREA", leg=0),
    L.LimitExceeded(uuid.uuid4(), "IDR", 5), L.IdempotencyConflict("k", uuid.uuid4()), L.UnknownJournal(uuid.uuid4()),
    L.AlreadyFinal(uuid.uuid4(), "posted"), L.ConcurrentSubmission(), L.RetriesExhausted(3, "sqlite_busy"),
]


def test_every_error_class_is_covered_and_well_formed() -> None:
    classes = {c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, L.LedgerError) and c is not L.LedgerError}
    samples = [*SAMPLES, L.BatchRefused(3, SAMPLES[8])]
    assert {type(e) for e in samples} == classes
    codes = [e.code for e in samples]
    assert len(set(codes)) == len(codes)  # one stable code per kind of refusal
    for e in samples:
        assert e.message_id and e.message_en and e.message_id != e.message_en
        assert str(e) == f"[{e.code}] {e.message_en} / {e.message_id}"
        envelope = json.loads(json.dumps(e.to_dict()))
        assert envelope["code"] == e.code and set(envelope["fields"]) == set(e.fields)


def test_limit_exceeded_names_account_asset_and_shortfall() -> None:
    account = uuid.uuid4()
    e = L.LimitExceeded(account, "KG:UREA", 20)
    assert e.fields == {"account_id": str(account), "asset": "KG:UREA", "shortfall": 20}
    assert "20" in e.message_id and "20" in e.message_en
