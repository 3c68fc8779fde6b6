"""The emulator's receipt store: one JSON file per receipt (``receipt-000001.json``), written atomically.

Numbers continue across restarts of the emulator on the same folder, so a test can restart the
"printer" (power cut) and still see every receipt printed before.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Any

from firmware_stubs.files import write_atomic

_NAME = re.compile(r"^receipt-(\d{6,})\.json$")


class ReceiptStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._last = max(self.numbers(), default=0)

    def numbers(self) -> list[int]:
        found = (_NAME.match(p.name) for p in self.folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    @property
    def last(self) -> int:
        return self._last

    def save(self, receipt: dict[str, Any]) -> int:
        with self._lock:
            number = self._last + 1
            record = {"number": number, **receipt}
            write_atomic(self._path(number), json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"), 0o644)
            self._last = number
            return number

    def get(self, number: int) -> dict[str, Any] | None:
        try:
            record: dict[str, Any] = json.loads(self._path(number).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return record

    def after(self, number: int) -> list[dict[str, Any]]:
        records = (self.get(n) for n in self.numbers() if n > number)
        return [r for r in records if r is not None]

    def _path(self, number: int) -> Path:
        return self.folder / f"receipt-{number:06d}.json"
