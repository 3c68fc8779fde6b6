"""The web side's client for the device agent (httpx; no pyscard or pyserial in the web process).

It returns the card's raw answers; the web side verifies them (``kiosk.cards``). Errors come back
as the same :class:`~card_reader.errors.CardError` subclasses the agent raised; a dead agent is
:class:`~kiosk.agent.errors.AgentUnavailable`. Printing answers with a :class:`PrintOutcome`
(printed, or queued and why); its refusals are the receipts errors (``InvalidReceipt``,
``UnknownPrintJob``, ``PrintKeyConflict``, ``NoPrinter``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import httpx

from card_reader.errors import CardError, error_from_dict
from card_reader.records import CardRecords
from card_reader.verify import AuthAnswer, CardRead
from kiosk.agent.errors import AgentRefused, AgentUnavailable, receipt_error_from_dict
from kiosk.agent.print_types import PrintState
from kiosk.receipts.codec import receipt_to_dict
from kiosk.receipts.errors import ReceiptError
from kiosk.receipts.model import Receipt


@dataclass(frozen=True)
class AgentEvent:
    seq: int
    kind: str
    reader: str | None
    insertion: int | None
    at: str


@dataclass(frozen=True)
class PinOperation:
    id: str
    state: str  # pending | done | failed
    answer: AuthAnswer | None
    error: CardError | None


@dataclass(frozen=True)
class PrintOutcome:
    """One receipt's print job as the agent reports it."""

    key: str | None
    job: str
    state: PrintState
    kind: str
    journal_id: str
    copy: bool
    copy_of: str | None
    attempts: int
    created_at: datetime
    printed_at: datetime | None
    reason: ReceiptError | None  # why it is still queued (a PrinterError: offline, paper out, ...)
    message_id: str  # what to tell the operator
    message_en: str
    replayed: bool
    paper_near_end: bool

    @property
    def printed(self) -> bool:
        return self.state is PrintState.PRINTED

    @classmethod
    def from_json(cls, body: Any) -> PrintOutcome:
        try:
            printed_at = body["printed_at"]
            return cls(body["key"], str(body["job"]), PrintState(body["state"]), str(body["kind"]),
                       str(body["journal_id"]), bool(body["copy"]), body["copy_of"], int(body["attempts"]),
                       datetime.fromisoformat(body["created_at"]),
                       datetime.fromisoformat(printed_at) if printed_at else None,
                       receipt_error_from_dict(body["reason"]), str(body["message_id"]), str(body["message_en"]),
                       bool(body["replayed"]), bool(body["paper_near_end"]))
        except (KeyError, TypeError, ValueError):
            raise AgentRefused(detail="agent answer: unexpected print job shape") from None


def _hex(value: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise AgentRefused(detail=f"agent answer: {what} is not hex") from None


class AgentClient:
    def __init__(self, url: str, token: str, timeout_s: float = 5.0, transport: httpx.BaseTransport | None = None,
                 print_timeout_s: float = 15.0) -> None:
        self.print_timeout_s = print_timeout_s  # a receipt at 9600 baud takes ~1.5 s; a write may wait 5 s
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s, transport=transport,
                                  headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, timeout: float | None = None, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
                                          **kwargs)
        except httpx.HTTPError as exc:
            raise AgentUnavailable(detail=type(exc).__name__) from None
        try:
            body = response.json()
        except ValueError:
            raise AgentUnavailable(detail=f"HTTP {response.status_code} without JSON") from None
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            raise receipt_error_from_dict(error) or error_from_dict(error)
        return body

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = self._call("GET", "/v1/status")
        return body

    def events(self, after: int = 0, wait: float = 0.0) -> tuple[list[AgentEvent], int]:
        body = self._call("GET", "/v1/card/events", params={"after": after, "wait": wait}, timeout=wait + 5)
        events = [AgentEvent(e["seq"], e["kind"], e.get("reader"), e.get("insertion"), e["at"]) for e in body["events"]]
        return events, int(body["cursor"])

    def read_card(self, challenge: bytes) -> CardRead:
        body = self._call("POST", "/v1/card/read", json={"challenge": challenge.hex()})
        try:
            r1, r2, r3 = (_hex(r, "record") for r in body["records"])
            check = body["card_check"]
            return CardRead(int(body["insertion"]), CardRecords(r1, r2, r3),
                            AuthAnswer(int(check["atc"]), _hex(check["signature"], "signature")))
        except (KeyError, TypeError, ValueError):
            raise AgentRefused(detail="agent answer: unexpected shape") from None

    def start_pin(self, insertion: int, challenge: bytes, amount: int, prompt: str = "", timeout_s: int = 60) -> str:
        body = self._call("POST", "/v1/pin", json={"insertion": insertion, "challenge": challenge.hex(),
                                                   "amount": amount, "prompt": prompt, "timeout_s": timeout_s})
        return str(body["operation"])

    def pin_operation(self, op_id: str) -> PinOperation:
        return self._operation(self._call("GET", f"/v1/pin/{op_id}"))

    def cancel_pin(self, op_id: str) -> PinOperation:
        """Cancel a PIN operation: a pending one ends ``failed`` with PinEntryCancelled and the pad is
        free when this returns; one that already ended comes back as it is. Unknown: AgentRefused."""
        return self._operation(self._call("POST", f"/v1/pin/{op_id}/cancel"))

    @staticmethod
    def _operation(body: Any) -> PinOperation:
        answer = error = None
        try:
            if body["state"] == "done":
                answer = AuthAnswer(int(body["result"]["atc"]), _hex(body["result"]["signature"], "signature"))
            elif body["state"] == "failed":
                error = error_from_dict(body.get("error"))
            return PinOperation(str(body["operation"]), str(body["state"]), answer, error)
        except (KeyError, TypeError, ValueError):
            raise AgentRefused(detail="agent answer: unexpected PIN operation shape") from None

    def wait_pin(self, op_id: str, timeout_s: float, poll_s: float = 0.05) -> AuthAnswer:
        """Poll until the operation ends; its error is raised. (Checkout steps poll themselves.)"""
        deadline = time.monotonic() + timeout_s
        while True:
            op = self.pin_operation(op_id)
            if op.answer is not None:
                return op.answer
            if op.error is not None:
                raise op.error
            if time.monotonic() > deadline:
                raise AgentUnavailable(detail="PIN operation still pending")
            time.sleep(poll_s)

    def display(self, text: str) -> None:
        self._call("POST", "/v1/pinpad/display", json={"text": text})

    # ---- receipts --------------------------------------------------------------------------

    def print_receipt(self, key: str, receipt: Receipt) -> PrintOutcome:
        """Print (or queue) ``receipt``; the same ``key`` never prints twice (e.g. ``sale:<journal id>``)."""
        body = self._call("POST", "/v1/print", json={"key": key, "receipt": receipt_to_dict(receipt)},
                          timeout=self.print_timeout_s)
        return PrintOutcome.from_json(body)

    def print_job(self, key: str) -> PrintOutcome:
        return PrintOutcome.from_json(self._call("GET", f"/v1/print/{key}"))

    def reprint(self, key: str, new_key: str | None = None) -> PrintOutcome:
        """The receipt of ``key`` again, marked "SALINAN / COPY"; ``new_key`` makes the reprint idempotent."""
        body = self._call("POST", f"/v1/print/{key}/reprint", json={"key": new_key} if new_key else {},
                          timeout=self.print_timeout_s)
        return PrintOutcome.from_json(body)

    def print_queue(self) -> list[PrintOutcome]:
        """The receipts still waiting for the printer, oldest first."""
        body = self._call("GET", "/v1/print")
        try:
            return [PrintOutcome.from_json(job) for job in body["jobs"]]
        except (KeyError, TypeError):
            raise AgentRefused(detail="agent answer: unexpected print queue shape") from None
