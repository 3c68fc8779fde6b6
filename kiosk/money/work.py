"""The worker's money jobs (added to ``kiosk.jobs.all_jobs``): each does one bounded batch.

* ``print_receipts`` (every 3 s): a completed checkout without a receipt record gets one and is
  printed; a receipt the agent never received (``unsent``) is sent again; a ``queued`` one is asked
  about (the agent prints queued receipts by itself once the printer is back), so the operator's
  screen turns to "printed".
* ``reconcile_yesterday`` (every 10 min): once per WIB day, from 01:00 WIB on (late payments of
  the day before have had an hour to settle), reconcile yesterday with BPJS's settlement list, unless
  a run for that day exists already (a supervisor's, or an earlier one of this job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from bpjs_link import BpjsError
from kiosk.checkout import printing
from kiosk.checkout.ports import CheckoutDeps
from kiosk.money import prints, reconcile
from kiosk.money.schema import ReceiptPrint
from kiosk.worker import Job, JobContext

log = logging.getLogger("kiosk.money")
RECONCILE_AFTER = timedelta(hours=1)  # past WIB midnight
JOB_ACTOR = "worker"


def print_receipts(deps: CheckoutDeps, *, limit: int = 20) -> int:
    handled = printing.print_missing(deps, limit=limit)
    with deps.sessions() as s:
        keys = prints.waiting(s, limit=limit)
    for key in keys:
        with deps.sessions() as s:
            row = s.get(ReceiptPrint, key)
            state = row.state if row is not None else None
        if state == "unsent":  # counted only when it reached the agent: no busy loop while the agent is down
            sent = prints.deliver(deps.sessions, deps.agent, deps.keys, key, now=deps.now)
            handled += int(sent.state in ("printed", "queued"))
        elif state == "queued":
            after = prints.refresh(deps.sessions, deps.agent, key, now=deps.now)
            handled += int(after is not None and after.state == "printed")
    return handled


def reconcile_yesterday(ctx: JobContext, deps: CheckoutDeps) -> int:
    now = ctx.now()
    day = reconcile.yesterday_wib(now)
    start, _ = reconcile.wib_window(day + timedelta(days=1))
    if now < start + RECONCILE_AFTER:
        return 0
    with ctx.sessions() as s:
        if reconcile.latest(s, day) is not None:
            return 0
    try:
        run = reconcile.run(ctx.sessions, deps.bpjs, day, actor=JOB_ACTOR, now=ctx.now)
    except BpjsError as err:  # BPJS unreachable: the next period tries again
        log.warning("event=reconcile_skipped day=%s code=%s", day, err.code)
        return 0
    log.info("event=reconciled day=%s matched=%d differences=%d opened=%d", day, run.reconciliation.matched,
             len(run.lines) - run.reconciliation.matched, run.opened)
    return 1


def money_jobs(deps: Callable[[], CheckoutDeps]) -> list[Job]:
    return [Job("print_receipts", 3.0, lambda _ctx: print_receipts(deps())),
            Job("reconcile_yesterday", 600.0, lambda ctx: reconcile_yesterday(ctx, deps()))]
