"""The web side's client for the device agent (httpx; no pyscard or pyserial in the web process).

It returns the card's raw answers; the web side verifies them (``kiosk.cards``). Errors come back
as the same :class:`~card_reader.errors.CardError` subclasses the agent raised; a dead agent is
:class:`~kiosk.agent.errors.AgentUnavailable`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from card_reader.errors import CardError, error_from_dict
from card_reader.records import CardRecords
from card_reader.verify import AuthAnswer, CardRead
from kiosk.agent.errors import AgentRefused, AgentUnavailable


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


def _hex(value: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except (TypeError, ValueError):
        raise AgentRefused(detail=f"agent answer: {what} is not hex") from None


class AgentClient:
    def __init__(self, url: str, token: str, timeout_s: float = 5.0, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout_s, transport=transport,
                                  headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AgentClient:
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
            raise error_from_dict(body.get("error") if isinstance(body, dict) else None)
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
        body = self._call("GET", f"/v1/pin/{op_id}")
        answer = error = None
        if body["state"] == "done":
            answer = AuthAnswer(int(body["result"]["atc"]), _hex(body["result"]["signature"], "signature"))
        elif body["state"] == "failed":
            error = error_from_dict(body.get("error"))
        return PinOperation(str(body["operation"]), str(body["state"]), answer, error)

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
