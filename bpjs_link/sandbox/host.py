"""The host's request pipeline: who is calling, is it signed and fresh, is it a replay, then the service.

Checks, in this order, for a BPU service call (each failure is a SNAP answer, nothing changes):
X-PARTNER-ID known (401xx00) -> Authorization Bearer present (401xx01) -> X-TIMESTAMP,
X-EXTERNAL-ID, CHANNEL-ID present and well formed (400xx02 / 400xx01) -> channel registered for
the partner (401xx00) -> token issued to this partner and unexpired (401xx01) -> HMAC X-SIGNATURE
(401xx00) -> X-TIMESTAMP within the acceptance window of the host clock (403xx00) -> X-EXTERNAL-ID
not used today (same body: the first answer again; other body: 409xx00) -> body is a JSON object
(400xx00) -> the service. All of it runs in one serialized write transaction, so the window check
and the booking it guards are atomic.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bpjs_link import wire
from bpjs_link.codes import Case, ResponseCode, Service
from bpjs_link.sandbox.fields import Fields, Problem, bad_format, mandatory
from bpjs_link.sandbox.options import Partner, SandboxOptions
from bpjs_link.sandbox.schema import ReplayRow, TokenRow
from bpjs_link.sandbox.services import HANDLERS, Ctx, Outcome, deposit
from bpjs_link.signing import WIB, body_digest, hmac_valid, parse_timestamp, rsa_valid


@dataclass(frozen=True)
class Reply:
    """An answer before signing: ``partner`` None means it cannot be signed (unknown caller)."""

    http: int
    body: str
    partner: Partner | None
    token: str


def answer_text(case: Case, service: Service, body: Mapping[str, object], detail: str = "") -> str:
    code = ResponseCode.of(case, service)
    return wire.dumps({"responseCode": str(code), "responseMessage": f"{case.message} {detail}".strip(), **body})


_GRANT = re.compile(r"^[a-z_]{1,32}$")


def upper_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names are case-insensitive: the host looks them up in upper case."""
    return {name.upper(): value for name, value in items}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Host:
    def __init__(self, options: SandboxOptions, engine: sa.Engine) -> None:
        self.options = options
        self.engine = engine
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.tokens_issued = 0
        self._count_lock = threading.Lock()
        with self.transaction() as s:
            for p in options.partners:
                deposit(s, p.partner_id, options.initial_deposit)

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.options.clock_offset

    def transaction(self) -> _Tx:
        return _Tx(self)

    # --- access token ----------------------------------------------------------------------

    def issue_token(self, headers: Mapping[str, str], raw: bytes) -> Reply:
        """``headers`` with upper-case names (see :func:`upper_headers`)."""
        service = Service.ACCESS_TOKEN
        self._count(service)
        partner = self.options.partner(headers.get("X-CLIENT-KEY", ""))
        if partner is None:
            return Reply(401, answer_text(Case.UNAUTHORIZED, service, {}, "Unknown client"), None, "")
        try:
            stamp = self._timestamp(headers)
            if not rsa_valid(partner.public_key, headers.get("X-SIGNATURE", ""), partner.partner_id, stamp):
                raise Problem(Case.UNAUTHORIZED, "Invalid Signature")
            self._fresh(stamp)
            data = self._json(raw)
            if Fields(data).text("grantType", _GRANT) != "client_credentials":
                raise bad_format("grantType")
        except Problem as p:
            return Reply(p.case.http, answer_text(p.case, service, {}, p.detail), partner, "")
        token = secrets.token_urlsafe(32)
        ttl = int(self.options.token_ttl.total_seconds())
        with self.transaction() as s:
            s.add(TokenRow(token_sha256=_sha(token), partner_id=partner.partner_id, expires_at=self.now() + self.options.token_ttl))
        with self._count_lock:
            self.tokens_issued += 1
        body = {"accessToken": token, "tokenType": "Bearer", "expiresIn": str(ttl)}
        return Reply(200, answer_text(Case.SUCCESS, service, body), partner, "")

    # --- BPU services ----------------------------------------------------------------------

    def _count(self, service: Service) -> None:
        with self._count_lock:
            self.calls[service.name.lower()] += 1

    def serve(self, service: Service, path: str, headers: Mapping[str, str], raw: bytes) -> Reply:
        self._count(service)
        partner = self.options.partner(headers.get("X-PARTNER-ID", ""))
        auth = headers.get("AUTHORIZATION", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if partner is None:
            return Reply(401, answer_text(Case.UNAUTHORIZED, service, {}, "Unknown partner"), None, token)
        with self.transaction() as s:
            try:
                http, body = self._checked(s, service, path, partner, headers, token, raw)
            except Problem as p:
                http, body = p.case.http, answer_text(p.case, service, {}, p.detail)
        return Reply(http, body, partner, token)

    def _checked(self, s: Session, service: Service, path: str, partner: Partner, headers: Mapping[str, str], token: str,
                 raw: bytes) -> tuple[int, str]:
        if not token:
            raise Problem(Case.INVALID_TOKEN, "Missing Bearer token")
        stamp = self._timestamp(headers)
        external_id = self._header(headers, "X-EXTERNAL-ID", wire.EXTERNAL_ID)
        if self._header(headers, "CHANNEL-ID", wire.REQUEST_ID) != partner.channel_id:
            raise Problem(Case.UNAUTHORIZED, "Unknown channel")
        row = s.get(TokenRow, _sha(token))
        if row is None or row.partner_id != partner.partner_id or row.expires_at <= self.now():
            raise Problem(Case.INVALID_TOKEN)
        text = self._text(raw)
        if not hmac_valid(headers.get("X-SIGNATURE", ""), partner.client_secret, "POST", path, token, text, stamp):
            raise Problem(Case.UNAUTHORIZED, "Invalid Signature")
        moment = self._fresh(stamp)
        key = (partner.partner_id, moment.astimezone(WIB).date().isoformat(), external_id)
        digest = body_digest(text)
        seen = s.get(ReplayRow, key)
        if seen is not None:
            if seen.path == path and seen.body_sha256 == digest:
                return seen.http_status, seen.answer
            raise Problem(Case.CONFLICT, "X-EXTERNAL-ID already used today")
        ctx = Ctx(partner.partner_id, self.now(), self.options.rules, self.options.initial_deposit, external_id, moment)
        try:
            outcome = HANDLERS[service](s, ctx, Fields(self._json(raw)))
        except Problem as p:
            outcome = Outcome(p.case, {}, p.detail)
        answer = answer_text(outcome.case, service, outcome.body, outcome.detail)
        s.add(ReplayRow(partner_id=key[0], day=key[1], external_id=key[2], path=path, body_sha256=digest,
                        http_status=outcome.case.http, answer=answer))
        return outcome.case.http, answer

    # --- header and body checks ------------------------------------------------------------

    @staticmethod
    def _header(headers: Mapping[str, str], name: str, pattern: re.Pattern[str]) -> str:
        value = headers.get(name, "")
        if not value:
            raise mandatory(name)
        if not pattern.match(value):
            raise bad_format(name)
        return value

    def _timestamp(self, headers: Mapping[str, str]) -> str:
        stamp = headers.get("X-TIMESTAMP", "")
        if not stamp:
            raise mandatory("X-TIMESTAMP")
        try:
            parse_timestamp(stamp)
        except ValueError:
            raise bad_format("X-TIMESTAMP") from None
        return stamp

    def _fresh(self, stamp: str) -> datetime:
        moment = parse_timestamp(stamp)
        if abs(self.now() - moment) > self.options.window:
            raise Problem(Case.TRANSACTION_EXPIRED, "X-TIMESTAMP outside the acceptance window")
        return moment

    @staticmethod
    def _text(raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Problem(Case.BAD_REQUEST, "body is not UTF-8") from None

    def _json(self, raw: bytes) -> dict[str, object]:
        try:
            data = json.loads(self._text(raw))
        except (ValueError, RecursionError):
            raise Problem(Case.BAD_REQUEST, "body is not JSON") from None
        if not isinstance(data, dict):
            raise Problem(Case.BAD_REQUEST, "body is not a JSON object")
        return data


class _Tx:
    """``with host.transaction() as session:`` one serialized, committed-on-success transaction."""

    def __init__(self, host: Host) -> None:
        self._host = host
        self._session: Session | None = None

    def __enter__(self) -> Session:
        self._host.lock.acquire()
        try:
            self._session = Session(self._host.engine, expire_on_commit=False)
            self._session.begin()
        except BaseException:
            self._host.lock.release()
            raise
        return self._session

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._session is None:
            return
        try:
            if exc_type is None:
                self._session.commit()
            else:
                self._session.rollback()
        finally:
            self._session.close()
            self._host.lock.release()
