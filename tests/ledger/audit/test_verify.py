"""The offline verifier's core: an honest log passes; altered, deleted, swapped, reordered, truncated or
extended entries, re-signed or forked checkpoints are each detected and named."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.audit.checkpoint import Checkpoint
from ledger.audit.errors import LogVerificationError
from ledger.audit.merkle import leaf_hash
from ledger.audit.note import NoteSigner, sign_note
from ledger.audit.verify import LogVerifier
from tests.ledger.audit.logs import ORIGIN, SigningLog

SIZES = (5, 12, 20)


@pytest.fixture
def log() -> SigningLog:
    log = SigningLog()
    log.grow(20)
    return log


def replay(
    log: SigningLog,
    entries: Iterable[tuple[int | None, bytes, bytes | None]],
    notes: list[str] | None = None,
) -> LogVerificationError | None:
    try:
        verifier = LogVerifier(log.signer.verifier, [log.note(s) for s in SIZES] if notes is None else notes)
        for seq, entry, sealed in entries:
            verifier.add(entry, seq=seq, leaf_hash=sealed)
        result = verifier.finish()
    except LogVerificationError as exc:
        return exc
    assert result.size == SIZES[-1] and result.root_hash == log.checkpoint().root_hash
    return None


def rows(log: SigningLog) -> list[tuple[int | None, bytes, bytes | None]]:
    """An export's lines: sequence number, entry bytes, the leaf hash sealed for it."""
    return [(i, e, leaf_hash(e)) for i, e in enumerate(log.entries)]


def test_an_honest_log_verifies(log: SigningLog) -> None:
    assert replay(log, rows(log)) is None
    assert replay(log, [(None, e, None) for e in log.entries]) is None  # without seq and sealed hashes


def test_an_altered_entry_is_named_by_its_sealed_hash(log: SigningLog) -> None:
    tampered = rows(log)
    seq, _, sealed = tampered[7]
    tampered[7] = (seq, b"amount=999999", sealed)
    err = replay(log, tampered)
    assert err is not None and err.code == "leaf_hash_mismatch" and err.fields == {"seq": 7}


def test_an_altered_entry_with_a_recomputed_hash_is_caught_by_the_checkpoint(log: SigningLog) -> None:
    tampered = rows(log)
    tampered[7] = (7, b"amount=999999", leaf_hash(b"amount=999999"))
    err = replay(log, tampered)
    assert err is not None and err.code == "checkpoint_root_mismatch"
    assert err.fields == {"size": 12, "first": 5, "last": 11}  # between the last good checkpoint and this one
    assert "5..11" in err.message_en and "5..11" in err.message_id


def test_a_deleted_row_is_named(log: SigningLog) -> None:
    tampered = rows(log)
    del tampered[7]
    err = replay(log, tampered)
    assert err is not None and err.code == "entry_out_of_order" and err.fields == {"got": 8, "want": 7}
    err = replay(log, [(None, e, None) for _, e, _ in tampered])
    assert err is not None and err.code == "checkpoint_root_mismatch" and err.fields["first"] == 5


def test_swapped_rows_are_named(log: SigningLog) -> None:
    tampered = rows(log)
    tampered[3], tampered[4] = tampered[4], tampered[3]
    err = replay(log, tampered)
    assert err is not None and err.code == "entry_out_of_order" and err.fields == {"got": 4, "want": 3}
    # renumbered to hide the swap: the sealed hashes no longer match
    renumbered = [(i, e, h) for i, (_, e, h) in enumerate(tampered)]
    err = replay(log, renumbered)
    assert err is not None and err.code == "checkpoint_root_mismatch" and err.fields["last"] == 4
    stripped = [(None, e, None) for _, e, _ in tampered]
    err = replay(log, stripped)
    assert err is not None and err.code == "checkpoint_root_mismatch" and (err.fields["first"], err.fields["last"]) == (0, 4)


def test_an_entry_that_is_not_bytes_is_named(log: SigningLog) -> None:
    tampered: list[tuple[int | None, bytes, bytes | None]] = rows(log)
    tampered[2] = (2, "text, not bytes", None)  # type: ignore[assignment]
    err = replay(log, tampered)
    assert err is not None and err.code == "entry_not_bytes" and err.fields == {"seq": 2}


def test_truncated_and_extended_logs(log: SigningLog) -> None:
    err = replay(log, rows(log)[:17])
    assert err is not None and err.code == "log_truncated" and err.fields == {"got": 17, "want": 20}
    longer = SigningLog(log.signer, log.entries)
    longer.grow(2)
    err = replay(log, rows(longer))
    assert err is not None and err.code == "log_extra_entries" and err.fields == {"got": 22, "want": 20}


def test_checkpoints_resigned_with_another_key_are_refused(log: SigningLog) -> None:
    other = SigningLog(NoteSigner(ORIGIN, Ed25519PrivateKey.generate()), log.entries)
    notes = [log.note(5), other.note(12), log.note(20)]
    err = replay(log, rows(log), notes)
    assert err is not None and err.code == "bad_checkpoint" and err.fields["position"] == 2
    assert "known key" in err.message_en


def test_checkpoint_order_forks_and_absence(log: SigningLog) -> None:
    err = replay(log, rows(log), [log.note(12), log.note(5)])
    assert err is not None and err.code == "checkpoints_out_of_order" and err.fields == {"size": 5, "previous": 12}
    fork = log.rewrite(2)
    err = replay(log, rows(log), [log.note(12), fork.note(12), log.note(20)])
    assert err is not None and err.code == "checkpoint_fork" and err.fields == {"size": 12}
    err = replay(log, rows(log), [])
    assert err is not None and err.code == "no_checkpoint"
    err = replay(log, rows(log), ["not a note"])
    assert err is not None and err.code == "bad_checkpoint" and err.fields["position"] == 1


def test_a_signed_empty_checkpoint_must_have_the_empty_root(log: SigningLog) -> None:
    bad_empty = sign_note(Checkpoint(ORIGIN, 0, bytes(32)).text(), log.signer)
    err = replay(log, rows(log), [bad_empty, *[log.note(s) for s in SIZES]])
    assert err is not None and err.code == "bad_checkpoint" and err.fields["position"] == 1
    assert replay(log, rows(log), [log.note(0), *[log.note(s) for s in SIZES]]) is None


@settings(max_examples=60)
@given(st.integers(1, 40), st.data())
def test_any_single_change_is_detected_within_the_named_range(n: int, data: st.DataObject) -> None:
    log = SigningLog()
    log.grow(n)
    sizes = sorted(set(data.draw(st.lists(st.integers(1, n), min_size=1, max_size=4)) + [n]))
    at = data.draw(st.integers(0, n - 1))
    entries = list(log.entries)
    entries[at] = entries[at] + b"!"
    verifier = LogVerifier(log.signer.verifier, [log.note(s) for s in sizes])
    with pytest.raises(LogVerificationError) as err:
        for e in entries:
            verifier.add(e)
    assert err.value.code == "checkpoint_root_mismatch"
    assert err.value.fields["first"] <= at <= err.value.fields["last"]
    previous = [s for s in sizes if s <= at]
    assert err.value.fields["first"] == (previous[-1] if previous else 0)
