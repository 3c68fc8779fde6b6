"""docs/bpjs-openapi.yaml is valid OpenAPI 3.1 and says what the code does (paths, codes, bodies)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from openapi_spec_validator import validate

from bpjs_link import Month, PaymentOrder, wire
from bpjs_link.codes import BPU_SERVICES, ResponseCode, Service
from tests.bpjs_link.conftest import host_today, this_month
from tests.bpjs_link.raw import Raw
from tests.support.bpjs import DEMO, ROOT

DOC: dict[str, Any] = yaml.safe_load((ROOT / "docs" / "bpjs-openapi.yaml").read_text(encoding="utf-8"))


def schema_check(name: str, instance: Any) -> None:
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": f"#/components/schemas/{name}",
            "components": DOC["components"]}
    errors = sorted(Draft202012Validator(root).iter_errors(instance), key=str)
    assert not errors, f"{name}: {errors[0].message}"


def test_document_is_valid_openapi() -> None:
    validate(DOC)


def test_paths_are_the_services() -> None:
    documented = {path for path, item in DOC["paths"].items() if "post" in item}
    assert documented == {s.path for s in (Service.ACCESS_TOKEN, *BPU_SERVICES)}


@pytest.mark.parametrize("service", [Service.ACCESS_TOKEN, *BPU_SERVICES], ids=lambda s: s.name.lower())
def test_documented_codes_exist_and_belong_to_the_service(service: Service) -> None:
    op = DOC["paths"][service.path]["post"]
    for text in op["x-response-codes"]:
        code = ResponseCode.parse(text)
        assert code.service == service.code and code.known_case is not None, text
        assert str(code.http) in op["responses"], text


def test_requests_the_client_sends_match_the_schemas() -> None:
    order = PaymentOrder("J-1", "26011700003", 2, 33_600, Month(2026, 10), "1", host_today())
    schema_check("InquiryRequest", wire.inquiry_body("7312011705800001"))
    schema_check("RegistrationRequest", wire.registration_body("7312011705800001", "Andi", date(1980, 5, 17)))
    schema_check("PaymentRequest", wire.payment_body(order))
    schema_check("StatusRequest", wire.status_body("J-1"))
    schema_check("SettlementRequest", wire.settlement_body(date(2026, 12, 4)))


def test_the_sandboxes_answers_match_the_schemas(raw: Raw) -> None:
    token = raw.token_response()
    schema_check("AccessTokenResponse", token.json())
    inquiry = Service.PARTICIPANT_INQUIRY.path
    for nik in (DEMO["two_behind"], DEMO["paid_up"], DEMO["unregistered"]):
        schema_check("InquiryResponse", raw.post(inquiry, wire.inquiry_body(nik)).json())
    schema_check("RegistrationResponse",
                 raw.post(Service.REGISTRATION.path, wire.registration_body("7312015506950177", "Wa Ode", date(1995, 6, 15))).json())
    order = PaymentOrder("J-openapi-1", "26990000030", 2, 33_600, this_month() + (-2), "1", host_today())
    schema_check("PaymentResponse", raw.post(Service.PAYMENT.path, wire.payment_body(order)).json())
    schema_check("StatusResponse", raw.post(Service.PAYMENT_STATUS.path, wire.status_body("J-openapi-1")).json())
    missing = raw.post(Service.PAYMENT_STATUS.path, wire.status_body("J-none"))
    assert missing.status_code == 404
    schema_check("Answer", missing.json())
    schema_check("SettlementResponse", raw.post(Service.SETTLEMENT.path, wire.settlement_body(host_today().date())).json())
    refused = raw.post(Service.PAYMENT.path, wire.payment_body(order))  # the same request id again
    assert refused.json()["responseCode"] == "4095401"
    schema_check("Answer", refused.json())
