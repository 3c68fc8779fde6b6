"""The host's checks: token signature, HMAC, timestamps, X-EXTERNAL-ID replays, token expiry."""

from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bpjs_link import BpjsBadSignature, BpjsClient, BpjsRejected, RefusalReason, Service
from bpjs_link.transport import new_external_id
from tests.bpjs_link.conftest import this_month
from tests.bpjs_link.raw import Raw, stamp
from tests.support.bpjs import DEMO, SandboxHandle, running_sandbox

INQUIRY = Service.PARTICIPANT_INQUIRY.path
PAYMENT = Service.PAYMENT.path


def code(response: httpx.Response) -> str:
    return str(json.loads(response.text)["responseCode"])


def test_token_needs_the_partners_rsa_signature(raw: Raw) -> None:
    good = raw.token_response()
    assert good.status_code == 200 and code(good) == "2007300" and good.json()["tokenType"] == "Bearer"
    assert raw.signed_by_host(good, "/snap/v1.0/access-token/b2b", "")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = raw.token_response(key=stranger)
    assert (bad.status_code, code(bad)) == (401, "4017300") and "Invalid Signature" in bad.json()["responseMessage"]
    assert "accessToken" not in bad.json()
    unknown = raw.token_response(client_key="SOMEONE-ELSE")
    assert (unknown.status_code, code(unknown)) == (401, "4017300") and "x-signature" not in unknown.headers
    old = raw.token_response(when=stamp(-timedelta(minutes=6)))
    assert code(old) == "4037300"
    assert code(raw.token_response(body='{"grantType":"password"}')) == "4007301"


def test_bad_hmac_is_unauthorized_and_changes_nothing(raw: Raw, sandbox: SandboxHandle) -> None:
    before = sandbox.state()
    body = {"partnerReferenceNo": f"J-{uuid.uuid4()}", "kpj": "26011700003", "months": 2,
            "amount": {"value": "33600.00", "currency": "IDR"}, "expectedPaidThrough": str(this_month() + (-2))}
    r = raw.post(PAYMENT, body, secret="not-the-secret")
    assert (r.status_code, code(r)) == (401, "4015400") and "Invalid Signature" in r.json()["responseMessage"]
    assert raw.signed_by_host(r, PAYMENT, raw.token())  # refusals are signed too
    assert sandbox.state() == before


def test_signature_covers_the_body(raw: Raw) -> None:
    headers = raw.headers(INQUIRY, '{"nik":"7312011705800001"}')
    r = raw.http.post(INQUIRY, content=b'{"nik":"7312020808700003"}', headers=headers)
    assert code(r) == "4019000"


def test_stale_and_future_timestamps_are_refused(raw: Raw) -> None:
    body = {"nik": DEMO["paid_up"]}
    assert code(raw.post(INQUIRY, body, when=stamp(-timedelta(minutes=5, seconds=5)))) == "4039000"
    assert code(raw.post(INQUIRY, body, when=stamp(timedelta(minutes=5, seconds=5)))) == "4039000"
    assert code(raw.post(INQUIRY, body, when=stamp(-timedelta(minutes=4)))) == "2009000"
    assert code(raw.post(INQUIRY, body, when="2026-12-04T10:15:30")) == "4009001"


@pytest.mark.parametrize(("change", "expected"), [
    ({"drop": ("Authorization",)}, "4019001"),
    ({"token": "forged-token"}, "4019001"),
    ({"drop": ("X-TIMESTAMP",)}, "4009002"),
    ({"drop": ("X-EXTERNAL-ID",)}, "4009002"),
    ({"external_id": "not-numeric"}, "4009001"),
    ({"drop": ("CHANNEL-ID",)}, "4009002"),
    ({"override": {"CHANNEL-ID": "00000"}}, "4019000"),
    ({"override": {"X-PARTNER-ID": "SOMEONE-ELSE"}}, "4019000"),
    ({"drop": ("X-SIGNATURE",)}, "4019000"),
])
def test_header_problems(raw: Raw, change: dict[str, object], expected: str) -> None:
    r = raw.post(INQUIRY, {"nik": DEMO["paid_up"]}, **change)  # type: ignore[arg-type]
    assert code(r) == expected and r.status_code == int(expected[:3])


def test_replay_same_body_gets_the_first_answer_other_body_conflicts(raw: Raw, sandbox: SandboxHandle) -> None:
    body = {"partnerReferenceNo": f"J-{uuid.uuid4()}", "kpj": "26990000010", "months": 2,
            "amount": {"value": "33600.00", "currency": "IDR"}, "expectedPaidThrough": str(this_month() + (-2))}
    external = new_external_id()
    deposit = sandbox.deposit()
    first = raw.post(PAYMENT, body, external_id=external)
    assert code(first) == "2005400"
    time.sleep(1.1)  # a later X-TIMESTAMP: the replay is recognised by X-EXTERNAL-ID and body, not by time
    again = raw.post(PAYMENT, body, external_id=external)
    assert again.text == first.text and sandbox.deposit() == deposit - 33_600
    assert again.headers["x-timestamp"] != first.headers["x-timestamp"] and raw.signed_by_host(again, PAYMENT, raw.token())
    before = sandbox.state()
    other = raw.post(PAYMENT, {**body, "months": 1, "amount": {"value": "16800.00", "currency": "IDR"}}, external_id=external)
    assert (other.status_code, code(other)) == (409, "4095400") and sandbox.state() == before
    new_id = raw.post(PAYMENT, body)  # same request id under a new external id: refused, never paid twice
    assert (new_id.status_code, code(new_id)) == (409, "4095401") and sandbox.state() == before


def test_unknown_path_and_method(raw: Raw) -> None:
    r = raw.post("/snap/v1.0/bpu/refund", {"x": 1})
    assert (r.status_code, code(r)) == (404, "4040002")
    r = raw.http.get(INQUIRY)
    assert (r.status_code, code(r)) == (405, "4059000")


def test_token_revoked_by_host_is_refreshed_once(bpjs: BpjsClient, sandbox: SandboxHandle) -> None:
    bpjs.inquire(DEMO["paid_up"])
    issued = sandbox.stats()["tokensIssued"]
    assert bpjs.token_fetches == 1
    sandbox.expire_tokens()
    assert bpjs.inquire(DEMO["paid_up"]).registered
    assert bpjs.token_fetches == 2 and sandbox.stats()["tokensIssued"] == issued + 1
    assert bpjs.inquire(DEMO["paid_up"]).registered and bpjs.token_fetches == 2


def test_token_refreshed_before_it_expires(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, args=["--token-ttl-s", "3"]) as host, host.client(token_refresh_margin_s=1) as bpjs:
        bpjs.inquire(DEMO["paid_up"])
        bpjs.inquire(DEMO["paid_up"])
        assert bpjs.token_fetches == 1
        time.sleep(2.2)
        bpjs.inquire(DEMO["paid_up"])
        assert bpjs.token_fetches == 2 and host.stats()["tokensIssued"] == 2


def test_wrong_credentials_are_a_clear_refusal(sandbox: SandboxHandle) -> None:
    with BpjsClient(sandbox.config(client_secret="wrong-secret-wrong-secret")) as bpjs:
        # the host refuses our HMAC and signs its refusal with the real secret, which we cannot verify
        with pytest.raises(BpjsBadSignature):
            bpjs.inquire(DEMO["paid_up"])
    with BpjsClient(sandbox.config(partner_id="NOT-REGISTERED")) as bpjs:
        with pytest.raises(BpjsBadSignature):
            bpjs.inquire(DEMO["paid_up"])


def test_host_refusal_of_token_surfaces_as_rejected(sandbox: SandboxHandle, tmp_path: Path) -> None:
    from bpjs_link import generate_partner_keys
    other = generate_partner_keys(tmp_path / "other", partner_id=sandbox.partner_id)  # same id, unregistered key
    with BpjsClient(sandbox.config(private_key_path=str(other.private_key))) as bpjs:
        with pytest.raises(BpjsRejected) as err:
            bpjs.inquire(DEMO["paid_up"])
    assert err.value.reason is RefusalReason.UNAUTHORIZED and str(err.value.response_code) == "4017300"
