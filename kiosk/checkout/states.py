"""The checkout state machine (DESIGN §1, §11): states, events and the allowed transitions.

Pure: no I/O. Every step is recorded (a row of ``checkout_steps``) *before* it is acted on, so a
process that dies at any line leaves a checkout whose state says what may have happened:

    created ─card_verified→ identified ─decided→ decided ─selected→ selected
    selected ─consent_requested→ awaiting_pin ─consented→ consented
    consented ─journal_posted→ completed                  (nothing due to BPJS)
    consented ─journal_pending→ pending
    consented ─journal_refused→ failed                   (balance, quota, stock or deposit short)
    pending ─registration_sent→ registering ─registered→ pending
    pending ─payment_sent→ paying ─booked→ booked ─journal_posted→ completed
    paying ─refused→ refused ─journal_voided→ failed
    paying ─unknown→ unresolved      (the worker asks payment-status until final)
    unresolved ─booked→ booked · unresolved ─refused→ refused
    any state before consented ─aborted→ aborted       (nothing taken)
    pending, unresolved ─escalated→ exception ─resolved_*→ completed | failed (supervisor)
"""

from __future__ import annotations

import enum
from types import MappingProxyType


class State(enum.StrEnum):
    CREATED = "created"
    IDENTIFIED = "identified"
    DECIDED = "decided"
    SELECTED = "selected"
    AWAITING_PIN = "awaiting_pin"
    CONSENTED = "consented"
    PENDING = "pending"
    REGISTERING = "registering"
    PAYING = "paying"
    UNRESOLVED = "unresolved"
    BOOKED = "booked"
    REFUSED = "refused"
    EXCEPTION = "exception"
    COMPLETED = "completed"
    FAILED = "failed"
    ABORTED = "aborted"

    @property
    def final(self) -> bool:
        return self in (State.COMPLETED, State.FAILED, State.ABORTED)

    @property
    def money_may_have_moved(self) -> bool:
        """From consent on, a journal may exist: the checkout can no longer simply be aborted."""
        return self not in _BEFORE_CONSENT


class Event(enum.StrEnum):
    CARD_VERIFIED = "card_verified"
    DECIDED = "decided"
    SELECTED = "selected"
    CONSENT_REQUESTED = "consent_requested"
    CONSENTED = "consented"
    JOURNAL_PENDING = "journal_pending"
    JOURNAL_POSTED = "journal_posted"
    JOURNAL_VOIDED = "journal_voided"
    JOURNAL_REFUSED = "journal_refused"
    REGISTRATION_SENT = "registration_sent"
    REGISTERED = "registered"
    PAYMENT_SENT = "payment_sent"
    BOOKED = "booked"
    REFUSED = "refused"
    UNKNOWN = "unknown"
    ESCALATED = "escalated"
    RESOLVED_POSTED = "resolved_posted"
    RESOLVED_VOIDED = "resolved_voided"
    ABORTED = "aborted"


_BEFORE_CONSENT = frozenset({State.CREATED, State.IDENTIFIED, State.DECIDED, State.SELECTED, State.AWAITING_PIN})

_T: dict[tuple[State, Event], State] = {
    (State.CREATED, Event.CARD_VERIFIED): State.IDENTIFIED,
    (State.IDENTIFIED, Event.DECIDED): State.DECIDED,
    (State.DECIDED, Event.SELECTED): State.SELECTED,
    (State.SELECTED, Event.CONSENT_REQUESTED): State.AWAITING_PIN,
    (State.AWAITING_PIN, Event.CONSENTED): State.CONSENTED,
    (State.CONSENTED, Event.JOURNAL_POSTED): State.COMPLETED,
    (State.CONSENTED, Event.JOURNAL_PENDING): State.PENDING,
    (State.CONSENTED, Event.JOURNAL_REFUSED): State.FAILED,
    (State.PENDING, Event.REGISTRATION_SENT): State.REGISTERING,
    (State.REGISTERING, Event.REGISTERED): State.PENDING,
    (State.REGISTERING, Event.REFUSED): State.REFUSED,
    (State.REGISTERING, Event.UNKNOWN): State.UNRESOLVED,
    (State.PENDING, Event.PAYMENT_SENT): State.PAYING,
    (State.PAYING, Event.BOOKED): State.BOOKED,
    (State.PAYING, Event.REFUSED): State.REFUSED,
    (State.PAYING, Event.UNKNOWN): State.UNRESOLVED,
    (State.UNRESOLVED, Event.BOOKED): State.BOOKED,
    (State.UNRESOLVED, Event.REFUSED): State.REFUSED,
    (State.UNRESOLVED, Event.PAYMENT_SENT): State.PAYING,
    (State.BOOKED, Event.JOURNAL_POSTED): State.COMPLETED,
    (State.REFUSED, Event.JOURNAL_VOIDED): State.FAILED,
    (State.PENDING, Event.ESCALATED): State.EXCEPTION,
    (State.PAYING, Event.ESCALATED): State.EXCEPTION,
    (State.UNRESOLVED, Event.ESCALATED): State.EXCEPTION,
    (State.REGISTERING, Event.ESCALATED): State.EXCEPTION,
    (State.EXCEPTION, Event.RESOLVED_POSTED): State.COMPLETED,
    (State.EXCEPTION, Event.RESOLVED_VOIDED): State.FAILED,
    (State.EXCEPTION, Event.BOOKED): State.BOOKED,
    (State.EXCEPTION, Event.REFUSED): State.REFUSED,
}
for _s in _BEFORE_CONSENT:
    _T[(_s, Event.ABORTED)] = State.ABORTED

TRANSITIONS = MappingProxyType(_T)


class IllegalTransition(Exception):
    def __init__(self, state: State, event: Event) -> None:
        super().__init__(f"checkout in state {state.value!r} cannot take event {event.value!r}")
        self.state = state
        self.event = event


def advance(state: State, event: Event) -> State:
    """The state after ``event``; refuses anything the diagram above does not allow."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event) from None
