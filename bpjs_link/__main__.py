"""``python -m bpjs_link keygen --out DIR --partner-id ID [--channel-id C] [--base-url URL]``"""

from __future__ import annotations

from pathlib import Path

import click

from bpjs_link.keys import generate_partner_keys


@click.group()
def cli() -> None:
    """BPJS link tools."""


@cli.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--partner-id", required=True, help="the client id BPJS gave the partner (X-PARTNER-ID, X-CLIENT-KEY)")
@click.option("--channel-id", default="95221", show_default=True)
@click.option("--base-url", default="http://127.0.0.1:8070", show_default=True)
def keygen(out_dir: Path, partner_id: str, channel_id: str, base_url: str) -> None:
    """Write a matching partner key set: partner-private.pem, client.json, host-partner.json (mode 0600)."""
    files = generate_partner_keys(out_dir, partner_id=partner_id, channel_id=channel_id, base_url=base_url)
    for path in (files.private_key, files.client_config, files.host_partner):
        click.echo(str(path))


if __name__ == "__main__":
    cli()
