"""What the checkout depends on, as Protocols (STYLE habit 8): the real adapters are the device
agent's client and the BPJS client; tests of the pure steps may pass fakes of the same shape."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session, sessionmaker

from bpjs_link import BpjsLink
from card_reader import AuthAnswer, CardRead
from fertilizer import KeyStore, PolicySettings


class PinOperationView(Protocol):
    id: str
    state: str  # pending | done | failed
    answer: AuthAnswer | None
    error: Exception | None


class AgentPort(Protocol):
    def read_card(self, challenge: bytes) -> CardRead: ...

    def start_pin(self, insertion: int, challenge: bytes, amount: int, prompt: str = "", timeout_s: int = 60) -> str: ...

    def pin_operation(self, op_id: str) -> PinOperationView: ...

    def cancel_pin(self, op_id: str) -> PinOperationView: ...

    def status(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class CheckoutSettings:
    pin_timeout_s: int = 60
    lease: timedelta = timedelta(seconds=30)
    # a checkout left before consent this long is aborted (nothing was taken)
    abandon_after: timedelta = timedelta(minutes=10)
    # BPJS status checks back off from `retry_min` doubling up to `retry_max`
    retry_min: timedelta = timedelta(seconds=2)
    retry_max: timedelta = timedelta(minutes=5)
    # an unresolved BPJS payment older than this goes to the supervisor's exception queue
    exception_after: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class CheckoutDeps:
    sessions: sessionmaker[Session]
    agent: Callable[[str], AgentPort]  # kiosk code -> its device agent
    bpjs: BpjsLink
    keys: KeyStore
    issuer_keys: Mapping[str, ec.EllipticCurvePublicKey]
    policy: PolicySettings
    now: Callable[[], datetime]
    settings: CheckoutSettings = field(default_factory=CheckoutSettings)
    crashpoint: Callable[[str], None] = lambda _name: None
