"""Signed SNAP exchanges over httpx: access token, request signatures, answer verification, clock.

One :class:`SnapTransport` per process (it is thread-safe): it keeps the B2B access token (fetched
with the RSA signature, refreshed ``token_refresh_margin_s`` before it expires, and once more when
the host says it is invalid) and the latest measurement of the host clock's offset.
"""

from __future__ import annotations

import email.utils
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx

from bpjs_link.codes import Case, ResponseCode, Service
from bpjs_link.config import BpjsConfig
from bpjs_link.errors import BpjsBadAnswer, BpjsBadSignature, BpjsRejected, BpjsUnavailable
from bpjs_link.keys import load_private_key
from bpjs_link.results import ClockOffset
from bpjs_link.signing import format_timestamp, hmac_signature, hmac_valid, rsa_signature
from bpjs_link.wire import Reader, dumps

log = logging.getLogger("bpjs_link")
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_external_id() -> str:
    """A 32-digit random X-EXTERNAL-ID (SNAP: numeric, unique per day)."""
    return f"{secrets.randbelow(10**32):032d}"


@dataclass(frozen=True)
class Answer:
    """A verified answer: its SNAP code, message and body."""

    code: ResponseCode
    message: str
    body: Reader

    @property
    def case(self) -> Case | None:
        return self.code.known_case


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: datetime


class SnapTransport:
    def __init__(self, config: BpjsConfig, *, transport: httpx.BaseTransport | None = None, clock: Clock = utcnow) -> None:
        self.config = config
        self._key = load_private_key(config.private_key_path)
        self._prefix = httpx.URL(config.base_url).path.rstrip("/")
        timeout = httpx.Timeout(config.read_timeout_s, connect=config.connect_timeout_s)
        self._http = httpx.Client(base_url=config.base_url, timeout=timeout, transport=transport)
        self._now = clock
        self._token: _Token | None = None
        self._token_lock = threading.Lock()
        self._clock: ClockOffset | None = None
        self.token_fetches = 0
        self.last_latency_ms: float | None = None  # the latest exchange's round trip (status panel)

    def close(self) -> None:
        self._http.close()

    @property
    def clock_offset(self) -> ClockOffset | None:
        return self._clock

    def now(self) -> datetime:
        return self._now()

    # --- one signed exchange ---------------------------------------------------------------

    def exchange(self, service: Service, body: dict[str, object], *, external_id: str, timestamp: datetime,
                 token: str) -> tuple[Answer, ClockOffset]:
        """POST one signed request; the verified answer and the clock measured from it.

        Raises httpx.TransportError (nothing usable came back), BpjsBadSignature, BpjsBadAnswer.
        """
        text = dumps(body)
        stamp = format_timestamp(timestamp)
        path = self._prefix + service.path
        headers = {
            "Content-Type": "application/json", "Authorization": f"Bearer {token}", "X-TIMESTAMP": stamp,
            "X-PARTNER-ID": self.config.partner_id, "X-EXTERNAL-ID": external_id, "CHANNEL-ID": self.config.channel_id,
            "X-SIGNATURE": hmac_signature(self.config.client_secret, "POST", path, token, text, stamp),
        }
        return self._send(service, path, text, headers, token, external_id)

    def _send(self, service: Service, path: str, text: str, headers: dict[str, str], token: str,
              external_id: str) -> tuple[Answer, ClockOffset]:
        started = time.monotonic()
        t0 = self._now()
        try:
            response = self._http.post(path, content=text.encode("utf-8"), headers=headers)
        except httpx.TransportError as exc:
            log.warning("event=bpjs.call service=%s external_id=%s outcome=transport_error error=%s ms=%.1f",
                        service.name.lower(), external_id, type(exc).__name__, (time.monotonic() - started) * 1000)
            raise
        self.last_latency_ms = round((time.monotonic() - started) * 1000, 1)
        clock = self._measure(response, t0, self._now())
        answer = self._verify(service, path, token, response)
        log.info("event=bpjs.call service=%s external_id=%s code=%s ms=%.1f", service.name.lower(), external_id,
                 answer.code, (time.monotonic() - started) * 1000)
        return answer, clock

    def _measure(self, response: httpx.Response, t0: datetime, t1: datetime) -> ClockOffset:
        try:
            host = email.utils.parsedate_to_datetime(response.headers["date"])
        except (KeyError, TypeError, ValueError):
            raise BpjsBadAnswer("Jawaban BPJS tanpa header Date", "BPJS answer has no usable Date header") from None
        if host.tzinfo is None:
            host = host.replace(tzinfo=timezone.utc)
        # Date has whole seconds: the host clock read host..host+1s somewhere between t0 and t1.
        clock = ClockOffset(low=host - t1, high=host + timedelta(seconds=1) - t0, measured_at=t1)
        self._clock = clock
        return clock

    def _verify(self, service: Service, path: str, token: str, response: httpx.Response) -> Answer:
        text = response.text
        signature = response.headers.get("x-signature", "")
        stamp = response.headers.get("x-timestamp", "")
        if not signature or not stamp or not hmac_valid(signature, self.config.client_secret, "POST", path, token, text, stamp):
            raise BpjsBadSignature("Tanda tangan jawaban BPJS tidak sah", "BPJS answer signature missing or wrong",
                                   service=service.name.lower(), http_status=response.status_code)
        try:
            data = json.loads(text)
            code = ResponseCode.parse(data["responseCode"])
            message = data.get("responseMessage", "")
        except (ValueError, KeyError, TypeError):
            raise BpjsBadAnswer("Jawaban BPJS tidak dapat dibaca", "BPJS answer is not a SNAP JSON answer",
                                service=service.name.lower(), http_status=response.status_code) from None
        if not isinstance(data, dict) or code.http != response.status_code or code.service != service.code:
            raise BpjsBadAnswer("Kode jawaban BPJS tidak cocok", "BPJS response code does not match the HTTP status or service",
                                service=service.name.lower(), response_code=str(code))
        return Answer(code, str(message), Reader(data, service.name.lower()))

    # --- access token ----------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token, fetched or refreshed as needed."""
        with self._token_lock:
            margin = timedelta(seconds=self.config.token_refresh_margin_s)
            if self._token is None or self._now() + margin >= self._token.expires_at:
                self._token = self._fetch_token()
            return self._token.value

    def drop_token(self, value: str) -> None:
        """Forget ``value`` (the host said it is invalid); the next call fetches a new one."""
        with self._token_lock:
            if self._token is not None and self._token.value == value:
                self._token = None

    def _fetch_token(self) -> _Token:
        service = Service.ACCESS_TOKEN
        path = self._prefix + service.path
        last: Exception | None = None
        for attempt in range(self.config.read_attempts):
            if attempt:
                time.sleep(self.config.retry_backoff_s * 2 ** (attempt - 1))
            stamp = format_timestamp(self._now())
            headers = {"Content-Type": "application/json", "X-TIMESTAMP": stamp, "X-CLIENT-KEY": self.config.partner_id,
                       "X-SIGNATURE": rsa_signature(self._key, self.config.partner_id, stamp)}
            fetched_at = self._now()
            try:
                answer, _ = self._send(service, path, dumps({"grantType": "client_credentials"}), headers, "", "-")
            except httpx.TransportError as exc:
                last = exc
                continue
            if answer.code.http >= 500:
                last = BpjsRejected(answer.code, answer.message)
                continue
            if not answer.code.success:
                raise BpjsRejected(answer.code, answer.message, service="access_token")
            self.token_fetches += 1
            return self._read_token(answer, fetched_at)
        raise BpjsUnavailable("BPJS tidak dapat dihubungi (token akses)", "BPJS host unreachable (access token)",
                              service="access_token", cause=type(last).__name__) from last

    def _read_token(self, answer: Answer, fetched_at: datetime) -> _Token:
        value = answer.body.text("accessToken")
        try:
            expires_in = int(answer.body.text("expiresIn"))
        except ValueError:
            raise BpjsBadAnswer("Masa berlaku token tidak terbaca", "expiresIn is not a number of seconds") from None
        if not value or expires_in <= 0 or answer.body.text("tokenType") != "Bearer":
            raise BpjsBadAnswer("Token akses BPJS tidak sah", "BPJS access token answer is malformed")
        return _Token(value, fetched_at + timedelta(seconds=expires_in))
