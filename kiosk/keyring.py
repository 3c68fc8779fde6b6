"""Key management for the admin pages (issue 11): what a person may do with the kiosk's keys.

* **Issuer public keys** (``<issuer_keys_dir>/<ISSUER>.pub.pem``, P-256, read by
  :func:`kiosk.cards.load_issuer_keys` at start-up): list with fingerprints, add one from an upload
  (a public key only; a private key sent by mistake is refused and never written), retire one (moved
  to ``retired/`` beside them, so cards of that issuer are refused after the next restart).
* **The ledger's signing key** (:mod:`ledger.audit.keys`): show its verifier key, create it when
  absent, rotate it. The retired public keys stay in ``<key file>.retired`` and are exported with
  the current one, so every checkpoint ever signed still verifies.
* **BPJS partner key** (the RSA key ``client.json`` points at): show its public key, and for a
  rotation generate the next key pair beside it (``partner-private.next.pem``) whose public PEM is
  handed to BPJS; the switch itself is a change of ``private_key_path`` once BPJS has registered it.

Private keys are written with mode 0600, created exclusively, and never leave this module: the pages
get public keys, verifier key strings and fingerprints only. Each change appends an audit entry
(``kiosk.key_*``) in the caller's transaction; the file change happens inside that transaction, so a
refused file operation leaves no entry.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy.orm import Session

import ledger
from bpjs_link.config import BpjsConfig
from bpjs_link.errors import BpjsConfigError
from bpjs_link.keys import RSA_BITS, load_private_key
from kiosk.settings import Settings
from ledger.audit import (
    AuditError,
    NoteVerifier,
    create_key_file,
    load_key_file,
    public_vkey,
    retired_vkeys,
    rotate_key_file,
)

log = logging.getLogger("kiosk.keys")

ISSUER_ID = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
ISSUER_SUFFIX = ".pub.pem"
MAX_PUBLIC_PEM = 4096
PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
NEXT_BPJS_KEY = "partner-private.next.pem"

ISSUER_ADDED = "kiosk.key_issuer_added"
ISSUER_RETIRED = "kiosk.key_issuer_retired"
LEDGER_CREATED = "kiosk.key_ledger_created"
LEDGER_ROTATED = "kiosk.key_ledger_rotated"
BPJS_NEXT = "kiosk.key_bpjs_next_generated"


class KeyAdminError(Exception):
    """A refused key operation: bilingual, with the form field it concerns (if any)."""

    def __init__(self, code: str, message_id: str, message_en: str, field: str | None = None) -> None:
        super().__init__(message_en)
        self.code, self.message_id, self.message_en, self.field = code, message_id, message_en, field


def fingerprint(public_der: bytes) -> str:
    """``SHA256:<base64>`` of a public key's DER SubjectPublicKeyInfo (or raw key), as OpenSSH shows."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(public_der).digest()).decode("ascii").rstrip("=")


def _spki(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pem(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` exclusively with ``mode`` (exact, whatever the umask) and sync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _entry(session: Session, kind: str, payload: dict[str, object], now: datetime) -> None:
    ledger.append_entry(session, kind, payload, now=now)
    log.warning("event=%s %s", kind.removeprefix("kiosk."), " ".join(f"{k}={v}" for k, v in payload.items()))


# ---- issuer public keys -----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuerKey:
    issuer: str
    fingerprint: str


def issuer_keys(settings: Settings) -> list[IssuerKey]:
    """The issuer keys in force (after a restart), by issuer id; an unreadable file shows as such."""
    found = []
    for path in sorted(Path(settings.issuer_keys_dir).glob(f"*{ISSUER_SUFFIX}")):
        try:
            key = serialization.load_pem_public_key(path.read_bytes()[:MAX_PUBLIC_PEM])
            shown = fingerprint(_spki(key)) if isinstance(key, ec.EllipticCurvePublicKey) else "?"
        except (ValueError, UnsupportedAlgorithm, OSError):
            shown = "?"
        found.append(IssuerKey(path.name.removesuffix(ISSUER_SUFFIX), shown))
    return found


def _p256_public(pem: bytes) -> ec.EllipticCurvePublicKey:
    if b"PRIVATE KEY" in pem:
        raise KeyAdminError("private_key_uploaded", "Ini kunci PRIVAT: jangan diunggah. Unggah kunci publik penerbit.",
                            "This is a PRIVATE key: never upload it. Upload the issuer's public key.", "key_file")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyAdminError("not_p256", "Berkas harus berisi satu kunci publik P-256 (PEM).",
                            "The file must hold one P-256 public key (PEM).", "key_file")
    return key


def add_issuer_key(session: Session, settings: Settings, *, issuer: str, pem: bytes, actor: str,
                   now: datetime) -> IssuerKey:
    """Install an issuer's public key; an issuer that already has one must retire it first."""
    if not ISSUER_ID.match(issuer):
        raise KeyAdminError("bad_issuer", "Kode penerbit: 2-32 huruf besar, angka atau tanda hubung (mis. BNI-7312).",
                            "Issuer code: 2-32 capital letters, digits or hyphens (e.g. BNI-7312).", "issuer")
    key = _p256_public(pem)
    directory = Path(settings.issuer_keys_dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{issuer}{ISSUER_SUFFIX}"
    if path.exists():
        raise KeyAdminError("issuer_exists", "Penerbit ini sudah punya kunci; pensiunkan dulu yang lama.",
                            "This issuer already has a key; retire the old one first.", "issuer")
    result = IssuerKey(issuer, fingerprint(_spki(key)))
    _entry(session, ISSUER_ADDED, {"issuer": issuer, "fingerprint": result.fingerprint, "by": actor}, now)
    pem_out = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _write_new(path, pem_out, PUBLIC_MODE)
    return result


def retire_issuer_key(session: Session, settings: Settings, *, issuer: str, actor: str, now: datetime) -> None:
    """Take an issuer's key out of force (kept under ``retired/`` for the record)."""
    found = {k.issuer: k for k in issuer_keys(settings)}
    if issuer not in found:
        raise KeyAdminError("unknown_issuer", "Kunci penerbit ini tidak ada.", "There is no key for this issuer.")
    directory = Path(settings.issuer_keys_dir)
    retired = directory / "retired"
    retired.mkdir(exist_ok=True)
    _entry(session, ISSUER_RETIRED, {"issuer": issuer, "fingerprint": found[issuer].fingerprint, "by": actor}, now)
    os.replace(directory / f"{issuer}{ISSUER_SUFFIX}", retired / f"{issuer}.{now:%Y%m%dT%H%M%S}{ISSUER_SUFFIX}")


# ---- the ledger's signing key -----------------------------------------------------------------


@dataclass(frozen=True)
class LedgerKey:
    present: bool
    vkey: str | None
    fingerprint: str | None
    retired: tuple[str, ...]
    problem: AuditError | None = None


def ledger_key(settings: Settings) -> LedgerKey:
    retired = tuple(retired_vkeys(settings.ledger_key_file))
    if not Path(settings.ledger_key_file).exists():
        return LedgerKey(False, None, None, retired)
    try:
        key = load_key_file(settings.ledger_key_file)
    except AuditError as exc:  # exposed permissions, malformed: shown, and fixed by a person
        return LedgerKey(True, None, None, retired, exc)
    verifier = NoteVerifier.from_public_key(settings.log_origin, key.public_key())
    return LedgerKey(True, verifier.vkey, fingerprint(verifier.public_key), retired)


def ledger_vkeys(settings: Settings) -> str:
    """Every verifier key of this log, current first: what auditors pin to verify all checkpoints."""
    state = ledger_key(settings)
    return "".join(f"{v}\n" for v in ((state.vkey,) if state.vkey else ()) + tuple(reversed(state.retired)))


def create_ledger_key(session: Session, settings: Settings, *, actor: str, now: datetime) -> str:
    """Create the signing key when there is none (never over an existing one); its verifier key."""
    if Path(settings.ledger_key_file).exists():
        raise KeyAdminError("ledger_key_exists", "Kunci penanda tangan buku besar sudah ada; gunakan rotasi.",
                            "The ledger signing key exists already; rotate it instead.")
    vkey = public_vkey(settings.log_origin, create_key_file(settings.ledger_key_file))
    _entry(session, LEDGER_CREATED, {"vkey": vkey, "by": actor}, now)
    return vkey


def rotate_ledger_key(session: Session, settings: Settings, *, actor: str, now: datetime) -> str:
    """A new signing key for the next checkpoints; the old public key is kept (see module docs)."""
    state = ledger_key(settings)
    if state.vkey is None:
        raise KeyAdminError("ledger_key_missing", "Belum ada kunci penanda tangan untuk dirotasi.",
                            "There is no signing key to rotate yet.")
    key = rotate_key_file(settings.ledger_key_file, settings.log_origin)
    vkey = public_vkey(settings.log_origin, key)
    _entry(session, LEDGER_ROTATED, {"old_vkey": state.vkey, "new_vkey": vkey, "by": actor}, now)
    return vkey


# ---- BPJS partner key -------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerKey:
    public_pem: str
    fingerprint: str


@dataclass(frozen=True)
class BpjsKeys:
    configured: bool
    current: PartnerKey | None
    next: PartnerKey | None
    problem: BpjsConfigError | None = None  # why the current key cannot be shown (bilingual, no secrets)


def _partner(key: rsa.RSAPrivateKey) -> PartnerKey:
    public = key.public_key()
    return PartnerKey(_pem(public), fingerprint(_spki(public)))


def _next_path(config: BpjsConfig) -> Path:
    return Path(config.private_key_path).with_name(NEXT_BPJS_KEY)


def bpjs_keys(settings: Settings) -> BpjsKeys:
    if not Path(settings.bpjs_client_file).exists():
        return BpjsKeys(False, None, None)
    try:
        config = BpjsConfig.from_file(settings.bpjs_client_file)
        current = _partner(load_private_key(config.private_key_path))
        nxt = _next_path(config)
        return BpjsKeys(True, current, _partner(load_private_key(nxt)) if nxt.exists() else None)
    except BpjsConfigError as exc:
        return BpjsKeys(True, None, None, exc)


def generate_next_bpjs_key(session: Session, settings: Settings, *, actor: str, now: datetime) -> PartnerKey:
    """The next partner key pair, for a rotation: the private half beside the current one (0600),
    replacing an earlier next key not yet in use; the public half to hand to BPJS."""
    state = bpjs_keys(settings)
    if not state.configured or state.current is None:
        raise KeyAdminError("bpjs_not_configured", "Tautan BPJS belum dikonfigurasi (client.json).",
                            "The BPJS link is not configured (client.json).")
    path = _next_path(BpjsConfig.from_file(settings.bpjs_client_file))
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    staged = path.with_name(path.name + ".tmp")
    staged.unlink(missing_ok=True)
    _write_new(staged, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()), PRIVATE_MODE)
    os.replace(staged, path)
    made = _partner(key)
    _entry(session, BPJS_NEXT, {"fingerprint": made.fingerprint, "by": actor}, now)
    return made
