"""The worker's audit jobs: every committed entry sealed within ``seal_delay_s``; checkpoints when due."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from kiosk.jobs import audit_jobs
from kiosk.settings import load_settings
from kiosk.singleton import SingletonLock
from kiosk.worker import JobContext, Worker, utcnow
from ledger.audit import create_key_file
from ledger.audit import db as audit_db
from tests.ledger.audit.world import Booked


class NoLock(SingletonLock):
    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        return None

    def held_elsewhere(self) -> bool:
        return False


def sealed(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM ledger_seal")).scalar_one())


def test_entries_are_sealed_within_the_delay_and_checkpoints_follow(engine: sa.Engine, tmp_path: Path) -> None:
    settings = load_settings({}, env="testing", instance_path=str(tmp_path), seal_delay_s=1, checkpoint_every_s=1,
                             checkpoint_every_entries=10)
    create_key_file(settings.ledger_key_file)
    sessions: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
    world = Booked(sessions)
    worker = Worker(NoLock(), audit_jobs(settings), JobContext(sessions, utcnow, {"settings": settings}))
    runner = threading.Thread(target=worker.serve)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while sealed(engine) < 15 and time.monotonic() < deadline:
            time.sleep(0.02)
        delays = []
        for i in range(5):
            before = sealed(engine)
            world.redeem(f"late{i}", 1, 100)
            committed = time.monotonic()
            while sealed(engine) == before and time.monotonic() - committed < 5:
                time.sleep(0.01)
            delays.append(time.monotonic() - committed)
        while time.monotonic() < deadline and worker.runs["checkpoint_audit_log"] < 3:
            time.sleep(0.05)
    finally:
        worker.stop()
        runner.join(10)
    assert max(delays) < settings.seal_delay_s, delays
    with sessions() as s:
        latest = audit_db.latest_checkpoint(s.connection())
    assert latest is not None and latest.size >= 15
