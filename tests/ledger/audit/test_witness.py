"""The witness: accepts only consistent checkpoints under the pinned key, refuses rollbacks, forks and
wrong keys with the reason named, and keeps everything it was shown."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ledger.audit.checkpoint import Checkpoint
from ledger.audit.errors import RefusalReason, WitnessError, WitnessRefusal
from ledger.audit.note import NoteSigner, sign_note
from ledger.audit.witness import MAX_NOTE_BYTES, Witness
from tests.ledger.audit.logs import ORIGIN, SigningLog

WITA = timezone(timedelta(hours=8))


@pytest.fixture
def log() -> SigningLog:
    log = SigningLog()
    log.grow(10)
    return log


@pytest.fixture
def witness(tmp_path: Path, log: SigningLog) -> Witness:
    return Witness.init(tmp_path / "witness", log.signer.verifier.vkey)


def refused(witness: Witness, note: str | bytes, proof: object = ()) -> WitnessRefusal:
    with pytest.raises(WitnessRefusal) as err:
        witness.submit(note, proof)  # type: ignore[arg-type]
    return err.value


def test_accepts_a_growing_log_and_keeps_every_checkpoint(witness: Witness, log: SigningLog) -> None:
    first = witness.submit(log.note())
    assert first.seq == 1 and first.new and first.checkpoint.size == 10
    log.grow(7)
    second = witness.submit(log.note(), log.proof(10))
    assert second.seq == 2 and second.checkpoint.size == 17
    again = witness.submit(log.note())
    assert not again.new and again.seq == 2
    assert [r.checkpoint.size for r in witness.history()] == [10, 17]
    assert witness.check_store() == 2
    files = sorted(p.name for p in (witness.directory / "accepted").iterdir())
    assert files == ["00000001.json", "00000002.json"]
    body = json.loads((witness.directory / "accepted" / "00000002.json").read_text())
    assert body["size"] == 17 and body["note"] == log.note() and len(body["proof"]) == len(log.proof(10))
    assert datetime.fromisoformat(body["seen_at"]).tzinfo is not None


def test_reopening_sees_the_same_state(tmp_path: Path, witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note())
    reopened = Witness(witness.directory)
    latest = reopened.latest()
    assert latest is not None and latest.checkpoint == log.checkpoint()
    assert reopened.origin == ORIGIN and reopened.verifier == log.signer.verifier


def test_rollback_is_refused(witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note())
    err = refused(witness, log.note(6))
    assert err.reason is RefusalReason.ROLLBACK and err.fields == {"size": 6, "last_size": 10}
    assert "lebih kecil" in err.message_id and "smaller" in err.message_en


def test_fork_of_the_same_size_resigned_with_the_same_key_is_refused(witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note())
    forged = log.rewrite(3)
    err = refused(witness, forged.note())
    assert err.reason is RefusalReason.FORK and err.fields == {"size": 10}


def test_history_rewritten_and_extended_is_refused(witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note())
    forged = log.rewrite(3)
    forged.grow(5)
    for proof in (forged.proof(10), [], log.proof(10, 10)):  # the forger's proof, none, junk
        err = refused(witness, forged.note(), proof)
        assert err.reason is RefusalReason.INCONSISTENT and err.fields["last_size"] == 10
    log.grow(5)  # the honest continuation still goes in
    assert witness.submit(log.note(), log.proof(10)).seq == 2


def test_a_proof_from_a_checkpoint_the_witness_never_accepted_is_refused(witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note(4))
    err = refused(witness, log.note(), log.proof(6))  # a valid proof, but from size 6, not 4
    assert err.reason is RefusalReason.INCONSISTENT


def test_wrong_key_is_refused(witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note())
    impostor = SigningLog(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()), log.entries)
    impostor.grow(3)
    err = refused(witness, impostor.note(), impostor.proof(10))
    assert err.reason is RefusalReason.BAD_SIGNATURE
    assert "pinned key" in err.message_en and "kunci yang disematkan" in err.message_id


def test_other_origin_is_refused_even_under_the_pinned_key(witness: Witness, log: SigningLog) -> None:
    note = sign_note(Checkpoint("another.example/log", 10, log.checkpoint().root_hash).text(), log.signer)
    err = refused(witness, note)
    assert err.reason is RefusalReason.WRONG_ORIGIN and err.fields == {"got": "another.example/log", "want": ORIGIN}


@pytest.mark.parametrize(
    ("note", "proof"),
    [
        (b"\xff\xfe garbage", ()),
        ("no blank line\n", ()),
        ("x" * (MAX_NOTE_BYTES + 1), ()),
        (None, ()),
    ],
)
def test_malformed_submissions_are_refused(witness: Witness, note: object, proof: object) -> None:
    err = refused(witness, note, proof)  # type: ignore[arg-type]
    assert err.reason is RefusalReason.MALFORMED


@pytest.mark.parametrize("proof", [b"not a list", "text", [b"x"] * 200, 42])
def test_malformed_proofs_are_refused(witness: Witness, log: SigningLog, proof: object) -> None:
    witness.submit(log.note(5))
    err = refused(witness, log.note(), proof)
    assert err.reason in (RefusalReason.MALFORMED, RefusalReason.INCONSISTENT)


def test_refused_checkpoints_are_kept_as_evidence(tmp_path: Path, log: SigningLog) -> None:
    clock = iter([datetime(2025, 11, 3, 9, 0, tzinfo=WITA), datetime(2025, 11, 3, 9, 5, tzinfo=WITA)])
    witness = Witness.init(tmp_path / "w", log.signer.verifier.vkey, clock=lambda: next(clock))
    witness.submit(log.note())
    forged = log.rewrite(0)
    refused(witness, forged.note())
    [kept] = list((witness.directory / "refused").iterdir())
    body = json.loads(kept.read_text())
    assert body["reason"] == "fork" and body["note"] == forged.note()
    assert body["seen_at"] == "2025-11-03T09:05:00+08:00"
    assert body["message_id"].startswith("Checkpoint ditolak") and body["message_en"].startswith("Checkpoint refused")
    assert witness.check_store() == 1  # refusals never enter the accepted chain


def test_tampering_with_the_store_is_detected(witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note(5))
    witness.submit(log.note(), log.proof(5))
    record = witness.directory / "accepted" / "00000002.json"
    body = json.loads(record.read_text())
    body["proof"] = body["proof"][::-1]
    record.write_text(json.dumps(body))
    with pytest.raises(WitnessError) as err:
        witness.check_store()
    assert err.value.code == "witness_corrupt"
    body["note"] = body["note"].replace("\n10\n", "\n11\n")
    record.write_text(json.dumps(body))
    with pytest.raises(WitnessError) as err:
        witness.latest()
    assert err.value.code == "witness_corrupt"
    (witness.directory / "state.json").write_text("{}")
    with pytest.raises(WitnessError) as err:
        witness.latest()
    assert err.value.code == "witness_corrupt"


def test_a_record_written_before_a_crash_counts(witness: Witness, log: SigningLog) -> None:
    witness.submit(log.note(5))
    witness.submit(log.note(), log.proof(5))
    (witness.directory / "state.json").write_text('{"latest": 1}')  # as if the state write was lost
    latest = Witness(witness.directory).latest()
    assert latest is not None and latest.seq == 2 and latest.checkpoint.size == 10
    log.grow(1)
    assert witness.submit(log.note(), log.proof(10)).seq == 3


def test_init_and_open_errors(tmp_path: Path, log: SigningLog) -> None:
    Witness.init(tmp_path / "w", log.signer.verifier.vkey)
    with pytest.raises(WitnessError) as err:
        Witness.init(tmp_path / "w", log.signer.verifier.vkey)
    assert err.value.code == "witness_exists"
    with pytest.raises(WitnessError) as err:
        Witness(tmp_path / "nowhere")
    assert err.value.code == "witness_missing"
    (tmp_path / "w" / "witness.json").write_text("{")
    with pytest.raises(WitnessError) as err:
        Witness(tmp_path / "w")
    assert err.value.code == "witness_corrupt"


class WitnessMachine(RuleBasedStateMachine):
    """An honest log, a forger holding the same key, an impostor with another key, and a witness;
    the model is the list of checkpoints the witness must have accepted (STYLE habit 9)."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="witness-"))
        self.log = SigningLog()
        self.impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        self.witness = Witness.init(self.dir, self.log.signer.verifier.vkey)
        self.accepted: list[Checkpoint] = []

    def teardown(self) -> None:
        shutil.rmtree(self.dir)

    @rule(n=st.integers(1, 5))
    def log_grows(self, n: int) -> None:
        self.log.grow(n)

    @precondition(lambda self: self.log.entries)
    @rule()
    def show_latest(self) -> None:
        last = self.accepted[-1].size if self.accepted else 0
        record = self.witness.submit(self.log.note(), self.log.proof(last) if self.accepted else [])
        if not self.accepted or self.accepted[-1] != record.checkpoint:
            self.accepted.append(record.checkpoint)

    @precondition(lambda self: self.accepted and self.accepted[-1].size > 1)
    @rule(data=st.data())
    def show_rollback(self, data: st.DataObject) -> None:
        size = data.draw(st.integers(1, self.accepted[-1].size - 1))
        assert refused(self.witness, self.log.note(size)).reason is RefusalReason.ROLLBACK

    @precondition(lambda self: self.accepted)
    @rule(data=st.data(), extra=st.integers(0, 3))
    def show_fork(self, data: st.DataObject, extra: int) -> None:
        last = self.accepted[-1].size
        forged = self.log.rewrite(data.draw(st.integers(0, last - 1)))
        forged.grow(max(0, last + extra - len(forged.entries)))
        size = last + extra
        reason = refused(self.witness, forged.note(size), forged.proof(last, size)).reason
        assert reason is (RefusalReason.FORK if extra == 0 else RefusalReason.INCONSISTENT)

    @precondition(lambda self: self.log.entries)
    @rule()
    def show_impostor(self) -> None:
        impostor = SigningLog(self.impostor, self.log.entries)
        assert refused(self.witness, impostor.note()).reason is RefusalReason.BAD_SIGNATURE

    @rule()
    def reopen(self) -> None:
        self.witness = Witness(self.dir)

    @invariant()
    def witness_matches_model(self) -> None:
        assert [r.checkpoint for r in self.witness.history()] == self.accepted
        sizes = [c.size for c in self.accepted]
        assert sizes == sorted(set(sizes))


WitnessMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
test_witness_machine = WitnessMachine.TestCase
