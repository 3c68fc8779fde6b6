"""``kiosk rdkk``, ``kiosk stock``, ``kiosk farmers`` and ``kiosk outlets``: the fertilizer side.

Each command is one transaction; a refused command changes nothing and exits with status 1,
printing the reason in Bahasa Indonesia and English. NIKs are only ever printed masked.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import current_app
from flask.cli import with_appcontext

import fertilizer
from fertilizer.generator import GeneratorConfig, reference, write_csvs
from fertilizer.registry import add_reference, reference_data
from kiosk.db import get_db
from ledger import LedgerError

PHASES = {"check": "memeriksa / checking", "write": "menyimpan / writing"}


def _fail(exc: fertilizer.FertilizerError | LedgerError) -> NoReturn:
    click.echo(f"kiosk: {exc.message_id} / {exc.message_en}", err=True)
    sys.exit(1)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): still an actor in the audit entry
        return "cli"


def _keys() -> fertilizer.FileKeyStore:
    """The farmers' key store of this installation (KIOSK_FARMER_KEYS_DIR, by default <keys>/farmers)."""
    settings = current_app.extensions["kiosk.settings"]
    return fertilizer.FileKeyStore(getattr(settings, "farmer_keys_dir", "") or Path(settings.keys_dir) / "farmers")


def _data_rows(path: Path) -> int:
    with path.open("rb") as f:
        return max(0, sum(1 for line in f if line.strip()) - 1)


@contextmanager
def _progress(total: int, phases: int) -> Iterator[Callable[[str, int], None]]:
    """One bar over both passes (check, then write), fed by the importer's callback."""
    with click.progressbar(length=max(1, total * phases), label="RDKK", file=sys.stderr) as bar:
        done = 0

        def update(phase: str, rows: int) -> None:
            nonlocal done
            position = rows + (total if phase == "write" else 0)
            bar.label = f"RDKK {PHASES.get(phase, phase)}"
            bar.update(max(0, position - done))
            done = max(done, position)

        yield update


def _print_report(report: fertilizer.ImportReport) -> None:
    for p in report.problems:
        click.echo(f"  baris/line {p.line} [{p.column}] {p.code}: {p.message_id} / {p.message_en}")
    if report.problems_total > len(report.problems):
        click.echo(f"  ... {report.problems_total - len(report.problems)} masalah lain / more problems")
    kg = ", ".join(f"{code} {kg:+,} kg" for code, kg in report.kg.items() if kg)
    click.echo(f"musim/season {report.season}: {report.rows} baris sah/valid rows, {report.bad_lines} baris salah/bad lines; "
               f"petani baru/new farmers {report.farmers_new}, pindah/moved {report.farmers_moved}, "
               f"kuota berubah/quota changes {report.farmers_changed} ({kg or 'tidak ada / none'})")
    click.echo(f"sha256 {report.file_sha256}")


@click.group("rdkk")
def rdkk_group() -> None:
    """RDKK: each farmer's fertilizer allocation per season."""


@rdkk_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--season", required=True, help="Season id, e.g. 2027-MT1; every row must be for it.")
@click.option("--dry-run", is_flag=True, help="Check and plan only; write nothing.")
@click.option("--actor", default=lambda: _os_user(), show_default="the OS user", help="Recorded in the audit entry.")
@with_appcontext
def rdkk_import(file: Path, season: str, dry_run: bool, actor: str) -> None:
    """Import an RDKK CSV (docs/rdkk-format.md): all rows or none."""
    keys = _keys()
    try:
        with _progress(_data_rows(file), 1 if dry_run else 2) as progress, get_db().sessions.begin() as session:
            report = fertilizer.import_rdkk(session, keys, file, season=season, now=datetime.now(UTC),
                                            progress=progress, actor=actor, dry_run=dry_run)
    except (fertilizer.FertilizerError, LedgerError) as exc:
        _fail(exc)
    finally:
        keys.close()
    _print_report(report)
    if not report.ok:
        click.echo("kiosk: RDKK ditolak, tidak ada yang disimpan / RDKK refused, nothing was saved", err=True)
        sys.exit(1)
    click.echo("diperiksa, tidak disimpan / checked, not saved (--dry-run)" if dry_run else "tersimpan / saved")


@click.group("stock")
def stock_group() -> None:
    """Fertilizer stock of a kiosk (outlet)."""


@stock_group.command("receive")
@click.option("--outlet", "outlet_code", required=True, help="Outlet code, e.g. KIOS-001.")
@click.option("--product", "product_code", required=True, type=click.Choice(list(fertilizer.PRODUCT_CODES)))
@click.option("--kg", type=int, required=True)
@click.option("--do", "delivery_order", required=True, help="Delivery order (DO) number.")
@click.option("--date", "delivered_on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Delivery date (YYYY-MM-DD), default today (WITA).")
@with_appcontext
def stock_receive(outlet_code: str, product_code: str, kg: int, delivery_order: str, delivered_on: datetime | None) -> None:
    """Record a delivery (idempotent by DO number)."""
    now = datetime.now(UTC)
    day: date = delivered_on.date() if delivered_on else now.astimezone(fertilizer.WITA).date()
    try:
        with get_db().sessions.begin() as session:
            result = fertilizer.receive_stock(session, outlet_code=outlet_code, product_code=product_code, kg=kg,
                                              delivery_order=delivery_order, delivered_on=day, now=now)
            left = fertilizer.stock_left(session, outlet_code)[product_code]
    except (fertilizer.FertilizerError, LedgerError) as exc:
        _fail(exc)
    what = "sudah tercatat / already recorded" if result.replayed else "diterima / received"
    click.echo(f"{what}: DO {delivery_order.strip().upper()} {kg:,} kg {product_code} -> {outlet_code}; "
               f"stok/stock {left:,} kg")


@stock_group.command("show")
@click.option("--outlet", "outlet_code", required=True)
@with_appcontext
def stock_show(outlet_code: str) -> None:
    """Stock on hand per product (pending sales counted)."""
    with get_db().sessions() as session:
        left = fertilizer.stock_left(session, outlet_code)
    if not left:
        click.echo(f"{outlet_code}: belum ada stok / no stock yet")
    for code, kg in left.items():
        click.echo(f"{outlet_code}  {code:8} {kg:>12,} kg")


@click.group("farmers")
def farmers_group() -> None:
    """Farmers: demo data."""


@farmers_group.command("generate")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--farmers", "count", type=int, default=55_289, show_default=True)
@click.option("--seed", type=int, default=2021, show_default=True)
@click.option("--season", default=None, help="Season of the RDKK file (default: the season of --as-of).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default="2026-12-01", show_default=True)
@click.option("--load-reference", is_flag=True, help="Also write the demo kecamatan, villages, penyuluh, outlets and groups.")
@with_appcontext
def farmers_generate(out_dir: Path, count: int, seed: int, season: str | None, as_of: datetime, load_reference: bool) -> None:
    """Write the demo RDKK, card and BPJS CSVs (deterministic for a seed)."""
    try:
        config = GeneratorConfig(seed=seed, farmers=count, as_of=as_of.date(), season=season)
        paths = write_csvs(config, out_dir)
        if load_reference:
            with get_db().sessions.begin() as session:
                add_reference(session, reference(config))
    except fertilizer.FertilizerError as exc:
        _fail(exc)
    for name, path in paths.items():
        click.echo(f"{name}: {path}")
    if load_reference:
        click.echo("reference data loaded / data referensi dimuat")
    click.echo(f"next: kiosk rdkk import {paths['rdkk']} --season {config.season_id}")


@click.group("outlets")
def outlets_group() -> None:
    """Kios pupuk (outlets) of the registry."""


@outlets_group.command("list")
@with_appcontext
def outlets_list() -> None:
    """Every outlet with its kecamatan."""
    with get_db().sessions() as session:
        data = reference_data(session)
    names = {k.code: k.name for k in data.kecamatan}
    for o in data.outlets:
        state: Any = "aktif/active" if o.active else "nonaktif/inactive"
        click.echo(f"{o.code:10} {o.name:40} {names.get(o.kecamatan_code, o.kecamatan_code):14} {state}")


COMMANDS = [rdkk_group, stock_group, farmers_group, outlets_group]
