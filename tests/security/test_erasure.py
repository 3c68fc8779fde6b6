"""Erasing a farmer (crypto-shredding, UU 27/2022) leaves the audit log verifiable — by ``kiosk audit
verify`` on the live database and by the offline verifier on an export — and the farmer unreadable."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

import fertilizer
import ledger
from fertilizer.schema import Farmer
from kiosk.db import get_db
from kiosk.models import Role
from kiosk.seed import SeedConfig, seed_database
from ledger.audit import verify_consistency_between, verify_inclusion_at
from ledger.schema import entries
from tests.security.audit_cli import AuditCli
from tests.security.conftest import close_app, make_app, person
from tests.security.scan import Secrets, scan
from tests.support.kiosk_stack import today_wita

ROOT = Path(__file__).resolve().parents[2]
PURPOSE = "Permintaan data pribadi oleh petani sendiri"


@dataclass(frozen=True)
class Seeded:
    app: Flask
    instance: Path
    niks: dict[str, str]  # nik -> name, every seeded farmer


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> Iterator[Seeded]:
    app = make_app(db_url, tmp_path)
    with app.app_context(), get_db().sessions.begin() as s:
        result = seed_database(s, app.extensions["kiosk.services"].keys(), SeedConfig(farmers=12, as_of=today_wita()),
                               tmp_path / "seed", now=datetime.now(UTC))
    with result.paths["cards"].open(newline="", encoding="utf-8") as fh:
        niks = {row["nik"]: row["name"] for row in csv.DictReader(fh)}
    yield Seeded(app, tmp_path / "instance", niks)
    close_app(app)


def _entry_texts(app: Flask) -> dict[str, str]:
    with app.app_context(), get_db().sessions() as s:
        return {f"entry {r.id}": bytes(r.body).decode("utf-8") for r in s.execute(sa.select(entries.c.id, entries.c.body))}


def test_erasure_keeps_the_log_verifiable_and_the_farmer_unreadable(seeded: Seeded, db_url: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    app, audit = seeded.app, AuditCli(monkeypatch, db_url, seeded.instance)
    keys = app.extensions["kiosk.services"].keys()
    nik = next(iter(seeded.niks))
    with app.app_context(), get_db().sessions() as s:
        record = fertilizer.find_by_nik(s, keys, nik)
        assert record is not None
        topup = ledger.journal_by_key(s, f"seed-topup:{record.pseudonym}")
        assert topup is not None and topup.farmer == record.pseudonym
    admin = person(app, Role.ADMIN)
    assert admin.get(f"/api/v1/farmers/{record.pseudonym}/identity?purpose={PURPOSE}").get_json()["nik"] == nik

    audit.init_key()
    before = audit.checkpoint()
    with app.app_context(), get_db().sessions.begin() as s:
        fertilizer.erase_farmer(s, keys, fertilizer.ledger_audit_sink(), record.pseudonym, actor="admin-0",
                                now=datetime.now(UTC), reason="permintaan petani (UU PDP pasal 8)")
    after = audit.checkpoint()
    assert after.size > before.size

    # the log: live verification, proofs across the erasure, and the offline verifier on an export
    assert audit.ok("audit", "verify").startswith("OK:")
    proof = audit.inclusion(str(topup.id))
    verify_inclusion_at(after, leaf_hash=bytes.fromhex(proof["leaf_hash"]), index=proof["index"],
                        proof=[bytes.fromhex(h) for h in proof["proof"]])
    consistency = audit.ok("audit", "prove", "consistency", str(before.size))
    verify_consistency_between(before, after, [bytes.fromhex(h) for h in json.loads(consistency)["proof"]])
    audit.ok("audit", "export", str(tmp_path / "export"))
    offline = subprocess.run([sys.executable, "-m", "ledger.verify", str(tmp_path / "export"), "--vkey", audit.vkey],
                             cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert offline.returncode == 0, offline.stderr

    # the farmer: unreadable by every path, the key gone, the pseudonym still naming the history
    with app.app_context(), get_db().sessions() as s:
        with pytest.raises(fertilizer.FarmerErased):
            fertilizer.reveal(s, keys, record.pseudonym)
        assert fertilizer.find_by_nik(s, keys, nik) is None
        assert fertilizer.views(s, keys, [record.pseudonym])[0].erased
        row = s.scalars(sa.select(Farmer).where(Farmer.pseudonym == record.pseudonym)).one()
        assert (row.nik_hash, row.nik_ct, row.name_ct, row.birth_ct) == (None, None, None, None)
        assert ledger.journal(s, topup.id) is not None
    assert keys.get([record.id]) == {}
    gone = admin.get(f"/api/v1/farmers/{record.pseudonym}/identity?purpose={PURPOSE}")
    assert gone.status_code == 410

    # no entry of the log ever carried the NIK or the name; the erasure and the NIK view are on it
    texts = _entry_texts(app)
    assert scan(texts, Secrets(niks=set(seeded.niks))) == []
    assert not [t for t in texts.values() if any(n in t for n in seeded.niks.values())]
    kinds = " ".join(texts.values())
    assert "fertilizer.farmer_erased" in kinds and "kiosk.nik_viewed" in kinds and record.pseudonym in kinds
