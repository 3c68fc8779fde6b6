"""Money under ``/api/v1`` (issue 9; docs/money.md): top-ups, bank settlement imports, the BPJS
deposit and its reconciliation, same-day reversals, receipt reprints, and the end of day.

Operators act only at their own kiosk; supervisors anywhere. Writes take an ``Idempotency-Key``
header where a retry must not act twice (top-ups, reversals; optional for reprints). Receipts are
printed after the database transaction commits; whatever the printer does, the money stands and
the answer says what became of the receipt (``receipt``: printed / queued / unsent / failed).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy.orm import Session

from bpjs_link import BpjsError
from card_reader import CardError
from fertilizer import FertilizerError
from fertilizer.schema import Outlet
from kiosk.api import bp, envelope
from kiosk.auth import access
from kiosk.checkout.printing import sale_key
from kiosk.checkout.schema import CheckoutRow
from kiosk.db import db_session, get_db
from kiosk.models import Role
from kiosk.money import bank, core, eod, prints, reconcile, reversal, topup
from kiosk.money.errors import BadInput, MoneyError, NotFound, Refused
from kiosk.wiring import checkout_deps, services

STAFF = (Role.OPERATOR, Role.SUPERVISOR)
SUPERVISORS = (Role.SUPERVISOR, Role.ADMIN)
READERS = (Role.SUPERVISOR, Role.ADMIN, Role.AUDITOR)
CARD_STATUS = {"agent_unavailable": 503, "reader_unavailable": 503, "no_card": 409, "not_authentic": 409}


@bp.errorhandler(MoneyError)
def _money_error(err: MoneyError) -> ResponseReturnValue:
    return jsonify({"error": err.to_dict()}), err.status


@bp.errorhandler(FertilizerError)
def _fertilizer_error(err: FertilizerError) -> ResponseReturnValue:
    status = 404 if err.code.startswith("unknown") else 400
    return envelope(status, err.code, err.message_en, err.message_id, **err.fields)


def _now() -> datetime:
    return datetime.now(UTC)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("bad_body", "Isi permintaan harus objek JSON.", "The request body must be a JSON object.", field="body")
    return body


def _key(required: bool = True) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key and not required:
        return None
    if not 8 <= len(key) <= 128 or not key.isprintable():
        raise BadInput("idempotency_key_required", "Header Idempotency-Key (8-128 karakter) wajib.",
                       "An Idempotency-Key header (8-128 characters) is required.", field="Idempotency-Key")
    return key


def _kiosk(requested: object = None) -> str:
    """The kiosk acted on: an operator's own; a supervisor names one (or has one)."""
    if current_user.role is Role.OPERATOR:
        if requested not in (None, current_user.kiosk_code):
            raise NotFound("kiosk_not_found", "Kios tidak ditemukan.", "No such kiosk.")
        return str(current_user.kiosk_code)
    code = requested if requested is not None else getattr(current_user, "kiosk_code", None)
    if not isinstance(code, str) or not code:
        raise BadInput("kiosk_required", "Sebutkan kios.", "Name the kiosk.", field="kiosk")
    if code != getattr(current_user, "kiosk_code", None):  # a registered, active kiosk: money never goes to a typo
        with get_db().sessions() as lookup:  # its own short session: the view's transaction is not begun yet
            row = lookup.get(Outlet, code)
        if row is None or not row.active:
            raise NotFound("kiosk_not_found", "Kios tidak ditemukan.", "No such kiosk.")
    return code


def _day(raw: object, default: date | None = None) -> date:
    if raw is None and default is not None:
        return default
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise BadInput("bad_day", "Tanggal harus YYYY-MM-DD.", "The day must be YYYY-MM-DD.", field="day") from None


def _uuid(raw: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"{what}_not_found", "Tidak ditemukan.", "Not found.") from None


def _deliver(key: str) -> dict[str, Any]:
    deps = checkout_deps()
    return prints.deliver(deps.sessions, deps.agent, deps.keys, key, now=deps.now).to_dict()


# ---- top-ups ----------------------------------------------------------------------------------


@bp.post("/topups")
@access(*STAFF)
def create_topup() -> ResponseReturnValue:
    """Cash onto a card balance: the operator's kiosk reads the card in the reader (verified here);
    a supervisor may name the farmer by pseudonym instead."""
    key, body, deps = _key(), _body(), checkout_deps()
    amount = core.check_amount(body.get("amount"), core.MAX_TOPUP)
    kiosk = _kiosk(body.get("kiosk"))
    session = db_session()
    with session.begin():
        done = topup.replay(session, kiosk=kiosk, key=str(key), amount=amount)
    if done is None:
        farmer = body.get("farmer")
        if current_user.role is Role.OPERATOR or farmer is None:
            try:
                farmer = topup.farmer_by_card(deps.sessions, deps.agent(kiosk), deps.issuer_keys, deps.keys, now=deps.now)
            except CardError as err:
                return envelope(CARD_STATUS.get(err.code, 409), err.code, err.message_en, err.message_id, **err.fields)
        elif not isinstance(farmer, str):
            raise BadInput("bad_farmer", "Petani: pseudonim.", "farmer: a pseudonym.", field="farmer")
        with session.begin():
            done = topup.top_up(session, deps.keys, kiosk=kiosk, farmer=farmer, amount=amount, key=str(key),
                                operator=current_user.username, now=deps.now())
    answer = {"journal_id": str(done.journal_id), "kiosk": done.kiosk, "farmer": done.farmer, "amount": done.amount,
              "balance_after": done.balance_after, "replayed": done.replayed, "receipt": _deliver(done.receipt_key)}
    return jsonify(answer), 200 if done.replayed else 201


# ---- bank settlement files --------------------------------------------------------------------


@bp.post("/bank-imports")
@access(*SUPERVISORS)
def import_bank() -> ResponseReturnValue:
    """A bank settlement CSV (docs/money.md), as an upload (``file``) or the raw body (text/csv)."""
    upload = request.files.get("file")
    data = upload.read() if upload is not None else request.get_data()
    name = (upload.filename if upload is not None else request.args.get("filename")) or "upload.csv"
    session = db_session()
    with session.begin():
        report = bank.import_bank_file(session, services().keys(), data, filename=name, actor=current_user.username,
                                       now=_now())
    return jsonify(report.to_dict()), 200 if report.replayed else 201


# ---- BPJS deposit and reconciliation ------------------------------------------------------------


@bp.post("/deposits")
@access(*SUPERVISORS)
def create_deposit() -> ResponseReturnValue:
    """The retailer topped up the BPJS partner deposit (``reference``: the transfer's; idempotent)."""
    body = _body()
    kiosk = _kiosk(body.get("kiosk"))
    amount, reference = core.check_amount(body.get("amount"), core.MAX_DEPOSIT), core.check_reference(body.get("reference"))
    session = db_session()
    with session.begin():
        result = core.fund_deposit(session, kiosk=kiosk, amount=amount, reference=reference,
                                   actor=current_user.username, now=_now())
        balance = core.deposit_balance(session, kiosk)
    return jsonify({"journal_id": str(result.journal_id), "kiosk": kiosk, "balance": balance,
                    "replayed": result.replayed}), 200 if result.replayed else 201


@bp.get("/deposits/<kiosk>")
@access(*STAFF, Role.ADMIN)
def get_deposit(kiosk: str) -> ResponseReturnValue:
    code = _kiosk(kiosk)
    session = db_session()
    with session.begin():
        return jsonify({"kiosk": code, "balance": core.deposit_balance(session, code),
                        "cash_in_drawer": core.cash_in_drawer(session, code)})


def _run_json(run: Any, lines: list[Any]) -> dict[str, Any]:
    fields = ("host_count", "host_total", "ledger_count", "ledger_total", "matched", "amount_mismatch",
              "missing_in_ledger", "missing_at_host", "host_deposit_balance", "ledger_deposit_balance")
    return {"id": str(run.id), "day": run.day.isoformat(), "run_at": run.run_at.isoformat(), "actor": run.actor,
            **{f: getattr(run, f) for f in fields},
            "lines": [{"status": ln.status, "request_id": ln.request_id, "journal_id": str(ln.journal_id) if ln.journal_id else None,
                       "ledger_state": ln.ledger_state, "kiosk": ln.kiosk_code, "kpj": ln.kpj, "bpjs_reference": ln.bpjs_reference,
                       "host_amount": ln.host_amount, "ledger_amount": ln.ledger_amount,
                       "difference": (ln.host_amount or 0) - (ln.ledger_amount or 0),
                       "paid_at": ln.paid_at.isoformat() if ln.paid_at else None} for ln in lines]}


@bp.post("/reconciliations")
@access(*SUPERVISORS)
def run_reconciliation() -> ResponseReturnValue:
    """Reconcile a WIB day (default yesterday) with BPJS's settlement list; differences open exceptions."""
    body = request.get_json(silent=True) or {}
    day = _day(body.get("day") if isinstance(body, dict) else None, reconcile.yesterday_wib(_now()))
    deps = checkout_deps()
    try:
        done = reconcile.run(deps.sessions, deps.bpjs, day, actor=current_user.username, now=deps.now)
    except BpjsError as err:
        return envelope(503, err.code, err.message_en, err.message_id)
    with db_session().begin():
        answer = _run_json(done.reconciliation, reconcile.lines_of(db_session(), done.reconciliation.id))
    return jsonify(answer | {"exceptions_opened": done.opened}), 201


@bp.get("/reconciliations/<day>")
@access(*READERS)
def get_reconciliation(day: str) -> ResponseReturnValue:
    """The latest run for the day; ``?format=csv`` exports it."""
    session = db_session()
    with session.begin():
        found = reconcile.latest(session, _day(day))
        if found is None:
            raise NotFound("reconciliation_not_found", "Belum ada rekonsiliasi untuk hari itu.",
                           "No reconciliation for that day yet.", day=day)
        lines = reconcile.lines_of(session, found.id)
        if request.args.get("format") == "csv":
            return Response(reconcile.csv_text(found, lines), mimetype="text/csv",
                            headers={"Content-Disposition": f"attachment; filename=bpjs-reconciliation-{day}.csv"})
        return jsonify(_run_json(found, lines))


def _exception_json(row: Any) -> dict[str, Any]:
    return {"id": str(row.id), "day": row.day.isoformat(), "kind": row.kind, "request_id": row.request_id,
            "journal_id": str(row.journal_id) if row.journal_id else None, "kiosk": row.kiosk_code,
            "bpjs_reference": row.bpjs_reference, "host_amount": row.host_amount, "ledger_amount": row.ledger_amount,
            "opened_at": row.opened_at.isoformat(), "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
            "resolved_by": row.resolved_by, "resolution": row.resolution}


@bp.get("/reconciliation-exceptions")
@access(*READERS)
def list_reconciliation_exceptions() -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        rows = reconcile.open_exceptions(session, include_resolved=request.args.get("all") == "1")
        return jsonify({"exceptions": [_exception_json(r) for r in rows]})


@bp.post("/reconciliation-exceptions/<exception_id>/resolve")
@access(*SUPERVISORS)
def resolve_reconciliation_exception(exception_id: str) -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        row = reconcile.resolve(session, _uuid(exception_id, "exception"), supervisor=current_user.username,
                                reason=_body().get("reason"), now=_now())
        return jsonify(_exception_json(row))


# ---- reversals and receipts ---------------------------------------------------------------------


def _checkout(session: Session, raw: str) -> CheckoutRow:
    row = session.get(CheckoutRow, _uuid(raw, "checkout"))
    if row is None or (current_user.role is Role.OPERATOR and row.kiosk_code != current_user.kiosk_code):
        raise NotFound("checkout_not_found", "Transaksi tidak ditemukan.", "No such checkout.")
    return row


@bp.post("/checkouts/<checkout_id>/reverse")
@access(Role.SUPERVISOR)
def reverse_checkout(checkout_id: str) -> ResponseReturnValue:
    """Same-day reversal of a posted sale: money to its tender, quota and stock back; a paid BPJS
    contribution stays paid. ``{"reason": "..."}``."""
    key, body, deps = _key(), _body(), checkout_deps()
    session = db_session()
    with session.begin():
        done = reversal.reverse_sale(session, deps.keys, checkout_id=_checkout(session, checkout_id).id,
                                     supervisor=current_user.username, reason=body.get("reason"), key=str(key),
                                     now=deps.now())
    answer = {"original_journal_id": str(done.original_journal_id), "reversal_journal_id": str(done.reversal_journal_id),
              "checkout_id": str(done.checkout_id), "kiosk": done.kiosk, "refund": done.refund, "refund_to": done.tender,
              "contribution_kept": done.contribution_kept, "replayed": done.replayed,
              "receipt": _deliver(done.receipt_key)}
    return jsonify(answer), 200 if done.replayed else 201


def _reprint(original: str) -> ResponseReturnValue:
    request_key = _key(required=False) or f"anon-{uuid.uuid4()}"
    deps = checkout_deps()
    session = db_session()
    with session.begin():
        key = prints.record_copy(session, deps.keys, original, request_key, now=deps.now())
    return jsonify(_deliver(key)), 201


@bp.post("/checkouts/<checkout_id>/reprint")
@access(*STAFF)
def reprint_checkout(checkout_id: str) -> ResponseReturnValue:
    """The checkout's receipt again, marked "SALINAN / COPY" (``Idempotency-Key`` makes it print once)."""
    with db_session().begin():
        row = _checkout(db_session(), checkout_id)
        if row.journal_id is None or row.state.value != "completed":
            raise Refused("no_receipt", "Struk hanya ada untuk transaksi yang selesai.",
                          "Only a completed checkout has a receipt.", state=row.state.value)
        original = sale_key(row.journal_id)
    return _reprint(original)


@bp.get("/receipts/<journal_id>")
@access(*STAFF)
def receipt_status(journal_id: str) -> ResponseReturnValue:
    """What became of a journal's receipt (sale, top-up, reversal)."""
    session = db_session()
    with session.begin():
        row = prints.latest_for_journal(session, _uuid(journal_id, "receipt"))
        if row is None or (current_user.role is Role.OPERATOR and row.kiosk_code != current_user.kiosk_code):
            raise NotFound("receipt_not_found", "Struk tidak ditemukan.", "No such receipt.")
        return jsonify(prints.status_of(row).to_dict() | {"copies": prints.copies_of(session, row.key)})


@bp.post("/receipts/<journal_id>/reprint")
@access(*STAFF)
def reprint_receipt(journal_id: str) -> ResponseReturnValue:
    with db_session().begin():
        row = prints.latest_for_journal(db_session(), _uuid(journal_id, "receipt"))
        if row is None or (current_user.role is Role.OPERATOR and row.kiosk_code != current_user.kiosk_code):
            raise NotFound("receipt_not_found", "Struk tidak ditemukan.", "No such receipt.")
        original = row.key
    return _reprint(original)


# ---- end of day -------------------------------------------------------------------------------


@bp.post("/end-of-day")
@access(*STAFF)
def close_day() -> ResponseReturnValue:
    """Close a WITA day (default today) at a kiosk: kept (append-only) and, with ``print``, printed."""
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        raise BadInput("bad_body", "Isi permintaan harus objek JSON.", "The request body must be a JSON object.", field="body")
    kiosk, now = _kiosk(body.get("kiosk")), _now()
    day = _day(body.get("day"), eod.today_wita(now))
    if day > eod.today_wita(now):
        raise BadInput("bad_day", "Hari itu belum tiba.", "That day has not come yet.", field="day")
    session = db_session()
    with session.begin():
        kept = eod.close_day(session, kiosk=kiosk, day=day, actor=current_user.username, now=now)
    answer = kept.to_dict()
    answer["receipt"] = _deliver(kept.receipt_key) if body.get("print") is True else None
    return jsonify(answer), 201


@bp.get("/end-of-day")
@access(*STAFF, Role.AUDITOR)
def list_day_reports() -> ResponseReturnValue:
    """The kept reports of ``?kiosk=&day=`` (oldest first)."""
    kiosk = _kiosk(request.args.get("kiosk"))
    day = _day(request.args.get("day"), eod.today_wita(_now()))
    session = db_session()
    with session.begin():
        return jsonify({"reports": [k.to_dict() for k in eod.kept_reports(session, kiosk, day)]})

