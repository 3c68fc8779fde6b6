"""Errors never leak: 404/405/413/500 as a bilingual page or the API's envelope, no traceback, no
secret; bad form input gets a message next to its field (422), never a 500; uploads are checked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.datastructures import FileStorage

from kiosk.auth import PUBLIC, AuthError, access
from kiosk.models import Role
from kiosk.security import UploadRefused, UploadRule, read_upload, render_form, show_refusal
from kiosk.views.auth import LoginForm
from tests.security.conftest import close_app, csrf_token, make_app, person

SECRET = "hunter2-db-password-7312011705800001"
LEAKS = ("Traceback", "File \"", SECRET, "test-secret-key", "kiosk/", ".py")


@pytest.fixture
def crashy(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app plus two routes that fail with a secret in the exception, as a bug might."""
    app = make_app(db_url, tmp_path, max_content_length=4096)

    @access(PUBLIC)
    def boom() -> str:
        raise RuntimeError(f"could not connect: password={SECRET}")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production
    yield app
    close_app(app)


def _no_leak(text: str) -> None:
    for leak in LEAKS:
        assert leak not in text, leak


def test_404_page_and_envelope(crashy: Flask) -> None:
    client = crashy.test_client()
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "text/html" in page.content_type
    text = page.get_data(as_text=True)
    assert "Halaman atau data yang dicari tidak ada." in text and "does not exist" in text
    _no_leak(text)
    api = person(crashy, Role.SUPERVISOR).get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.get_json()["error"] == {"code": "not_found", "message": "The page or record you asked for does not exist.",
                                       "message_id": "Halaman atau data yang dicari tidak ada.", "details": {}}


def test_405_page_and_envelope_name_the_allowed_methods(crashy: Flask) -> None:
    client = crashy.test_client()
    page = client.get("/logout")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]
    assert "tidak diizinkan" in page.get_data(as_text=True)
    api = client.get("/api/v1/topups")
    assert api.status_code == 405 and api.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in api.headers["Allow"]


def test_500_page_and_envelope_leak_nothing_and_log_an_incident(crashy: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = crashy.test_client()
    with caplog.at_level(logging.ERROR):
        page = client.get("/boom")
        api = client.get("/api/v1/boom")
    assert page.status_code == 500 and api.status_code == 500
    text = page.get_data(as_text=True)
    _no_leak(text)
    _no_leak(api.get_data(as_text=True))
    assert "Terjadi kesalahan di server" in text and "Something went wrong on the server" in text
    body = api.get_json()["error"]
    assert body["code"] == "internal_error" and set(body["details"]) == {"incident"}
    incident = body["details"]["incident"]
    assert any(f"incident={incident}" in r.getMessage() and "error=RuntimeError" in r.getMessage() for r in caplog.records)
    assert page.headers["Cache-Control"] == "no-store" and page.headers["X-Frame-Options"] == "DENY"


def test_too_large_bodies_get_a_clear_413(crashy: Flask) -> None:
    client = crashy.test_client()
    page = client.post("/login", data={"username": "x" * 5000, "password": "y", "csrf_token": csrf_token(client)})
    assert page.status_code == 413
    assert "terlalu besar (paling besar 4 kB)" in page.get_data(as_text=True)
    supervisor = person(crashy, Role.SUPERVISOR)
    api = supervisor.post("/api/v1/bank-imports", data=b"x" * 5000, headers={"Content-Type": "text/csv"})
    assert api.status_code == 413
    assert api.get_json()["error"] == {
        "code": "too_large", "message": "The file or request body is too large (at most 4 kB).",
        "message_id": "Berkas atau isi permintaan terlalu besar (paling besar 4 kB).", "details": {"limit": "4 kB"}}


def test_the_default_limit_is_16_mb(secure_app: Flask) -> None:
    assert secure_app.config["MAX_CONTENT_LENGTH"] == 16 * 1024 * 1024


def test_bad_login_form_input_is_shown_next_to_the_field(secure_app: Flask) -> None:
    client = secure_app.test_client()
    response = client.post("/login", data={"username": "", "password": "x", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="username-errors"' in html and 'aria-invalid="true"' in html and 'aria-describedby="username-errors"' in html
    assert 'id="password-errors"' not in html
    too_long = client.post("/login", data={"username": "u" * 65, "password": "x", "csrf_token": csrf_token(client)})
    assert too_long.status_code == 422 and 'id="username-errors"' in too_long.get_data(as_text=True)


def _form() -> LoginForm:
    return LoginForm(meta={"csrf": False})


def test_show_refusal_puts_a_domain_error_by_its_field_in_the_interface_language(secure_app: Flask) -> None:
    refusal = AuthError("username_taken", "Nama pengguna sudah dipakai.", "That username is taken.")
    with secure_app.test_request_context("/x", method="POST", data={"username": "siti"}):
        form = _form()
        show_refusal(form, refusal, "username")
        show_refusal(form, refusal)  # about no one field: above the form
        body, status = render_form("login.html", form)  # type: ignore[misc]
        assert status == 422 and form.username.errors == ["Nama pengguna sudah dipakai."]
        assert form.form_errors == ["Nama pengguna sudah dipakai."]
        assert 'id="username-errors"><p class="field-error">Nama pengguna sudah dipakai.</p>' in body
        assert '<p class="flash error" role="alert">Nama pengguna sudah dipakai.</p>' in body
    with secure_app.test_request_context("/x"):
        from flask import session

        session["lang"] = "en"
        form = _form()
        show_refusal(form, refusal, "username")
        assert form.username.errors == ["That username is taken."]
        assert render_form("login.html", _form())[1] == 200  # type: ignore[index]


RULE = UploadRule(frozenset({"csv"}), max_bytes=64)


def _file(name: str, data: bytes) -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


@pytest.mark.parametrize("storage,code", [
    (None, "upload_missing"),
    (_file("", b"a,b\n"), "upload_missing"),
    (_file("rdkk.xlsx", b"a,b\n"), "upload_type"),
    (_file("rdkk", b"a,b\n"), "upload_type"),
    (_file("rdkk.csv", b"a,b\n" * 20), "upload_too_large"),
    (_file("rdkk.csv", b"a,\x00b\n"), "upload_not_text"),
    (_file("rdkk.csv", b"\xff\xfe\x00a"), "upload_not_text"),
])
def test_uploads_are_refused_with_a_field_message(storage: FileStorage | None, code: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        read_upload(storage, RULE, "rdkk_file")
    assert refused.value.code == code and refused.value.field == "rdkk_file"
    assert refused.value.message_id and refused.value.message_en and refused.value.message_id != refused.value.message_en


def test_a_good_upload_is_read() -> None:
    assert read_upload(_file("RDKK.CSV", "nik,nama\n1,Bébé\n".encode()), RULE) == "nik,nama\n1,Bébé\n".encode()
