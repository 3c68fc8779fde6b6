"""Loading, leasing and moving checkouts. Services: they take a Session and never commit.

Every move goes through :func:`move`: the state machine allows it, the version goes up by one and
a step row records it (``seq`` = the new version), in the caller's transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from kiosk.checkout.errors import idempotency_conflict, not_found
from kiosk.checkout.schema import CheckoutRow, CheckoutStep
from kiosk.checkout.states import Event, State, advance
from ledger import new_journal_id


def create(session: Session, *, kiosk: str, operator: str, key: str, actor: str, now: datetime) -> tuple[CheckoutRow, bool]:
    """A new checkout, or the one already made with this idempotency key (then ``False``)."""
    found = session.scalar(sa.select(CheckoutRow).where(CheckoutRow.kiosk_code == kiosk, CheckoutRow.idempotency_key == key))
    if found is not None:
        if found.operator != operator:
            raise idempotency_conflict(key)
        return found, False
    row = CheckoutRow(
        id=new_journal_id(now), kiosk_code=kiosk, operator=operator, idempotency_key=key, state=State.CREATED,
        version=0, created_at=now, updated_at=now, attempts=0, fertilizer_total=0, contribution=0, agent_fee=0,
    )
    session.add(row)
    session.add(CheckoutStep(checkout_id=row.id, seq=0, event="created", state_after=State.CREATED, at=now,
                             actor=actor, detail={}))
    session.flush()
    return row, True


def load(session: Session, checkout_id: uuid.UUID, *, lock: bool = False) -> CheckoutRow:
    query = sa.select(CheckoutRow).where(CheckoutRow.id == checkout_id)
    if lock:
        query = query.with_for_update()
    row = session.scalar(query.execution_options(populate_existing=True))
    if row is None:
        raise not_found()
    return row


def move(session: Session, row: CheckoutRow, event: Event, *, actor: str, now: datetime,
         detail: dict[str, Any] | None = None, **fields: Any) -> CheckoutRow:
    """Apply ``event`` (refused if the state machine does not allow it), set ``fields``, log it."""
    row.state = advance(row.state, event)
    for name, value in fields.items():
        if not hasattr(CheckoutRow, name):
            raise AttributeError(f"checkout has no field {name!r}")
        setattr(row, name, value)
    touch(row, now)
    session.add(CheckoutStep(checkout_id=row.id, seq=row.version, event=event.value, state_after=row.state, at=now,
                             actor=actor, detail=detail or {}))
    session.flush()
    return row


def touch(row: CheckoutRow, now: datetime) -> None:
    """A change that is not a state move (e.g. a new PIN operation id): the version still moves,
    so long-polling clients see it."""
    row.version += 1
    row.updated_at = now


def note(session: Session, row: CheckoutRow, what: str, *, actor: str, now: datetime, detail: dict[str, Any]) -> None:
    """A step that changes fields but not the state (a PIN retry, a back-off)."""
    touch(row, now)
    session.add(CheckoutStep(checkout_id=row.id, seq=row.version, event=what, state_after=row.state, at=now,
                             actor=actor, detail=detail))
    session.flush()


def claim(session: Session, checkout_id: uuid.UUID, runner: str, *, now: datetime, lease: timedelta) -> bool:
    """Take (or extend) the right to drive this checkout; False while another runner's lease lasts."""
    result = session.execute(
        sa.update(CheckoutRow)
        .where(CheckoutRow.id == checkout_id)
        .where(sa.or_(CheckoutRow.runner.is_(None), CheckoutRow.runner == runner, CheckoutRow.lease_until < now))
        .values(runner=runner, lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def release(session: Session, checkout_id: uuid.UUID, runner: str) -> None:
    session.execute(
        sa.update(CheckoutRow)
        .where(CheckoutRow.id == checkout_id, CheckoutRow.runner == runner)
        .values(runner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def due(session: Session, states: frozenset[State], *, now: datetime, limit: int = 50) -> list[uuid.UUID]:
    """Checkouts in ``states`` nobody drives now and whose next attempt is due."""
    query = (
        sa.select(CheckoutRow.id)
        .where(CheckoutRow.state.in_(list(states)))
        .where(sa.or_(CheckoutRow.lease_until.is_(None), CheckoutRow.lease_until < now))
        .where(sa.or_(CheckoutRow.next_attempt_at.is_(None), CheckoutRow.next_attempt_at <= now))
        .order_by(CheckoutRow.next_attempt_at.nulls_first(), CheckoutRow.created_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def steps(session: Session, checkout_id: uuid.UUID) -> list[CheckoutStep]:
    return list(session.scalars(sa.select(CheckoutStep).where(CheckoutStep.checkout_id == checkout_id).order_by(CheckoutStep.seq)))
