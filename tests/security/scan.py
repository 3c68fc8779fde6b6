"""A scanner for secrets in logs and output: PIN blocks and PINs, private keys and key bytes, full NIKs.

:class:`Secrets` names what must never appear; :func:`scan` reads texts (one per source: a log
file, captured log records, a test's stdout) and returns a :class:`Finding` per hit, with the
secret itself masked in the finding (so the report of a leak does not leak again).

What counts as a hit:

* an ISO 9564 format 2 (EMV plaintext) PIN block anywhere, in hex with or without byte separators
  (``2NPPPP..FF``: control 2, length 4-12, the digits, ``F`` fill), and the blocks of the known
  PINs also in base64; a known PIN as a number of its own (not inside a longer digit run);
* a PEM private key marker; any 40+ character line of a known private key's PEM body; the known
  raw key bytes in hex (either case) or base64; known secret strings (HMAC secrets, tokens);
* a known NIK as a number of its own, and any 16-digit number that looks like a Soppeng NIK
  (region ``7312``) even when it is not one of the known ones.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

PIN_BLOCK = re.compile(r"(?<![0-9A-Fa-f])2[4-9A-Ca-c](?:[ :]?[0-9A-Fa-f]{2}){7}(?![0-9A-Fa-f])")
NIK_LIKE = re.compile(r"(?<!\d)7312\d{12}(?!\d)")
PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


@dataclass(frozen=True)
class Finding:
    source: str
    line: int
    kind: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.kind}: {self.excerpt}"


@dataclass
class Secrets:
    pins: set[str] = field(default_factory=set)
    niks: set[str] = field(default_factory=set)
    needles: dict[str, str] = field(default_factory=dict)  # exact text -> what it is

    def add_secret(self, what: str, text: str) -> None:
        if len(text) >= 12:
            self.needles[text] = what

    def add_bytes(self, what: str, raw: bytes) -> None:
        for form in (raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode().rstrip("="),
                     base64.urlsafe_b64encode(raw).decode().rstrip("=")):
            self.add_secret(what, form)

    def add_private_key_file(self, what: str, path: Path) -> None:
        """A PEM private key: its body lines, its DER, and its raw private number(s)."""
        pem = path.read_bytes()
        for line in pem.decode("ascii").splitlines():
            if len(line) >= 40 and not line.startswith("-----"):
                self.add_secret(f"{what} (PEM line)", line)
        key = serialization.load_pem_private_key(pem, password=None)
        self.add_bytes(f"{what} (DER)", key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption())[:48])
        if isinstance(key, ed25519.Ed25519PrivateKey):
            self.add_bytes(f"{what} (raw)", key.private_bytes_raw())
        elif isinstance(key, ec.EllipticCurvePrivateKey):
            self.add_bytes(f"{what} (scalar)", key.private_numbers().private_value.to_bytes(32, "big"))
        elif isinstance(key, rsa.RSAPrivateKey):
            d = key.private_numbers().d
            self.add_bytes(f"{what} (d)", d.to_bytes((d.bit_length() + 7) // 8, "big")[:32])


def pin_block(pin: str) -> str:
    """The ISO 9564 format 2 block of ``pin``, in hex (what the PIN pad hands to the card)."""
    return (f"2{len(pin):X}{pin}" + "F" * 14)[:16]


def _is_pin_block(candidate: str) -> bool:
    digits = re.sub(r"[ :]", "", candidate).upper()
    n = int(digits[1], 16)
    return len(digits) == 16 and digits[2:2 + n].isdigit() and set(digits[2 + n:]) <= {"F"} and n <= 12


def _mask(text: str) -> str:
    return text[:2] + "*" * max(len(text) - 4, 1) + text[-2:] if len(text) > 4 else "*" * len(text)


def _line_findings(source: str, number: int, line: str, secrets: Secrets) -> Iterable[Finding]:
    for m in PIN_BLOCK.finditer(line):
        if _is_pin_block(m.group()):
            yield Finding(source, number, "PIN block", _mask(m.group()))
    for pin in secrets.pins:
        if re.search(rf"(?<!\d){re.escape(pin)}(?!\d)", line):
            yield Finding(source, number, "PIN", _mask(pin))
        encoded = base64.b64encode(bytes.fromhex(pin_block(pin))).decode().rstrip("=")
        if encoded in line:
            yield Finding(source, number, "PIN block (base64)", _mask(encoded))
    if PEM_PRIVATE.search(line):
        yield Finding(source, number, "PEM private key", "-----BEGIN ... PRIVATE KEY-----")
    for needle, what in secrets.needles.items():
        if needle in line:
            yield Finding(source, number, what, _mask(needle))
    alone = {m.group() for m in NIK_LIKE.finditer(line)}
    for nik in alone:
        yield Finding(source, number, "full NIK" if nik in secrets.niks else "NIK-like number", _mask(nik))
    for nik in secrets.niks - alone:
        if nik in line:
            yield Finding(source, number, "full NIK (inside a longer number)", _mask(nik))


def scan(texts: Mapping[str, str], secrets: Secrets) -> list[Finding]:
    """Every hit in every text, in order."""
    found: list[Finding] = []
    for source, text in texts.items():
        for number, line in enumerate(text.splitlines(), start=1):
            found.extend(_line_findings(source, number, line, secrets))
    return found


def read_logs(folder: Path, pattern: str = "*.log") -> dict[str, str]:
    """Every log file under ``folder`` (recursively), by its path."""
    return {str(p): p.read_text(errors="replace") for p in sorted(Path(folder).rglob(pattern)) if p.is_file()}
