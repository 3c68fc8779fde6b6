"""``kiosk audit verify``: the offline verifier's checks on the live database, plus the tables against the log.

Run inside one snapshot (:func:`~ledger.audit.db.store.read_snapshot`). In order, naming the first
problem (:class:`~ledger.audit.errors.LogVerificationError`):

1. the sealed entries in sequence order: each row present, its leaf hash recomputed, the tree root at
   every stored checkpoint (signature, origin, order) recomputed, the body canonical and meaningful
   (:class:`~ledger.verify.replay.Replay`); then the entries still queued, in the sealer's order;
2. every stored interior node recomputed from the level below (proofs are built from them);
3. every entry either sealed or queued;
4. every journal row and its legs equal to the journal in its latest entry, and no journal on either
   side only (an amount changed, a row deleted or swapped shows here);
5. every account's stored balance (counters plus sink deltas) equal to the one rebuilt from the log.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ledger import store as ledger_store
from ledger.audit.db.store import all_checkpoints
from ledger.audit.errors import LogVerificationError
from ledger.audit.merkle import leaf_hash, node_hash
from ledger.audit.note import Verifiers
from ledger.audit.verify import LogVerifier
from ledger.entries import canonical, journal_object
from ledger.queries import balances
from ledger.schema import accounts, audit_nodes, entries, journals, seal, seal_queue
from ledger.verify.entries import decode_entry
from ledger.verify.offline import with_known
from ledger.verify.replay import Replay, ReplaySummary

CHUNK = 1000
STREAM = 5000
_SEALED = (sa.select(seal.c.seq, seal.c.leaf_hash, entries.c.body)
           .select_from(seal.outerjoin(entries, entries.c.id == seal.c.entry_id)).order_by(seal.c.seq))
_QUEUED = (sa.select(entries.c.body).join(seal_queue, seal_queue.c.entry_id == entries.c.id)
           .order_by(seal_queue.c.rank, seal_queue.c.created_at, seal_queue.c.entry_id))
_STRAY = (sa.select(entries.c.id).where(~sa.exists().where(seal.c.entry_id == entries.c.id))
          .where(~sa.exists().where(seal_queue.c.entry_id == entries.c.id)).order_by(entries.c.id).limit(1))


@dataclass(frozen=True)
class LiveReport:
    size: int
    checkpoints: int
    queued: int
    replay: ReplaySummary


def _stream(conn: sa.Connection, stmt: sa.Select[Any]) -> Generator[Any, None, None]:
    result = conn.execution_options(stream_results=True, yield_per=STREAM).execute(stmt)
    try:
        for part in result.partitions(STREAM):
            yield from part
    finally:
        result.close()  # a server-side cursor left open would outlive the check


def _log(conn: sa.Connection, verifier: Verifiers, known: Sequence[str], replay: Replay) -> tuple[int, int]:
    signed = all_checkpoints(conn)
    if not signed:
        with_known(verifier, [], known)  # a known checkpoint and none here: rolled back
    log = LogVerifier(verifier, with_known(verifier, [r.note for r in signed], known)) if signed else None
    last = signed[-1].size if signed else 0
    with closing(_stream(conn, _SEALED)) as sealed_rows:
        size = _sealed(sealed_rows, log, last, replay)
    if log is not None and size < last:
        log.finish()  # raises log_truncated
    queued = 0
    with closing(_stream(conn, _QUEUED)) as queued_rows:
        for (body,) in queued_rows:
            replay.add(size + queued, decode_entry(bytes(body), size + queued))
            queued += 1
    return size, queued


def _sealed(rows: Iterator[Any], log: LogVerifier | None, last: int, replay: Replay) -> int:
    size = 0
    for seq, stored, body in rows:
        if seq != size:
            raise LogVerificationError("entry_out_of_order", got=seq, want=size)
        if body is None:
            raise LogVerificationError("sealed_entry_missing", seq=seq)
        body = bytes(body)
        if log is not None and seq < last:
            log.add(body, seq=seq, leaf_hash=bytes(stored))
        elif leaf_hash(body) != bytes(stored):
            raise LogVerificationError("leaf_hash_mismatch", seq=seq)
        replay.add(seq, decode_entry(body, seq))
        size += 1
        if log is not None and size == last:
            log.finish()
    return size


def _level(conn: sa.Connection, level: int) -> Generator[tuple[int, bytes], None, None]:
    if level == 0:
        stmt = sa.select(seal.c.seq, seal.c.leaf_hash).order_by(seal.c.seq)
    else:
        stmt = sa.select(audit_nodes.c.idx, audit_nodes.c.hash).where(audit_nodes.c.level == level).order_by(audit_nodes.c.idx)
    with closing(_stream(conn, stmt)) as rows:
        for idx, h in rows:
            yield int(idx), bytes(h)


def _nodes(conn: sa.Connection, size: int) -> None:
    """Every stored interior node equals the hash of its two children, level by level, and each level
    holds exactly ``size >> level`` nodes."""
    level = 1
    while True:
        want = size >> level
        with closing(_level(conn, level - 1)) as children, closing(_level(conn, level)) as nodes:
            got = 0
            for idx, h in nodes:
                if idx != got or got >= want:
                    raise LogVerificationError("node_count", level=level, got=max(idx, got) + 1, want=want)
                (_, left), (_, right) = next(children), next(children)
                if node_hash(left, right) != h:
                    raise LogVerificationError("node_mismatch", level=level, index=idx)
                got += 1
        if got != want:
            raise LogVerificationError("node_count", level=level, got=got, want=want)
        if not want:
            break
        level += 1
    extra = conn.execute(sa.select(sa.func.count()).select_from(audit_nodes).where(audit_nodes.c.level > level)).scalar()
    if extra:
        raise LogVerificationError("node_count", level=level + 1, got=int(extra), want=0)


def _first_difference(table: dict[str, Any], logged: dict[str, Any], prefix: str = "") -> tuple[str, Any, Any]:
    for name in sorted(set(table) | set(logged)):
        a, b = table.get(name), logged.get(name)
        if a == b:
            continue
        if name == "legs" and isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    return _first_difference(x, y, f"legs[{i}].")
        return prefix + name, a, b
    return prefix + "?", None, None


def _journals(conn: sa.Connection, replay_ids: set[int]) -> None:
    """Each journal row with its legs equals the journal in its latest entry; none exists on one side only."""
    seen: set[int] = set()
    after: uuid.UUID | None = None
    while True:
        stmt = sa.select(journals).order_by(journals.c.id).limit(CHUNK)
        rows = conn.execute(stmt if after is None else stmt.where(journals.c.id > after)).all()
        if not rows:
            break
        latest = _latest_entries(conn, [r.id for r in rows])
        for journal in ledger_store.load_journals(conn, rows):
            seen.add(journal.id.int)
            logged = latest.get(journal.id)
            if logged is None or journal.id.int not in replay_ids:
                raise LogVerificationError("row_unlogged", what="Journal", key=str(journal.id), table="ledger_journals")
            table = journal_object(journal)
            if canonical(table) != canonical(logged):
                field, got, want = _first_difference(table, logged)
                raise LogVerificationError("table_mismatch", table="ledger_journals/ledger_legs", key=str(journal.id),
                                           field=field, table_value=got, log_value=want)
        after = rows[-1].id
    missing = sorted(replay_ids - seen)
    if missing:
        raise LogVerificationError("row_missing", what="Journal", key=str(uuid.UUID(int=missing[0])), table="ledger_journals")


def _latest_entries(conn: sa.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    out: dict[uuid.UUID, dict[str, Any]] = {}
    rows = conn.execute(sa.select(entries.c.journal_id, entries.c.kind, entries.c.body)
                        .where(entries.c.journal_id.in_(ids))).all()
    for r in sorted(rows, key=lambda r: r.kind != "journal.submitted"):  # the final state change last
        out[r.journal_id] = json.loads(bytes(r.body))["journal"]
    return out


def _accounts(session: Session, replay: Replay) -> None:
    """Every account's stored balance equals its rebuilt one; no account on one side only."""
    conn = session.connection()
    ids = [r.id for r in conn.execute(sa.select(accounts.c.id, accounts.c.closed_at).order_by(accounts.c.id))]
    rebuilt = replay.accounts
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        for account_id, stored in balances(session, part).items():
            state = rebuilt.get(str(account_id))
            if state is None:
                raise LogVerificationError("row_unlogged", what="Account", key=str(account_id), table="ledger_accounts")
            table = (stored.debits_posted, stored.credits_posted, stored.debits_pending, stored.credits_pending)
            names = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
            for name, got, want in zip(names, table, state.counters()):
                if got != want:
                    raise LogVerificationError("table_mismatch", table="ledger_accounts", key=str(account_id),
                                               field=name, table_value=got, log_value=want)
    missing = sorted(set(rebuilt) - {str(i) for i in ids})
    if missing:
        raise LogVerificationError("row_missing", what="Account", key=missing[0], table="ledger_accounts")


def verify_live(session: Session, verifier: Verifiers, *, known: Sequence[str] = ()) -> LiveReport:
    """Run every check on the database behind ``session`` (one snapshot; see the module docs)."""
    conn = session.connection()
    replay = Replay(exact_ids=True)
    size, queued = _log(conn, verifier, known, replay)
    summary = replay.finish()
    _nodes(conn, size)
    stray = conn.execute(_STRAY).scalar()
    if stray is not None:
        raise LogVerificationError("entry_unsealed", entry=str(stray))
    _journals(conn, replay.journal_ids)
    _accounts(session, replay)
    return LiveReport(size, len(all_checkpoints(conn)), queued, summary)
