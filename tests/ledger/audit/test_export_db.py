"""The export on both databases: ``entries.jsonl`` is the sealed log byte for byte, in order, however
many chunks the background writer had in flight."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ledger.audit import db as audit_db
from ledger.audit.db import export
from ledger.schema import entries, seal
from ledger.verify import format as fmt
from ledger.verify import verify_export
from tests.ledger.audit.world import Booked, checkpoint, new_signer
from tests.ledger.helpers import NOW


def test_the_entries_file_is_the_sealed_log_in_order(engine: sa.Engine, sessions: sessionmaker[Session], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    world, signer = Booked(sessions), new_signer()
    for i in range(8):
        world.redeem(f"e{i}", 1, 100)
    checkpoint(sessions, signer)
    monkeypatch.setattr(export, "STREAM_ROWS", 2)  # 12 chunks of 2 lines: many more than WRITES_AHEAD in flight
    seen: list[int] = []
    with audit_db.read_snapshot(engine) as s:
        summary = audit_db.export_log(s, tmp_path / "x", vkey=signer.verifier.vkey, now=NOW, progress=seen.append)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(seal.c.seq, seal.c.leaf_hash, entries.c.body)
                            .join(entries, entries.c.id == seal.c.entry_id).order_by(seal.c.seq)).all()
    expected = b"".join(fmt.entry_line(seq, bytes(leaf), bytes(body)) for seq, leaf, body in rows)
    assert (tmp_path / "x" / fmt.ENTRIES).read_bytes() == expected
    assert summary.entries == len(rows) == sum(seen) and len(seen) > 2 * export.WRITES_AHEAD
    assert verify_export(tmp_path / "x", vkey=signer.verifier.vkey).log.size == len(rows)


class FillsUp:
    """A file that takes two writes, then reports a full disk (as the writer thread would meet it)."""

    def __init__(self, path: Path, mode: str) -> None:
        self.file, self.writes = open(path, mode), 0  # noqa: SIM115

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes > 2:
            raise OSError(28, "No space left on device")
        return self.file.write(data)

    def __enter__(self) -> FillsUp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def test_a_failed_write_stops_the_export_with_its_error(engine: sa.Engine, sessions: sessionmaker[Session], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    world, signer = Booked(sessions), new_signer()
    world.redeem("f", 1, 100)
    checkpoint(sessions, signer)
    monkeypatch.setattr(export, "STREAM_ROWS", 2)
    monkeypatch.setattr(export, "open", FillsUp, raising=False)  # the export module's files; one checkpoint line
    with pytest.raises(OSError, match="No space left"), audit_db.read_snapshot(engine) as s:
        audit_db.export_log(s, tmp_path / "x", vkey=signer.verifier.vkey, now=NOW)
    assert not (tmp_path / "x" / fmt.MANIFEST).exists()  # incomplete, and says so
