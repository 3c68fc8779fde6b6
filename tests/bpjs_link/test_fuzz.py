"""Hypothesis against the running sandbox: malformed bodies get SNAP 4xx codes, never 5xx, change nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpjs_link.codes import BPU_SERVICES, Service
from tests.bpjs_link.conftest import this_month
from tests.bpjs_link.raw import Raw
from tests.support.bpjs import SandboxHandle

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NIK = re.compile(r"^\d{16}$")
KPJ = re.compile(r"^\d{8,16}$")
RID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AMOUNT = {"value": "33600.00", "currency": "IDR"}


def _text(pattern: re.Pattern[str]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and bool(pattern.match(v))


def _months(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 36


def _amount(v: Any) -> bool:
    return isinstance(v, dict) and v.get("currency") == "IDR" and set(v) == {"value", "currency"} \
        and isinstance(v.get("value"), str) and bool(re.fullmatch(r"(0|[1-9]\d{0,14})\.00", v["value"]))


def _name(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip()) and len(v) <= 100 and v.isprintable()


# service -> (a valid body, field -> "is this value valid?")
VALID: dict[Service, tuple[dict[str, Any], dict[str, Callable[[Any], bool]]]] = {
    Service.PARTICIPANT_INQUIRY: ({"nik": "7312011705800001"}, {"nik": _text(NIK)}),
    Service.REGISTRATION: ({"nik": "7312015506950199", "name": "Wa Ode", "birthDate": "1995-06-15"},
                           {"nik": _text(NIK), "name": _name, "birthDate": _text(DAY)}),
    Service.PAYMENT: ({"partnerReferenceNo": "J-fuzz-1", "kpj": "26990000150", "months": 2, "amount": AMOUNT,
                       "expectedPaidThrough": "2000-01"},
                      {"partnerReferenceNo": _text(RID), "kpj": _text(KPJ), "months": _months, "amount": _amount,
                       "expectedPaidThrough": _text(MONTH)}),
    Service.PAYMENT_STATUS: ({"originalPartnerReferenceNo": "J-fuzz-1", "serviceCode": "54"},
                             {"originalPartnerReferenceNo": _text(RID), "serviceCode": lambda v: v == "54"}),
    Service.SETTLEMENT: ({"date": "2026-12-04"}, {"date": _text(DAY)}),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**20, max_value=10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)


@st.composite
def broken_body(draw: st.DrawFn) -> tuple[Service, dict[str, Any]]:
    """A valid body with one field removed or replaced by a value that is invalid for that field."""
    service = draw(st.sampled_from(list(VALID)))
    body, checks = VALID[service]
    body = dict(body)
    name = draw(st.sampled_from(sorted(checks)))
    if draw(st.booleans()):
        del body[name]
    else:
        body[name] = draw(json_values.filter(lambda v: not checks[name](v)))
    return service, body


@pytest.fixture(scope="module")
def raw_module(sandbox: SandboxHandle) -> Iterator[Raw]:
    r = Raw(sandbox)
    yield r
    r.close()


def _code(response: Any) -> str:
    data = response.json()
    assert isinstance(data, dict), response.text
    return str(data["responseCode"])


@FUZZ
@given(broken_body())
def test_malformed_fields_get_400_and_change_nothing(raw_module: Raw, sandbox: SandboxHandle,
                                                     case: tuple[Service, dict[str, Any]]) -> None:
    service, body = case
    before = sandbox.state()["digest"]
    r = raw_module.post(service.path, body)
    code = _code(r)
    assert r.status_code == 400 and code[:3] == "400" and code[3:5] == service.code, (body, r.text)
    assert code[5:] in ("01", "02") and raw_module.signed_by_host(r, service.path, raw_module.token())
    assert sandbox.state()["digest"] == before


@FUZZ
@given(st.sampled_from(BPU_SERVICES), json_values)
def test_any_json_never_gets_a_server_error(raw_module: Raw, sandbox: SandboxHandle, service: Service, value: Any) -> None:
    before = sandbox.state()["digest"]
    r = raw_module.post(service.path, json.dumps(value))
    code = _code(r)
    assert r.status_code < 500 and code[:3] == str(r.status_code) and code[3:5] == service.code
    if service in (Service.PAYMENT, Service.REGISTRATION) and r.status_code == 200:
        return  # a random value that happens to be a valid write (practically never)
    assert sandbox.state()["digest"] == before


@FUZZ
@given(st.sampled_from(BPU_SERVICES), st.binary(max_size=200))
def test_any_bytes_never_get_a_server_error(raw_module: Raw, sandbox: SandboxHandle, service: Service, blob: bytes) -> None:
    before = sandbox.state()["digest"]
    r = raw_module.post(service.path, blob)
    assert r.status_code in (200, 400, 404) and _code(r)[3:5] == service.code
    assert sandbox.state()["digest"] == before or r.status_code == 200


def test_valid_bodies_are_what_the_fuzzer_breaks(raw_module: Raw) -> None:
    """The fuzzer's base bodies are accepted, so the 400s above come from the broken field."""
    for service, (body, _) in VALID.items():
        if service is Service.PAYMENT:
            body = {**body, "expectedPaidThrough": str(this_month() + (-2))}
        r = raw_module.post(service.path, body)
        assert _code(r)[:3] in ("200", "404"), (service, r.text)
