"""Hand-made SNAP requests to the sandbox, for tests that must send what the client never would."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from bpjs_link.keys import load_private_key
from bpjs_link.signing import format_timestamp, hmac_signature, hmac_valid, rsa_signature
from bpjs_link.transport import new_external_id
from tests.support.bpjs import SandboxHandle

TOKEN_PATH = "/snap/v1.0/access-token/b2b"


def stamp(shift: timedelta = timedelta(0)) -> str:
    return format_timestamp(datetime.now(timezone.utc) + shift)


class Raw:
    def __init__(self, host: SandboxHandle) -> None:
        cfg = json.loads(host.keys.client_config.read_text())
        self.partner_id: str = cfg["partner_id"]
        self.secret: str = cfg["client_secret"]
        self.channel: str = cfg["channel_id"]
        self.key = load_private_key(cfg["private_key_path"])
        self.http = httpx.Client(base_url=host.base_url, timeout=10)
        self._token: str | None = None

    def close(self) -> None:
        self.http.close()

    def token_response(self, *, key: Any = None, client_key: str | None = None, when: str | None = None,
                       body: str = '{"grantType":"client_credentials"}') -> httpx.Response:
        ts = when or stamp()
        who = client_key or self.partner_id
        headers = {"Content-Type": "application/json", "X-TIMESTAMP": ts, "X-CLIENT-KEY": who,
                   "X-SIGNATURE": rsa_signature(key or self.key, who, ts)}
        return self.http.post(TOKEN_PATH, content=body, headers=headers)

    def token(self) -> str:
        if self._token is None:
            response = self.token_response()
            response.raise_for_status()
            self._token = str(response.json()["accessToken"])
        return self._token

    def headers(self, path: str, body: str, *, token: str | None = None, external_id: str | None = None, when: str | None = None,
                secret: str | None = None) -> dict[str, str]:
        tok = self.token() if token is None else token
        ts = when or stamp()
        return {"Content-Type": "application/json", "Authorization": f"Bearer {tok}", "X-TIMESTAMP": ts,
                "X-PARTNER-ID": self.partner_id, "X-EXTERNAL-ID": external_id or new_external_id(), "CHANNEL-ID": self.channel,
                "X-SIGNATURE": hmac_signature(secret or self.secret, "POST", path, tok, body, ts)}

    def post(self, path: str, body: bytes | str | dict[str, Any], *, drop: tuple[str, ...] = (),
             override: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        """Signed as the client would sign it (bytes that are not UTF-8 are signed as decoded with U+FFFD)."""
        if isinstance(body, bytes):
            content, text = body, body.decode("utf-8", "replace")
        else:
            text = body if isinstance(body, str) else json.dumps(body)
            content = text.encode("utf-8")
        headers = self.headers(path, text, **kw)
        headers.update(override or {})
        for name in drop:
            headers.pop(name, None)
        return self.http.post(path, content=content, headers=headers)

    def signed_by_host(self, response: httpx.Response, path: str, token: str) -> bool:
        return hmac_valid(response.headers.get("x-signature", ""), self.secret, "POST", path, token, response.text,
                          response.headers.get("x-timestamp", ""))
