"""The BPJS client: the five BPU services over :class:`~bpjs_link.transport.SnapTransport`.

Retries. Inquiries, status checks and settlements are read-only: on a transport error or a 5xx
answer they retry by themselves, each attempt with a new X-EXTERNAL-ID and X-TIMESTAMP. A
registration is not retried (the caller may call again: the host answers an already registered NIK
with its KPJ). A payment is an order fixed before its first send (:meth:`BpjsClient.new_payment`);
:meth:`BpjsClient.pay` re-sends the *same* order (same X-EXTERNAL-ID, X-TIMESTAMP and body) while
it is younger than the acceptance window minus a margin: the host answers a replay with its first
answer, so this is safe, and it never makes a new request id. Every call refreshes the access token
once when the host says it is invalid.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

import httpx

from bpjs_link import wire
from bpjs_link.bpu import Month
from bpjs_link.codes import Case, Service
from bpjs_link.config import BpjsConfig
from bpjs_link.decode import participant, receipt, registration, settlement, status
from bpjs_link.errors import (
    FINAL_PAYMENT_REFUSALS,
    BpjsBadAnswer,
    BpjsBadSignature,
    BpjsInvalidInput,
    BpjsRejected,
    BpjsUnavailable,
    BpjsUnknownOutcome,
)
from bpjs_link.results import (
    ClockOffset,
    Participant,
    PaymentOrder,
    PaymentReceipt,
    PaymentState,
    PaymentStatus,
    Registration,
    Settlement,
    mask_nik,
)
from bpjs_link.transport import Answer, Clock, SnapTransport, new_external_id, utcnow


def _check(ok: bool, field: str, id_text: str, en_text: str) -> None:
    if not ok:
        raise BpjsInvalidInput(id_text, en_text, field=field)


class BpjsClient:
    """Thread-safe; one per process. Use as a context manager or call :meth:`close`."""

    def __init__(self, config: BpjsConfig, *, transport: httpx.BaseTransport | None = None, clock: Clock = utcnow) -> None:
        self.config = config
        self._snap = SnapTransport(config, transport=transport, clock=clock)

    def __enter__(self) -> BpjsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._snap.close()

    @property
    def clock_offset(self) -> ClockOffset | None:
        """Host clock minus ours, from the latest answer's Date header (for the status panel)."""
        return self._snap.clock_offset

    @property
    def last_latency_ms(self) -> float | None:
        """Round trip of the latest call that got an answer, in ms (for the status panel); None before any."""
        return self._snap.last_latency_ms

    @property
    def token_fetches(self) -> int:
        return self._snap.token_fetches

    # --- services --------------------------------------------------------------------------

    def inquire(self, nik: str) -> Participant:
        _check(bool(wire.NIK.match(nik)), "nik", "NIK harus 16 angka", "NIK must be 16 digits")
        answer = self._read(Service.PARTICIPANT_INQUIRY, wire.inquiry_body(nik))
        return participant(self._success(answer, nik=mask_nik(nik)), mask_nik(nik))

    def register(self, nik: str, name: str, birth_date: date) -> Registration:
        _check(bool(wire.NIK.match(nik)), "nik", "NIK harus 16 angka", "NIK must be 16 digits")
        _check(0 < len(name.strip()) <= 100, "name", "Nama wajib diisi (maks. 100 huruf)", "name is required (at most 100 characters)")
        body = wire.registration_body(nik, name.strip(), birth_date)
        try:
            answer, _ = self._with_token(lambda token: self._snap.exchange(
                Service.REGISTRATION, body, external_id=new_external_id(), timestamp=self._snap.now(), token=token))
        except httpx.TransportError as exc:
            raise BpjsUnavailable("BPJS tidak dapat dihubungi (pendaftaran); boleh dicoba lagi",
                                  "BPJS host unreachable (registration); safe to try again", nik=mask_nik(nik)) from exc
        return registration(self._success(answer, nik=mask_nik(nik)))

    def new_payment(self, *, request_id: str, kpj: str, months: int, amount: int, expected_paid_through: Month) -> PaymentOrder:
        """Fix a payment order (store it with the PENDING journal before calling :meth:`pay`)."""
        _check(bool(wire.REQUEST_ID.match(request_id)), "request_id", "Nomor permintaan tidak sah", "request id must be 1-64 letters, digits or dashes")
        _check(bool(wire.KPJ.match(kpj)), "kpj", "KPJ tidak sah", "KPJ must be 8-16 digits")
        _check(1 <= months <= 36, "months", "Jumlah bulan 1-36", "months must be 1..36")
        _check(amount > 0, "amount", "Jumlah harus positif", "amount must be positive")
        stamp = self._snap.now().replace(microsecond=0)
        return PaymentOrder(request_id, kpj, months, amount, expected_paid_through, new_external_id(), stamp)

    def pay(self, order: PaymentOrder) -> PaymentReceipt:
        """Send ``order``; a receipt, a final :class:`BpjsRejected`, or :class:`BpjsUnknownOutcome`."""
        body = wire.payment_body(order)
        cause: BaseException | None = None
        sends = 0
        while sends < self.config.payment_attempts and self._may_send(order):
            if sends:
                time.sleep(self.config.retry_backoff_s * 2 ** (sends - 1))
            sends += 1
            try:
                answer, _ = self._with_token(lambda token: self._snap.exchange(
                    Service.PAYMENT, body, external_id=order.external_id, timestamp=order.timestamp, token=token))
            except (httpx.TransportError, BpjsBadSignature, BpjsBadAnswer) as exc:
                cause = exc
                continue
            except (BpjsRejected, BpjsUnavailable) as exc:  # no access token (refused, or host unreachable)
                cause = exc
                break
            if answer.code.success:
                try:
                    return receipt(answer, order)
                except BpjsBadAnswer as exc:
                    cause = exc
                    break
            if answer.code.http >= 500:
                cause = BpjsRejected(answer.code, answer.message)
                continue
            refusal = BpjsRejected(answer.code, answer.message, request_id=order.request_id)
            if refusal.reason in FINAL_PAYMENT_REFUSALS:
                raise refusal
            cause = refusal
            break
        raise BpjsUnknownOutcome(
            "Hasil pembayaran BPJS belum diketahui; status akan ditanyakan lagi",
            "The BPJS payment's outcome is unknown; its status will be asked until it is final",
            request_id=order.request_id, external_id=order.external_id, sends=sends,
            cause=type(cause).__name__ if cause else "too_old_to_send") from cause

    def payment_status(self, request_id: str) -> PaymentStatus:
        _check(bool(wire.REQUEST_ID.match(request_id)), "request_id", "Nomor permintaan tidak sah", "request id must be 1-64 letters, digits or dashes")
        asked_at = self._snap.now()
        answer, clock = self._read_with_clock(Service.PAYMENT_STATUS, wire.status_body(request_id), asked_at)
        if answer.case is Case.NOT_FOUND:
            return PaymentStatus(request_id, PaymentState.NOT_FOUND, asked_at, clock)
        return status(self._success(answer, request_id=request_id), request_id, asked_at, clock)

    def settlement(self, day: date) -> Settlement:
        return settlement(self._success(self._read(Service.SETTLEMENT, wire.settlement_body(day))), day)

    # --- plumbing --------------------------------------------------------------------------

    def _may_send(self, order: PaymentOrder) -> bool:
        limit = self.config.acceptance_window - timedelta(seconds=self.config.resend_margin_s)
        return self._snap.now() - order.timestamp < limit

    def _with_token(self, send: Callable[[str], tuple[Answer, ClockOffset]]) -> tuple[Answer, ClockOffset]:
        token = self._snap.token()
        answer, clock = send(token)
        if answer.case is Case.INVALID_TOKEN:
            self._snap.drop_token(token)
            answer, clock = send(self._snap.token())
        return answer, clock

    def _fresh_exchange(self, service: Service, body: dict[str, object], stamp: datetime, token: str) -> tuple[Answer, ClockOffset]:
        return self._snap.exchange(service, body, external_id=new_external_id(), timestamp=stamp, token=token)

    def _read(self, service: Service, body: dict[str, object]) -> Answer:
        return self._read_with_clock(service, body, None)[0]

    def _read_with_clock(self, service: Service, body: dict[str, object], asked_at: datetime | None) -> tuple[Answer, ClockOffset]:
        last: BaseException | None = None
        for attempt in range(self.config.read_attempts):
            if attempt:
                time.sleep(self.config.retry_backoff_s * 2 ** (attempt - 1))
            stamp = self._snap.now() if asked_at is None or attempt else asked_at
            try:
                answer, clock = self._with_token(functools.partial(self._fresh_exchange, service, body, stamp))
            except httpx.TransportError as exc:
                last = exc
                continue
            if answer.code.http >= 500:
                last = BpjsRejected(answer.code, answer.message)
                continue
            return answer, clock
        raise BpjsUnavailable("BPJS tidak dapat dihubungi; coba lagi nanti", "BPJS host unreachable; try again later",
                              service=service.name.lower(), attempts=self.config.read_attempts,
                              cause=type(last).__name__) from last

    @staticmethod
    def _success(answer: Answer, **fields: object) -> Answer:
        if not answer.code.success:
            raise BpjsRejected(answer.code, answer.message, **fields)
        return answer


__all__ = ["BpjsClient"]
