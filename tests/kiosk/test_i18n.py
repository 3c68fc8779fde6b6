"""Bahasa Indonesia by default, English switchable; every string has its Indonesian translation."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from flask import Flask

from kiosk.i18n import kg, read_catalogue, rupiah, wita

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
METHODS = [("**/translations/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def test_every_msgid_has_an_indonesian_translation() -> None:
    found = {msg[2] if isinstance(msg[2], str) else msg[2][0] for msg in extract_from_dir(str(KIOSK), METHODS, keywords=KEYWORDS)}
    catalog = read_catalogue(KIOSK / "translations/id/LC_MESSAGES", "id")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string}
    assert found, "the extractor found no strings at all"
    assert sorted(found - translated) == []


def test_default_is_indonesian_and_english_is_switchable(client) -> None:  # type: ignore[no-untyped-def]
    assert "Masuk" in client.get("/login").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "Log in" in page and 'lang="en"' in page
    client.post("/lang/xx")
    assert 'lang="en"' in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("amount,text", [(16800, "Rp 16.800"), (0, "Rp 0"), (1_234_567, "Rp 1.234.567"), (-500, "-Rp 500")])
def test_rupiah(amount: int, text: str) -> None:
    assert rupiah(amount) == text


def test_rupiah_refuses_non_integers() -> None:
    with pytest.raises(TypeError):
        rupiah(1.5)  # type: ignore[arg-type]


def test_wita_and_kg() -> None:
    assert wita(datetime(2026, 12, 4, 6, 5, tzinfo=timezone.utc)) == "04-12-2026 14:05 WITA"
    with pytest.raises(ValueError):
        wita(datetime(2026, 12, 4, 6, 5))
    assert kg(1250) == "1.250 kg"


def test_login_error_in_both_languages(app: Flask) -> None:
    client = app.test_client()
    assert "Nama pengguna atau kata sandi salah." in client.post("/login", data={"username": "x", "password": "y"}).get_data(as_text=True)
    client.post("/lang/en")
    assert "Wrong username or password." in client.post("/login", data={"username": "x", "password": "y"}).get_data(as_text=True)


def _po(path: Path, pairs: dict[str, str]) -> None:
    body = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    body += "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in pairs.items())
    path.write_text(body, encoding="utf-8")


def test_area_catalogues_merge_and_conflicts_are_refused(tmp_path: Path) -> None:
    _po(tmp_path / "messages.po", {"Save": "Simpan"})
    _po(tmp_path / "admin.po", {"Users": "Pengguna", "Save": "Simpan"})
    merged = read_catalogue(tmp_path, "id")
    assert merged.get("Users").string == "Pengguna" and merged.get("Save").string == "Simpan"
    _po(tmp_path / "demo.po", {"Save": "Menyimpan"})
    with pytest.raises(ValueError, match="demo.po"):
        read_catalogue(tmp_path, "id")
