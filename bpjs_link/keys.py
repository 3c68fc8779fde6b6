"""Partner key sets: the RSA key pair, client secret and channel shared by client and host.

``generate_partner_keys(directory, ...)`` writes three files (secrets mode 0600):

* ``partner-private.pem``  the partner's RSA private key (PKCS#8 PEM), stays with the kiosk;
* ``client.json``          a :class:`~bpjs_link.config.BpjsConfig` for the kiosk side;
* ``host-partner.json``    what the host registers: partner id, channel id, client secret,
                           public key PEM (the sandbox's ``--partner`` file).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bpjs_link.errors import BpjsConfigError

RSA_BITS = 2048


@dataclass(frozen=True)
class PartnerKeyFiles:
    private_key: Path
    client_config: Path
    host_partner: Path


def _write_secret(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def generate_partner_keys(directory: str | Path, *, partner_id: str, channel_id: str = "95221",
                          base_url: str = "http://127.0.0.1:8070") -> PartnerKeyFiles:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    secret = secrets.token_urlsafe(48)
    files = PartnerKeyFiles(out / "partner-private.pem", out / "client.json", out / "host-partner.json")
    _write_secret(files.private_key, private_pem)
    client = {"base_url": base_url, "partner_id": partner_id, "client_secret": secret,
              "private_key_path": str(files.private_key.resolve()), "channel_id": channel_id}
    _write_secret(files.client_config, json.dumps(client, indent=2).encode())
    host = {"partnerId": partner_id, "channelId": channel_id, "clientSecret": secret, "publicKeyPem": public_pem.decode("ascii")}
    _write_secret(files.host_partner, json.dumps(host, indent=2).encode())
    return files


def load_private_key(path: str | Path) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise BpjsConfigError("Kunci privat mitra BPJS tidak dapat dibaca",
                              f"cannot load the BPJS partner private key: {type(exc).__name__}", path=str(path)) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BpjsConfigError("Kunci privat mitra bukan RSA", "the BPJS partner private key is not an RSA key", path=str(path))
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise BpjsConfigError("Kunci publik mitra tidak dapat dibaca", f"cannot load a partner public key: {exc}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise BpjsConfigError("Kunci publik mitra bukan RSA", "a partner public key is not an RSA key")
    return key
