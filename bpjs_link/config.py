"""The link's settings as one typed value; the kiosk fills it from its own settings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bpjs_link.errors import BpjsConfigError

_HEADER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


@dataclass(frozen=True)
class BpjsConfig:
    """Where and who we are at the BPJS host, and how patient we are.

    ``acceptance_window_s`` must equal the host's (SNAP hosts use 5 minutes): :func:`final_status`
    relies on it. ``read_attempts`` applies to inquiries, status checks and settlements only;
    ``payment_attempts`` counts sends of the *same* payment order (same X-EXTERNAL-ID, timestamp
    and body), made only while the order is younger than the window minus ``resend_margin_s``.
    """

    base_url: str
    partner_id: str
    client_secret: str = field(repr=False)
    private_key_path: str
    channel_id: str
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    acceptance_window_s: int = 300
    read_attempts: int = 3
    payment_attempts: int = 2
    retry_backoff_s: float = 0.25
    resend_margin_s: int = 30
    token_refresh_margin_s: int = 60

    def __post_init__(self) -> None:
        missing = [n for n in ("base_url", "partner_id", "client_secret", "private_key_path", "channel_id") if not getattr(self, n)]
        if missing:
            raise BpjsConfigError(f"Pengaturan BPJS belum lengkap: {', '.join(missing)}",
                                  f"BPJS link settings missing: {', '.join(missing)}", missing=missing)
        # A header the host finds malformed would be a 400 that proves nothing about earlier sends
        # of a payment; so the headers we build from settings are checked here, once.
        if not _HEADER_ID.match(self.channel_id) or not _HEADER_ID.match(self.partner_id):
            raise BpjsConfigError("CHANNEL-ID dan X-PARTNER-ID: huruf, angka, tanda hubung (maks. 64)",
                                  "channel id and partner id must be 1-64 letters, digits or dashes")
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise BpjsConfigError("Batas waktu harus positif", "timeouts must be positive")
        if self.read_attempts < 1 or self.payment_attempts < 1 or self.acceptance_window_s < 1:
            raise BpjsConfigError("Jumlah percobaan dan jendela waktu minimal 1",
                                  "attempts and the acceptance window must be at least 1")

    @property
    def acceptance_window(self) -> timedelta:
        return timedelta(seconds=self.acceptance_window_s)

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> BpjsConfig:
        """Read the ``client.json`` that :func:`bpjs_link.keys.generate_partner_keys` writes."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BpjsConfigError("Berkas pengaturan BPJS tidak dapat dibaca",
                                  f"cannot read the BPJS client settings file: {exc}", path=str(path)) from None
        if not isinstance(data, dict):
            raise BpjsConfigError("Berkas pengaturan BPJS bukan objek JSON", "the BPJS client settings file is not a JSON object")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BpjsConfigError("Isian tidak dikenal di pengaturan BPJS", f"unknown BPJS settings: {', '.join(unknown)}")
        return cls(**{**data, **overrides})
