"""When is a payment's outcome final? (DESIGN §8)

Booked and refused are final. "Not found" is final only when the host can no longer accept the
payment: the host refuses any request whose X-TIMESTAMP is older than its acceptance window, and it
checks that inside the same serialized transaction that would book it. So once the host's clock
has passed ``timestamp + window``, a "not found" answer is the last word.

We do not read the host's clock directly: the status answer's Date header bounds the offset
between the host clock and ours (:class:`~bpjs_link.results.ClockOffset`), and the host handled
the status request no earlier than ``asked_at`` on our clock. The host's clock at that moment is at
least ``asked_at + offset.low``; if that is past ``timestamp + window + margin``, "not found" is final.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bpjs_link.results import ClockOffset, PaymentState, PaymentStatus

DEFAULT_MARGIN = timedelta(seconds=2)


class Finality(StrEnum):
    BOOKED = "booked"          # final: post the journal
    REFUSED = "refused"        # final: void the journal
    NOT_BOOKED = "not_booked"  # final: the host can never book it now; void the journal
    PENDING = "pending"        # not final: ask again later


def not_found_final_at(payment_timestamp: datetime, window: timedelta, clock: ClockOffset,
                       margin: timedelta = DEFAULT_MARGIN) -> datetime:
    """On our clock, the earliest moment at which a "not found" asked from then on is final."""
    if payment_timestamp.tzinfo is None:
        raise ValueError("naive datetime: every time must carry its zone")
    return payment_timestamp + window + margin - clock.low


def final_status(status: PaymentStatus, *, payment_timestamp: datetime, window: timedelta,
                 margin: timedelta = DEFAULT_MARGIN) -> Finality:
    """The rule of DESIGN §8 over one payment-status answer."""
    if status.state is PaymentState.BOOKED:
        return Finality.BOOKED
    if status.state is PaymentState.REFUSED:
        return Finality.REFUSED
    if status.asked_at > not_found_final_at(payment_timestamp, window, status.host_clock, margin):
        return Finality.NOT_BOOKED
    return Finality.PENDING
