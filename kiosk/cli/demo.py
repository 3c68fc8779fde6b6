"""``kiosk demo``: the product on SQLite with demo data, at http://127.0.0.1:8000."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.demo import run_demo


@click.command("demo")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-data"),
              show_default=True, help="Folder for the demo's database, keys and device state.")
@click.option("--port", default=8000, show_default=True)
@click.option("--fresh", is_flag=True, help="Delete the demo folder first.")
@click.option("--farmers", default=3000, show_default=True, help="How many Soppeng farmers to generate (first run).")
def demo_command(data_dir: Path, port: int, fresh: bool, farmers: int) -> None:
    """Run the demo (every device emulated). Ctrl-C stops everything it started."""
    run_demo(data_dir.resolve(), port=port, fresh=fresh, farmers=farmers)
COMMANDS = [demo_command]
