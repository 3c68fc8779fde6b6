"""Bahasa Indonesia by default, English switchable (Flask-Babel); rupiah and WITA formatting.

Source strings (msgids) are English; ``kiosk/translations/id/LC_MESSAGES/messages.po`` carries the
Indonesian. The catalogue is compiled at start-up into the instance folder when the .po is newer,
so there is no build step to forget. A test checks that every msgid in the code has a translation.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
WITA = ZoneInfo("Asia/Makassar")
SOURCE = Path(__file__).resolve().parent / "translations"


def select_locale() -> str:
    chosen = session.get("lang") if request else None
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def catalogue_parts(locale_dir: Path) -> list[Path]:
    """The .po files of one language: ``messages.po`` first, then one per area (``admin.po``, ``demo.po``...).

    Areas keep their own file so that work on different screens never edits the same catalogue;
    they are merged into one ``messages.mo`` (a msgid defined twice must have one translation).
    """
    main = locale_dir / "messages.po"
    return [main, *sorted(p for p in locale_dir.glob("*.po") if p != main)]


def read_catalogue(locale_dir: Path, locale: str) -> Catalog:
    """All parts of one language merged into one catalogue; a msgid translated two ways is refused."""
    merged: Catalog | None = None
    for part in catalogue_parts(locale_dir):
        with part.open("rb") as f:
            catalog = read_po(f, locale=locale)
        if merged is None:
            merged = catalog
            continue
        for message in catalog:
            if not message.id:
                continue
            known = merged.get(message.id, message.context)
            if known is not None and known.string and message.string and known.string != message.string:
                raise ValueError(f"{part.name}: {message.id!r} is translated differently in another .po file")
            if known is None or not known.string:
                merged[message.id] = message
    assert merged is not None
    return merged


def compile_catalogues(target: Path) -> Path:
    """Compile the .po files of every language under kiosk/translations into ``target`` (only when stale)."""
    for main in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        parts = catalogue_parts(main.parent)
        mo_path = target / main.relative_to(SOURCE).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= max(p.stat().st_mtime for p in parts):
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_catalogue(main.parent, main.parts[-3])
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        tmp.replace(mo_path)
    return target


def rupiah(amount: int) -> str:
    """Integer rupiah the Indonesian way: ``Rp 16.800``; negative as ``-Rp 16.800``."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError("rupiah amounts are integers")
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")


def kg(quantity: int) -> str:
    return f"{quantity:,} kg".replace(",", ".")


def wita(moment: datetime, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """A zone-aware time shown in Soppeng's zone: ``04-12-2026 14:05 WITA``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time must carry its zone")
    return moment.astimezone(WITA).strftime(fmt) + " WITA"


def now_wita() -> datetime:
    return datetime.now(timezone.utc).astimezone(WITA)


def init_app(app: Flask, instance_path: str) -> None:
    translations = compile_catalogues(Path(instance_path) / "translations")
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT_LANGUAGE
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Makassar"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(translations)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.filters.update(rupiah=rupiah, kg=kg, wita=wita)
    from kiosk.views.nav import items_for

    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=select_locale, nav_items=items_for)
