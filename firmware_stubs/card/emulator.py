"""The card emulator: a deck of card images and the slots of the virtual reader.

``insert`` loads a card image from the deck and plugs it into a slot (connects to vpcd);
``remove`` unplugs it. The control interface exposes the same operations as JSON.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from firmware_stubs.card.applet import Applet
from firmware_stubs.card.image import ImageError, deck_paths, load_image
from firmware_stubs.card.vpcd import Endpoint, Slot
from firmware_stubs.control import BadRequest, Handler

CONNECT_WAIT_S = 2.0


class CardEmulator:
    def __init__(self, deck: Path, endpoints: list[Endpoint], max_answer: int = 256) -> None:
        self.deck = Path(deck)
        self.slots = [Slot(i, ep) for i, ep in enumerate(endpoints)]
        self.max_answer = max_answer
        self._lock = threading.Lock()

    def _slot(self, index: int) -> Slot:
        if not 0 <= index < len(self.slots):
            raise BadRequest(f"Slot {index} tidak ada.", f"There is no slot {index}.")
        return self.slots[index]

    def insert(self, card_number: str, slot: int = 0) -> dict[str, Any]:
        with self._lock:
            target = self._slot(slot)
            path = deck_paths(self.deck).get(card_number)
            if path is None:
                raise BadRequest(f"Kartu {card_number} tidak ada di dek.", f"Card {card_number} is not in the deck.")
            if any(s.card_number == card_number for s in self.slots):
                raise BadRequest("Kartu itu sudah di dalam pembaca.", "That card is already in a reader.")
            if target.applet is not None:
                raise BadRequest(f"Slot {slot} sudah berisi kartu.", f"Slot {slot} already holds a card.")
            try:
                image = load_image(path)
            except ImageError as exc:
                raise BadRequest("Berkas kartu rusak.", str(exc)) from None
            target.insert(Applet(image, self.max_answer))
        connected = target.connected.wait(CONNECT_WAIT_S)
        return {"slot": slot, "card_number": card_number, "connected": connected}

    def remove(self, slot: int = 0) -> dict[str, Any]:
        with self._lock:
            return {"slot": slot, "card_number": self._slot(slot).remove()}

    def status(self) -> dict[str, Any]:
        return {"slots": [{"slot": s.index, "vpcd": str(s.endpoint), "card_number": s.card_number,
                           "connected": s.connected.is_set()} for s in self.slots]}

    def cards(self) -> dict[str, Any]:
        out: list[dict[str, Any]] = []
        inserted = {s.card_number: s.index for s in self.slots if s.card_number}
        for number, path in deck_paths(self.deck).items():
            try:
                image = load_image(path)
            except ImageError:
                out.append({"card_number": number, "error": "unreadable"})
                continue
            out.append({"card_number": number, "slot": inserted.get(number),
                        "pin_tries_left": image.pin_tries_left, "atc": image.atc})
        return {"cards": out}

    def close(self) -> None:
        for slot in self.slots:
            slot.remove()

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/status"): lambda _b: (200, self.status()),
            ("GET", "/cards"): lambda _b: (200, self.cards()),
            ("POST", "/insert"): lambda b: (200, self.insert(_text(b, "card_number"), _int(b, "slot"))),
            ("POST", "/remove"): lambda b: (200, self.remove(_int(b, "slot"))),
        }


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"'{key}' wajib diisi (teks).", f"'{key}' is required (text).")
    return value


def _int(body: dict[str, Any], key: str, default: int = 0) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"'{key}' harus bilangan bulat.", f"'{key}' must be a whole number.")
    return value
