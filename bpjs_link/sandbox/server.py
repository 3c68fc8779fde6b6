"""Serving the sandbox: werkzeug's threaded WSGI server, with the Date header on the host's clock."""

from __future__ import annotations

import json
import os
import signal
import sys
from email.utils import format_datetime
from pathlib import Path
from types import FrameType

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bpjs_link.sandbox.host import Host


def _handler_for(host: Host) -> type[WSGIRequestHandler]:
    class SandboxHandler(WSGIRequestHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            return format_datetime(host.now(), usegmt=True)

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass  # the app writes one structured line per call

    return SandboxHandler


def serve(app: Flask, host_name: str, port: int, data_dir: Path) -> None:
    """Serve until SIGTERM/SIGINT. Announces itself on stdout and in ``data_dir/sandbox.json``."""
    host: Host = app.extensions["bpjs_host"]
    server: BaseWSGIServer = make_server(host_name, port, app, threaded=True, request_handler=_handler_for(host))
    actual = server.server_port
    (data_dir / "sandbox.json").write_text(json.dumps({"pid": os.getpid(), "port": actual, "host": host_name}))

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"bpjs-sandbox listening on http://{host_name}:{actual}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        host.engine.dispose()
        print("bpjs-sandbox stopped", file=sys.stderr, flush=True)
