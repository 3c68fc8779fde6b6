"""``python -m bpjs_link.sandbox --port P --data DIR --partner FILE [--seed demo|FILE] [faults...]``"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from bpjs_link.bpu import BpuRules, ReturnMode
from bpjs_link.errors import BpjsError
from bpjs_link.sandbox import seed as seeding
from bpjs_link.sandbox.app import configure_logging, create_app
from bpjs_link.sandbox.options import FaultRates, Partner, SandboxOptions
from bpjs_link.sandbox.server import serve
from bpjs_link.signing import WIB


def _prepay(text: str) -> frozenset[int]:
    try:
        return frozenset(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise click.BadParameter("comma-separated whole months, e.g. 3,6,12") from None


@click.command()
@click.option("--port", type=click.IntRange(0, 65535), required=True, help="TCP port; 0 picks a free one (announced on stdout)")
@click.option("--host", "host_name", default="127.0.0.1", show_default=True)
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), required=True, help="folder for the sandbox's SQLite")
@click.option("--partner", "partner_files", type=click.Path(exists=True, dir_okay=False, path_type=Path), multiple=True, required=True,
              help="host-partner.json from `python -m bpjs_link keygen` (repeatable)")
@click.option("--seed", default=None, help="'demo' or a CSV file nik,name,birth_date,kpj,paid_through,status")
@click.option("--deposit", type=click.IntRange(0), default=10_000_000, show_default=True, help="a new partner's deposit, rupiah")
@click.option("--latency-ms", type=click.IntRange(0), default=0, show_default=True)
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--commit-then-drop-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--fault-seed", type=int, default=0, show_default=True)
@click.option("--window-s", type=click.IntRange(1), default=300, show_default=True, help="X-TIMESTAMP acceptance window")
@click.option("--token-ttl-s", type=click.IntRange(1), default=900, show_default=True)
@click.option("--clock-offset-s", type=float, default=0.0, show_default=True, help="the host clock runs this far ahead")
@click.option("--contribution", type=click.IntRange(1), default=16_800, show_default=True)
@click.option("--due-day", type=click.IntRange(1, 28), default=15, show_default=True)
@click.option("--lapse-months", type=click.IntRange(1), default=3, show_default=True)
@click.option("--prepay", default="3,6,12", show_default=True)
@click.option("--return-mode", type=click.Choice([m.value for m in ReturnMode]), default=ReturnMode.PAY_AGAIN.value, show_default=True)
def main(port: int, host_name: str, data_dir: Path, partner_files: tuple[Path, ...], seed: str | None, deposit: int,
         latency_ms: int, drop_rate: float, error_rate: float, commit_then_drop_rate: float, fault_seed: int, window_s: int,
         token_ttl_s: int, clock_offset_s: float, contribution: int, due_day: int, lapse_months: int, prepay: str,
         return_mode: str) -> None:
    """The BPJS Ketenagakerjaan BPU host, for demos and tests."""
    configure_logging()
    try:
        rules = BpuRules(contribution, due_day, lapse_months, _prepay(prepay), ReturnMode(return_mode))
        options = SandboxOptions(
            data_dir=data_dir, partners=tuple(Partner.from_file(p) for p in partner_files), port=port, host=host_name, seed=seed,
            initial_deposit=deposit, rules=rules,
            faults=FaultRates(drop_rate, error_rate, commit_then_drop_rate, latency_ms, fault_seed),
            window=timedelta(seconds=window_s), token_ttl=timedelta(seconds=token_ttl_s), clock_offset=timedelta(seconds=clock_offset_s))
        today = (datetime.now(timezone.utc) + options.clock_offset).astimezone(WIB).date()
        participants = seeding.load(seed, today) if seed else []
        app = create_app(options, participants)
    except (BpjsError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    serve(app, host_name, port, data_dir)


if __name__ == "__main__":
    main()
