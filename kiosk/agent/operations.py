"""PIN + transaction signature as an asynchronous operation (DESIGN §3: no request is held for
the length of a PIN entry). ``start`` returns an id at once; a thread asks the pad for the PIN,
sends the PIN block to the card (VERIFY) and has the card sign the challenge in transaction
mode; the caller polls ``get``. The PIN block lives only inside that thread.

An operation ends early, at once, when its card goes: the reader reports it removed, another
insertion, or the reader lost (:meth:`PinOperations.on_card_event`): it fails ``card_removed``,
the pad's PIN entry is cancelled, and its thread never signs (the reader refuses a job for an
insertion that is gone, and the thread checks the operation's abort flag before asking). The
kiosk may also cancel one (:meth:`PinOperations.cancel`): it fails ``pin_cancelled``. Either
way the pad is free for the next operation as soon as the old one has ended.
"""

from __future__ import annotations

import enum
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from card_reader.errors import CardError, CardRemoved, DeviceBusy, PinPadUnavailable
from card_reader.logs import log_event
from card_reader.pin import PinBlock
from card_reader.pinpad import kiosk_cancelled
from card_reader.session import EventKind, ReaderStatus, SessionEvent
from card_reader.verify import AuthAnswer

log = logging.getLogger("kiosk.agent.pin")
KEEP_FINISHED = 100


class CardSigner(Protocol):
    """What an operation needs of the reader (:class:`~card_reader.session.ReaderSession`)."""

    def status(self) -> ReaderStatus: ...

    def sign_transaction(self, insertion: int, pin: PinBlock, challenge: bytes) -> AuthAnswer: ...


class PinEntry(Protocol):
    """What an operation needs of the PIN pad (:class:`~kiosk.agent.devices.PinPadPort`)."""

    def get_pin(self, timeout_s: int, amount: int, prompt: str, abort: threading.Event | None = None) -> PinBlock: ...

    def cancel(self, abort: threading.Event | None = None) -> bool: ...


class OpState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class PinRequest:
    insertion: int
    challenge: bytes
    amount: int
    prompt: str
    timeout_s: int


@dataclass
class Operation:
    id: str
    request: PinRequest = field(repr=False)
    state: OpState = OpState.PENDING
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    abort: threading.Event = field(default_factory=threading.Event, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.id, "state": self.state.value, "result": self.result, "error": self.error}


Outcome = tuple[OpState, dict[str, Any] | None, dict[str, Any] | None]


class PinOperations:
    def __init__(self, reader: CardSigner, pinpad: PinEntry | None) -> None:
        self.reader, self.pinpad = reader, pinpad
        self._ops: dict[str, Operation] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, request: PinRequest) -> Operation:
        if self.pinpad is None:
            raise PinPadUnavailable(detail="no PIN pad configured")
        with self._lock:  # card events wait for this lock: a removal is seen here or finds the operation
            if self.reader.status().insertion != request.insertion:
                raise CardRemoved(insertion=request.insertion)
            pending = [op for op in self._ops.values() if op.state is OpState.PENDING]
            same = [op for op in pending if op.request.challenge == request.challenge and op.request.insertion == request.insertion]
            if same:  # the same checkout asking again (two runners after a lease handover): one PIN entry
                return same[0]
            if pending:
                raise DeviceBusy(device="pinpad")
            op = Operation(secrets.token_urlsafe(12), request)
            self._ops[op.id] = op
            self._forget_old()
        self._spawn(self._run, op, name=f"pin-{op.id}")
        log_event(log, "pin.started", operation=op.id, insertion=request.insertion, amount=request.amount)
        return op

    def get(self, op_id: str) -> Operation | None:
        with self._lock:
            return self._ops.get(op_id)

    def cancel(self, op_id: str) -> Operation | None:
        """The kiosk cancels one operation: ``pin_cancelled`` if it was pending (the pad is free
        when this returns); an operation that already ended is returned as it is."""
        with self._lock:
            op = self._ops.get(op_id)
            ended = op is not None and self._end(op, kiosk_cancelled(), "kiosk")
        if op is not None and ended:
            self._cancel_pad(op)
        return op

    def on_card_event(self, event: SessionEvent) -> None:
        """A reader event (called on the reader's worker thread: never blocks on the pad).

        Removed: its insertion's operations end; inserted: every other insertion's do; the
        reader lost: all do. Each fails ``card_removed`` at once.
        """
        with self._lock:
            ended = [op for op in self._ops.values() if self._gone(op, event)
                     and self._end(op, CardRemoved(insertion=op.request.insertion), event.kind.value)]
        for op in ended:
            self._spawn(self._cancel_pad, op, name=f"pin-cancel-{op.id}")

    def join(self, timeout: float = 5.0) -> None:
        for thread in list(self._threads):
            thread.join(timeout)

    # ---- internals --------------------------------------------------------------------------

    @staticmethod
    def _gone(op: Operation, event: SessionEvent) -> bool:
        if op.state is not OpState.PENDING:
            return False
        if event.kind is EventKind.REMOVED:
            return event.insertion == op.request.insertion
        if event.kind is EventKind.INSERTED:
            return event.insertion != op.request.insertion
        return event.kind is EventKind.READER_LOST

    def _end(self, op: Operation, error: CardError, cause: str) -> bool:
        """Fail a pending operation now (caller holds the lock); its thread's outcome is dropped."""
        if op.state is not OpState.PENDING:
            return False
        op.abort.set()
        op.state, op.error, op.finished = OpState.FAILED, error.to_dict(), time.monotonic()
        log_event(log, "pin.aborted", operation=op.id, cause=cause, error=error.code,
                  ms=round((op.finished - op.started) * 1000, 1))
        return True

    def _cancel_pad(self, op: Operation) -> None:
        """Cancel this operation's PIN entry, if its thread is in one (never another's)."""
        if self.pinpad is None:
            return
        try:
            self.pinpad.cancel(op.abort)
        except CardError as exc:  # the aborted operation has ended anyway; the pad reports its state
            log_event(log, "pin.cancel_failed", logging.WARNING, error=exc.code)

    def _spawn(self, target: Callable[..., None], *args: Any, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _forget_old(self) -> None:
        finished = sorted((op for op in self._ops.values() if op.finished is not None), key=lambda o: o.finished or 0)
        for op in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._ops[op.id]

    def _run(self, op: Operation) -> None:
        try:
            outcome = self._attempt(op)
        except CardError as exc:
            outcome = (OpState.FAILED, None, exc.to_dict())
        except Exception as exc:  # never leave an operation pending forever
            log.exception("pin.crashed")
            outcome = (OpState.FAILED, None, CardError(detail=type(exc).__name__).to_dict())
        with self._lock:
            if op.state is not OpState.PENDING:  # aborted meanwhile: that outcome stands
                log_event(log, "pin.thread_ended", operation=op.id, dropped=outcome[0].value)
                return
            op.state, op.result, op.error = outcome
            op.finished = time.monotonic()
        log_event(log, "pin.finished", operation=op.id, state=op.state.value,
                  error=(op.error or {}).get("code", ""), ms=round((op.finished - op.started) * 1000, 1))

    def _attempt(self, op: Operation) -> Outcome:
        req = op.request
        if self.pinpad is None:
            raise PinPadUnavailable(detail="no PIN pad configured")
        block = self.pinpad.get_pin(req.timeout_s, req.amount, req.prompt, abort=op.abort)
        if op.abort.is_set():  # the card went (or the kiosk cancelled) while the PIN came in
            raise kiosk_cancelled()
        answer = self.reader.sign_transaction(req.insertion, block, req.challenge)
        del block
        return OpState.DONE, {"atc": answer.atc, "signature": answer.signature.hex()}, None
