"""The sandbox's settings (its command line, typed)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from bpjs_link.bpu import BpuRules
from bpjs_link.errors import BpjsConfigError
from bpjs_link.keys import load_public_key


@dataclass(frozen=True)
class Partner:
    """A partner the host knows: client id (= X-PARTNER-ID = X-CLIENT-KEY), channel, secret, key."""

    partner_id: str
    channel_id: str
    client_secret: str = field(repr=False)
    public_key: rsa.RSAPublicKey = field(repr=False)

    @classmethod
    def from_file(cls, path: Path) -> Partner:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["partnerId"]), str(data["channelId"]), str(data["clientSecret"]), load_public_key(data["publicKeyPem"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise BpjsConfigError("Berkas mitra sandbox tidak dapat dibaca", f"cannot read partner file {path}: {type(exc).__name__} {exc}",
                                  path=str(path)) from None


@dataclass(frozen=True)
class FaultRates:
    drop: float = 0.0
    error: float = 0.0
    commit_then_drop: float = 0.0
    latency_ms: int = 0
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (self.drop, self.error, self.commit_then_drop)
        if any(not 0.0 <= r <= 1.0 for r in rates) or sum(rates) > 1.0:
            raise BpjsConfigError("Peluang gangguan harus 0..1 dan jumlahnya <= 1", "fault rates must be 0..1 and add up to at most 1")
        if self.latency_ms < 0:
            raise BpjsConfigError("Latensi tidak boleh negatif", "latency must not be negative")


@dataclass(frozen=True)
class SandboxOptions:
    data_dir: Path
    partners: tuple[Partner, ...]
    port: int = 0
    host: str = "127.0.0.1"
    seed: str | None = None
    initial_deposit: int = 10_000_000
    rules: BpuRules = field(default_factory=BpuRules)
    faults: FaultRates = field(default_factory=FaultRates)
    window: timedelta = timedelta(minutes=5)
    token_ttl: timedelta = timedelta(minutes=15)
    clock_offset: timedelta = timedelta(0)

    def partner(self, partner_id: str) -> Partner | None:
        for p in self.partners:
            if p.partner_id == partner_id:
                return p
        return None
