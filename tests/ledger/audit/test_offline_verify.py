"""``ledger.verify`` distrusts its input: truncated, reordered, re-indexed or crafted exports are named, never crash it."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.audit import AuditError, LogVerificationError, LogVerifier, NoteVerifier
from ledger.audit import db as audit_db
from ledger.storage import create_engine
from ledger.verify import Replay, decode_entry, verify_export
from ledger.verify import format as fmt
from ledger.verify.offline import read_lines
from tests.ledger.audit.world import Booked, checkpoint, new_signer
from tests.ledger.helpers import NOW
from tests.support.databases import SqliteDatabases


@pytest.fixture(scope="module")
def good(sqlite_databases: SqliteDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """One export of a booked log with three checkpoints, and its key; tests copy it before harming it."""
    from sqlalchemy.orm import sessionmaker

    url = sqlite_databases.create()
    engine = create_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    world, signer = Booked(sessions), new_signer()
    checkpoint(sessions, signer)
    for i in range(6):
        world.redeem(f"x{i}", 1, 100)
        if i % 3 == 2:
            checkpoint(sessions, signer)
    directory = tmp_path_factory.mktemp("audit") / "export"
    with audit_db.read_snapshot(engine) as s:
        audit_db.export_log(s, directory, vkey=signer.verifier.vkey, now=NOW)
    engine.dispose()
    yield directory, signer.verifier.vkey
    sqlite_databases.drop(url)


@pytest.fixture
def export(good: tuple[Path, str], tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(good[0], target)
    return target


def refused(directory: Path, vkey: str) -> LogVerificationError:
    with pytest.raises(LogVerificationError) as caught:
        verify_export(directory, vkey=vkey)
    return caught.value


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_the_export_verifies(good: tuple[Path, str]) -> None:
    report = verify_export(good[0], vkey=good[1])
    assert report.log.size == 21 and len(report.log.checkpoints) == 3 and not report.key_from_export
    assert report.replay.journals == 10 and report.replay.pending == 0


def test_a_truncated_entries_file_is_named(export: Path, good: tuple[Path, str]) -> None:
    path = export / fmt.ENTRIES
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) - 40])
    err = refused(export, good[1])
    assert (err.code, err.fields["file"], err.fields["line"]) == ("export_malformed", fmt.ENTRIES, 21)
    path.write_bytes(b"".join(lines(path)[:20]))
    assert refused(export, good[1]).code == "log_truncated"


@pytest.mark.parametrize("how", ["swap", "repeat", "drop", "renumber"])
def test_reordered_repeated_missing_or_renumbered_lines_are_named(export: Path, good: tuple[Path, str], how: str) -> None:
    path = export / fmt.ENTRIES
    rows = lines(path)
    if how == "swap":
        rows[4], rows[5] = rows[5], rows[4]
    elif how == "repeat":
        rows.insert(5, rows[4])
    elif how == "drop":
        del rows[4]
    else:
        rows[4] = rows[4].replace(b'{"seq":4,', b'{"seq":5,', 1)
    path.write_bytes(b"".join(rows))
    err = refused(export, good[1])
    assert err.code == "entry_out_of_order" and err.fields["want"] in (4, 5)


def test_a_wrong_leaf_hash_names_its_entry(export: Path, good: tuple[Path, str]) -> None:
    path = export / fmt.ENTRIES
    rows = lines(path)
    leaf = json.loads(rows[7])["leaf_hash"]
    rows[7] = rows[7].replace(leaf.encode(), (("0" if leaf[0] != "0" else "1") + leaf[1:]).encode())
    path.write_bytes(b"".join(rows))
    err = refused(export, good[1])
    assert (err.code, err.fields["seq"]) == ("leaf_hash_mismatch", 7)


def _proof_edit(export: Path, edit: str) -> None:
    path = export / fmt.CHECKPOINTS
    rows = lines(path)
    body = json.loads(rows[1])
    proof = body["consistency"]
    if edit == "short":
        proof.pop()
    elif edit == "long":
        proof.append(proof[0])
    elif edit == "bit":
        first = bytearray(bytes.fromhex(proof[0]))
        first[0] ^= 1
        proof[0] = first.hex()
    elif edit == "other_size":
        body["note"] = json.loads(rows[2])["note"]
    rows[1] = json.dumps(body, ensure_ascii=False).encode() + b"\n"
    path.write_bytes(b"".join(rows))


@pytest.mark.parametrize("edit", ["short", "long", "bit"])
def test_crafted_consistency_proofs_are_refused(export: Path, good: tuple[Path, str], edit: str) -> None:
    _proof_edit(export, edit)
    err = refused(export, good[1])
    assert (err.code, err.fields["position"]) == ("checkpoint_inconsistent", 2)


def test_checkpoint_lines_that_disagree_with_their_note_or_come_backwards_are_refused(export: Path, good: tuple[Path, str]) -> None:
    _proof_edit(export, "other_size")
    assert refused(export, good[1]).code == "export_malformed"
    path = export / fmt.CHECKPOINTS
    rows = lines(path)
    rows = [rows[0], rows[2], rows[1]]
    path.write_bytes(b"".join(rows))
    assert refused(export, good[1]).code in ("export_malformed", "checkpoint_inconsistent")


def test_a_missing_or_lying_manifest_is_named(export: Path, good: tuple[Path, str]) -> None:
    manifest = json.loads((export / fmt.MANIFEST).read_text())
    (export / fmt.MANIFEST).write_text(json.dumps({**manifest, "entries": 99}))
    err = refused(export, good[1])
    assert (err.code, err.fields["got"], err.fields["want"]) == ("export_incomplete", 21, 99)
    (export / fmt.MANIFEST).unlink()
    assert refused(export, good[1]).code == "export_unreadable"


def test_the_wrong_key_is_named(export: Path) -> None:
    err = refused(export, new_signer().verifier.vkey)
    assert (err.code, err.fields["position"]) == ("bad_checkpoint", 1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_to_the_entries_file_is_refused_by_name(export: Path, good: tuple[Path, str], data: st.DataObject) -> None:
    path = export / fmt.ENTRIES
    original = (Path(good[0]) / fmt.ENTRIES).read_bytes()
    at = data.draw(st.integers(0, len(original) - 1))
    how = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
    byte = data.draw(st.integers(0, 255))
    if how == "flip":
        damaged = original[:at] + bytes([original[at] ^ (byte or 1)]) + original[at + 1 :]
    elif how == "cut":
        damaged = original[:at]
    elif how == "insert":
        damaged = original[:at] + bytes([byte]) + original[at:]
    else:
        damaged = original[:at] + original[at + 1 :]
    path.write_bytes(damaged)
    with pytest.raises(LogVerificationError) as caught:
        verify_export(export, vkey=good[1])
    assert same_problem(caught.value, one_pass(export, good[1]))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damage_to_the_checkpoints_never_crashes_the_verifier(export: Path, good: tuple[Path, str], data: st.DataObject) -> None:
    path = export / fmt.CHECKPOINTS
    original = (Path(good[0]) / fmt.CHECKPOINTS).read_bytes()
    at = data.draw(st.integers(0, len(original) - 1))
    damaged = original[:at] + data.draw(st.binary(max_size=3)) + original[at + data.draw(st.integers(0, 3)) :]
    path.write_bytes(damaged)
    try:
        verify_export(export, vkey=good[1])
    except AuditError:
        return
    # only harmless JSON whitespace may pass: the checkpoints themselves are unchanged
    assert [json.loads(x)["note"] for x in damaged.splitlines()] == [json.loads(x)["note"] for x in original.splitlines()]


@pytest.mark.parametrize("body", [
    b'{"at":"2026-12-04T02:00:00.000000Z", "id":"x","kind":"a.b","payload":{},"v":1}',  # whitespace
    b'{"at":"2026-12-04T02:00:00.000000Z","id":"x","id":"y","kind":"a.b","payload":{},"v":1}',  # duplicate key
    b'{"at":"2026-12-04T02:00:00.000000Z","id":"x","kind":"a.b","payload":{},"v":1,"w":2}',  # unknown member
    b'{"at":"2026-12-04T02:00:00.000000Z","id":"x","kind":"a.b","payload":{},"v":1.0}',  # a float
    b'{"at":"2026-12-04T02:00:00.000000Z","id":"x","kind":"a.b","payload":{"s":"\\u0041"},"v":1}',  # needless escape
    b'{"id":"x","at":"2026-12-04T02:00:00.000000Z","kind":"a.b","payload":{},"v":1}',  # unsorted
    b'\xff', b"", b"[]", b'{"at":"\\ud800","id":"x","kind":"a.b","payload":{},"v":1}',
])
def test_only_canonical_entries_are_read(body: bytes) -> None:
    with pytest.raises(LogVerificationError) as caught:
        decode_entry(body, 3)
    assert caught.value.code == "entry_malformed" and caught.value.fields["seq"] == 3


# --- the two passes report what one pass would -------------------------------------------------


def one_pass(directory: Path, vkey: str) -> LogVerificationError | None:
    """The oracle: the entries checked in one loop, tree then meaning for each line (the verifier
    before it split the work in two passes); the first problem it meets, or None."""
    path = directory / fmt.CHECKPOINTS
    log = LogVerifier(NoteVerifier.from_vkey(vkey), [json.loads(x)["note"] for x in path.read_bytes().splitlines()])
    replay = Replay()
    try:
        for number, line in read_lines(directory / fmt.ENTRIES, fmt.MAX_ENTRY_LINE):
            seq, leaf, body = fmt.parse_entry_line(line, number)
            log.add(body, seq=seq, leaf_hash=leaf)
            replay.add(seq, decode_entry(body, seq))
        log.finish()
        replay.finish(lambda: ((s, decode_entry(fmt.parse_entry_line(x, n)[2], s))
                               for n, x in read_lines(directory / fmt.ENTRIES, fmt.MAX_ENTRY_LINE) for s in [n - 1]))
    except LogVerificationError as exc:
        return exc
    return None


def same_problem(got: LogVerificationError, oracle: LogVerificationError | None) -> bool:
    if oracle is None:  # every entry holds: only the manifest's counts can disagree
        return got.code == "export_incomplete"
    return (got.code, got.fields) == (oracle.code, oracle.fields)


def relined(rows: list[bytes], i: int, body: bytes) -> None:
    """Row ``i`` with a new body and the leaf hash recomputed for it (a forger's edit)."""
    leaf = hashlib.sha256(b"\x00" + body).digest()
    rows[i] = fmt.entry_line(i, leaf, body)


def body_of(rows: list[bytes], i: int) -> bytes:
    return fmt.parse_entry_line(rows[i].rstrip(b"\n"), i + 1)[2]


def _damage(rows: list[bytes], how: str) -> None:
    if how == "truncated":
        rows[-1] = rows[-1][:-30]
    elif how == "swapped":
        rows[4], rows[5] = rows[5], rows[4]
    elif how == "leaf_then_body":  # a wrong leaf hash on line 4, a non-canonical body on line 9: line 4 first
        rows[3] = _flip_leaf(rows[3])
        relined(rows, 8, body_of(rows, 8).replace(b'"v":1}', b'"v":1 }'))
    elif how == "body_then_root":  # a non-canonical body, leaf recomputed: named there, not at the checkpoint
        relined(rows, 6, b"{ " + body_of(rows, 6)[1:])
    elif how == "bad_leg":  # a leg's asset changed, leaf recomputed: the meaning pass names it before the root
        relined(rows, 15, body_of(rows, 15).replace(b'"asset":"IDR"', b'"asset":"KG:UREA"', 1))
    elif how == "both_on_one_line":  # a body byte changed, leaf kept: both passes refuse line 6
        rows[5] = rows[5].replace(b'"v":1}', b'"v":2}')
    elif how == "over_long":
        rows[2] = rows[2][:-2] + b" " * fmt.MAX_ENTRY_LINE + b"}\n"


def _flip_leaf(row: bytes) -> bytes:
    at = row.index(b'"leaf_hash":"') + len(b'"leaf_hash":"')
    return row[:at] + (b"1" if row[at:at + 1] == b"0" else b"0") + row[at + 1:]


DAMAGES = ["truncated", "swapped", "leaf_then_body", "body_then_root", "bad_leg", "both_on_one_line", "over_long"]


@pytest.mark.parametrize("how", DAMAGES)
def test_the_first_problem_in_file_order_is_named(export: Path, good: tuple[Path, str], how: str) -> None:
    path = export / fmt.ENTRIES
    rows = lines(path)
    _damage(rows, how)
    path.write_bytes(b"".join(rows))
    oracle = one_pass(export, good[1])
    assert oracle is not None
    err = refused(export, good[1])
    assert (err.code, err.fields) == (oracle.code, oracle.fields)
    expected = {"truncated": "export_malformed", "swapped": "entry_out_of_order", "leaf_then_body": "leaf_hash_mismatch",
                "body_then_root": "entry_malformed", "bad_leg": "journal_bad_leg",
                "both_on_one_line": "leaf_hash_mismatch", "over_long": "export_malformed"}
    assert err.code == expected[how]


@pytest.mark.slow
@pytest.mark.parametrize("how", [None, *DAMAGES])
def test_the_passes_in_two_processes_report_the_same(export: Path, good: tuple[Path, str], how: str | None) -> None:
    path = export / fmt.ENTRIES
    rows = lines(path)
    if how is not None:
        _damage(rows, how)
    path.write_bytes(b"".join(rows))
    try:
        alone = verify_export(export, vkey=good[1], parallel=False)
    except LogVerificationError as exc:
        with pytest.raises(LogVerificationError) as caught:
            verify_export(export, vkey=good[1], parallel=True)
        assert (caught.value.code, caught.value.fields) == (exc.code, exc.fields)
    else:
        assert how is None
        assert verify_export(export, vkey=good[1], parallel=True) == alone
