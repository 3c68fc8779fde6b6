"""Security hardening of the web app (issue 11; docs/security.md), wired by ``init_app``:

* cookies: the session cookie HttpOnly, SameSite=Lax, Secure per ``session_cookie_secure`` (on by
  default in production, then named ``__Host-kiosk_session``), expiring after ``session_idle_minutes``
  unused; the remember cookie (unused today) HttpOnly, Secure, SameSite=Strict;
* headers on every response (:data:`HEADERS`): a Content-Security-Policy without inline script or
  style, no framing, no referrer, no MIME sniffing, a Permissions-Policy denying device APIs,
  ``Cache-Control: no-store`` on everything but static files, HSTS in production;
* request bodies limited to ``max_content_length`` bytes: a clear 413 before anything reads them;
* 404/405/413/500 (and a refused CSRF token) answered with a bilingual page, or the API's JSON
  envelope under ``/api/`` — never a traceback, never a setting;
* the pattern for forms (:func:`render_form`, :func:`show_refusal`, :func:`read_upload`): bad input
  gets a message next to its field with status 422, never a 500.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from flask import Flask, Response, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException, InternalServerError

from kiosk.i18n import select_locale
from kiosk.settings import Settings

log = logging.getLogger("kiosk.security")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")
PERMISSIONS = ("accelerometer=(), bluetooth=(), camera=(), geolocation=(), gyroscope=(), hid=(), magnetometer=(), "
               "microphone=(), payment=(), serial=(), usb=()")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": PERMISSIONS,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
SECURE_COOKIE_NAME = "__Host-kiosk_session"


@dataclass(frozen=True)
class ErrorText:
    code: str
    message_id: str
    message_en: str


ERRORS: dict[int, ErrorText] = {
    400: ErrorText("bad_request", "Permintaan tidak dapat diproses. Periksa isian lalu coba lagi.",
                   "The request could not be processed. Check what was entered and try again."),
    404: ErrorText("not_found", "Halaman atau data yang dicari tidak ada.",
                   "The page or record you asked for does not exist."),
    405: ErrorText("method_not_allowed", "Cara permintaan ini tidak diizinkan di alamat ini.",
                   "This request method is not allowed at this address."),
    413: ErrorText("too_large", "Berkas atau isi permintaan terlalu besar (paling besar {limit}).",
                   "The file or request body is too large (at most {limit})."),
    429: ErrorText("too_many_requests", "Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.",
                   "Too many requests. Wait a moment and try again."),
    500: ErrorText("internal_error", "Terjadi kesalahan di server. Kesalahan sudah dicatat; coba lagi atau hubungi admin "
                   "dengan kode {incident}.", "Something went wrong on the server. It has been logged; try again or "
                   "give an administrator the code {incident}."),
}
CSRF_TEXT = ErrorText("csrf_failed", "Formulir ini kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi.",
                      "This form has expired or is not valid. Reload the page and submit it again.")
GENERIC = ErrorText("error", "Permintaan tidak dapat dipenuhi.", "The request could not be fulfilled.")


def size_text(n: int) -> str:
    """A byte count for people: ``16 MB``, ``512 kB``."""
    return f"{n / 1_048_576:g} MB" if n >= 1_048_576 else f"{max(n // 1024, 1)} kB"


# ---- wiring -------------------------------------------------------------------------------------


def init_app(app: Flask, settings: Settings) -> None:
    """Cookies, the request size limit, the headers and the error pages."""
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_content_length,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.session_idle_minutes),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=True,
        REMEMBER_COOKIE_SAMESITE="Strict",
        REMEMBER_COOKIE_DURATION=timedelta(hours=settings.session_max_hours),
    )
    if settings.session_cookie_secure:
        app.config["SESSION_COOKIE_NAME"] = SECURE_COOKIE_NAME  # Secure, host-only, Path=/: browsers enforce it
    app.extensions["kiosk.security"] = settings
    app.before_request(_refuse_oversized)
    app.after_request(_headers)
    for code in (400, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _http_error)
    app.register_error_handler(CSRFError, _http_error)


def _refuse_oversized() -> None:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers[name] = value
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    settings: Settings = current_app.extensions["kiosk.security"]
    if settings.production:
        response.headers["Strict-Transport-Security"] = f"max-age={settings.hsts_seconds}"
    return response


# ---- errors -------------------------------------------------------------------------------------


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _text_for(err: HTTPException) -> tuple[ErrorText, dict[str, str]]:
    if isinstance(err, CSRFError):
        return CSRF_TEXT, {"reason": err.description or ""}  # Flask-WTF's why: missing, expired, mismatch
    code = err.code or 500
    if code == 413:
        return ERRORS[413], {"limit": size_text(current_app.config["MAX_CONTENT_LENGTH"])}
    if code >= 500:
        incident = secrets.token_hex(4)
        original = getattr(err, "original_exception", None)
        log.error("event=internal_error incident=%s method=%s path=%s error=%s", incident, request.method,
                  request.path, type(original).__name__ if original is not None else type(err).__name__)
        return ERRORS[500], {"incident": incident}
    return ERRORS.get(code, GENERIC), {}


def _http_error(err: HTTPException) -> ResponseReturnValue:
    status = err.code or 500
    text, fields = _text_for(err)
    message_id, message_en = text.message_id.format(**fields), text.message_en.format(**fields)
    methods = getattr(err, "valid_methods", None)  # a 405 names what is allowed
    headers = {"Allow": ", ".join(sorted(methods))} if methods else {}
    if wants_json():
        body = {"error": {"code": text.code, "message": message_en, "message_id": message_id, "details": fields}}
        return jsonify(body), status, headers
    if status >= 500 or isinstance(err, InternalServerError):
        return render_template("errors/500.html", status=status, message_id=message_id, message_en=message_en), 500
    return render_template("errors/page.html", status=status, code=text.code, message_id=message_id,
                           message_en=message_en), status, headers


# ---- forms: bad input gets a message next to its field ------------------------------------------


class Refusal(Protocol):
    """Any domain error of ours: a bilingual message (kiosk, fertilizer, ledger errors all have it)."""

    message_id: str
    message_en: str


def bilingual(message_id: str, message_en: str) -> str:
    """The message in the interface's language."""
    return message_id if select_locale() == "id" else message_en


def show_refusal(form: FlaskForm, err: Refusal, field_name: str | None = None) -> None:
    """Put a refusal next to ``field_name`` (or above the form when it concerns no one field)."""
    message = bilingual(err.message_id, err.message_en)
    target = getattr(form, field_name, None) if field_name else None
    if target is None:
        form.form_errors.append(message)
    else:
        target.errors = [*target.errors, message]


def has_errors(form: FlaskForm) -> bool:
    return bool(form.form_errors) or any(f.errors for f in form)


def render_form(template: str, form: FlaskForm, **context: Any) -> ResponseReturnValue:
    """A form page: 200, or 422 when the submitted form carries errors (each shown by its field,
    with ``errors/_form.html``'s ``field`` macro)."""
    return render_template(template, form=form, **context), 422 if has_errors(form) else 200


@dataclass(frozen=True)
class UploadRule:
    """What an upload may be: file name endings, a size limit, and whether it must be UTF-8 text."""

    extensions: frozenset[str]
    max_bytes: int
    text: bool = True
    label: str = field(default="file")


class UploadRefused(Exception):
    """A refused upload: ``code``, ``field`` and a bilingual message (show it with :func:`show_refusal`)."""

    def __init__(self, code: str, message_id: str, message_en: str, field_name: str) -> None:
        super().__init__(message_en)
        self.code, self.message_id, self.message_en, self.field = code, message_id, message_en, field_name


def read_upload(storage: FileStorage | None, rule: UploadRule, field_name: str = "file") -> bytes:
    """The uploaded file's bytes, or :class:`UploadRefused` (missing, wrong type, too large, not text)."""
    if storage is None or not storage.filename:
        raise UploadRefused("upload_missing", "Pilih berkas untuk diunggah.", "Choose a file to upload.", field_name)
    ending = storage.filename.rsplit(".", 1)[-1].lower() if "." in storage.filename else ""
    if ending not in rule.extensions:
        allowed = ", ".join(f".{e}" for e in sorted(rule.extensions))
        raise UploadRefused("upload_type", f"Jenis berkas tidak diterima; yang diterima: {allowed}.",
                            f"That type of file is not accepted; accepted: {allowed}.", field_name)
    data = storage.stream.read(rule.max_bytes + 1)
    if len(data) > rule.max_bytes:
        limit = size_text(rule.max_bytes)
        raise UploadRefused("upload_too_large", f"Berkas terlalu besar (paling besar {limit}).",
                            f"The file is too large (at most {limit}).", field_name)
    if rule.text and (b"\x00" in data or not _is_utf8(data)):
        raise UploadRefused("upload_not_text", "Berkas harus berupa teks UTF-8 (mis. CSV), bukan berkas biner.",
                            "The file must be UTF-8 text (e.g. CSV), not a binary file.", field_name)
    return data


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
