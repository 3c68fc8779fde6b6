"""Driving checkouts: one step at a time, under a lease, from the web process or the worker.

``drive`` takes the lease, then applies the step its state calls for until the checkout waits for
the operator (DECIDED), for the farmer's PIN (AWAITING_PIN, polled), for a later BPJS attempt, or
is final. Every step records itself before it acts (the step modules), so a process that dies
anywhere leaves a state that says what may have happened; whoever takes the lapsed lease resumes.

The web process runs ``drive`` on a small thread pool (:class:`Runner`) so no request waits for a
card, a PIN or BPJS. The worker resumes what a dead process left (:func:`resume_due`) and abandons
checkouts left before consent (:func:`abandon_stale`): nothing was taken from those.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from kiosk.checkout import changes, consent, identify, printing, settle, store
from kiosk.checkout.ports import CheckoutDeps
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import Event, IllegalTransition, State

log = logging.getLogger("kiosk.checkout")

PIN_POLL_S = 0.02
# states a runner can move on by itself (DECIDED waits for the operator)
DRIVABLE = frozenset({
    State.CREATED, State.IDENTIFIED, State.SELECTED, State.AWAITING_PIN, State.CONSENTED, State.PENDING,
    State.REGISTERING, State.PAYING, State.UNRESOLVED, State.BOOKED, State.REFUSED, State.EXCEPTION,
})
AFTER_CONSENT = frozenset({
    State.CONSENTED, State.PENDING, State.REGISTERING, State.PAYING, State.UNRESOLVED, State.BOOKED, State.REFUSED,
    State.EXCEPTION,
})
BEFORE_CONSENT = frozenset({State.CREATED, State.IDENTIFIED, State.DECIDED, State.SELECTED, State.AWAITING_PIN})


def runner_id(kind: str) -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def step(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> bool:
    """Apply the step for ``row``'s state once. True when something moved (drive again)."""
    match row.state:
        case State.CREATED:
            identify.read_card(deps, row, actor)
        case State.IDENTIFIED:
            identify.make_decision(deps, row, actor)
        case State.SELECTED:
            consent.request_pin(deps, row, actor)
        case State.AWAITING_PIN:
            return consent.await_pin(deps, row, actor)
        case State.CONSENTED:
            settle.book_journal(deps, row, actor)
        case State.PENDING:
            needs_registration = bool((row.decision or {}).get("registration_needed")) and not row.kpj
            (settle.register if needs_registration else settle.pay)(deps, row, actor)
        case State.REGISTERING:
            settle.register(deps, row, actor)
        case State.PAYING | State.UNRESOLVED | State.EXCEPTION:
            settle.resolve(deps, row, actor)
        case State.BOOKED | State.REFUSED:
            settle.finish(deps, row, actor)
        case _:
            return False
    return True


def _due_now(deps: CheckoutDeps, row: CheckoutRow) -> bool:
    return row.next_attempt_at is None or row.next_attempt_at <= deps.now()


def drive(deps: CheckoutDeps, checkout_id: uuid.UUID, actor: str, *, states: frozenset[State] = DRIVABLE,
          deadline_s: float = 300.0) -> State:
    """Move the checkout on as far as it goes now; returns the state it stopped in."""
    with deps.sessions.begin() as s:
        if not store.claim(s, checkout_id, actor, now=deps.now(), lease=deps.settings.lease):
            return store.load(s, checkout_id).state
    give_up = time.monotonic() + deadline_s
    renew_at = time.monotonic() + deps.settings.lease.total_seconds() / 2
    state = State.CREATED
    try:
        while time.monotonic() < give_up:
            with deps.sessions.begin() as s:
                if time.monotonic() >= renew_at:  # extend the lease only when half of it is gone
                    store.claim(s, checkout_id, actor, now=deps.now(), lease=deps.settings.lease)
                    renew_at = time.monotonic() + deps.settings.lease.total_seconds() / 2
                row = store.load(s, checkout_id)
            changes.bump()
            state = row.state
            if state.final or state not in states or not _due_now(deps, row):
                break
            moved = step(deps, row, actor)
            if not moved:
                if state is not State.AWAITING_PIN:
                    break
                time.sleep(PIN_POLL_S)
    except IllegalTransition as exc:  # another actor moved it (cancel, supervisor): theirs stands
        log.info("event=checkout_moved_elsewhere checkout=%s state=%s", checkout_id, exc.state.value)
    finally:
        with deps.sessions.begin() as s:
            store.release(s, checkout_id, actor)
    if state is State.COMPLETED:  # the receipt (never changes the outcome; see kiosk.checkout.printing)
        printing.print_completed(deps, checkout_id)
    return state


def cancel(deps: CheckoutDeps, checkout_id: uuid.UUID, actor: str) -> CheckoutRow:
    """The operator cancels before consent: nothing was taken."""
    from kiosk.checkout.errors import wrong_state

    with deps.sessions.begin() as s:
        row = store.load(s, checkout_id, lock=True)
        if row.state not in BEFORE_CONSENT:
            raise wrong_state(row.state.value, "cancel")
        pin_op = row.pin_operation if row.state is State.AWAITING_PIN else None
        store.move(s, row, Event.ABORTED, actor=actor, now=deps.now(), detail={"code": "cancelled"},
                   error_code="cancelled", error_id="Dibatalkan oleh operator.", error_en="Cancelled by the operator.")
    consent.release_pin(deps, row.kiosk_code, pin_op)
    return row


def resume_due(deps: CheckoutDeps, actor: str, *, limit: int = 20) -> int:
    """The worker's job: drive checkouts after consent that nobody drives and whose time is due."""
    with deps.sessions() as s:
        ids = store.due(s, AFTER_CONSENT, now=deps.now(), limit=limit)
    for checkout_id in ids:
        drive(deps, checkout_id, actor, states=AFTER_CONSENT, deadline_s=30.0)
    return len(ids)


def abandon_stale(deps: CheckoutDeps, actor: str, *, limit: int = 100) -> int:
    """Checkouts left before consent longer than the setting: aborted, nothing was taken."""
    cutoff = deps.now() - deps.settings.abandon_after
    with deps.sessions() as s:
        ids = [i for i in store.due(s, BEFORE_CONSENT, now=deps.now(), limit=limit)
               if store.load(s, i).updated_at < cutoff]
    for checkout_id in ids:
        with deps.sessions.begin() as s:
            row = store.load(s, checkout_id, lock=True)
            pin_op = row.pin_operation if row.state is State.AWAITING_PIN else None
            if row.state in BEFORE_CONSENT and row.updated_at < cutoff:
                store.move(s, row, Event.ABORTED, actor=actor, now=deps.now(), detail={"code": "abandoned"},
                           error_code="abandoned", error_id="Transaksi ditinggalkan; tidak ada yang dipotong.",
                           error_en="The checkout was left unfinished; nothing was taken.")
            else:
                pin_op = None
        consent.release_pin(deps, row.kiosk_code, pin_op)
    return len(ids)


class Runner:
    """The web process's pool of checkout drivers: ``kick`` returns at once."""

    def __init__(self, deps: CheckoutDeps, workers: int = 4) -> None:
        self.deps = deps
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="checkout")
        self._active: set[uuid.UUID] = set()
        self._again: set[uuid.UUID] = set()
        self._lock = threading.Lock()

    def kick(self, checkout_id: uuid.UUID) -> None:
        """Drive this checkout now; if a thread is already driving it, that thread goes round
        once more when it stops (so a kick is never lost to a drive that was just finishing)."""
        with self._lock:
            if checkout_id in self._active:
                self._again.add(checkout_id)
                return
            self._active.add(checkout_id)
        self._pool.submit(self._run, checkout_id)

    def _run(self, checkout_id: uuid.UUID) -> None:
        while True:
            try:
                drive(self.deps, checkout_id, runner_id("web"))
            except Exception:  # the lease lapses and the worker resumes; never lose the thread silently
                log.exception("event=checkout_drive_failed checkout=%s", checkout_id)
            with self._lock:
                if checkout_id in self._again:
                    self._again.discard(checkout_id)
                    continue
                self._active.discard(checkout_id)
                return

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
