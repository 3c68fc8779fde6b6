"""The RDKK upload page (/admin/rdkk) on both backends, CSRF on: check (a dry run with the
line-by-line report), then import, all or nothing; the same file twice changes nothing the second
time; uploads limited in type, encoding and size."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import fertilizer
from kiosk.db import get_db
from kiosk.models import Role
from tests.admin.data_fixtures import as_role, counts, data_app, english, field_errors, post_form, text  # noqa: F401
from tests.fertilizer.helpers import HEADER, NIK_MAN, row
from tests.fertilizer.world import nik
from tests.security.conftest import close_app, make_app

PAGE = "/admin/rdkk"
SEASON = fertilizer.DEFAULT_CALENDAR.season_at(datetime.now(UTC)).id


def csv_file(*rows: str) -> bytes:
    return "".join(line + "\r\n" for line in (HEADER, *rows)).encode("utf-8")


def _rows(season: str = SEASON) -> list[str]:
    return [row(NIK_MAN, season=season, kg="170,212,0,0,0,0"),
            row(nik(1), name="Andi Baso", born="1970-01-01", land="1", season=season, kg="200,250,0,100,0,400"),
            row(nik(2, female=True), name="Sitti Aminah", born="1970-01-01", land="0.5", season=season,
                kg="100,125,0,0,0,0")]


GOOD = csv_file(*_rows())


def upload(client: FlaskClient, data: bytes, action: str = "check", *, name: str = "rdkk.csv",
           mimetype: str = "text/csv", season: str = SEASON) -> TestResponse:
    button = {"check": {"check": "Periksa"}, "import": {"submit_import": "Impor"}}[action]
    return post_form(client, PAGE, PAGE, {"season": season, "rdkk_file": (io.BytesIO(data), name, mimetype), **button},
                     content_type="multipart/form-data")


def _quota(app: Flask, nik_: str) -> dict[str, int]:
    keys = app.extensions["kiosk.services"].keys()
    with app.app_context(), get_db().sessions() as s:
        found = fertilizer.find_by_nik(s, keys, nik_)
        return {} if found is None else fertilizer.quota_left(s, found.pseudonym, SEASON)


def test_check_writes_nothing_then_import_writes_all(data_app: Flask) -> None:
    dinas = as_role(data_app, Role.DINAS)
    before = counts(data_app)
    checked = upload(dinas, GOOD)
    assert checked.status_code == 200
    page = text(checked)
    assert "Diperiksa: tidak ada masalah" in page and '<dd id="rdkk-rows">3</dd>' in page
    assert counts(data_app) == before and _quota(data_app, nik(1)) == {}

    imported = upload(dinas, GOOD, "import")
    assert imported.status_code == 200 and "Telah diimpor" in text(imported)
    after = counts(data_app)
    assert after["farmers"] == before["farmers"] + 2 and after["journals"] == before["journals"] + 3
    assert _quota(data_app, nik(1)) == {"UREA": 200, "NPK": 250, "ZA": 100, "ORGANIC": 400}
    assert _quota(data_app, NIK_MAN) == {"UREA": 170, "NPK": 212}


def test_the_same_file_twice_changes_nothing_the_second_time(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    assert upload(admin, GOOD).status_code == 200 and upload(admin, GOOD, "import").status_code == 200
    first = counts(data_app)
    again = upload(admin, GOOD)
    assert again.status_code == 200 and '<dd id="rdkk-changed">0</dd>' in text(again)
    second = upload(admin, GOOD, "import")
    assert second.status_code == 200 and "Telah diimpor" in text(second)
    after = counts(data_app)
    # no farmer, quota, account or journal; only the audit entry recording the re-import
    assert {k: v for k, v in after.items() if k != "entries"} == {k: v for k, v in first.items() if k != "entries"}
    assert after["entries"] == first["entries"] + 1
    assert _quota(data_app, nik(1)) == {"UREA": 200, "NPK": 250, "ZA": 100, "ORGANIC": 400}


def test_a_bad_line_refuses_the_whole_file_and_is_reported(data_app: Flask) -> None:
    dinas = as_role(data_app, Role.DINAS)
    rows = _rows()
    rows.insert(1, row(nik(3), name="Baco", born="1970-01-01", land="3", season=SEASON, kg="200,0,0,0,0,0"))  # > 2 ha
    bad = csv_file(*rows)
    before = counts(data_app)
    refused = upload(dinas, bad)
    assert refused.status_code == 422
    page = text(refused)
    assert "Ditolak: tidak ada yang disimpan" in page and '<dd id="rdkk-bad">1</dd>' in page
    assert '<td class="num">3</td>' in page and "<code>land_ha</code>" in page  # physical line 3 of the file
    problem = next(p for p in fertilizer.check_rdkk(io.StringIO(bad.decode(), newline=""), season=SEASON).problems)
    assert problem.line == 3 and problem.message_id in page and problem.message_en in page  # both languages
    assert upload(dinas, bad, "import").status_code == 422  # never checked clean: refused before any write
    assert counts(data_app) == before
    assert _quota(data_app, nik(1)) == {} and _quota(data_app, NIK_MAN) == {}


def test_import_needs_a_clean_check_of_the_same_file_and_season(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    before = counts(data_app)
    unchecked = upload(admin, GOOD, "import")
    assert unchecked.status_code == 422 and "Periksa berkas ini dulu" in field_errors(unchecked, "rdkk_file")
    assert upload(admin, csv_file(*_rows()[:1])).status_code == 200  # another file checked
    assert upload(admin, GOOD, "import").status_code == 422
    assert counts(data_app) == before


@pytest.mark.parametrize(("data", "name", "mimetype", "words"), [
    (GOOD, "rdkk.txt", "text/plain", "Jenis berkas tidak diterima"),
    (GOOD, "rdkk.csv", "image/png", "Jenis berkas tidak diterima"),
    ("nik;nama\r\n".encode("utf-16"), "rdkk.csv", "text/csv", "teks UTF-8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "rdkk.csv", "text/csv", "teks UTF-8"),
    (b"nik,name\r\n7312011410680001,Ridwan\r\n", "rdkk.csv", "text/csv", "kolom"),
    (b"", "rdkk.csv", "text/csv", "kosong"),
])
def test_refused_uploads_say_why_next_to_the_file_field(data_app: Flask, data: bytes, name: str, mimetype: str,
                                                         words: str) -> None:
    dinas = as_role(data_app, Role.DINAS)
    before = counts(data_app)
    refused = upload(dinas, data, name=name, mimetype=mimetype)
    assert refused.status_code == 422
    assert words.lower() in field_errors(refused, "rdkk_file").lower(), field_errors(refused, "rdkk_file")
    assert counts(data_app) == before


def test_no_file_and_a_season_not_offered(data_app: Flask) -> None:
    dinas = as_role(data_app, Role.DINAS)
    none = post_form(dinas, PAGE, PAGE, {"season": SEASON, "check": "Periksa"})
    assert none.status_code == 422 and "Pilih berkas" in field_errors(none, "rdkk_file")
    other = upload(dinas, csv_file(*_rows("2020-MT1")), season="2020-MT1")
    assert other.status_code == 422 and "musim tanam" in field_errors(other, "season")


def test_a_row_of_another_season_is_refused_with_both_messages_in_english(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    english(admin)
    later = fertilizer.DEFAULT_CALENDAR.season_at(fertilizer.DEFAULT_CALENDAR.parse(SEASON).ends_at).id
    refused = upload(admin, csv_file(*_rows(later)), season=SEASON)
    assert refused.status_code == 422 and "Refused: nothing was saved" in text(refused)
    assert '<dd id="rdkk-bad">3</dd>' in text(refused)


@pytest.fixture
def small_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(db_url, tmp_path, max_content_length=32 * 1024)
    yield app
    close_app(app)


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(small_app: Flask) -> None:
    admin = as_role(small_app, Role.ADMIN)
    big = csv_file(*(_rows() * 200))
    assert len(big) > 32 * 1024
    refused = upload(admin, big)
    assert refused.status_code == 413 and "32 kB" in text(refused)


def test_a_post_without_the_csrf_token_is_refused(data_app: Flask) -> None:
    admin = as_role(data_app, Role.ADMIN)
    refused = admin.post(PAGE, data={"season": SEASON, "check": "Periksa",
                                     "rdkk_file": (io.BytesIO(GOOD), "rdkk.csv", "text/csv")},
                         content_type="multipart/form-data")
    assert refused.status_code == 400 and "kedaluwarsa atau tidak sah" in text(refused)
