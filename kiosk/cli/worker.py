"""``kiosk worker``: the background process, one per database."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from kiosk.db import get_db
from kiosk.jobs import all_jobs
from kiosk.singleton import worker_lock
from kiosk.wiring import services
from kiosk.worker import JobContext, Worker, WorkerAlreadyRunning, utcnow


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
@with_appcontext
def worker_command(once: bool) -> None:
    """Resolve pending BPJS payments, resume checkouts, expire local pending journals, seal the audit log."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    svc = services()
    deps = svc.checkout_deps()
    ctx = JobContext(sessions=get_db().sessions, now=utcnow, services={"settings": current_app.extensions["kiosk.settings"]})
    worker = Worker(worker_lock(get_db().engine), all_jobs(lambda: deps), ctx)
    try:
        if once:
            click.echo(" ".join(f"{k}={v}" for k, v in worker.run_once().items()))
            return
        worker.install_signal_handlers()
        worker.serve()
    except WorkerAlreadyRunning as exc:
        click.echo(f"kiosk worker: {exc}", err=True)
        sys.exit(3)
    finally:
        svc.close()


COMMANDS = [worker_command]
