"""PIN + transaction signature as an asynchronous operation (DESIGN §3: no request is held for
the length of a PIN entry). ``start`` returns an id at once; a thread asks the pad for the PIN,
sends the PIN block to the card (VERIFY) and has the card sign the challenge in transaction
mode; the caller polls ``get``. The PIN block lives only inside that thread.
"""

from __future__ import annotations

import enum
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from card_reader.errors import CardError, CardRemoved, DeviceBusy, PinPadUnavailable
from card_reader.logs import log_event
from card_reader.session import ReaderSession
from kiosk.agent.devices import PinPadPort

log = logging.getLogger("kiosk.agent.pin")
KEEP_FINISHED = 100


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

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.id, "state": self.state.value, "result": self.result, "error": self.error}


class PinOperations:
    def __init__(self, reader: ReaderSession, pinpad: PinPadPort | None) -> None:
        self.reader, self.pinpad = reader, pinpad
        self._ops: dict[str, Operation] = {}
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self, request: PinRequest) -> Operation:
        if self.pinpad is None:
            raise PinPadUnavailable(detail="no PIN pad configured")
        if self.reader.status().insertion != request.insertion:
            raise CardRemoved(insertion=request.insertion)
        with self._lock:
            if any(op.state is OpState.PENDING for op in self._ops.values()):
                raise DeviceBusy(device="pinpad")
            op = Operation(secrets.token_urlsafe(12), request)
            self._ops[op.id] = op
            self._forget_old()
        thread = threading.Thread(target=self._run, args=(op,), name=f"pin-{op.id}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        log_event(log, "pin.started", operation=op.id, insertion=request.insertion, amount=request.amount)
        return op

    def get(self, op_id: str) -> Operation | None:
        with self._lock:
            return self._ops.get(op_id)

    def _forget_old(self) -> None:
        finished = sorted((op for op in self._ops.values() if op.finished is not None), key=lambda o: o.finished or 0)
        for op in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._ops[op.id]

    def _run(self, op: Operation) -> None:
        req = op.request
        try:
            if self.pinpad is None:
                raise PinPadUnavailable(detail="no PIN pad configured")
            block = self.pinpad.get_pin(req.timeout_s, req.amount, req.prompt)
            answer = self.reader.sign_transaction(req.insertion, block, req.challenge)
            del block
            outcome: tuple[OpState, dict[str, Any] | None, dict[str, Any] | None] = (
                OpState.DONE, {"atc": answer.atc, "signature": answer.signature.hex()}, None)
        except CardError as exc:
            outcome = (OpState.FAILED, None, exc.to_dict())
        except Exception as exc:  # never leave an operation pending forever
            log.exception("pin.crashed")
            outcome = (OpState.FAILED, None, CardError(detail=type(exc).__name__).to_dict())
        with self._lock:
            op.state, op.result, op.error = outcome
            op.finished = time.monotonic()
        log_event(log, "pin.finished", operation=op.id, state=op.state.value,
                  error=(op.error or {}).get("code", ""), ms=round((op.finished - op.started) * 1000, 1))

    def join(self, timeout: float = 5.0) -> None:
        for thread in self._threads:
            thread.join(timeout)
