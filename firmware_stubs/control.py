"""The emulators' local control interface: a small JSON-over-HTTP server on loopback.

Each emulator declares routes ``(METHOD, path) -> handler(body) -> (status, json)``; the demo
control page and the tests call them. Bad bodies get a 400 with a message in both languages.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

Handler = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]

logging.getLogger("werkzeug").setLevel(logging.WARNING)


class BadRequest(ValueError):
    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_id, self.message_en = message_id, message_en


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` to listen on; port 0 picks a free one."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class ControlServer:
    def __init__(self, routes: dict[tuple[str, str], Handler], host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes = routes
        self.server: BaseWSGIServer = make_server(host, port, self._app, threaded=True)
        self.host, self.port = host, self.server.server_port
        self._thread = threading.Thread(target=self.server.serve_forever, name="control", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ControlServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            response = _json(404, {"error": {"message_id": "Tidak ada.", "message_en": "Not found."}})
            return response(environ, start_response)
        try:
            body = json.loads(request.get_data() or b"{}")
            if not isinstance(body, dict):
                raise BadRequest("Badan permintaan harus objek JSON.", "The request body must be a JSON object.")
            status, out = handler(body)
        except json.JSONDecodeError:
            status, out = 400, {"error": {"message_id": "JSON tidak sah.", "message_en": "Invalid JSON."}}
        except BadRequest as exc:
            status, out = 400, {"error": {"message_id": exc.message_id, "message_en": exc.message_en}}
        return _json(status, out)(environ, start_response)
