"""Clients of the emulators' control APIs (JSON on loopback; docs/card.md, docs/receipts.md).

What the demo control page, the tests and ``kiosk devices`` do to the emulated hardware: insert
and remove cards, queue or type a PIN on the pad, inject printer faults and read what was printed.
A refusal or a dead emulator raises :class:`~kiosk.devstack.errors.ControlFailed`.
"""

from __future__ import annotations

from typing import Any

import httpx

from kiosk.devstack.errors import ControlFailed

TIMEOUT_S = 15.0


class ControlClient:
    def __init__(self, url: str, name: str, timeout_s: float = TIMEOUT_S) -> None:
        self.url, self.name, self.timeout_s = url.rstrip("/"), name, timeout_s

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            response = httpx.request(method, self.url + path, json=body, timeout=self.timeout_s)
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ControlFailed(f"{self.name} tidak menjawab ({type(exc).__name__}).",
                                f"{self.name} does not answer ({type(exc).__name__}).",
                                url=self.url + path) from None
        if response.status_code != 200 or not isinstance(answer, dict):
            error = answer.get("error", {}) if isinstance(answer, dict) else {}
            raise ControlFailed(f"{self.name} menolak: {error.get('message_id', response.status_code)}",
                                f"{self.name} refused: {error.get('message_en', response.status_code)}",
                                url=self.url + path, status=response.status_code, answer=answer)
        return answer


class CardControl(ControlClient):
    """``python -m firmware_stubs.card serve``: slots 0 and 1, the deck of card images."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "card emulator")

    def insert(self, card_number: str, slot: int = 0) -> dict[str, Any]:
        return self.call("POST", "/insert", {"card_number": card_number, "slot": slot})

    def remove(self, slot: int = 0) -> dict[str, Any]:
        return self.call("POST", "/remove", {"slot": slot})

    def status(self) -> dict[str, Any]:
        return self.call("GET", "/status")

    def cards(self) -> list[dict[str, Any]]:
        cards: list[dict[str, Any]] = self.call("GET", "/cards")["cards"]
        return cards

    def card_state(self, card_number: str) -> dict[str, Any]:
        for card in self.cards():
            if card["card_number"] == card_number:
                return card
        raise ControlFailed("Kartu tidak ada di dek.", "No such card in the deck.", card_number=card_number)


class PinPadControl(ControlClient):
    """``python -m firmware_stubs.pinpad serve``: queued answers, typed keys, line faults."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "PIN pad")

    def queue_pin(self, pin: str, delay_s: float = 0.0) -> dict[str, Any]:
        """The farmer's answer to the next PIN request (the PIN is never logged)."""
        return self.call("POST", "/queue", {"pin": pin, "delay_s": delay_s})

    def queue(self, action: str, delay_s: float = 0.0) -> dict[str, Any]:
        """``cancel`` or ``timeout`` as the answer to the next PIN request."""
        return self.call("POST", "/queue", {"action": action, "delay_s": delay_s})

    def type_keys(self, digits: str = "", *, enter: bool = False, cancel: bool = False,
                  clear: bool = False) -> dict[str, Any]:
        """Keys pressed on the pad now (the demo page types with this)."""
        return self.call("POST", "/keys", {"keys": digits, "enter": enter, "cancel": cancel, "clear": clear})

    def faults(self, **counts: Any) -> dict[str, Any]:
        return self.call("POST", "/faults", counts)

    def reset(self) -> dict[str, Any]:
        return self.call("POST", "/reset", {})

    def status(self) -> dict[str, Any]:
        return self.call("GET", "/status")


class PrinterControl(ControlClient):
    """``python -m firmware_stubs.printer``: printed receipts (text + QR payloads) and faults."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "printer emulator")

    def status(self) -> dict[str, Any]:
        return self.call("GET", "/status")

    def receipts(self, after: int = 0) -> list[dict[str, Any]]:
        receipts: list[dict[str, Any]] = self.call("POST", "/receipts", {"after": after})["receipts"]
        return receipts

    def receipt(self, number: int) -> dict[str, Any]:
        return self.call("POST", "/receipt", {"number": number})

    def faults(self, **changes: Any) -> dict[str, Any]:
        return self.call("POST", "/faults", changes)

    def reset(self) -> dict[str, Any]:
        return self.call("POST", "/reset", {})
