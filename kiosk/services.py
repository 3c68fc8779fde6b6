"""The long-lived adapters a kiosk process needs, built once from settings (lazily where a device or
host may not be configured yet): the device agent client, the BPJS client, the farmers' key store,
the issuers' public keys, and the checkout's dependencies on top of them."""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bpjs_link import BpjsClient, BpjsConfig, BpjsConfigError, BpjsUnavailable
from fertilizer import WITA, FileKeyStore, PolicySettings
from kiosk.agent.client import AgentClient
from kiosk.agent.errors import AgentUnavailable
from kiosk.cards import load_issuer_keys
from kiosk.checkout.ports import AgentPort, CheckoutDeps, CheckoutSettings
from kiosk.settings import Settings

log = logging.getLogger("kiosk.services")


def policy_settings(s: Settings) -> PolicySettings:
    start = datetime.combine(date.fromisoformat(s.rule_start), time(0), WITA)
    return PolicySettings(rule_enabled=s.rule_enabled, rule_start=start, contribution_per_month=s.contribution_per_month,
                          agent_fee_bps=s.agent_fee_bps, max_cached_status_age=timedelta(minutes=s.max_cached_status_minutes))


def checkout_settings(s: Settings) -> CheckoutSettings:
    return CheckoutSettings(pin_timeout_s=s.pin_timeout_s, exception_after=timedelta(minutes=s.exception_after_minutes),
                            abandon_after=timedelta(minutes=s.abandon_after_minutes),
                            lease=timedelta(seconds=s.checkout_lease_s))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UnconfiguredBpjs:
    """Stands where the BPJS client would be when this kiosk has no BPJS settings: every call says
    BPJS is unavailable (the policy then refuses what needs BPJS), with the reason."""

    def __init__(self, why: str) -> None:
        self.why = why
        self.config = BpjsConfig(base_url="http://127.0.0.1:9", partner_id="unconfigured", client_secret="-",
                                 private_key_path="-", channel_id="95221")
        self.clock_offset = None
        self.last_latency_ms = None

    def __getattr__(self, name: str) -> Any:
        def unavailable(*_a: object, **_k: object) -> None:
            raise BpjsUnavailable("BPJS belum diatur di kios ini.", "BPJS is not configured on this kiosk.", detail=self.why)

        return unavailable


class Services:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions
        self._lock = threading.Lock()
        self._agent: AgentClient | None = None
        self._bpjs: Any = None
        self._keys: FileKeyStore | None = None

    def agent(self, _kiosk: str = "") -> AgentPort:
        with self._lock:
            if self._agent is None:
                token = self.settings.agent_token
                if not token and self.settings.agent_token_file:
                    try:
                        token = Path(self.settings.agent_token_file).read_text("utf-8").strip()
                    except OSError as exc:
                        raise AgentUnavailable(detail=f"token file: {exc.strerror}") from None
                if not token:
                    raise AgentUnavailable(detail="KIOSK_AGENT_TOKEN / KIOSK_AGENT_TOKEN_FILE not set")
                self._agent = AgentClient(self.settings.agent_url, token)
            return self._agent

    def bpjs(self) -> Any:
        with self._lock:
            if self._bpjs is None:
                try:
                    self._bpjs = BpjsClient(BpjsConfig.from_file(self.settings.bpjs_client_file))
                except BpjsConfigError as exc:
                    log.warning("event=bpjs_not_configured file=%s", self.settings.bpjs_client_file)
                    self._bpjs = UnconfiguredBpjs(exc.message_en)
            return self._bpjs

    def keys(self) -> FileKeyStore:
        with self._lock:
            if self._keys is None:
                self._keys = FileKeyStore(Path(self.settings.farmer_keys_dir))
            return self._keys

    def checkout_deps(self) -> CheckoutDeps:
        issuer_dir = Path(self.settings.issuer_keys_dir)
        return CheckoutDeps(
            sessions=self.sessions, agent=self.agent, bpjs=self.bpjs(), keys=self.keys(),
            issuer_keys=load_issuer_keys(issuer_dir) if issuer_dir.is_dir() else {},
            policy=policy_settings(self.settings), now=utcnow, settings=checkout_settings(self.settings),
            crashpoint=crashpoint_for(self.settings.crash_at),
        )

    def close(self) -> None:
        if self._agent is not None:
            self._agent.close()
        if self._bpjs is not None and hasattr(self._bpjs, "close") and not isinstance(self._bpjs, UnconfiguredBpjs):
            self._bpjs.close()
        if self._keys is not None:
            self._keys.close()


def crashpoint_for(name: str) -> Any:
    """Test-only fault injection (KIOSK_FAULT_CRASH_AT): SIGKILL at the named step, like a power cut."""
    if not name:
        return lambda _point: None

    def crash(point: str) -> None:
        if point == name:
            log.warning("event=fault_injected_crash point=%s", point)
            os.kill(os.getpid(), signal.SIGKILL)

    return crash
