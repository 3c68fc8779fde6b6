"""``kiosk audit export``: the sealed log from its start up to a checkpoint, as files an auditor can verify.

Files and line formats: :mod:`ledger.verify.format`. Entries stream from the database in sequence
order through a server-side cursor (PostgreSQL) or SQLite's lazy cursor and go straight to the file,
their canonical bodies byte for byte, so memory stays constant whatever the log's size. The caller
reads inside one snapshot (:func:`ledger.audit.db.store.read_snapshot`), so the entries, nodes and
checkpoints agree with each other while journals keep being written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.audit.db.store import CheckpointRow, SqlHashStore, all_checkpoints, checkpoint_or_latest
from ledger.audit.errors import LogStateError
from ledger.audit.tree import consistency_proof
from ledger.schema import entries, seal
from ledger.verify import format as fmt

STREAM_ROWS = 5000
WRITE_BUFFER = 1 << 20

_ENTRIES = (
    sa.select(seal.c.seq, seal.c.leaf_hash, entries.c.body)
    .join(entries, entries.c.id == seal.c.entry_id)
    .where(seal.c.seq < sa.bindparam("size"))
    .order_by(seal.c.seq)
)


@dataclass(frozen=True, slots=True)
class ExportSummary:
    directory: Path
    size: int
    entries: int
    checkpoints: int


def _target(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise LogStateError("export_target_exists", path=str(directory))
    directory.mkdir(parents=True, exist_ok=True)


def _write_checkpoints(conn: sa.Connection, path: Path, rows: list[CheckpointRow], size: int) -> None:
    store = SqlHashStore(conn, size)
    with open(path, "wb") as f:
        previous: CheckpointRow | None = None
        for row in rows:
            proof = consistency_proof(store, previous.size, row.size) if previous is not None else []
            f.write(fmt.checkpoint_line(row.size, row.root_hash, row.note, proof))
            previous = row


def _write_entries(conn: sa.Connection, path: Path, size: int, progress: Callable[[int], None] | None) -> int:
    count = 0
    stream = conn.execution_options(stream_results=True, yield_per=STREAM_ROWS)
    with open(path, "wb", buffering=WRITE_BUFFER) as f:
        for part in stream.execute(_ENTRIES, {"size": size}).partitions(STREAM_ROWS):
            f.write(b"".join([fmt.entry_line(seq, bytes(leaf), bytes(body)) for seq, leaf, body in part]))
            count += len(part)
            if progress is not None:
                progress(len(part))
    return count


def export_log(session: Session, directory: Path | str, *, vkey: str, now: datetime, to_size: int | None = None,
               progress: Callable[[int], None] | None = None) -> ExportSummary:
    """Write the log up to the checkpoint of ``to_size`` (default: the latest) into an empty ``directory``.

    ``progress`` is called with the number of entries written since its last call.
    """
    directory = Path(directory)
    conn = session.connection()
    target = checkpoint_or_latest(conn, to_size)
    _target(directory)
    rows = all_checkpoints(conn, up_to=target.size)
    _write_checkpoints(conn, directory / fmt.CHECKPOINTS, rows, target.size)
    count = _write_entries(conn, directory / fmt.ENTRIES, target.size, progress)
    (directory / fmt.VKEY).write_text(vkey.strip() + "\n", "utf-8")
    manifest = fmt.Manifest(origin=vkey.split("+", 1)[0], vkey=vkey.strip(), size=target.size, entries=count,
                            checkpoints=len(rows), exported_at=now.isoformat())
    (directory / fmt.MANIFEST).write_bytes(manifest.to_json())  # last: an export without it is incomplete
    return ExportSummary(directory, target.size, count, len(rows))
