"""P3 (DESIGN §12): 1,000,000 journals exported and verified offline in < 15 s, peak memory < 200 MB.

How the log is made (setup, not timed): a migrated SQLite database gets 55,289 farmers' card and
quota accounts plus one kiosk's accounts through ``ledger.open_accounts`` (real code, real
``account.opened`` entries); then the journals are generated straight into ``ledger_journals``,
``ledger_legs`` and ``ledger_entries`` in bulk (one funding journal per farmer, one stock receipt,
the rest 3-leg redemptions posted at once, 1,000,000 in all), each entry body made by the ledger's own
canonical encoder (``ledger.entries.journal_entry``), since submitting a million journals one by one
would take the better part of an hour. Shortcuts of the bulk path, none of which the export or the
verifier reads: account counters and sink deltas are not maintained, and ``body_sha256`` is a digest
of the entry instead of the spec. The real sealer then seals everything (50,000 per transaction) and
signs checkpoints every 250,000 entries and at the end.

Timed, each in its own fresh process that reports its own peak RSS: ``export_log`` (the code of
``kiosk audit export``) into a directory, then ``verify_export`` (the code of ``python -m
ledger.verify``; on two cores its tree pass runs in a worker process, whose peak RSS is reported as
``verify_worker_peak_mb``). The baseline is plain ``hashlib.sha256`` over the same entry bodies, read from the
same file. ``KIOSK_BENCH_AUDIT_JOURNALS`` (default 1,000,000) and ``KIOSK_BENCH_FARMERS`` (55,289)
scale it.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import sessionmaker

import ledger as L
from kiosk import migrate
from ledger.audit import NoteSigner
from ledger.audit import db as audit_db
from ledger.entries import EntryKind, journal_entry
from ledger.ids import new_id
from ledger.schema import entries, journals, legs
from ledger.storage import create_engine
from ledger.verify import format as fmt

JOURNALS = int(os.environ.get("KIOSK_BENCH_AUDIT_JOURNALS", "1000000"))
FARMERS = int(os.environ.get("KIOSK_BENCH_FARMERS", "55289"))
ORIGIN = "sutasoma.bench/ledger"
ROOT = Path(__file__).resolve().parent.parent
CHUNK = 20_000
D, N = L.Limit.DEBITS_MUST_NOT_EXCEED_CREDITS, L.Limit.NONE
UREA = L.kg_asset("UREA")
HET, KG = 1_800, 50
START = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)


def _accounts(sessions: sessionmaker[Any]) -> dict[str, L.Account]:
    specs = [L.AccountSpec(k, kind, asset, limit) for k, kind, asset, limit in (
        ("src:idr", "source", L.IDR, N), ("src:urea", "source", UREA, N), ("sales:KIOS-001", "sales", L.IDR, N),
        ("redeemed:UREA", "redeemed", UREA, N), ("stock:KIOS-001:UREA", "stock", UREA, D),
        ("sold:KIOS-001:UREA", "sold", UREA, N))]
    for i in range(FARMERS):
        specs.append(L.AccountSpec(f"card:F{i:05d}", "card_balance", L.IDR, D, f"F{i:05d}"))
        specs.append(L.AccountSpec(f"quota:F{i:05d}:UREA:2026-MT1", "quota", UREA, D, f"F{i:05d}"))
    out: dict[str, L.Account] = {}
    for start in range(0, len(specs), 10_000):
        with sessions.begin() as s:
            out.update((a.key, a) for a in L.open_accounts(s, specs[start : start + 10_000], now=START))
    return out


def _journal(i: int, at: datetime, kind: L.JournalKind, legs_: tuple[L.Leg, ...], farmer: str | None) -> L.Journal:
    return L.Journal(id=new_id(at), idempotency_key=f"bench:{i}", kind=kind, state=L.JournalState.POSTED, legs=legs_,
                     kiosk="KIOS-001", farmer=farmer, remote_ref=None, memo={"het_urea": str(HET)} if farmer else {},
                     created_at=at, expires_at=None, finalized_at=at, reason=None)


def _plan(acc: dict[str, L.Account], i: int) -> tuple[L.JournalKind, tuple[L.Leg, ...], str | None]:
    src, src_urea, stock = acc["src:idr"].id, acc["src:urea"].id, acc["stock:KIOS-001:UREA"].id
    if i == 0:
        return L.JournalKind.STOCK_RECEIPT, (L.Leg(src_urea, stock, UREA, KG * JOURNALS),), None
    farmer = (i - 1) % FARMERS
    card, quota = acc[f"card:F{farmer:05d}"].id, acc[f"quota:F{farmer:05d}:UREA:2026-MT1"].id
    if i <= FARMERS:  # fund the card and the season's quota for every redemption to come
        rounds = JOURNALS // FARMERS + 1
        return L.JournalKind.TOPUP, (L.Leg(src, card, L.IDR, rounds * KG * HET), L.Leg(src_urea, quota, UREA, rounds * KG)), None
    return L.JournalKind.REDEMPTION, (L.Leg(card, acc["sales:KIOS-001"].id, L.IDR, KG * HET),
                                      L.Leg(quota, acc["redeemed:UREA"].id, UREA, KG),
                                      L.Leg(stock, acc["sold:KIOS-001:UREA"].id, UREA, KG)), f"F{farmer:05d}"


def _generate(engine: sa.Engine, acc: dict[str, L.Account]) -> None:
    for start in range(0, JOURNALS, CHUNK):
        j_rows: list[dict[str, Any]] = []
        l_rows: list[dict[str, Any]] = []
        e_rows: list[dict[str, Any]] = []
        for i in range(start, min(start + CHUNK, JOURNALS)):
            at = START + timedelta(milliseconds=i)
            kind, legs_, farmer = _plan(acc, i)
            journal = _journal(i, at, kind, legs_, farmer)
            entry_id = new_id(at)
            body = journal_entry(entry_id, EntryKind.JOURNAL_SUBMITTED, at, journal)
            j_rows.append({"id": journal.id, "idempotency_key": journal.idempotency_key,
                           "body_sha256": hashlib.sha256(body).hexdigest(), "kind": kind.value, "state": "posted",
                           "kiosk": "KIOS-001", "farmer": farmer, "remote_ref": None,
                           "memo": json.dumps(dict(journal.memo), sort_keys=True, separators=(",", ":")),
                           "created_at": at, "expires_at": None, "finalized_at": at, "reason": None})
            l_rows.extend({"journal_id": journal.id, "idx": n, "debit_account_id": g.debit, "credit_account_id": g.credit,
                           "asset": g.asset, "amount": g.amount} for n, g in enumerate(legs_))
            e_rows.append({"id": entry_id, "kind": EntryKind.JOURNAL_SUBMITTED.value, "journal_id": journal.id,
                           "body": body, "created_at": at})
        with engine.begin() as conn:
            conn.execute(journals.insert(), j_rows)
            conn.execute(legs.insert(), l_rows)
            conn.execute(entries.insert(), e_rows)


def _seal(sessions: sessionmaker[Any], signer: NoteSigner) -> int:
    total = 0
    while True:
        with sessions.begin() as s:
            done = audit_db.seal(s, now=START, limit=50_000)
        total += done.sealed
        if done.sealed == 0 or done.size // 250_000 != (done.size - done.sealed) // 250_000:
            with sessions.begin() as s:
                audit_db.write_checkpoint(s, signer, now=START)
        if done.sealed == 0:
            return total


# ---- the timed parts, each in a child process -------------------------------------------------


def _child(argv: list[str]) -> dict[str, float]:
    what = argv[0]
    started = time.perf_counter()
    if what == "export":
        engine = create_engine(argv[1])
        with audit_db.read_snapshot(engine) as s:
            summary = audit_db.export_log(s, Path(argv[2]), vkey=argv[3], now=START)
        count = summary.entries
    elif what == "verify":
        from ledger.verify import verify_export

        count = verify_export(Path(argv[1]), vkey=argv[2]).log.size
    else:
        count = 0  # plain SHA-256 over every entry line, read the same way: the least any verifier does
        with open(Path(argv[1]) / fmt.ENTRIES, "rb") as f:
            for line in f:
                hashlib.sha256(line).digest()
                count += 1
    seconds = time.perf_counter() - started
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest finished child's
    return {"seconds": seconds, "peak_mb": _peak_mb(), "worker_peak_mb": worker_mb, "entries": float(count)}


def _peak_mb() -> float:
    """This process's own peak resident set (VmHWM; getrusage's ru_maxrss would start from the parent's
    size at fork, whatever this process used)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(*args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "bench.audit", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="bench-audit-"))
    try:
        url = f"sqlite:///{work / 'ledger.sqlite3'}"
        migrate.upgrade(url)
        engine = create_engine(url)
        sessions = sessionmaker(engine, expire_on_commit=False)
        signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
        t0 = time.perf_counter()
        acc = _accounts(sessions)
        _generate(engine, acc)
        t1 = time.perf_counter()
        sealed = _seal(sessions, signer)
        t2 = time.perf_counter()
        engine.dispose()
        vkey = signer.verifier.vkey
        export = _run_child("export", url, str(work / "export"), vkey)
        verify = _run_child("verify", str(work / "export"), vkey)
        plain = _run_child("hashlib", str(work / "export"))
        size_mb = (work / "export" / fmt.ENTRIES).stat().st_size / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = export["seconds"] + verify["seconds"]
    figures = {
        "journals": float(JOURNALS), "entries": verify["entries"], "accounts": float(len(acc)),
        "generate_seconds": round(t1 - t0, 2), "seal_seconds": round(t2 - t1, 2),
        "seal_entries_per_s": round(sealed / (t2 - t1)),
        "export_seconds": round(export["seconds"], 2), "export_peak_mb": round(export["peak_mb"], 1),
        "verify_seconds": round(verify["seconds"], 2), "verify_peak_mb": round(verify["peak_mb"], 1),
        "verify_worker_peak_mb": round(verify["worker_peak_mb"], 1),
        "export_verify_seconds": round(total, 2), "entries_per_s": round(verify["entries"] / total),
        "verify_entries_per_s": round(verify["entries"] / verify["seconds"]),
        "hashlib_seconds": round(plain["seconds"], 2), "ratio_to_hashlib": round(total / plain["seconds"], 1),
        "verify_ratio_to_hashlib": round(verify["seconds"] / plain["seconds"], 1), "export_mb": round(size_mb, 1),
        "target_seconds": 15.0, "target_peak_mb": 200.0,
    }
    print(f"{'figure':28} {'value':>14}")
    for name, value in figures.items():
        print(f"{name:28} {value:>14,.2f}")
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(json.dumps(_child(sys.argv[1:])))
    else:
        main()
