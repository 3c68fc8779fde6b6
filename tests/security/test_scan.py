"""The scanner catches what it must (planted PINs, PIN blocks, keys, NIKs) and lets masked forms be."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from tests.security.scan import Secrets, pin_block, read_logs, scan

PIN = "822960"
NIK = "7312014112800001"


def _secrets(tmp_path: Path) -> tuple[Secrets, bytes, int]:
    secrets = Secrets(pins={PIN}, niks={NIK, "7312011302820001"})
    ed = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "ledger.key.pem").write_bytes(ed.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))
    secrets.add_private_key_file("ledger key", tmp_path / "ledger.key.pem")
    p256 = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "issuer.key.pem").write_bytes(p256.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                                 serialization.NoEncryption()))
    secrets.add_private_key_file("issuer key", tmp_path / "issuer.key.pem")
    secrets.add_secret("BPJS client secret", "Zq3-client-secret-abcdefghijklmnop")
    return secrets, ed.private_bytes_raw(), p256.private_numbers().private_value


def test_pin_block_is_iso_9564_format_2() -> None:
    assert pin_block("1234") == "241234FFFFFFFFFF" and pin_block(PIN) == "26822960FFFFFFFF"


@pytest.mark.parametrize("line,kind", [
    ("event=verify apdu=0020008008 26822960FFFFFFFF", "PIN block"),
    ("VERIFY body 26 82 29 60 FF FF FF FF", "PIN block"),
    ("block=26:82:29:60:ff:ff:ff:ff", "PIN block"),
    ("block=241234ffffffffff (someone else's PIN)", "PIN block"),
    (f"typed pin={PIN}", "PIN"),
    (f"pinpad digits {PIN}\n", "PIN"),
    ("b64=" + base64.b64encode(bytes.fromhex(pin_block(PIN))).decode(), "PIN block (base64)"),
    (f"farmer nik={NIK} found", "full NIK"),
    ('{"nik": "7312011302820001"}', "full NIK"),
    ("registry row 7312059999990042 refused", "NIK-like number"),
    (f"id=9{NIK}", "full NIK (inside a longer number)"),
    ("-----BEGIN PRIVATE KEY-----", "PEM private key"),
    ("-----BEGIN EC PRIVATE KEY-----", "PEM private key"),
    ("secret=Zq3-client-secret-abcdefghijklmnop", "BPJS client secret"),
])
def test_a_planted_secret_is_found(tmp_path: Path, line: str, kind: str) -> None:
    secrets, _, _ = _secrets(tmp_path)
    found = scan({"planted.log": f"harmless line\n{line}\nanother"}, secrets)
    assert [f.kind for f in found] == [kind] and found[0].line == 2
    assert PIN not in str(found[0]) and NIK not in str(found[0])  # the report does not leak again


def test_key_bytes_are_found_in_any_encoding(tmp_path: Path) -> None:
    secrets, raw, scalar = _secrets(tmp_path)
    scalar_bytes = scalar.to_bytes(32, "big")
    for text in (raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode(), scalar_bytes.hex(),
                 base64.urlsafe_b64encode(scalar_bytes).decode().rstrip("="),
                 (tmp_path / "issuer.key.pem").read_text().splitlines()[1]):
        assert scan({"x": f"key={text}"}, secrets), text


def test_masked_and_harmless_forms_pass(tmp_path: Path) -> None:
    secrets, _, _ = _secrets(tmp_path)
    lines = [
        "event=farmer nik=7312********0001 masked", "card=9360020000000011 number_masked=9360********0011",
        "journal=01a24354-80a5-7324-9307-6f7caca00d72 amount=1822960 at=2026-12-05T02:00:00.000000Z",
        "sha256=6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
        "event=verify apdu=00200080 08 <redacted>", "ATC 0x0024 signature 3045022100ab",
        "-----BEGIN PUBLIC KEY-----", "timestamp_ns=1733731201234567890",
    ]
    assert scan({"clean.log": "\n".join(lines)}, secrets) == []


def test_a_planted_log_record_reaches_the_scan_through_logging(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secrets, _, _ = _secrets(tmp_path)
    with caplog.at_level(logging.DEBUG, logger="kiosk"):
        logging.getLogger("kiosk.checkout").debug("event=oops farmer=%s pin=%s", NIK, PIN)
    found = scan({"caplog": caplog.text}, secrets)
    assert {f.kind for f in found} == {"full NIK", "PIN"}


def test_read_logs_reads_every_log_file(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "agent.log").write_text("one\n")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "sandbox.log").write_text(f"nik={NIK}\n")
    texts = read_logs(tmp_path)
    assert len(texts) == 2 and [f.kind for f in scan(texts, Secrets(niks={NIK}))] == ["full NIK"]
