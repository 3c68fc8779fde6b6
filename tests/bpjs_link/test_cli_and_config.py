"""Key generation, settings files, sandbox start-up errors, an unreachable host, and what logs show."""

from __future__ import annotations

import json
import logging
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bpjs_link import BpjsClient, BpjsConfig, BpjsConfigError, BpjsUnavailable, BpjsUnknownOutcome, Month, generate_partner_keys
from tests.support.bpjs import DEMO, ROOT, SandboxHandle


def test_keygen_cli_writes_matching_private_files(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "bpjs_link", "keygen", "--out", str(tmp_path / "k"), "--partner-id", "KIOSK-9"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    paths = [Path(line) for line in out.stdout.split()]
    assert [p.name for p in paths] == ["partner-private.pem", "client.json", "host-partner.json"]
    for p in paths:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    client = json.loads(paths[1].read_text())
    host = json.loads(paths[2].read_text())
    assert client["client_secret"] == host["clientSecret"] and client["partner_id"] == host["partnerId"] == "KIOSK-9"
    assert "PRIVATE" not in host["publicKeyPem"] and "PRIVATE KEY" in paths[0].read_text()
    config = BpjsConfig.from_file(paths[1])
    assert config.client_secret not in repr(config)


def test_config_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(BpjsConfigError) as err:
        BpjsConfig.from_file(tmp_path / "missing.json")
    assert err.value.message_id and "cannot read" in err.value.message_en
    (tmp_path / "odd.json").write_text('{"base_url": "http://x", "colour": "red"}')
    with pytest.raises(BpjsConfigError, match="unknown BPJS settings: colour"):
        BpjsConfig.from_file(tmp_path / "odd.json")
    with pytest.raises(BpjsConfigError) as err:
        BpjsConfig(base_url="", partner_id="P", client_secret="s", private_key_path="k", channel_id="c")
    assert err.value.fields["missing"] == ["base_url"]
    keys = generate_partner_keys(tmp_path / "keys", partner_id="P")
    keys.private_key.write_text("not a key")
    with pytest.raises(BpjsConfigError, match="private key"):
        BpjsClient(BpjsConfig.from_file(keys.client_config))


def _sandbox(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bpjs_link.sandbox", "--port", "0", "--data", str(tmp_path / "d"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_sandbox_refuses_a_bad_seed_file_and_loads_nothing(tmp_path: Path) -> None:
    keys = generate_partner_keys(tmp_path / "keys", partner_id="P")
    seed = tmp_path / "seed.csv"
    seed.write_text("nik,name,birth_date,kpj,paid_through,status\n7312011705800001,Andi,1980-05-17,26011700001,2026-13,active\n")
    result = _sandbox(tmp_path, "--partner", str(keys.host_partner), "--seed", str(seed))
    assert result.returncode != 0 and "line 2: paid_through must be YYYY-MM" in result.stderr
    bad_partner = tmp_path / "partner.json"
    bad_partner.write_text("{}")
    result = _sandbox(tmp_path, "--partner", str(bad_partner))
    assert result.returncode != 0 and "cannot read partner file" in result.stderr
    result = _sandbox(tmp_path, "--partner", str(keys.host_partner), "--error-rate", "0.7", "--drop-rate", "0.7")
    assert result.returncode != 0 and "fault rates" in result.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_unreachable_host(tmp_path: Path) -> None:
    keys = generate_partner_keys(tmp_path / "keys", partner_id="P")
    config = BpjsConfig.from_file(keys.client_config, base_url=f"http://127.0.0.1:{_closed_port()}", retry_backoff_s=0.01,
                                  connect_timeout_s=0.5)
    with BpjsClient(config) as bpjs:
        with pytest.raises(BpjsUnavailable) as err:
            bpjs.inquire(DEMO["paid_up"])
        assert err.value.fields["service"] == "access_token" and err.value.message_id
        order = bpjs.new_payment(request_id="J-1", kpj="26011700001", months=1, amount=16_800, expected_paid_through=Month(2026, 11))
        with pytest.raises(BpjsUnknownOutcome):
            bpjs.pay(order)


def test_logs_carry_no_nik_secret_or_token(bpjs: BpjsClient, sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bpjs.inquire(DEMO["two_behind"])
    bpjs.inquire(DEMO["unregistered"])
    text = caplog.text + sandbox.log.read_text()
    assert "event=bpjs.call service=participant_inquiry" in caplog.text
    for secret in (DEMO["two_behind"], DEMO["unregistered"], bpjs.config.client_secret):
        assert secret not in text
    assert "Bearer" not in text and "accessToken" not in text


def test_header_values_from_settings_are_checked_once() -> None:
    with pytest.raises(BpjsConfigError, match="channel id"):
        BpjsConfig(base_url="http://x", partner_id="P", client_secret="s", private_key_path="k", channel_id="95 221")
