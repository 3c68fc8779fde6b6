"""The money API and CLI on the database (both backends), with no device agent configured: the money
moves and the answers say the receipt has not reached a printer yet. Roles, idempotency, errors in
the API's envelope, append-only end-of-day reports, and the OpenAPI document."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.exc import IntegrityError

import ledger
from fertilizer import WITA
from kiosk.api.openapi import SPEC
from kiosk.cli import cli
from kiosk.models import Role
from kiosk.money import card_balance, deposit_balance
from kiosk.money.schema import EndOfDayReport
from ledger.schema import entries, journals
from tests.money.small import NOON, SmallKiosk


def _journals(small: SmallKiosk) -> int:
    with small.sessions() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(journals)) or 0)


def test_top_up_by_a_supervisor_and_what_an_operator_is_told_without_an_agent(small: SmallKiosk) -> None:
    person = small.at(small.kiosk)[0]
    supervisor = small.client(Role.SUPERVISOR)
    with small.sessions() as s:
        before = card_balance(s, person.pseudonym)
    body = {"amount": 25_000, "farmer": person.pseudonym, "kiosk": small.kiosk}
    assert supervisor.post("/api/v1/topups", json=body).get_json()["error"]["code"] == "idempotency_key_required"
    made = supervisor.post("/api/v1/topups", json=body, headers={"Idempotency-Key": "spv-topup-0001"})
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    assert (answer["farmer"], answer["amount"], answer["balance_after"]) == (person.pseudonym, 25_000, before + 25_000)
    receipt = answer["receipt"]
    assert receipt["state"] == "unsent" and receipt["key"] == f"topup:{answer['journal_id']}"
    assert "agen perangkat tidak menjawab" in receipt["message_id"] and "device agent does not answer" in receipt["message_en"]
    replay = supervisor.post("/api/v1/topups", json=body, headers={"Idempotency-Key": "spv-topup-0001"})
    assert replay.status_code == 200 and replay.get_json()["journal_id"] == answer["journal_id"]
    status = supervisor.get(f"/api/v1/receipts/{answer['journal_id']}").get_json()
    assert status["state"] == "unsent" and status["copies"] == 0
    for bad, code in (({"amount": 0}, "bad_amount"), ({"amount": 1.5}, "bad_amount"), ({"amount": "10"}, "bad_amount"),
                      ({"amount": 10, "farmer": 7, "kiosk": small.kiosk}, "bad_farmer")):
        refused = supervisor.post("/api/v1/topups", json=bad, headers={"Idempotency-Key": f"spv-bad-{uuid.uuid4()}"})
        assert refused.status_code == 400 and refused.get_json()["error"]["code"] == code, refused.get_json()
    count = _journals(small)
    operator = small.client(Role.OPERATOR, kiosk=small.kiosk)
    down = operator.post("/api/v1/topups", json={"amount": 10_000}, headers={"Idempotency-Key": "op-topup-0001"})
    assert down.status_code == 503 and down.get_json()["error"]["code"] == "agent_unavailable"  # the card cannot be read
    assert down.get_json()["error"]["message_id"] and _journals(small) == count
    with small.sessions() as s:
        assert card_balance(s, person.pseudonym) == before + 25_000


def test_deposit_by_api_and_cli(small: SmallKiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    supervisor = small.client(Role.SUPERVISOR)
    with small.sessions() as s:
        before = deposit_balance(s, small.kiosk)
    body = {"kiosk": small.kiosk, "amount": 5_000_000, "reference": "TRF-20261204-01"}
    first = supervisor.post("/api/v1/deposits", json=body)
    assert first.status_code == 201 and first.get_json()["balance"] == before + 5_000_000
    assert supervisor.post("/api/v1/deposits", json=body).status_code == 200  # the same transfer: once
    conflict = supervisor.post("/api/v1/deposits", json=body | {"amount": 1})
    assert conflict.status_code == 409 and conflict.get_json()["error"]["code"] == "idempotency_conflict"
    bad = supervisor.post("/api/v1/deposits", json=body | {"reference": "no spaces please"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_reference"
    typo = supervisor.post("/api/v1/deposits", json=body | {"kiosk": small.kiosk.lower(), "reference": "TRF-20261204-02"})
    assert typo.status_code == 404 and typo.get_json()["error"]["code"] == "kiosk_not_found"  # no money to a typo
    operator = small.client(Role.OPERATOR, kiosk=small.kiosk)
    assert operator.post("/api/v1/deposits", json=body).status_code == 403
    own = operator.get(f"/api/v1/deposits/{small.kiosk}")
    assert own.status_code == 200 and own.get_json()["balance"] == before + 5_000_000
    assert operator.get("/api/v1/deposits/KIOS-999").status_code == 404
    settings = small.app.extensions["kiosk.settings"]
    for name, value in {"DATABASE_URL": settings.database_url, "KIOSK_INSTANCE_PATH": settings.instance_path,
                        "KIOSK_FARMER_KEYS_DIR": settings.farmer_keys_dir, "KIOSK_ENV": "testing"}.items():
        monkeypatch.setenv(name, value)
    done = CliRunner().invoke(cli, ["money", "deposit", "--kiosk", small.kiosk, "--amount", "250000", "--reference", "TRF-2"])
    assert done.exit_code == 0, done.output
    assert f"deposit BPJS {small.kiosk} +Rp 250.000; saldo/balance Rp {before + 5_250_000:,}".replace(",", ".") in done.output
    refused = CliRunner().invoke(cli, ["money", "deposit", "--kiosk", small.kiosk, "--amount", "0", "--reference", "TRF-3"])
    assert refused.exit_code == 1 and "Rp 1" in refused.output


def test_end_of_day_is_kept_append_only_with_its_audit_entry(small: SmallKiosk, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    person = small.at(small.kiosk)[1]
    small.sell(person, {"UREA": min(10, small.quota(person)["UREA"])}, "cash", now=NOON)
    operator = small.client(Role.OPERATOR, kiosk=small.kiosk)
    day = NOON.astimezone(WITA).date().isoformat()
    first = operator.post("/api/v1/end-of-day", json={"day": day})
    assert first.status_code == 201, first.get_json()
    kept = first.get_json()
    assert kept["receipt"] is None and kept["report"]["sales"]["count"] == 1 and kept["kiosk"] == small.kiosk
    assert kept["sha256"] == hashlib.sha256(ledger.canonical(kept["report"])).hexdigest()
    again = operator.post("/api/v1/end-of-day", json={"day": day, "print": True}).get_json()
    assert again["id"] != kept["id"] and again["receipt"]["state"] == "unsent"
    listed = operator.get(f"/api/v1/end-of-day?day={day}").get_json()["reports"]
    assert [r["id"] for r in listed] == [kept["id"], again["id"]]
    assert operator.post("/api/v1/end-of-day", json={"kiosk": "KIOS-999"}).status_code == 404
    assert operator.post("/api/v1/end-of-day", json={"day": "2999-01-01"}).get_json()["error"]["code"] == "bad_day"
    with small.sessions() as s:
        payloads = [json.loads(bytes(b))["payload"] for b in s.scalars(
            sa.select(entries.c.body).where(entries.c.kind == "kiosk.end_of_day").order_by(entries.c.created_at))]
    assert [(p["report"], p["sha256"]) for p in payloads] == [(kept["id"], kept["sha256"]), (again["id"], again["sha256"])]
    for statement in (sa.update(EndOfDayReport).values(body="{}"), sa.delete(EndOfDayReport)):
        with pytest.raises(IntegrityError), small.sessions.begin() as s:
            s.execute(statement)
    settings = small.app.extensions["kiosk.settings"]
    for name, value in {"DATABASE_URL": settings.database_url, "KIOSK_INSTANCE_PATH": settings.instance_path,
                        "KIOSK_FARMER_KEYS_DIR": settings.farmer_keys_dir, "KIOSK_ENV": "testing"}.items():
        monkeypatch.setenv(name, value)
    printed = CliRunner().invoke(cli, ["money", "end-of-day", "--kiosk", small.kiosk, "--day", day])
    assert printed.exit_code == 0, printed.output
    assert f"{small.kiosk} {day}: fertilizer Rp" in printed.output and "kas di laci/cash expected" in printed.output


def test_reversal_and_reprint_refusals(small: SmallKiosk) -> None:
    person = small.at(small.kiosk)[2]
    sale = small.sell(person, {"UREA": min(5, small.quota(person)["UREA"])}, "card", now=NOON)
    supervisor = small.client(Role.SUPERVISOR)
    operator = small.client(Role.OPERATOR, kiosk=small.kiosk)
    other = small.client(Role.OPERATOR, kiosk="KIOS-998", name="operator-other")
    key = {"Idempotency-Key": "reverse-api-0001"}
    assert supervisor.post(f"/api/v1/checkouts/{uuid.uuid4()}/reverse", json={"reason": "tidak ada"},
                           headers=key).status_code == 404
    short = supervisor.post(f"/api/v1/checkouts/{sale.id}/reverse", json={"reason": "x"}, headers=key)
    assert short.status_code == 400 and short.get_json()["error"]["code"] == "bad_reason"
    assert supervisor.post(f"/api/v1/checkouts/{sale.id}/reverse", json={"reason": "tanpa kunci"}).status_code == 400
    assert operator.post(f"/api/v1/checkouts/{sale.id}/reverse", json={"reason": "kasir"}, headers=key).status_code == 403
    first = operator.post(f"/api/v1/checkouts/{sale.id}/reprint", headers={"Idempotency-Key": "reprint-api-0001"})
    assert first.status_code == 404 and first.get_json()["error"]["code"] == "receipt_not_found"  # never recorded
    assert other.post(f"/api/v1/checkouts/{sale.id}/reprint").status_code == 404  # another kiosk's checkout
    assert operator.get(f"/api/v1/receipts/{uuid.uuid4()}").status_code == 404


def test_every_money_route_is_in_the_openapi_document(small: SmallKiosk) -> None:
    rules = [r for r in small.app.url_map.iter_rules() if r.endpoint.startswith("api.") and
             small.app.view_functions[r.endpoint].__module__ == "kiosk.api.money"]
    assert len(rules) >= 14
    for rule in rules:
        path = rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}")
        documented = SPEC["paths"].get(path, {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented, (method, path)
    served = small.client(Role.SUPERVISOR).get("/api/v1/openapi.json").get_json()
    assert "/reconciliations/{day}" in served["paths"] and "receipt" in served["components"]["schemas"]["Checkout"]["properties"]
