"""The worker: one per database, and a failing job never stops the others."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from kiosk.singleton import worker_lock
from kiosk.worker import Job, JobContext, Worker, WorkerAlreadyRunning, utcnow
from ledger.storage import create_engine


def test_second_lock_is_refused_until_the_first_is_released(engine: sa.Engine) -> None:
    first, second = worker_lock(engine), worker_lock(engine)
    assert first.acquire()
    assert second.held_elsewhere()
    assert not second.acquire()
    first.release()
    assert not second.held_elsewhere()
    assert second.acquire()
    second.release()


def test_a_killed_worker_releases_the_lock(db_url: str) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from ledger.storage import create_engine
        from kiosk.singleton import worker_lock
        lock = worker_lock(create_engine({db_url!r}))
        assert lock.acquire()
        print("held", flush=True)
        time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    engine = create_engine(db_url)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        lock = worker_lock(engine)
        assert not lock.acquire()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while not lock.acquire():  # PostgreSQL notices the dead backend's socket promptly
            assert time.monotonic() < deadline, "lock never released after the holder died"
            time.sleep(0.1)
        lock.release()
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
        engine.dispose()


def test_jobs_run_and_a_failing_job_does_not_stop_the_others(engine: sa.Engine) -> None:
    calls: list[str] = []

    def good(ctx: JobContext) -> int:
        calls.append("good")
        return 0

    def bad(ctx: JobContext) -> int:
        calls.append("bad")
        raise RuntimeError("boom")

    ctx = JobContext(sessions=sessionmaker(engine), now=utcnow)
    worker = Worker(worker_lock(engine), [Job("bad", 0.05, bad), Job("good", 0.05, good)], ctx)
    assert worker.run_once() == {"bad": 0, "good": 0}
    thread = threading.Thread(target=worker.serve)
    thread.start()
    time.sleep(0.4)
    worker.stop()
    thread.join(timeout=10)
    assert calls.count("good") >= 3 and calls.count("bad") >= 3
    assert worker.runs["good"] >= 3 and worker.runs["bad"] == 0


def test_worker_refuses_to_start_twice(engine: sa.Engine) -> None:
    ctx = JobContext(sessions=sessionmaker(engine), now=utcnow)
    holder = worker_lock(engine)
    assert holder.acquire()
    try:
        worker = Worker(worker_lock(engine), [], ctx)
        try:
            worker.serve()
            raise AssertionError("a second worker started")
        except WorkerAlreadyRunning:
            pass
    finally:
        holder.release()
