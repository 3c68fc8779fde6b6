"""The money pages for people (issues 9, 10): card top-up, end of day, today's sales and their
receipts (reprint, reversal), the BPJS deposit and its reconciliation, and the bank settlement file.

Pages are server-rendered reads of the money services (``kiosk/money``: the same functions the API
answers with); every write goes through the JSON API (``kiosk/api/money.py``,
``kiosk/api/checkout.py``) from ``static/js/money_*.js``, so the rules, idempotency keys and audit
entries of a top-up, a reversal or a deposit stay in one place. The words the scripts show are in
``STRINGS`` (rendered into a ``<template>``, as on the swipe screen). docs/operator-ui.md, "Money pages".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import Session

import fertilizer
from fertilizer.schema import Outlet
from kiosk.api.view import checkout_view
from kiosk.auth import access
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import State
from kiosk.db import db_session
from kiosk.models import Role
from kiosk.money import bank_file, core, eod, reconcile
from kiosk.money.schema import ReceiptPrint, SaleReversal
from kiosk.views import nav
from kiosk.views import operator as swipe  # its receipt-state words; imported first so "Swipe" leads the nav
from kiosk.wiring import services
from ledger.schema import journals as ledger_journals

bp = Blueprint("money_pages", __name__, url_prefix="/money")
O, S, AD, AU = Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR
STAFF = (O, S)
SHOWN = 200  # rows of a list; a longer day is said, not silently cut

# One header entry ("Money"): the header of a 1024-px screen has no room for five more; the pages
# link to each other with their own row of tabs (``TABS``), each shown to the roles it admits.
nav.add("money_pages.topup", _l("Money"), STAFF, _l("Money: top-up, receipts, end of day"))
nav.add("money_pages.bpjs", _l("Money"), [AD, AU], _l("BPJS deposit and reconciliation"))
TABS: tuple[tuple[str, Any, frozenset[Role]], ...] = (
    ("money_pages.topup", _l("Top-up"), frozenset(STAFF)),
    ("money_pages.receipts", _l("Receipts"), frozenset(STAFF)),
    ("money_pages.day", _l("End of day"), frozenset(STAFF)),
    ("money_pages.bpjs", _l("BPJS deposit"), frozenset({S, AD, AU})),
    ("money_pages.bank", _l("Bank file"), frozenset({S, AD})),
)


@bp.app_context_processor
def _tabs() -> dict[str, Any]:
    def money_tabs() -> list[tuple[str, Any]]:
        role = getattr(current_user, "role", None)
        return [(endpoint, label) for endpoint, label, roles in TABS if role in roles]
    return {"money_tabs": money_tabs}


# The words the money pages' scripts show, by key (static/js/money_*.js).
STRINGS: Mapping[str, Any] = MappingProxyType({
    **{k: v for k, v in swipe.STRINGS.items() if k.startswith("receipt")},
    "journal": _l("Journal"),
    "sending": _l("Sending…"),
    "failed": _l("Not accepted."),
    "network_retry": _l("The kiosk server cannot be reached; try again."),
    "amount_digits": _l("Type the amount in whole rupiah, digits only (for example 50000)."),
    "topped_up": _l("Topped up %(amount)s"),
    "balance_after": _l("New card balance: %(amount)s"),
    "pending_topup": _l("A top-up of %(amount)s was sent but not confirmed. Press Top up again: it is checked, never booked twice."),
    "replayed": _l("Already recorded earlier: nothing was booked twice."),
    "reason_short": _l("Give a reason of at least 5 characters."),
    "reversed": _l("Reversed: %(amount)s back to the %(tender)s."),
    "tender.card": _l("card balance"),
    "tender.cash": _l("cash drawer"),
    "contribution_kept": _l("The BPJS contribution of %(amount)s stays paid."),
    "copy_sent": _l("Copy (SALINAN / COPY)"),
    "deposit_done": _l("Deposit recorded. Deposit balance now %(amount)s."),
    "running": _l("Asking BPJS for its settlement list…"),
    "resolved": _l("Resolved."),
    "file_missing": _l("Choose the bank's CSV file."),
    "file_type": _l("Only a .csv file is accepted."),
    "file_big": _l("The file is larger than %(max)s MB."),
    "imported": _l("Imported %(rows)s line(s), %(total)s in all; new: %(new)s line(s), %(total_new)s."),
    "import_replayed": _l("This very file was imported before: nothing was booked again."),
})

# A reconciliation line's status (and an exception's kind) in words (kiosk/money/reconcile_core.py).
STATUS_WORDS: Mapping[str, Any] = MappingProxyType({
    "matched": _l("Matched"),
    "amount_mismatch": _l("Amount differs"),
    "missing_in_ledger": _l("Missing in the ledger"),
    "missing_at_host": _l("Missing at BPJS"),
})


@dataclass(frozen=True)
class Place:
    """The kiosk a page is about: an operator's own; a supervisor chooses (``?kiosk=``)."""

    code: str | None
    outlets: list[tuple[str, str]]  # (code, name) offered to choose from; empty for an operator


def _place(session: Session) -> Place:
    if current_user.role is O:
        return Place(current_user.kiosk_code, [])
    outlets = [(o.code, o.name) for o in session.scalars(sa.select(Outlet).where(Outlet.active).order_by(Outlet.code))]
    wanted = request.args.get("kiosk") or getattr(current_user, "kiosk_code", None)
    return Place(wanted if wanted in {c for c, _ in outlets} else None, outlets)


def _product_name(code: str) -> str:
    return fertilizer.product(code).name


def _today() -> date:
    return eod.today_wita(datetime.now(UTC))


def _day_arg(default: date, *, latest: date) -> tuple[date, str | None]:
    """``?day=`` (YYYY-MM-DD, not after ``latest``), else ``default`` with the reason why."""
    raw = request.args.get("day")
    if not raw:
        return default, None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return default, _("The day must be YYYY-MM-DD.")
    if day > latest:
        return default, _("That day has not come yet.")
    return day, None


# ---- top-up -----------------------------------------------------------------------------------


@bp.get("/topup")
@access(*STAFF)
def topup() -> ResponseReturnValue:
    with db_session().begin():
        place = _place(db_session())
    return render_template("money/topup.html", strings=STRINGS, place=place, max_amount=core.MAX_TOPUP)


# ---- today's sales and their receipts ---------------------------------------------------------------


def _sales(session: Session, kiosk: str, day: date) -> tuple[list[dict[str, Any]], int]:
    start, end = eod.wita_window(day)
    # the day of a sale is the day its journal posted, as for the end of day and the same-day reversal
    posted = ledger_journals.c.finalized_at
    where = (CheckoutRow.kiosk_code == kiosk, CheckoutRow.state == State.COMPLETED,
             ledger_journals.c.id == CheckoutRow.journal_id, posted >= start, posted < end)
    total = session.scalar(sa.select(sa.func.count()).select_from(CheckoutRow).join(
        ledger_journals, ledger_journals.c.id == CheckoutRow.journal_id).where(*where)) or 0
    rows = session.scalars(sa.select(CheckoutRow).join(ledger_journals, ledger_journals.c.id == CheckoutRow.journal_id)
                           .where(*where).order_by(posted.desc()).limit(SHOWN)).all()
    reversals = {r.checkout_id: r for r in session.scalars(
        sa.select(SaleReversal).where(SaleReversal.checkout_id.in_([r.id for r in rows])))} if rows else {}
    keys = services().keys()
    return [checkout_view(session, keys, r) | {"at": r.created_at, "reversal": reversals.get(r.id)} for r in rows], total


@bp.get("/receipts")
@access(*STAFF)
def receipts() -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        place = _place(session)
        sales, total = _sales(session, place.code, _today()) if place.code else ([], 0)
    return render_template("money/receipts.html", strings=STRINGS, place=place, sales=sales, total=total,
                           may_reverse=current_user.role is S, product_name=_product_name)


# ---- end of day -------------------------------------------------------------------------------


def _kept(session: Session, kiosk: str, day: date) -> list[tuple[eod.KeptReport, ReceiptPrint | None]]:
    return [(k, session.get(ReceiptPrint, k.receipt_key)) for k in reversed(eod.kept_reports(session, kiosk, day))]


@bp.get("/day")
@access(*STAFF)
def day() -> ResponseReturnValue:
    today = _today()
    chosen, day_error = _day_arg(today, latest=today)
    session = db_session()
    with session.begin():
        place = _place(session)
        report = eod.summarize_day(session, place.code, chosen).to_dict() if place.code else None
        kept = _kept(session, place.code, chosen) if place.code else []
    return render_template("money/day.html", strings=STRINGS, place=place, day=chosen, today=today, report=report,
                           kept=kept, day_error=day_error, fresh=request.args.get("kept"),
                           product_name=_product_name)


# ---- BPJS deposit and reconciliation ------------------------------------------------------------


@bp.get("/bpjs")
@access(S, AD, AU)
def bpjs() -> ResponseReturnValue:
    yesterday = reconcile.yesterday_wib(datetime.now(UTC))
    chosen, day_error = _day_arg(yesterday, latest=yesterday + timedelta(days=1))
    writer = current_user.role in (S, AD)
    session = db_session()
    with session.begin():
        deposits = ([(code, name, core.deposit_balance(session, code)) for code, name in _place(session).outlets]
                    if writer else [])  # the API keeps the deposit from auditors: so does the page
        run = reconcile.latest(session, chosen)
        lines = reconcile.lines_of(session, run.id) if run is not None else []
        exceptions = reconcile.open_exceptions(session)
    return render_template("money/bpjs.html", strings=STRINGS, writer=writer, deposits=deposits, day=chosen,
                           day_error=day_error, run=run, lines=lines[:SHOWN], line_count=len(lines),
                           exceptions=exceptions, max_deposit=core.MAX_DEPOSIT,
                           status_words=STATUS_WORDS)


# ---- bank settlement file ---------------------------------------------------------------------


@bp.get("/bank")
@access(S, AD)
def bank() -> ResponseReturnValue:
    return render_template("money/bank.html", strings=STRINGS, max_bytes=bank_file.MAX_BYTES,
                           max_mb=bank_file.MAX_BYTES // (1024 * 1024), header=",".join(bank_file.HEADER),
                           example_day=(_today() - timedelta(days=1)).isoformat())

