"""P1 / P1s (DESIGN §12): posted redemption journals per second.

A redemption journal here has 8 legs over IDR and two KG assets (fertilizer paid from the card
balance, two products drawn from the farmer's quota and the kiosk's stock, one month of BPJS
contribution from the card and the kiosk's prefunded deposit, the agent fee), for a farmer drawn at
random from 55,289 at one kiosk. Clients are separate processes (no shared GIL), each with its own
connection, each journal in its own transaction through ``ledger.run_in_transaction``.

* PostgreSQL: against ``pgbench`` TPC-B-like (scale 10) on a scratch database of the same server,
  same client count, same run, both over TCP to 127.0.0.1. With 4 and 16 clients it also runs
  each client at a kiosk of its own (``pg_ratio_kiosks_c*``): every journal locks its kiosk's two
  stock accounts and BPJS deposit until COMMIT, so one kiosk's journals queue on those rows,
  while pgbench spreads its clients over 10 branches.
* SQLite (WAL, synchronous=FULL): against a plain ``sqlite3`` script doing the same writes on a
  copy of the same database (journal row, 8 legs, 9 sink-delta rows, one entry row, the limited
  accounts' counters with the limit as a WHERE guard), in the same run.

``python -m bench ledger``; ``KIOSK_BENCH_SECONDS`` (default 8) sets each run's length,
``KIOSK_BENCH_PG_URL`` the server (default postgres@127.0.0.1:5432), ``KIOSK_BENCH_FARMERS`` the
farmer count (default 55,289).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

import ledger as L
from kiosk import migrate
from ledger.storage import create_engine

FARMERS = int(os.environ.get("KIOSK_BENCH_FARMERS", "55289"))
SECONDS = float(os.environ.get("KIOSK_BENCH_SECONDS", "8"))
CLIENTS = (1, 4, 16)
PG_ADMIN = os.environ.get("KIOSK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PGBENCH = os.environ.get("PGBENCH", "/usr/lib/postgresql/15/bin/pgbench")
UREA, NPK = L.kg_asset("UREA"), L.kg_asset("NPK")
HET = {"UREA": 1_800, "NPK": 1_840}  # Rp/kg from 22 Oct 2025 (DOMAIN.md)
KG = 50
CONTRIBUTION, FEE = 16_800, 1_260  # one month; 7.5 % agent fee
D, N = L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS, L.Limit.NONE

KIOSKS = tuple(f"KIOS-{n:03d}" for n in range(1, max(CLIENTS) + 1))  # the headline runs use the first only
SHARED_ACCOUNTS = (
    ("src:idr", L.IDR, N), ("src:urea", UREA, N), ("src:npk", NPK, N), ("redeemed:UREA", UREA, N),
    ("redeemed:NPK", NPK, N), ("bpjs:collection", L.IDR, N), ("bpjs:host", L.IDR, N),
    ("fee:receivable", L.IDR, N), ("fee:agent", L.IDR, N),
)


def kiosk_accounts(kiosk: str) -> tuple[tuple[str, str, L.Limit], ...]:
    """One kiosk's own accounts: its sales, its stock and sold kilograms, its BPJS deposit."""
    return (
        (f"sales:{kiosk}", L.IDR, N), (f"stock:{kiosk}:UREA", UREA, D), (f"stock:{kiosk}:NPK", NPK, D),
        (f"sold:{kiosk}:UREA", UREA, N), (f"sold:{kiosk}:NPK", NPK, N), (f"deposit:{kiosk}", L.IDR, D),
    )


def farmer_keys(i: int) -> tuple[str, str, str]:
    return f"card:F{i:05d}", f"quota:F{i:05d}:UREA:2026-MT1", f"quota:F{i:05d}:NPK:2026-MT1"


def redemption_legs(acc: dict[str, Any], i: int, kiosk: str = KIOSKS[0]) -> list[tuple[Any, Any, str, int]]:
    """(debit, credit, asset, amount) of one redemption by farmer ``i`` at ``kiosk``."""
    card, q_urea, q_npk = (acc[k] for k in farmer_keys(i))
    return [
        (card, acc[f"sales:{kiosk}"], L.IDR, KG * HET["UREA"] + KG * HET["NPK"]),
        (q_urea, acc["redeemed:UREA"], UREA, KG),
        (acc[f"stock:{kiosk}:UREA"], acc[f"sold:{kiosk}:UREA"], UREA, KG),
        (q_npk, acc["redeemed:NPK"], NPK, KG),
        (acc[f"stock:{kiosk}:NPK"], acc[f"sold:{kiosk}:NPK"], NPK, KG),
        (card, acc["bpjs:collection"], L.IDR, CONTRIBUTION),
        (acc[f"deposit:{kiosk}"], acc["bpjs:host"], L.IDR, CONTRIBUTION),
        (acc["fee:receivable"], acc["fee:agent"], L.IDR, FEE),
    ]


# ---------------------------------------------------------------- set-up (through the ledger API)

def set_up(url: str) -> dict[str, uuid.UUID]:
    """Open and fund the accounts of KIOSKS and FARMERS farmers; returns key -> account id."""
    migrate.upgrade(url)
    engine = create_engine(url)
    now = datetime.now(UTC)
    acc: dict[str, uuid.UUID] = {}
    try:
        with sessionmaker(engine)() as s, s.begin():
            specs = [L.AccountSpec(k, k.split(":")[0], a, lim, None) for k, a, lim in SHARED_ACCOUNTS]
            specs += [L.AccountSpec(k, k.split(":")[0], a, lim, kiosk) for kiosk in KIOSKS for k, a, lim in kiosk_accounts(kiosk)]
            acc.update({a.key: a.id for a in L.open_accounts(s, specs, now=now)})
            for kiosk in KIOSKS:
                stock = [L.Leg(acc["src:urea"], acc[f"stock:{kiosk}:UREA"], UREA, 10**12),
                         L.Leg(acc["src:npk"], acc[f"stock:{kiosk}:NPK"], NPK, 10**12),
                         L.Leg(acc["src:idr"], acc[f"deposit:{kiosk}"], L.IDR, 10**15)]
                L.submit(s, L.JournalSpec(f"bench-stock-{kiosk}", L.JournalKind.STOCK_RECEIPT, stock), now=now)
        for start in range(0, FARMERS, 5000):
            with sessionmaker(engine)() as s, s.begin():
                part = range(start, min(FARMERS, start + 5000))
                specs = [L.AccountSpec(k, k.split(":")[0], a, D, f"F-{i:05d}")
                         for i in part for k, a in zip(farmer_keys(i), (L.IDR, UREA, NPK), strict=True)]
                acc.update({a.key: a.id for a in L.open_accounts(s, specs, now=now)})
                L.submit_batch(s, [_funding(acc, i) for i in part], now=now)
    finally:
        engine.dispose()
    return acc


def _funding(acc: dict[str, uuid.UUID], i: int) -> L.JournalSpec:
    card, q_urea, q_npk = (acc[k] for k in farmer_keys(i))
    return L.JournalSpec(f"bench-fund-{i}", L.JournalKind.TOPUP, [
        L.Leg(acc["src:idr"], card, L.IDR, 10**12),
        L.Leg(acc["src:urea"], q_urea, UREA, 10**9),
        L.Leg(acc["src:npk"], q_npk, NPK, 10**9),
    ])


# ---------------------------------------------------------------- clients (one process each)

def ledger_client(url: str, acc: dict[str, Any], worker: int, start_at: float, stop_at: float, out: Any, kiosk: str) -> None:
    engine = create_engine(url, pool_size=1, pool_pre_ping=False)
    sessions = sessionmaker(engine)
    rng = random.Random(worker)
    done = refused = 0

    def one(n: int) -> None:
        i = rng.randrange(FARMERS)
        legs = [L.Leg(d, c, a, m) for d, c, a, m in redemption_legs(acc, i, kiosk)]
        spec = L.JournalSpec(f"bench-{worker}-{n}-{uuid.uuid4().hex[:8]}", L.JournalKind.REDEMPTION, legs,
                             kiosk=kiosk, farmer=f"F-{i:05d}")
        L.run_in_transaction(sessions, lambda s: L.submit(s, spec, now=datetime.now(UTC)))

    for n in range(20):  # warm-up: connection, statement caches
        one(-n - 1)
    backend = _backend_pid(engine)
    time.sleep(max(0.0, start_at - time.time()))
    cpu, server = time.process_time(), process_cpu_seconds(backend)
    n = 0
    while time.time() < stop_at:
        try:
            one(n)
            done += 1
        except L.LedgerError:
            refused += 1
        n += 1
    cpu, server = time.process_time() - cpu, process_cpu_seconds(backend) - server
    engine.dispose()
    out.put((done, refused, cpu, server))


def _backend_pid(engine: sa.Engine) -> list[int]:
    """The PostgreSQL backend serving this process's one pooled connection (none for SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    with engine.connect() as conn:
        return [int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())]


def raw_sqlite_client(path: str, acc: dict[str, Any], worker: int, start_at: float, stop_at: float, out: Any, kiosk: str) -> None:
    """The same writes as one ledger redemption, as plain sqlite3 statements."""
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
        db.execute(f"PRAGMA {pragma}")
    hexes = {k: v.hex for k, v in acc.items()}
    sinks = [hexes[k] for k, _, lim in (*SHARED_ACCOUNTS, *kiosk_accounts(kiosk)) if lim is N and not k.startswith("src:")]
    rng = random.Random(1000 + worker)
    done, cpu = 0, 0.0
    for n in range(-20, 10**9):
        if n >= 0 and time.time() >= stop_at:
            break
        if n == 0:
            time.sleep(max(0.0, start_at - time.time()))
            cpu = time.process_time()
        _raw_journal(db, hexes, sinks, rng.randrange(FARMERS), f"raw-{worker}-{n}-{uuid.uuid4().hex[:8]}", kiosk)
        done += n >= 0
    db.close()
    out.put((done, 0, time.process_time() - cpu, 0.0))


def _raw_journal(db: sqlite3.Connection, acc: dict[str, str], sinks: list[str], i: int, key: str, kiosk: str) -> None:
    legs = redemption_legs(acc, i, kiosk)
    jid, now = uuid.uuid4().hex, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    body = json.dumps({"id": jid, "key": key, "kind": "redemption", "legs": legs, "at": now}, sort_keys=True,
                      separators=(",", ":")).encode()
    spend: dict[str, int] = {}
    for d, _, _, m in legs:
        spend[d] = spend.get(d, 0) + m
    db.execute("BEGIN IMMEDIATE")
    db.execute("SELECT id FROM ledger_journals WHERE idempotency_key = ?", (key,)).fetchone()
    db.execute("INSERT INTO ledger_journals (id, idempotency_key, body_sha256, kind, state, kiosk, farmer, memo, "
               "created_at, finalized_at) VALUES (?, ?, ?, 'redemption', 'posted', ?, ?, '{}', ?, ?)",
               (jid, key, "0" * 64, kiosk, f"F-{i:05d}", now, now))
    db.executemany("INSERT INTO ledger_legs VALUES (?, ?, ?, ?, ?, ?)", [(jid, x, *leg) for x, leg in enumerate(legs)])
    db.executemany("INSERT INTO ledger_sink_deltas VALUES (?, ?, 0, 0, 1, 0, 0)", [(s, jid) for s in sinks])
    db.execute("INSERT INTO ledger_entries VALUES (?, 'journal.submitted', ?, ?, ?)", (uuid.uuid4().hex, jid, body, now))
    for account, amount in spend.items():
        if account in sinks:
            continue
        db.execute("UPDATE ledger_accounts SET debits_posted = debits_posted + ? WHERE id = ? "
                   "AND debits_posted + debits_pending + ? <= credits_posted", (amount, account, amount))
    db.execute("COMMIT")


def process_cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by processes ``pids`` (here: PostgreSQL backends), from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_clients(target: Callable[..., None], first_arg: str, acc: dict[str, Any], clients: int,
                *, kiosks: int = 1) -> tuple[float, float, float]:
    """(journals per second, client CPU µs and PostgreSQL backend CPU µs per journal) of
    ``clients`` processes running ``target`` for SECONDS; client ``w`` sells at kiosk
    ``w mod kiosks`` (1: every client at the same kiosk, the headline figures)."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 3.0 + 0.25 * clients  # after every process has started and warmed up
    stop_at = start_at + SECONDS
    procs = [ctx.Process(target=target, args=(first_arg, acc, w, start_at, stop_at, out, KIOSKS[w % kiosks])) for w in range(clients)]
    for p in procs:
        p.start()
    results = [out.get(timeout=SECONDS + 120) for _ in procs]
    for p in procs:
        p.join()
    done: int = sum(r[0] for r in results)
    if sum(r[1] for r in results):
        raise RuntimeError(f"{sum(r[1] for r in results)} redemptions refused: the set-up funds too little")
    cpu: float = sum(r[2] for r in results)
    server: float = sum(r[3] for r in results)
    return done / SECONDS, cpu / max(done, 1) * 1e6, server / max(done, 1) * 1e6


# ---------------------------------------------------------------- PostgreSQL and pgbench

def _pg_exec(admin: sa.Engine, sql: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(sql)


def pgbench_tps(admin: sa.Engine, url: sa.URL, database: str, clients: int) -> tuple[float, float, float]:
    """(TPS, pgbench's own CPU µs and its backends' CPU µs per transaction). The backends are
    sampled from the second second of the run to one second before its end."""
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    base = [PGBENCH, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen([*base, "-c", str(clients), "-j", str(clients), "-T", str(int(SECONDS)), database],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    with admin.connect() as conn:
        pids = list(conn.execute(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                                 {"d": database}).scalars())
    started, server = time.monotonic(), process_cpu_seconds(pids)
    time.sleep(max(0.5, SECONDS - 2.0))
    window, server = time.monotonic() - started, process_cpu_seconds(pids) - server
    out, err = proc.communicate(timeout=SECONDS + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(r"tps = ([0-9.]+)", out)
    if proc.returncode or found is None:
        raise RuntimeError(f"pgbench failed or printed no tps:\n{out}\n{err}")
    tps: float = float(found.group(1))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return tps, cpu / max(tps * SECONDS, 1) * 1e6, server / max(tps * window, 1) * 1e6


def bench_postgres() -> dict[str, float]:
    admin_url = sa.make_url(PG_ADMIN)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    ledger_db, pgbench_db = f"bench_ledger_{os.getpid()}", f"bench_pgbench_{os.getpid()}"
    figures: dict[str, float] = {}
    try:
        for name in (ledger_db, pgbench_db):
            _pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _pg_exec(admin, f'CREATE DATABASE "{name}"')
        env = {**os.environ, "PGPASSWORD": admin_url.password or ""}
        subprocess.run([PGBENCH, "-i", "-q", "-s", "10", "-h", admin_url.host or "127.0.0.1", "-p",
                        str(admin_url.port or 5432), "-U", admin_url.username or "postgres", pgbench_db],
                       env=env, capture_output=True, check=True)
        url = admin_url.set(database=ledger_db).render_as_string(hide_password=False)
        started = time.monotonic()
        acc = set_up(url)
        figures["pg_setup_seconds"] = round(time.monotonic() - started, 1)
        for clients in CLIENTS:
            tps, bench_cpu, bench_server = pgbench_tps(admin, admin_url, pgbench_db, clients)
            jps, client_cpu, server_cpu = run_clients(ledger_client, url, acc, clients)
            figures[f"pgbench_tps_c{clients}"] = round(tps, 1)
            figures[f"pg_journals_per_s_c{clients}"] = round(jps, 1)
            figures[f"pg_ratio_c{clients}"] = round(jps / tps, 3)
            figures[f"pgbench_client_cpu_us_c{clients}"] = round(bench_cpu, 1)
            figures[f"pgbench_server_cpu_us_c{clients}"] = round(bench_server, 1)
            figures[f"pg_client_cpu_us_c{clients}"] = round(client_cpu, 1)
            figures[f"pg_server_cpu_us_c{clients}"] = round(server_cpu, 1)
            if clients > 1:  # the same, each client at its own kiosk: no hot row shared by all
                jps, _, _ = run_clients(ledger_client, url, acc, clients, kiosks=clients)
                figures[f"pg_journals_per_s_kiosks_c{clients}"] = round(jps, 1)
                figures[f"pg_ratio_kiosks_c{clients}"] = round(jps / tps, 3)
    finally:
        for name in (ledger_db, pgbench_db):
            _pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return figures


# ---------------------------------------------------------------- SQLite and plain sqlite3

def bench_sqlite() -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    figures: dict[str, float] = {}
    try:
        seed = work / "seed.sqlite3"
        started = time.monotonic()
        acc = set_up(f"sqlite:///{seed}")
        figures["sqlite_setup_seconds"] = round(time.monotonic() - started, 1)
        for clients in CLIENTS:
            raw_db, ledger_db = work / f"raw{clients}.sqlite3", work / f"ledger{clients}.sqlite3"
            shutil.copyfile(seed, raw_db)
            shutil.copyfile(seed, ledger_db)
            raw, raw_cpu, _ = run_clients(raw_sqlite_client, str(raw_db), acc, clients)
            ours, our_cpu, _ = run_clients(ledger_client, f"sqlite:///{ledger_db}", acc, clients)
            figures[f"sqlite3_raw_per_s_c{clients}"] = round(raw, 1)
            figures[f"sqlite_journals_per_s_c{clients}"] = round(ours, 1)
            figures[f"sqlite_ratio_c{clients}"] = round(ours / raw, 3)
            figures[f"sqlite3_raw_cpu_us_c{clients}"] = round(raw_cpu, 1)
            figures[f"sqlite_cpu_us_c{clients}"] = round(our_cpu, 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def _table(figures: dict[str, float]) -> str:
    def f(name: str, c: int, fmt: str) -> str:
        return format(figures.get(f"{name}_c{c}", float("nan")), fmt)

    rows = [f"{'clients':>8} {'pgbench tps':>12} {'PG journals/s':>14} {'ratio':>6}   {'sqlite3 raw/s':>13} "
            f"{'SQLite journals/s':>18} {'ratio':>6}"]
    rows += [f"{c:>8} {f('pgbench_tps', c, '>12.0f')} {f('pg_journals_per_s', c, '>14.0f')} {f('pg_ratio', c, '>6.2f')}   "
             f"{f('sqlite3_raw_per_s', c, '>13.0f')} {f('sqlite_journals_per_s', c, '>18.0f')} {f('sqlite_ratio', c, '>6.2f')}"
             for c in CLIENTS]
    rows += [f"{c:>8} {'':>12} {f('pg_journals_per_s_kiosks', c, '>14.0f')} {f('pg_ratio_kiosks', c, '>6.2f')}   "
             "(PostgreSQL, each client at its own kiosk)" for c in CLIENTS if c > 1]
    rows.append("CPU µs per transaction: client process / its PostgreSQL backend")
    rows += [f"{c:>8}   pgbench {f('pgbench_client_cpu_us', c, '.0f')} / {f('pgbench_server_cpu_us', c, '.0f')}   "
             f"ledger {f('pg_client_cpu_us', c, '.0f')} / {f('pg_server_cpu_us', c, '.0f')}   "
             f"sqlite3 raw {f('sqlite3_raw_cpu_us', c, '.0f')}   ledger on SQLite {f('sqlite_cpu_us', c, '.0f')}"
             for c in CLIENTS]
    return "\n".join(rows)


def main() -> dict[str, float]:
    print(f"P1/P1s: posted 8-leg redemption journals/s, {FARMERS:,} farmers, one kiosk, {SECONDS:g} s per run")
    figures = {"farmers": float(FARMERS), "seconds_per_run": SECONDS}
    figures.update(bench_postgres())
    figures.update(bench_sqlite())
    print(_table(figures))
    return figures


if __name__ == "__main__":
    main()
