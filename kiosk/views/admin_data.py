"""Admin pages: stock receipts, the HET price list, RDKK upload, farmer erasure (issue 11).

Each page is a thin form over an existing service (docs/admin.md, "Admin pages: stock, prices, RDKK,
erasure"): ``fertilizer.receive_stock``, ``fertilizer.set_price``, ``fertilizer.import_rdkk`` and
``fertilizer.erase_farmer``, in one transaction per request, with the admin entries those services
write through ``fertilizer.ledger_audit_sink()``. Bad input gets a message next to its field (422)
and changes nothing; the services' own refusals are shown the same way.

Who may use them:
* stock receipts: supervisor (only at the kiosk they are bound to) and admin (any kiosk);
* prices, RDKK, erasure: dinas and admin.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from datetime import date, datetime

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

import fertilizer
from fertilizer import WITA, FertilizerError
from fertilizer.clock import wita_midnight
from fertilizer.errors import CatalogueError, PriceError, RdkkFormatError
from kiosk.auth import access
from kiosk.db import db_session
from kiosk.i18n import kg
from kiosk.models import Role
from kiosk.pii import PSEUDONYM_RE
from kiosk.security import UploadRefused, UploadRule, has_errors, read_upload, render_form, show_refusal
from kiosk.services import utcnow
from kiosk.views import nav
from kiosk.views.admin_data_forms import (
    DIGIT_RUN,
    EraseForm,
    FindFarmerForm,
    PriceForm,
    RdkkForm,
    StockReceiptForm,
    iso_date,
    whole_number,
)
from kiosk.wiring import services
from ledger import LedgerError

bp = Blueprint("admin_data", __name__, url_prefix="/admin")

STOCK_ROLES = (Role.SUPERVISOR, Role.ADMIN)
DATA_ROLES = (Role.DINAS, Role.ADMIN)
SEASONS_AHEAD = 2  # the RDKK page offers the current season and the next two
CHECKED = "admin_data.rdkk_checked"  # session key: "<season>:<sha256>" of the last file checked clean
# Browsers name a .csv file's type in many ways (Excel on Windows: application/vnd.ms-excel); the
# ending and the UTF-8 check decide, and only a type that is plainly something else is refused.
CSV_TYPES = frozenset({"", "text/csv", "text/plain", "application/csv", "text/comma-separated-values",
                       "application/vnd.ms-excel", "application/octet-stream"})
TYPE_REFUSED = UploadRefused("upload_type", "Jenis berkas tidak diterima; yang diterima: .csv.",
                             "That type of file is not accepted; accepted: .csv.", "rdkk_file")

# Two header entries, not four: the admin's header must still fit the 1024 px screen. The pages of
# the subsidy data share a row of tabs (TABS) instead.
nav.add("admin_data.stock", _l("Stock"), STOCK_ROLES, _l("Stock receipts"),
        when=lambda user: getattr(user, "role", None) is Role.ADMIN or nav.bound_to_kiosk(user))
nav.add("admin_data.rdkk", _l("Subsidy data"), DATA_ROLES, _l("RDKK, HET prices and farmer erasure"))
TABS = (("admin_data.stock", _l("Stock receipts"), STOCK_ROLES), ("admin_data.rdkk", _l("RDKK upload"), DATA_ROLES),
        ("admin_data.prices", _l("HET price list"), DATA_ROLES), ("admin_data.farmers", _l("Farmer erasure"), DATA_ROLES))

STOCK_FIELD = {"unknown_outlet": "kiosk", "outlet_inactive": "kiosk", "unknown_product": "product", "bad_kg": "kg",
               "bad_delivery_order": "delivery_order", "delivery_order_conflict": "delivery_order",
               "bad_delivery_date": "delivered_on", "delivery_in_future": "delivered_on"}
PRICE_FIELD = {"unknown_product": "product", "bad_price": "price", "retroactive_price": "effective_on",
               "price_basis_missing": "basis"}


@bp.context_processor
def _tabs() -> dict[str, object]:
    """The tabs of the admin data pages this user may open (shown when there are two or more)."""
    role = getattr(current_user, "role", None)
    return {"data_tabs": [(endpoint, label) for endpoint, label, roles in TABS if role in roles]}


def _today() -> date:
    return utcnow().astimezone(WITA).date()


def _actor() -> str:
    return str(current_user.username)


# ---- stock receipts -----------------------------------------------------------------------------


def _kiosks_for_user(session: Session) -> list[tuple[str, str]]:
    """(code, label) of the kiosks this user may receive stock at: a supervisor only their own."""
    outlets = [o for o in fertilizer.reference_data(session).outlets if o.active]
    if current_user.role is not Role.ADMIN:
        outlets = [o for o in outlets if o.code == current_user.kiosk_code]
    return [(o.code, f"{o.code} · {o.name}") for o in outlets]


def _product_choices() -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in fertilizer.PRODUCTS]


@bp.route("/stock", methods=["GET", "POST"])
@access(*STOCK_ROLES)
def stock() -> ResponseReturnValue:
    """Record a delivery (a stock-receipt journal, idempotent by DO number) and show what is left."""
    session = db_session()
    form = StockReceiptForm()
    with session.begin():
        form.kiosk.choices = _kiosks_for_user(session)
    allowed = {code for code, _label in form.kiosk.choices}
    if request.method == "GET":
        form.delivered_on.data = form.delivered_on.data or _today().isoformat()
        shown = request.args.get("kiosk", "")
        form.kiosk.data = shown if shown in allowed else next(iter(sorted(allowed)), "")
    form.product.choices = _product_choices()
    if request.method == "POST" and all([form.validate_on_submit(), _stock_choices_ok(form, allowed)]):
        try:
            with session.begin():
                result = fertilizer.receive_stock(
                    session, outlet_code=form.kiosk.data, product_code=form.product.data,
                    kg=whole_number(form.kg) or 0, delivery_order=form.delivery_order.data or "",
                    delivered_on=iso_date(form.delivered_on) or _today(), now=utcnow())
            flash(_stock_done(form, replayed=result.replayed), "ok")
            return redirect(url_for("admin_data.stock", kiosk=form.kiosk.data))
        except (FertilizerError, LedgerError) as err:
            show_refusal(form, err, STOCK_FIELD.get(getattr(err, "code", "")))
    with session.begin():
        left = fertilizer.stock_left(session, form.kiosk.data) if form.kiosk.data in allowed else {}
    return render_form("admin/data_stock.html", form, left=[(p, left.get(p.code)) for p in fertilizer.PRODUCTS],
                       kiosk=form.kiosk.data if form.kiosk.data in allowed else None, bound=bool(allowed))


def _stock_done(form: StockReceiptForm, *, replayed: bool) -> str:
    number = (form.delivery_order.data or "").strip().upper()
    if replayed:
        return _("Delivery order %(do)s was already recorded; nothing changed.", do=number)
    return _("Received under %(do)s: %(kg)s %(product)s at %(kiosk)s.", do=number, kg=kg(whole_number(form.kg) or 0),
             product=fertilizer.product(form.product.data).name, kiosk=form.kiosk.data)


def _stock_choices_ok(form: StockReceiptForm, allowed: set[str]) -> bool:
    ok = True
    if form.kiosk.data not in allowed:
        form.kiosk.errors = [*form.kiosk.errors, _("Choose one of the kiosks listed; a supervisor records "
                                                   "deliveries only at their own kiosk.")]
        ok = False
    if form.product.data not in fertilizer.PRODUCT_CODES:
        form.product.errors = [*form.product.errors, _("Choose one of the products listed.")]
        ok = False
    if (iso_date(form.delivered_on) or date.min) > _today():
        form.delivered_on.errors = [*form.delivered_on.errors, _("The delivery date cannot be after today (WITA).")]
        ok = False
    return ok


# ---- HET price list -----------------------------------------------------------------------------


def _price_rows(prices: fertilizer.PriceList, now: datetime) -> list[tuple[fertilizer.PriceEntry, str]]:
    """Every entry, newest first per product, with its state: scheduled, in force or superseded."""
    current = {code: prices.entry_in_force(code, now) for code in fertilizer.PRODUCT_CODES}
    rows = []
    for code in fertilizer.PRODUCT_CODES:
        for entry in sorted((e for e in prices.entries if e.product == code),
                            key=lambda e: (e.effective_from, e.set_at), reverse=True):
            state = ("scheduled" if entry.effective_from > now
                     else "in_force" if entry == current[code] else "superseded")
            rows.append((entry, state))
    return rows


@bp.route("/prices", methods=["GET", "POST"])
@access(*DATA_ROLES)
def prices() -> ResponseReturnValue:
    """The effective-dated HET list; a new entry takes effect today (from now) or on a later WITA day."""
    session = db_session()
    form = PriceForm()
    form.product.choices = _product_choices()
    if request.method == "GET":
        form.effective_on.data = form.effective_on.data or _today().isoformat()
    if request.method == "POST" and all([form.validate_on_submit(), _price_choices_ok(form)]):
        now = utcnow()
        day = iso_date(form.effective_on) or _today()
        effective_from = now if day == _today() else wita_midnight(day)
        try:
            with session.begin():
                fertilizer.set_price(session, fertilizer.ledger_audit_sink(), product_code=form.product.data,
                                     price_per_kg=None if form.not_for_sale.data else whole_number(form.price),
                                     effective_from=effective_from, basis=form.basis.data or "", actor=_actor(),
                                     now=now)
            flash(_("The HET of %(product)s was recorded.", product=fertilizer.product(form.product.data).name), "ok")
            return redirect(url_for("admin_data.prices"))
        except (PriceError, CatalogueError) as err:
            show_refusal(form, err, PRICE_FIELD.get(err.code))
    now = utcnow()
    with session.begin():
        price_list = fertilizer.load_price_list(session)
    names = {p.code: p.name for p in fertilizer.PRODUCTS}
    return render_form("admin/data_prices.html", form, rows=_price_rows(price_list, now), names=names)


def _price_choices_ok(form: PriceForm) -> bool:
    ok = True
    if form.product.data not in fertilizer.PRODUCT_CODES:
        form.product.errors = [*form.product.errors, _("Choose one of the products listed.")]
        ok = False
    if (iso_date(form.effective_on) or date.max) < _today():
        form.effective_on.errors = [*form.effective_on.errors,
                                    _("A price cannot take effect in the past: choose today or a later day.")]
        ok = False
    return ok


# ---- RDKK upload --------------------------------------------------------------------------------


def _seasons() -> list[tuple[str, str]]:
    first = fertilizer.DEFAULT_CALENDAR.season_at(utcnow())
    out, season = [], first
    for _n in range(SEASONS_AHEAD + 1):
        out.append((season.id, f"{season.label} ({season.id})"))
        season = fertilizer.DEFAULT_CALENDAR.season_at(season.ends_at)
    return out


def _read_csv(form: RdkkForm) -> bytes:
    storage = form.rdkk_file.data
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    data = read_upload(storage, UploadRule(frozenset({"csv"}), max_bytes=limit), "rdkk_file")
    if (storage.mimetype or "").lower() not in CSV_TYPES:
        raise TYPE_REFUSED
    return data


@bp.route("/rdkk", methods=["GET", "POST"])
@access(*DATA_ROLES)
def rdkk() -> ResponseReturnValue:
    """Check an RDKK file (a dry run: the line-by-line report), then import it, all or nothing.

    The import runs only a file this session has checked without problems (same bytes, same season)."""
    form = RdkkForm()
    form.season.choices = _seasons()
    report: fertilizer.ImportReport | None = None
    importing = bool(form.submit_import.data)
    if request.method == "POST" and all([form.validate_on_submit(), _season_ok(form)]):
        try:
            data = _read_csv(form)
            fingerprint = f"{form.season.data}:{hashlib.sha256(data).hexdigest()}"
            if importing and cookie_session.get(CHECKED) != fingerprint:
                raise UploadRefused("rdkk_not_checked",
                                    "Periksa berkas ini dulu (tombol Periksa); hanya berkas yang lolos pemeriksaan "
                                    "yang dapat diimpor.", "Check this file first (the Check button); only a file "
                                    "that passed the check can be imported.", "rdkk_file")
            report = _run_import(data, form.season.data, dry_run=not importing)
            if report.ok and not importing:
                cookie_session[CHECKED] = fingerprint
            elif report.ok:
                cookie_session.pop(CHECKED, None)
        except UploadRefused as err:
            show_refusal(form, err, err.field)
        except RdkkFormatError as err:
            show_refusal(form, err, "rdkk_file")
        except (FertilizerError, LedgerError) as err:
            show_refusal(form, err)
    status = 422 if has_errors(form) or (report is not None and not report.ok) else 200
    body, _status = render_form("admin/data_rdkk.html", form, report=report, imported=importing,
                                products=fertilizer.PRODUCTS,
                                limit=int(current_app.config["MAX_CONTENT_LENGTH"]) // 1_048_576)
    return body, status


def _season_ok(form: RdkkForm) -> bool:
    if form.season.data in {code for code, _label in form.season.choices}:
        return True
    form.season.errors = [*form.season.errors, _("Choose one of the seasons listed.")]
    return False


def _run_import(data: bytes, season: str, *, dry_run: bool) -> fertilizer.ImportReport:
    lines: Sequence[str] = list(io.StringIO(data.decode("utf-8"), newline=""))
    session = db_session()
    with session.begin():
        return fertilizer.import_rdkk(session, services().keys(), lines, season=season, now=utcnow(),
                                      actor=_actor(), dry_run=dry_run)


# ---- farmer erasure -----------------------------------------------------------------------------


@bp.route("/farmers", methods=["GET", "POST"])
@access(*DATA_ROLES)
def farmers() -> ResponseReturnValue:
    """Find a farmer by NIK (through the keyed lookup hash; never in a URL) or by pseudonym."""
    form = FindFarmerForm()
    if form.validate_on_submit():
        query = (form.query.data or "").strip().upper()
        session = db_session()
        with session.begin():
            found = _find(session, query)
        if found is not None:
            return redirect(url_for("admin_data.farmer", pseudonym=found))
        form.query.errors = [*form.query.errors, _("No farmer found. An erased farmer can no longer be found by NIK.")
                             if query.isdigit() and len(query) == 16 else
                             _("Enter a 16-digit NIK or a pseudonym (F-...).") if not PSEUDONYM_RE.match(query) else
                             _("No farmer has this pseudonym.")]
    form.query.data = ""  # a NIK typed here is never sent back into the page
    return render_form("admin/data_farmers.html", form)


def _find(session: Session, query: str) -> str | None:
    if query.isdigit() and len(query) == 16:
        record = fertilizer.find_by_nik(session, services().keys(), query)
        return None if record is None else record.pseudonym
    if not PSEUDONYM_RE.match(query):
        return None
    try:
        return fertilizer.by_pseudonym(session, query).pseudonym
    except fertilizer.RegistryError:
        return None


def _farmer_view(session: Session, pseudonym: str) -> fertilizer.FarmerView:
    if not PSEUDONYM_RE.match(pseudonym):
        abort(404)
    try:
        return fertilizer.views(session, services().keys(), [pseudonym])[0]
    except fertilizer.RegistryError:
        abort(404)


@bp.get("/farmers/<pseudonym>")
@access(*DATA_ROLES)
def farmer(pseudonym: str) -> ResponseReturnValue:
    """One farmer as a screen may show them (masked NIK, or "erased"), with the erasure form."""
    session = db_session()
    with session.begin():
        view = _farmer_view(session, pseudonym)
    return render_form("admin/data_farmer.html", EraseForm(), farmer=view)


@bp.post("/farmers/<pseudonym>/erase")
@access(*DATA_ROLES)
def erase(pseudonym: str) -> ResponseReturnValue:
    """Crypto-shred the farmer (``fertilizer.erase_farmer``): the key is destroyed, the row, the
    pseudonym and the ledger stay, and the reason goes on the audit log."""
    session = db_session()
    with session.begin():
        view = _farmer_view(session, pseudonym)
    form = EraseForm()
    if form.validate_on_submit():
        try:
            with session.begin():
                fertilizer.erase_farmer(session, services().keys(), fertilizer.ledger_audit_sink(), pseudonym,
                                        actor=_actor(), now=utcnow(), reason=form.reason.data or "")
            flash(_("The personal data of %(pseudonym)s was erased.", pseudonym=pseudonym), "ok")
            return redirect(url_for("admin_data.farmer", pseudonym=pseudonym))
        except (FertilizerError, LedgerError) as err:
            show_refusal(form, err)
    if form.reason.errors and DIGIT_RUN.search(form.reason.data or ""):
        form.reason.data = ""  # refused because it carries a NIK: not sent back into the page
    return render_form("admin/data_farmer.html", form, farmer=view)
