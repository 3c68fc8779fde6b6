"""The sandbox's Flask app: the SNAP endpoints, faults on the way in and out, JSON errors.

``create_app(options)`` wires a :class:`~bpjs_link.sandbox.host.Host` (the checks and services),
a :class:`~bpjs_link.sandbox.faults.FaultPlan` and the loopback-only admin endpoints.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import time
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from bpjs_link.codes import BPU_SERVICES, Case, Service
from bpjs_link.sandbox.admin import admin
from bpjs_link.sandbox.faults import Fault, FaultPlan
from bpjs_link.sandbox.host import Host, Reply, answer_text, upper_headers
from bpjs_link.sandbox.options import SandboxOptions
from bpjs_link.sandbox.schema import open_database
from bpjs_link.signing import format_timestamp, hmac_signature

log = logging.getLogger("bpjs_link.sandbox")
MAX_BODY = 64 * 1024


class Dropped(Exception):
    """The answer must never reach the client (an injected drop)."""


def _signed(host: Host, reply: Reply, path: str, *, corrupt: bool = False) -> Response:
    stamp = format_timestamp(host.now())
    response = Response(reply.body, status=reply.http, mimetype="application/json")
    response.headers["X-TIMESTAMP"] = stamp
    external_id = request.headers.get("X-EXTERNAL-ID")
    if external_id:
        response.headers["X-EXTERNAL-ID"] = external_id[:36]
    if reply.partner is not None:
        signature = hmac_signature(reply.partner.client_secret, "POST", path, reply.token, reply.body, stamp)
        if corrupt:  # flip the first character: still base64, no longer the host's signature
            signature = ("B" if signature[0] == "A" else "A") + signature[1:]
        response.headers["X-SIGNATURE"] = signature
    return response


def _drop() -> None:
    """Close the client's connection without an answer (werkzeug's server gives us its socket)."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise Dropped()


def _service_view(app: Flask, service: Service) -> None:
    def view() -> Response:
        host: Host = app.extensions["bpjs_host"]
        plan: FaultPlan = app.extensions["bpjs_faults"]
        injection = plan.next_for(service)
        g.fault = injection.fault
        if injection.latency_ms:
            time.sleep(injection.latency_ms / 1000)
        if injection.fault is Fault.DROP:
            _drop()
        raw = request.get_data(cache=False)
        headers = upper_headers(request.headers.items())
        if injection.fault is Fault.ERROR:
            partner = host.options.partner(headers.get("X-PARTNER-ID", ""))
            token = headers.get("AUTHORIZATION", "")[7:]
            return _signed(host, Reply(500, answer_text(Case.INTERNAL_ERROR, service, {}), partner, token), request.path)
        reply = host.serve(service, request.path, headers, raw)
        g.code = json.loads(reply.body).get("responseCode")
        if injection.fault is Fault.COMMIT_THEN_DROP:
            _drop()
        return _signed(host, reply, request.path, corrupt=injection.fault is Fault.BAD_SIGNATURE)

    view.__name__ = f"service_{service.name.lower()}"
    app.add_url_rule(service.path, view_func=view, methods=["POST"])


def _token_view(app: Flask) -> None:
    def access_token() -> Response:
        host: Host = app.extensions["bpjs_host"]
        reply = host.issue_token(upper_headers(request.headers.items()), request.get_data(cache=False))
        g.code = json.loads(reply.body).get("responseCode")
        return _signed(host, reply, request.path)

    app.add_url_rule(Service.ACCESS_TOKEN.path, view_func=access_token, methods=["POST"])


def _errors(app: Flask) -> None:
    def snap_error(exc: Exception) -> Response | tuple[str, int]:
        if isinstance(exc, Dropped):
            return "", 204  # never sent: the socket is already shut
        host: Host = app.extensions["bpjs_host"]
        service = Service.for_path(request.path)
        if isinstance(exc, HTTPException) and exc.code == 405:
            case = Case.METHOD_NOT_ALLOWED
        elif isinstance(exc, HTTPException) and exc.code == 404:
            case = Case.INVALID_ROUTING
        elif isinstance(exc, HTTPException) and exc.code is not None and exc.code < 500:
            case = Case.BAD_REQUEST
        else:
            log.error("event=bpjs.sandbox.error path=%s error=%s", request.path, type(exc).__name__, exc_info=exc)
            case = Case.GENERAL_ERROR
        partner = host.options.partner(request.headers.get("X-PARTNER-ID", "") or request.headers.get("X-CLIENT-KEY", ""))
        reply = Reply(case.http, answer_text(case, service, {}), partner, request.headers.get("Authorization", "")[7:])
        return _signed(host, reply, request.path)

    app.register_error_handler(Exception, snap_error)


def _access_log(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.monotonic()

    @app.after_request
    def _log(response: Response) -> Response:
        if request.path.startswith("/snap/"):
            fault = getattr(g, "fault", None)
            log.info(json.dumps({"event": "bpjs.sandbox.call", "path": request.path, "http": response.status_code,
                                 "code": getattr(g, "code", None), "fault": fault.value if fault else None,
                                 "external_id": request.headers.get("X-EXTERNAL-ID", "")[:36],
                                 "ms": round((time.monotonic() - g.started) * 1000, 1)}))
        return response


def create_app(options: SandboxOptions, participants: list[Any] | None = None) -> Flask:
    app = Flask("bpjs_link.sandbox")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    host = Host(options, open_database(options.data_dir))
    app.extensions["bpjs_host"] = host
    app.extensions["bpjs_faults"] = FaultPlan(options.faults)
    if participants:
        from bpjs_link.sandbox import seed
        with host.transaction() as s:
            added = seed.apply(s, participants, host.now())
        log.info(json.dumps({"event": "bpjs.sandbox.seeded", "participants": added}))
    _token_view(app)
    for service in BPU_SERVICES:
        _service_view(app, service)
    app.register_blueprint(admin)
    _errors(app)
    _access_log(app)
    return app


def configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("bpjs_link")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
