"""The worker's jobs (DESIGN §3): each does one bounded batch and returns how much it handled."""

from __future__ import annotations

import logging
from collections.abc import Callable

import ledger
from kiosk.checkout import runner
from kiosk.checkout.ports import CheckoutDeps
from kiosk.money.work import money_jobs
from kiosk.settings import Settings, load_settings
from kiosk.worker import Job, JobContext
from ledger.audit import KeyFileError, log_verifiers, signer_from_file
from ledger.audit import db as audit_db

log = logging.getLogger("kiosk.jobs")


def expire_pending(ctx: JobContext) -> int:
    """Local-only pending journals past their timeout are voided; remote ones never expire."""
    with ctx.sessions.begin() as s:
        return len(ledger.expire_pending(s, now=ctx.now()))


def roll_up_sinks(ctx: JobContext) -> int:
    """Fold the unlimited sinks' appended deltas into their counters (reads stay exact either way)."""
    with ctx.sessions.begin() as s:
        return ledger.roll_up(s)


def _settings(ctx: JobContext, fallback: Settings) -> Settings:
    found = ctx.services.get("settings")
    return found if isinstance(found, Settings) else fallback


def audit_jobs(settings: Settings) -> list[Job]:
    """Seal the audit log (every entry within ``seal_delay_s``) and sign checkpoints when due."""

    def seal(ctx: JobContext) -> int:
        with ctx.sessions.begin() as s:
            return audit_db.seal(s, now=ctx.now()).sealed

    def checkpoint(ctx: JobContext) -> int:
        cfg = _settings(ctx, settings)
        with ctx.sessions.begin() as s:
            if not audit_db.checkpoint_due(s, now=ctx.now(), every_entries=cfg.checkpoint_every_entries,
                                           every_s=cfg.checkpoint_every_s):
                return 0
            try:
                signer = signer_from_file(cfg.ledger_key_file, cfg.log_origin)
                earlier = log_verifiers(cfg.ledger_key_file, cfg.log_origin)
            except KeyFileError as exc:  # no key yet (`kiosk keys init`): sealing goes on, signing waits
                log.warning("event=checkpoint_skipped reason=%s", exc.code)
                return 0
            return int(audit_db.write_checkpoint(s, signer, now=ctx.now(), earlier=earlier).new)

    # Half the bound between runs: an entry waits at most one period plus one run. A run that
    # sealed something is followed at once by the next (the worker's rule), draining big queues.
    seal_every = max(0.1, settings.seal_delay_s / 2)
    checkpoint_every = max(0.5, min(5.0, settings.checkpoint_every_s / 2))
    return [Job("seal_audit_log", seal_every, seal), Job("checkpoint_audit_log", checkpoint_every, checkpoint)]


def checkout_jobs(deps: Callable[[], CheckoutDeps]) -> list[Job]:
    def resume(_ctx: JobContext) -> int:
        return runner.resume_due(deps(), runner.runner_id("worker"))

    def abandon(_ctx: JobContext) -> int:
        return runner.abandon_stale(deps(), runner.runner_id("worker"))

    return [Job("resume_checkouts", 1.0, resume), Job("abandon_checkouts", 30.0, abandon)]


def all_jobs(deps: Callable[[], CheckoutDeps], settings: Settings | None = None) -> list[Job]:
    return [*checkout_jobs(deps), Job("expire_pending", 10.0, expire_pending), Job("roll_up_sinks", 5.0, roll_up_sinks),
            *audit_jobs(settings or load_settings()), *money_jobs(deps)]
