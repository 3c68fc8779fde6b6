"""Run the device agent: open the devices, serve the API on loopback, close everything on SIGTERM.

Prints one JSON line ``{"event": "ready", "url": ...}`` on stdout when it serves (fixtures and the
demo wait for it). Logs are structured lines on stderr.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading

from werkzeug.serving import make_server

from card_reader.logs import log_event
from kiosk.agent.app import create_agent_app
from kiosk.agent.config import AgentSettings
from kiosk.agent.devices import Devices
from kiosk.receipts.errors import ReceiptError

log = logging.getLogger("kiosk.agent")
EXIT_CONFIG = 2  # as `kiosk agent run` exits on a configuration error


def run_agent(settings: AgentSettings, log_level: str = "INFO") -> None:
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        stream=sys.stderr, force=True)  # force: an import may have configured the root already
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        devices = Devices.open(settings)
    except ReceiptError as exc:  # the print queue folder cannot be made or read
        log_event(log, "agent.cannot_start", logging.ERROR, error=exc.code, **exc.fields)
        print(f"kiosk agent: {exc.message_id} / {exc.message_en} {exc.fields}", file=sys.stderr, flush=True)
        raise SystemExit(EXIT_CONFIG) from None
    stop = threading.Event()
    try:
        app = create_agent_app(devices, settings.token, settings.max_pin_timeout_s)
        server = make_server(settings.host, settings.port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="agent-http", daemon=True)
        thread.start()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        url = f"http://{settings.host}:{server.server_port}"
        log_event(log, "agent.ready", url=url, reader=settings.reader, pinpad=settings.pinpad or "none",
                  printer=settings.printer.device or "none")
        print(json.dumps({"event": "ready", "url": url}), flush=True)
        stop.wait()
        server.shutdown()
        server.server_close()
    finally:
        devices.close()
        log_event(log, "agent.stopped")
