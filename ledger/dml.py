"""The hot path's statements, in one shape per backend (adapter).

PostgreSQL: a list of ids travels as one text parameter cast to ``uuid[]`` (``id = ANY(...)``) and
a list of rows as one JSON text expanded by ``json_populate_recordset(NULL::<table>, ...)`` (into
the table's own row type, so every column keeps its SQL type and constraints). Each statement
thus has one short, constant text whatever the number of rows: psycopg converts it once and
prepares it server-side after a few uses (no parse or plan per journal), and a batch of rows costs
one round trip and one C-speed ``json.dumps``. Measured per 8-leg journal: statements whose text
grows with the rows cost ~1.9 ms of client CPU in psycopg's placeholder conversion (it caches only
short texts); the same rows as ``uuid[]``/``bigint[]`` array parameters ~1.3 ms in psycopg's
Python array dumper; as JSON text, a few microseconds.

SQLite: expanding ``IN (...)`` lists and the driver's ``executemany`` (a C loop, no round trips).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from ledger.schema import accounts
from ledger.schema import entries as entries_table
from ledger.schema import legs as legs_table
from ledger.schema import sink_deltas as sink_deltas_table

COUNTERS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
CHUNK = 1000


def is_postgres(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql"


class _UuidArrayText(sa.types.TypeDecorator[Sequence[uuid.UUID]]):
    """A list of UUIDs bound as one ``{...}`` array literal (text), cast to ``uuid[]`` in SQL."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Sequence[uuid.UUID] | None, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        if not all(type(v) is uuid.UUID for v in value):
            raise TypeError("account ids must be UUIDs")
        return "{" + ",".join(map(str, value)) + "}"


def bulk_mode(conn: sa.Connection) -> None:
    """PostgreSQL, for imports: plan every statement of this transaction with its real parameters.
    A generic plan cached while a table was small (say, a sequential scan of a new accounts table)
    would otherwise be reused for every chunk of ids as the table grows: measured 0.5-1 s per
    500-id chunk at 15,000 accounts, against milliseconds with an index scan."""
    if is_postgres(conn):
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def id_in(column: sa.ColumnElement[uuid.UUID], name: str, *, postgres: bool) -> sa.ColumnElement[bool]:
    """``column`` is one of the ids bound as ``name`` (a list). On PostgreSQL this is
    ``id IN (SELECT unnest(CAST(:ids AS uuid[])))``, a semi-join: ``id = ANY(:ids)`` with a
    parameter cannot be hashed and compares every row with every id when the planner picks a
    sequential scan (measured ~1 s for 500 ids against 15,000 fresh accounts)."""
    if postgres:
        ids = sa.cast(sa.bindparam(name, type_=_UuidArrayText()), ARRAY(sa.Uuid()))
        return column.in_(sa.select(sa.func.unnest(ids)).scalar_subquery())
    return column.in_(sa.bindparam(name, expanding=True))


def _json_value(value: object) -> object:
    """JSON for the values the C encoder does not know (it calls this only for those)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: every time must carry its zone")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()  # bytea's hex input format
    raise TypeError(f"no JSON form for {type(value).__name__}")


def rows_json(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as a JSON array of objects for ``json_populate_recordset(NULL::<table>, ...)``;
    a column a row leaves out is NULL."""
    names = set(table.columns.keys())
    for row in rows:
        if not names.issuperset(row):
            raise KeyError(f"{table.name} has no column(s) {sorted(set(row) - names)}")
    return json.dumps(list(rows), separators=(",", ":"), default=_json_value)


@functools.cache
def _pg_insert(table: sa.Table) -> sa.TextClause:
    return sa.text(f"INSERT INTO {table.name} SELECT * FROM json_populate_recordset(NULL::{table.name}, :rows)")


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts by column name; a missing column is NULL) in few round trips."""
    if not rows:
        return
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        if is_postgres(conn):
            conn.execute(_pg_insert(table), {"rows": rows_json(table, part)})
        else:
            names = table.columns.keys()
            full = [row if len(row) == len(names) else {n: row.get(n) for n in names} for row in part]
            conn.execute(table.insert(), full)


_PG_NEW_ACCOUNTS = sa.text(
    "INSERT INTO ledger_accounts SELECT * FROM json_populate_recordset(NULL::ledger_accounts, :rows) "
    "ON CONFLICT (key) DO NOTHING RETURNING id"
).columns(sa.column("id", sa.Uuid()))


def insert_accounts(conn: sa.Connection, rows: Sequence[Mapping[str, Any]], sqlite_insert: sa.Insert) -> set[uuid.UUID]:
    """Insert account rows, skipping keys already taken; returns the ids actually inserted.
    ``sqlite_insert`` is the SQLite INSERT ... ON CONFLICT DO NOTHING RETURNING id statement."""
    inserted: set[uuid.UUID] = set()
    for start in range(0, len(rows), CHUNK):
        part = rows[start : start + CHUNK]
        if is_postgres(conn):
            inserted.update(conn.execute(_PG_NEW_ACCOUNTS, {"rows": rows_json(accounts, part)}).scalars())
        else:
            inserted.update(conn.execute(sqlite_insert, list(part)).scalars())
    return inserted


_PG_COUNTERS = sa.text(
    "UPDATE ledger_accounts AS a SET "
    + ", ".join(f"{c} = a.{c} + v.{c}" for c in COUNTERS)
    + " FROM json_populate_recordset(NULL::ledger_accounts, :rows) AS v WHERE a.id = v.id"
)
_SQLITE_COUNTERS = (
    accounts.update()
    .where(accounts.c.id == sa.bindparam("b_id"))
    .values({c: accounts.c[c] + sa.bindparam(f"b_{c}") for c in COUNTERS})
)


def add_to_counters(conn: sa.Connection, deltas: Iterable[tuple[uuid.UUID, Sequence[int]]]) -> None:
    """Add (debits_posted, credits_posted, debits_pending, credits_pending) to each account, in
    ascending id order, in one statement (PostgreSQL) or one executemany (SQLite)."""
    changes = sorted(deltas, key=lambda kd: kd[0].int)
    for start in range(0, len(changes), CHUNK):
        part = changes[start : start + CHUNK]
        if is_postgres(conn):
            conn.execute(_PG_COUNTERS, {"rows": counters_json(part)})
        else:
            conn.execute(_SQLITE_COUNTERS, [{"b_id": k, **{f"b_{c}": d[i] for i, c in enumerate(COUNTERS)}} for k, d in part])


_SET_COUNTERS = ", ".join(f"{c} = a.{c} + v.{c}" for c in COUNTERS)


# PostgreSQL, the careful path's write (after a precheck in Python; ``_PG_SUBMIT`` below is the usual
# path): a whole new journal in one statement. ``l`` locks the limited accounts in ascending id
# order (FOR NO KEY UPDATE, in its ORDER BY); ``ok`` checks every limit on the locked counters plus
# this journal's changes (the rule of ``ledger.rules.shortfall``, in SQL) and that none is closed;
# only then is the journal row inserted (ON CONFLICT DO NOTHING: a concurrent twin wins), and only
# if it was are the legs, sink deltas and entry inserted and the counters updated. The hot rows (a
# kiosk's stock, its BPJS deposit) stay locked for this statement and the COMMIT only. The first
# output row is the status (inserted, fine); the others are the locked accounts, before and after.
_GUARD = (
    "CASE l.limit_flag "
    "WHEN 'debits_must_not_exceed_credits' THEN l.debits_posted + v.debits_posted + l.debits_pending + v.debits_pending "
    "<= l.credits_posted + v.credits_posted "
    "WHEN 'credits_must_not_exceed_debits' THEN l.credits_posted + v.credits_posted + l.credits_pending + v.credits_pending "
    "<= l.debits_posted + v.debits_posted "
    "ELSE true END AND l.closed_at IS NULL"
)
_PG_ONE_STATEMENT = sa.text(
    "WITH l AS MATERIALIZED (SELECT id, limit_flag, closed_at, " + ", ".join(COUNTERS) + " FROM ledger_accounts "
    "WHERE id IN (SELECT unnest(CAST(:ids AS uuid[]))) ORDER BY id FOR NO KEY UPDATE), "
    "v AS MATERIALIZED (SELECT * FROM json_populate_recordset(NULL::ledger_accounts, :counters)), "
    "ok AS MATERIALIZED (SELECT coalesce(bool_and(" + _GUARD + "), true) AND count(*) = :n AS fine "
    "FROM l JOIN v ON v.id = l.id), "
    "j AS (INSERT INTO ledger_journals SELECT * FROM json_populate_record(NULL::ledger_journals, :journal) "
    "WHERE (SELECT fine FROM ok) ON CONFLICT DO NOTHING RETURNING id), "
    "lg AS (INSERT INTO ledger_legs SELECT r.* FROM json_populate_recordset(NULL::ledger_legs, :legs) AS r "
    "WHERE EXISTS (SELECT FROM j)), "
    "d AS (INSERT INTO ledger_sink_deltas SELECT r.* FROM json_populate_recordset(NULL::ledger_sink_deltas, :deltas) "
    "AS r WHERE EXISTS (SELECT FROM j)), "
    "e AS (INSERT INTO ledger_entries SELECT r.* FROM json_populate_recordset(NULL::ledger_entries, :entries) AS r "
    "WHERE EXISTS (SELECT FROM j)), "
    "u AS (UPDATE ledger_accounts AS a SET " + _SET_COUNTERS + " FROM v WHERE a.id = v.id AND EXISTS (SELECT FROM j) "
    "RETURNING a.id, " + ", ".join(f"a.{c}" for c in COUNTERS) + ") "
    "SELECT NULL::uuid AS id, (SELECT count(*) FROM j) > 0 AS inserted, (SELECT fine FROM ok) AS fine, NULL::timestamptz AS closed_at, "
    + ", ".join(f"NULL::bigint AS {c}, NULL::bigint AS new_{c}" for c in COUNTERS)
    + " UNION ALL SELECT l.id, NULL, NULL, l.closed_at, "
    + ", ".join(f"l.{c}, u.{c}" for c in COUNTERS)
    + " FROM l LEFT JOIN u ON u.id = l.id"
)


# PostgreSQL: a new journal in one statement with no read before it (``journals.submit`` tries this
# first). It reads every account the legs name (``a``, no lock), locks the limited ones in ascending
# id order (``l``), and writes only if everything the careful path checks in Python holds (``ok``):
# every account exists and is open, every leg's asset is both its accounts' asset, no limit is
# crossed on the locked counters. Each of those would otherwise fail a constraint (aborting the
# transaction) or need a named error, so when any fails nothing is written and the caller takes the
# careful path (precheck, named error) in the same transaction. The split into limited accounts
# (counters) and unlimited ones (sink deltas) is made here from ``limit_flag``, which never changes.
# The first output row is the status (inserted, fine); the others are the limited accounts' new
# counters, with what a ``Balance`` needs.
_PG_SUBMIT = sa.text(
    "WITH v AS MATERIALIZED (SELECT * FROM json_populate_recordset(NULL::ledger_accounts, :deltas)), "
    "a AS MATERIALIZED (SELECT id, asset, limit_flag, closed_at FROM ledger_accounts "
    "WHERE id IN (SELECT unnest(CAST(:ids AS uuid[])))), "
    "l AS MATERIALIZED (SELECT id, limit_flag, closed_at, " + ", ".join(COUNTERS) + " FROM ledger_accounts "
    "WHERE id IN (SELECT id FROM a WHERE limit_flag <> 'none') ORDER BY id FOR NO KEY UPDATE), "
    "g AS MATERIALIZED (SELECT * FROM json_populate_recordset(NULL::ledger_legs, :legs)), "
    "ok AS MATERIALIZED (SELECT (SELECT count(*) FROM a) = :n "
    "AND NOT EXISTS (SELECT FROM a WHERE closed_at IS NOT NULL) "
    "AND NOT EXISTS (SELECT FROM g JOIN a AS da ON da.id = g.debit_account_id JOIN a AS ca ON ca.id = g.credit_account_id "
    "WHERE da.asset <> g.asset OR ca.asset <> g.asset) "
    "AND (SELECT coalesce(bool_and(" + _GUARD + "), true) FROM l JOIN v ON v.id = l.id) AS fine), "
    "j AS (INSERT INTO ledger_journals SELECT * FROM json_populate_record(NULL::ledger_journals, :journal) "
    "WHERE (SELECT fine FROM ok) ON CONFLICT DO NOTHING RETURNING id), "
    "lg AS (INSERT INTO ledger_legs SELECT g.* FROM g WHERE EXISTS (SELECT FROM j)), "
    "d AS (INSERT INTO ledger_sink_deltas (account_id, journal_id, phase, " + ", ".join(COUNTERS) + ") "
    "SELECT v.id, j.id, 0, " + ", ".join(f"v.{c}" for c in COUNTERS) + " FROM v JOIN a ON a.id = v.id "
    "AND a.limit_flag = 'none' CROSS JOIN j), "
    "e AS (INSERT INTO ledger_entries SELECT r.* FROM json_populate_recordset(NULL::ledger_entries, :entries) AS r "
    "WHERE EXISTS (SELECT FROM j)), "
    "u AS (UPDATE ledger_accounts AS x SET " + _SET_COUNTERS.replace("a.", "x.") + " FROM v, l "
    "WHERE x.id = l.id AND v.id = l.id AND EXISTS (SELECT FROM j) "
    "RETURNING x.id, x.asset, x.limit_flag, " + ", ".join(f"x.{c}" for c in COUNTERS) + ") "
    "SELECT NULL::uuid AS id, (SELECT count(*) FROM j) > 0 AS inserted, (SELECT fine FROM ok) AS fine, "
    "NULL::varchar AS asset, NULL::varchar AS limit_flag, " + ", ".join(f"NULL::bigint AS {c}" for c in COUNTERS)
    + " UNION ALL SELECT id, NULL, NULL, asset, limit_flag, " + ", ".join(COUNTERS) + " FROM u"
)


@dataclass(frozen=True)
class SubmitOutcome:
    """What ``submit_in_one_statement`` did: ``inserted`` (False: refused, or a twin took the
    key or id), ``fine`` (every check held) and, when inserted, the new state of each limited
    account: (asset, limit_flag, debits_posted, credits_posted, debits_pending, credits_pending)."""

    inserted: bool
    fine: bool
    limited: dict[uuid.UUID, tuple[str, str, int, int, int, int]]


def submit_in_one_statement(conn: sa.Connection, journal_row: Mapping[str, Any], leg_rows: Sequence[Mapping[str, Any]],
                            entry_rows: Sequence[Mapping[str, Any]], deltas: Sequence[tuple[uuid.UUID, Sequence[int]]]) -> SubmitOutcome:
    """PostgreSQL: check and write a new journal in one statement (``_PG_SUBMIT``); ``deltas``
    holds the counter changes of every account the legs name."""
    ids = [str(k) for k, _ in deltas]
    counters = [{"id": i, **dict(zip(COUNTERS, d, strict=True))} for i, (_, d) in zip(ids, deltas, strict=True)]
    params = {
        "deltas": json.dumps(counters, separators=(",", ":")), "ids": "{" + ",".join(ids) + "}", "n": len(ids),
        "legs": rows_json(legs_table, leg_rows), "entries": rows_json(entries_table, entry_rows),
        "journal": json.dumps(journal_row, separators=(",", ":"), default=_json_value),
    }
    status, *rows = conn.execute(_PG_SUBMIT, params).all()
    return SubmitOutcome(bool(status.inserted), bool(status.fine), {r[0]: tuple(r[3:]) for r in rows})


@dataclass(frozen=True)
class OneStatementOutcome:
    """What the one-statement write did: ``inserted`` (False: refused or a twin took the key),
    ``fine`` (every limit held and no account was closed), and per locked account the counters
    before (under the lock) and after (None when nothing was written) and whether it was closed."""

    inserted: bool
    fine: bool
    before: dict[uuid.UUID, tuple[int, int, int, int]]
    after: dict[uuid.UUID, tuple[int, int, int, int] | None]
    closed: set[uuid.UUID]


def counters_json(deltas: Sequence[tuple[uuid.UUID, Sequence[int]]]) -> str:
    rows = [{"id": str(k), **dict(zip(COUNTERS, d, strict=True))} for k, d in sorted(deltas, key=lambda kd: kd[0].int)]
    return json.dumps(rows, separators=(",", ":"))




class NewJournalWrite:
    """The writes of one new journal, with their parameters built up front (before any row lock
    is taken, so locks are held for as short a time as possible)."""

    def __init__(self, conn: sa.Connection, journal_row: Mapping[str, Any], leg_rows: Sequence[Mapping[str, Any]],
                 delta_rows: Sequence[Mapping[str, Any]], entry_rows: Sequence[Mapping[str, Any]],
                 counter_deltas: Sequence[tuple[uuid.UUID, Sequence[int]]]) -> None:
        self.postgres = is_postgres(conn)
        self.rows = (journal_row, leg_rows, delta_rows, entry_rows)
        self.counter_deltas = counter_deltas
        self.params: dict[str, str] = {}
        if self.postgres:
            self.params = {
                "journal": json.dumps(journal_row, separators=(",", ":"), default=_json_value),
                "legs": rows_json(legs_table, leg_rows),
                "deltas": rows_json(sink_deltas_table, delta_rows),
                "entries": rows_json(entries_table, entry_rows),
                "counters": counters_json(counter_deltas),
            }

    def execute(self, conn: sa.Connection, insert_journal_row: Callable[[sa.Connection, Mapping[str, Any]], bool]) -> bool:
        """SQLite (the only writer, limits already checked): write the journal row (ON CONFLICT
        DO NOTHING, by ``insert_journal_row``), legs, sink deltas and entries and add to the
        counters; False, with nothing written, when the key or id is already taken."""
        journal_row, leg_rows, delta_rows, entry_rows = self.rows
        if not insert_journal_row(conn, journal_row):
            return False
        insert_rows(conn, legs_table, leg_rows)
        insert_rows(conn, sink_deltas_table, delta_rows)
        insert_rows(conn, entries_table, entry_rows)
        add_to_counters(conn, self.counter_deltas)
        return True

    def execute_locked(self, conn: sa.Connection) -> OneStatementOutcome:
        """PostgreSQL: lock, check and write in one statement (``_PG_ONE_STATEMENT``)."""
        ids = sorted(k for k, _ in self.counter_deltas)
        params = {**self.params, "ids": "{" + ",".join(map(str, ids)) + "}", "n": len(ids)}
        status, *accounts = conn.execute(_PG_ONE_STATEMENT, params).all()
        before = {r.id: (r.debits_posted, r.credits_posted, r.debits_pending, r.credits_pending) for r in accounts}
        after = {
            r.id: None if r.new_debits_posted is None
            else (r.new_debits_posted, r.new_credits_posted, r.new_debits_pending, r.new_credits_pending)
            for r in accounts
        }
        closed = {r.id for r in accounts if r.closed_at is not None}
        return OneStatementOutcome(bool(status.inserted), bool(status.fine), before, after, closed)
