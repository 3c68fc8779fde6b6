"""A database owner tampers through raw SQL (triggers dropped first); the verifiers name what changed.

Each case runs the offline verifier on a fresh export (``ledger.verify``) and the live one
(``kiosk audit verify``'s :func:`~ledger.audit.db.verify_live`) with the published key pinned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ledger.audit import AuditError, LogVerificationError, RefusalReason, Witness, WitnessRefusal, leaf_hash
from ledger.audit import db as audit_db
from ledger.schema import entries, journals, legs, seal
from ledger.verify import verify_export
from tests.ledger.audit.world import Booked, checkpoint, drop_guards, new_signer, reseal_everything
from tests.ledger.helpers import NOW, tx

R1_SEQ = 10  # 9 accounts opened (0-8), the funding journal (9), then r1


class Scene:
    def __init__(self, engine: sa.Engine, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        self.engine, self.sessions, self.tmp = engine, sessions, tmp_path
        self.world = Booked(sessions)
        self.signer = new_signer()
        self.first = checkpoint(sessions, self.signer)
        self.world.redeem("r4", 1, 1_800)
        self.latest = checkpoint(sessions, self.signer)
        self.witness = Witness.init(tmp_path / "witness", self.signer.verifier.vkey)
        self.witness.submit(self.first.note)
        proof = tx(sessions, lambda s: audit_db.consistency_between(s, self.first.size)).proof
        self.witness.submit(self.latest.note, list(proof))
        self.exports = 0

    def offline(self, known: tuple[str, ...] = ()) -> AuditError | None:
        self.exports += 1
        directory = self.tmp / f"export{self.exports}"
        with audit_db.read_snapshot(self.engine) as s:
            audit_db.export_log(s, directory, vkey=self.signer.verifier.vkey, now=NOW)
        try:
            verify_export(directory, vkey=self.signer.verifier.vkey, known=known)
        except AuditError as exc:
            return exc
        return None

    def live(self, known: tuple[str, ...] = ()) -> AuditError | None:
        try:
            with audit_db.read_snapshot(self.engine) as s:
                audit_db.verify_live(s, self.signer.verifier, known=known)
        except AuditError as exc:
            return exc
        return None

    def sql(self, *statements: sa.Executable) -> None:
        drop_guards(self.engine)
        with self.engine.begin() as conn:
            for stmt in statements:
                conn.execute(stmt)

    def body(self, seq: int) -> tuple[object, bytes]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(entries.c.id, entries.c.body).join(seal, seal.c.entry_id == entries.c.id)
                               .where(seal.c.seq == seq)).one()
        return row.id, bytes(row.body)


@pytest.fixture
def scene(engine: sa.Engine, sessions: sessionmaker[Session], tmp_path: Path) -> Scene:
    return Scene(engine, sessions, tmp_path)


def test_untouched_the_log_verifies_offline_and_live(scene: Scene) -> None:
    assert scene.offline() is None
    assert scene.live() is None
    assert scene.offline(known=(scene.latest.note,)) is None and scene.live(known=(scene.latest.note,)) is None


def _amount_in_body(scene: Scene, *, rehash: bool) -> None:
    entry_id, body = scene.body(R1_SEQ)
    forged = body.replace(b'"amount":18000', b'"amount":1800', 1)
    assert forged != body
    stmts: list[sa.Executable] = [entries.update().where(entries.c.id == entry_id).values(body=forged)]
    if rehash:
        stmts.append(seal.update().where(seal.c.seq == R1_SEQ).values(leaf_hash=leaf_hash(forged)))
    scene.sql(*stmts)


def test_an_amount_changed_in_a_sealed_entry_is_named(scene: Scene) -> None:
    _amount_in_body(scene, rehash=False)
    for found in (scene.offline(), scene.live()):
        assert isinstance(found, LogVerificationError)
        assert (found.code, found.fields["seq"]) == ("leaf_hash_mismatch", R1_SEQ)


def test_an_amount_changed_with_its_leaf_hash_breaks_the_signed_root(scene: Scene) -> None:
    _amount_in_body(scene, rehash=True)
    for found in (scene.offline(), scene.live()):
        assert isinstance(found, LogVerificationError) and found.code == "checkpoint_root_mismatch"
        assert found.fields["first"] <= R1_SEQ <= found.fields["last"]


def test_an_amount_changed_in_the_legs_table_disagrees_with_the_log(scene: Scene) -> None:
    r1 = scene.world.journals[0]
    scene.sql(legs.update().where(legs.c.journal_id == r1, legs.c.idx == 0).values(amount=1))
    found = scene.live()
    assert isinstance(found, LogVerificationError) and found.code == "table_mismatch"
    assert (found.fields["key"], found.fields["field"]) == (str(r1), "legs[0].amount")
    assert (found.fields["table_value"], found.fields["log_value"]) == (1, 18_000)


def test_a_deleted_row_is_named(scene: Scene) -> None:
    entry_id, _ = scene.body(R1_SEQ)
    scene.sql(seal.delete().where(seal.c.seq == R1_SEQ), entries.delete().where(entries.c.id == entry_id))
    for found in (scene.offline(), scene.live()):
        assert isinstance(found, LogVerificationError)
        assert (found.code, found.fields["got"], found.fields["want"]) == ("entry_out_of_order", R1_SEQ + 1, R1_SEQ)


def test_a_deleted_journal_row_is_named(scene: Scene) -> None:
    r4 = scene.world.journals[-1]
    entry_id = scene.body(scene.latest.size - 1)[0]
    scene.sql(seal.delete().where(seal.c.entry_id == entry_id), entries.delete().where(entries.c.journal_id == r4),
              legs.delete().where(legs.c.journal_id == r4), journals.delete().where(journals.c.id == r4))
    found = scene.live()
    assert isinstance(found, LogVerificationError) and found.code == "log_truncated"


def test_two_swapped_rows_break_the_root(scene: Scene) -> None:
    park = 10**9
    scene.sql(seal.update().where(seal.c.seq == 3).values(seq=park), seal.update().where(seal.c.seq == 5).values(seq=3),
              seal.update().where(seal.c.seq == park).values(seq=5))
    for found in (scene.offline(), scene.live()):
        assert isinstance(found, LogVerificationError) and found.code == "checkpoint_root_mismatch"
        assert found.fields["first"] <= 3 and found.fields["last"] >= 5


def test_history_re_signed_with_another_key_is_refused_under_the_published_key(scene: Scene) -> None:
    _amount_in_body(scene, rehash=False)
    attacker = new_signer()
    reseal_everything(scene.engine, scene.sessions, attacker)
    for found in (scene.offline(), scene.live()):
        assert isinstance(found, LogVerificationError)
        assert (found.code, found.fields["position"]) == ("bad_checkpoint", 1)
    forged = tx(scene.sessions, lambda s: audit_db.latest_checkpoint(s.connection()))
    with pytest.raises(WitnessRefusal) as refused:
        scene.witness.submit(forged.note if forged else "", [])
    assert refused.value.reason is RefusalReason.BAD_SIGNATURE


def test_history_rewritten_and_re_signed_by_the_key_holder_is_caught_by_the_witness(scene: Scene) -> None:
    _amount_in_body(scene, rehash=False)
    reseal_everything(scene.engine, scene.sessions, scene.signer)  # the same key: the log is consistent in itself
    alone = scene.live()  # but not with the tables, which still hold the real amount
    assert isinstance(alone, LogVerificationError) and alone.code == "table_mismatch"
    known = (scene.witness.latest().note,)  # type: ignore[union-attr]
    for found in (scene.offline(known), scene.live(known)):
        assert isinstance(found, LogVerificationError)
        assert found.code in ("checkpoint_fork", "checkpoint_root_mismatch")
    forged = tx(scene.sessions, lambda s: audit_db.latest_checkpoint(s.connection()))
    assert forged is not None and forged.size == scene.latest.size
    with pytest.raises(WitnessRefusal) as refused:
        scene.witness.submit(forged.note, [])
    assert refused.value.reason is RefusalReason.FORK


def test_a_rollback_to_an_older_checkpoint_is_named_against_what_a_witness_saw(scene: Scene) -> None:
    old = scene.first.size
    with scene.engine.connect() as conn:
        newer = list(conn.execute(sa.select(seal.c.entry_id).where(seal.c.seq >= old)).scalars())
    scene.sql(sa.text(f"DELETE FROM ledger_checkpoints WHERE size > {old}"),
              sa.text(f"DELETE FROM ledger_audit_nodes WHERE (idx + 1) * (1 << level) > {old}"),
              seal.delete().where(seal.c.seq >= old), entries.delete().where(entries.c.id.in_(newer)))
    known = (scene.latest.note,)
    for found in (scene.offline(known), scene.live(known)):
        assert isinstance(found, LogVerificationError)
        assert (found.code, found.fields["size"], found.fields["known"]) == ("log_rolled_back", old, scene.latest.size)
    with pytest.raises(WitnessRefusal) as refused:
        scene.witness.submit(scene.first.note, [])
    assert refused.value.reason is RefusalReason.ROLLBACK


def test_a_signature_check_is_only_as_good_as_the_pinned_key(scene: Scene) -> None:
    """Without --vkey the export's own key is used: a re-signed export then passes its own checks,
    which is why the report warns and auditors pin the published key."""
    drop_guards(scene.engine)
    reseal_everything(scene.engine, scene.sessions, other := new_signer())
    directory = scene.tmp / "self-signed"
    with audit_db.read_snapshot(scene.engine) as s:
        audit_db.export_log(s, directory, vkey=other.verifier.vkey, now=NOW)
    assert verify_export(directory).key_from_export
    with pytest.raises(LogVerificationError):
        verify_export(directory, vkey=scene.signer.verifier.vkey)
