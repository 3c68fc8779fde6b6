"""``kiosk audit export``: the sealed log from its start up to a checkpoint, as files an auditor can verify.

Files and line formats: :mod:`ledger.verify.format`. Entries stream from the database in sequence
order through a server-side cursor (PostgreSQL) or SQLite's lazy cursor and go straight to the file,
their canonical bodies byte for byte, so memory stays constant whatever the log's size. The caller
reads inside one snapshot (:func:`ledger.audit.db.store.read_snapshot`), so the entries, nodes and
checkpoints agree with each other while journals keep being written.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger.audit.db.store import CheckpointRow, SqlHashStore, all_checkpoints, checkpoint_or_latest, is_postgres
from ledger.audit.errors import LogStateError
from ledger.audit.tree import consistency_proof
from ledger.schema import entries, seal
from ledger.verify import format as fmt

STREAM_ROWS = 5000
WRITES_AHEAD = 2

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


def _driver_rows(conn: sa.Connection, size: int) -> Iterator[Sequence[tuple[int, bytes, bytes]]]:
    """The rows ``STREAM_ROWS`` at a time as the driver returns them (plain tuples; SQLAlchemy's Row
    objects cost about a quarter of the export's time): a server-side cursor on PostgreSQL, SQLite's
    lazy one, both on the session's own connection, so inside its transaction and its snapshot."""
    compiled = _ENTRIES.compile(dialect=conn.dialect)
    named = compiled.construct_params({"size": size})
    params = tuple(named[k] for k in compiled.positiontup or ()) if compiled.positional else named
    driver = conn.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor(name="ledger_audit_export") if is_postgres(conn) else driver.cursor()
    try:
        cursor.execute(str(compiled), params)
        while part := cursor.fetchmany(STREAM_ROWS):
            yield part
    finally:
        cursor.close()


def _write_entries(conn: sa.Connection, path: Path, size: int, progress: Callable[[int], None] | None) -> int:
    """Rows are read and formatted here while a thread writes the previous chunks: ``write`` copies
    into the kernel without holding the GIL, so that copy overlaps the reading. At most
    ``WRITES_AHEAD`` chunks of ``STREAM_ROWS`` lines wait, in order (one thread)."""
    count = 0
    with open(path, "wb") as f, ThreadPoolExecutor(1, thread_name_prefix="export-write") as writer:
        waiting: deque[Future[int]] = deque()
        for part in _driver_rows(conn, size):
            chunk = b"".join([fmt.entry_line(seq, bytes(leaf), bytes(body)) for seq, leaf, body in part])
            waiting.append(writer.submit(f.write, chunk))
            if len(waiting) > WRITES_AHEAD:
                waiting.popleft().result()  # raises the writer's error, if any
            count += len(part)
            if progress is not None:
                progress(len(part))
        for done in waiting:
            done.result()
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
