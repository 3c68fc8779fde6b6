"""``kiosk money ...``: bank settlement imports, the BPJS deposit and its reconciliation, end of day.

Each command is one transaction (a BPJS or device-agent call is made outside it). A refused command
changes nothing and exits with status 1, printing the reason in Bahasa Indonesia and English.
NIKs never appear (bank-file problems show them masked).
"""

from __future__ import annotations

import getpass
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

import click
from flask.cli import with_appcontext

from bpjs_link import BpjsError
from fertilizer import FertilizerError
from kiosk.db import get_db
from kiosk.money import bank, core, eod, prints, reconcile
from kiosk.money.errors import BankFileRefused, MoneyError
from kiosk.wiring import services
from ledger import LedgerError


def _fail(exc: MoneyError | LedgerError | FertilizerError | BpjsError) -> NoReturn:
    click.echo(f"kiosk: {exc.message_id} / {exc.message_en}", err=True)
    sys.exit(1)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (containers)
        return "cli"


def _rp(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


@click.group("money")
def money_group() -> None:
    """Money: bank settlement imports, BPJS deposit and reconciliation, end of day."""


@money_group.command("import-bank")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_bank(file: Path) -> None:
    """Import a bank settlement CSV of card top-ups (docs/money.md): all lines or none."""
    try:
        with get_db().sessions.begin() as session:
            report = bank.import_bank_file(session, services().keys(), file.read_bytes(), filename=file.name,
                                           actor=_actor(), now=datetime.now(UTC))
    except BankFileRefused as exc:
        for p in exc.problems:
            click.echo(f"  baris/line {p['line']} [{p['column']}] {p['code']}: {p['message_id']} / {p['message_en']}", err=True)
        _fail(exc)
    except (MoneyError, LedgerError, FertilizerError) as exc:
        _fail(exc)
    if report.replayed:
        click.echo(f"sudah diimpor / already imported {report.imported_at:%Y-%m-%d %H:%M} UTC: nothing changed")
    click.echo(f"{report.rows} baris/lines, baru/new {report.new_rows} ({_rp(report.total_new)}), "
               f"sudah ada/already there {report.rows - report.new_rows}; sha256 {report.sha256}")


@money_group.command("deposit")
@click.option("--kiosk", required=True)
@click.option("--amount", type=int, required=True, help="Whole rupiah.")
@click.option("--reference", required=True, help="The bank transfer's reference (idempotent).")
@with_appcontext
def deposit(kiosk: str, amount: int, reference: str) -> None:
    """Record a top-up of the kiosk's BPJS partner deposit."""
    try:
        with get_db().sessions.begin() as session:
            result = core.fund_deposit(session, kiosk=kiosk, amount=amount, reference=reference, actor=_actor(),
                                       now=datetime.now(UTC))
            balance = core.deposit_balance(session, kiosk)
    except (MoneyError, LedgerError) as exc:
        _fail(exc)
    what = "sudah tercatat / already recorded" if result.replayed else "tercatat / recorded"
    click.echo(f"{what}: deposit BPJS {kiosk} +{_rp(amount)}; saldo/balance {_rp(balance)}")


@money_group.command("reconcile")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="WIB day (default: yesterday).")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the lines as CSV.")
@with_appcontext
def reconcile_day(day: datetime | None, csv_file: Path | None) -> None:
    """Reconcile the ledger with BPJS's settlement list for a day; differences open exceptions."""
    when: date = day.date() if day else reconcile.yesterday_wib(datetime.now(UTC))
    try:
        done = reconcile.run(get_db().sessions, services().bpjs(), when, actor=_actor(), now=lambda: datetime.now(UTC))
    except (MoneyError, BpjsError) as exc:
        _fail(exc)
    r = done.reconciliation
    click.echo(f"{when}: BPJS {r.host_count} ({_rp(r.host_total)}), ledger {r.ledger_count} ({_rp(r.ledger_total)}); "
               f"cocok/matched {r.matched}, selisih jumlah/amount differs {r.amount_mismatch}, "
               f"tidak ada di ledger/missing in ledger {r.missing_in_ledger}, "
               f"tidak ada di BPJS/missing at BPJS {r.missing_at_host}; exceptions opened {done.opened}")
    if csv_file is not None:
        with get_db().sessions() as session:
            csv_file.write_text(reconcile.csv_text(r, reconcile.lines_of(session, r.id)), encoding="utf-8")
        click.echo(f"csv: {csv_file}")
    if r.matched != len(done.lines):
        sys.exit(3)


@money_group.command("exceptions")
@with_appcontext
def exceptions() -> None:
    """Open reconciliation differences."""
    with get_db().sessions() as session:
        rows = reconcile.open_exceptions(session)
    for row in rows:
        click.echo(f"{row.id}  {row.day}  {row.kind:18} {row.request_id}  BPJS {row.host_amount}  ledger {row.ledger_amount}")
    if not rows:
        click.echo("tidak ada selisih terbuka / no open differences")


@money_group.command("resolve")
@click.argument("exception_id", type=click.UUID)
@click.option("--reason", required=True)
@with_appcontext
def resolve(exception_id: uuid.UUID, reason: str) -> None:
    """Resolve a reconciliation difference with a reason (an audit entry)."""
    try:
        with get_db().sessions.begin() as session:
            reconcile.resolve(session, exception_id, supervisor=_actor(), reason=reason, now=datetime.now(UTC))
    except (MoneyError, LedgerError) as exc:
        _fail(exc)
    click.echo("diselesaikan / resolved")


@money_group.command("end-of-day")
@click.option("--kiosk", required=True)
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="WITA day (default: today).")
@click.option("--print", "print_it", is_flag=True, help="Print it on the kiosk's receipt printer (device agent).")
@with_appcontext
def end_of_day(kiosk: str, day: datetime | None, print_it: bool) -> None:
    """Close a kiosk's day from the ledger; the report is kept (append-only)."""
    now = datetime.now(UTC)
    when = day.date() if day else eod.today_wita(now)
    try:
        with get_db().sessions.begin() as session:
            kept = eod.close_day(session, kiosk=kiosk, day=when, actor=_actor(), now=now)
    except (MoneyError, LedgerError, FertilizerError) as exc:
        _fail(exc)
    r = kept.body
    for p in r["products"]:
        click.echo(f"  {p['product']:10} {p['sales']:>4} sales {p['kg_net']:>8,} kg  {_rp(p['rupiah_net'])}")
    click.echo(f"{kiosk} {when}: fertilizer {_rp(r['fertilizer_net'])}, contributions {_rp(r['contributions']['total'])}, "
               f"agent fees {_rp(r['agent_fees']['total'])}, top-ups {_rp(r['topups']['total'])}; "
               f"card {_rp(r['tender']['card'])}, cash {_rp(r['tender']['cash'])}; "
               f"kas di laci/cash expected {_rp(r['cash']['expected'])}")
    click.echo(f"report {kept.id} sha256 {kept.sha256}")
    if print_it:
        svc = services()
        status = prints.deliver(get_db().sessions, svc.agent, svc.keys(), kept.receipt_key, now=lambda: datetime.now(UTC))
        click.echo(f"struk/receipt: {status.state}: {status.message_id} / {status.message_en}")


COMMANDS = [money_group]
