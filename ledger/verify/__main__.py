"""``python -m ledger.verify DIR [--vkey VKEY | --vkey-file FILE]``: exit 0 when the export verifies,
1 naming the first bad entry, checkpoint or line and why, 2 on a usage error."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger.audit.errors import AuditError
from ledger.verify.offline import verify_export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger.verify", description="Verify an audit log export offline.")
    parser.add_argument("directory", type=Path, help="the export directory (kiosk audit export DIR)")
    key = parser.add_mutually_exclusive_group()
    key.add_argument("--vkey", help="the log's published verifier key (name+id+key); default: the export's own")
    key.add_argument("--vkey-file", type=Path, help="a file holding the published verifier key")
    args = parser.parse_args(argv)
    vkey = args.vkey
    if args.vkey_file is not None:
        try:
            vkey = args.vkey_file.read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            print(f"ledger.verify: cannot read {args.vkey_file}: {exc}", file=sys.stderr)
            return 2
    try:
        report = verify_export(args.directory, vkey=vkey)
    except AuditError as exc:
        print(f"GAGAL / FAILED [{exc.code}]", file=sys.stderr)
        print(f"  id: {exc.message_id}", file=sys.stderr)
        print(f"  en: {exc.message_en}", file=sys.stderr)
        for name, value in sorted(exc.fields.items()):
            print(f"  {name}: {value.en if hasattr(value, 'en') else value}", file=sys.stderr)
        return 1
    log, replay = report.log, report.replay
    last = log.checkpoints[-1]
    print(f"OK: {log.size} entri / entries, {len(log.checkpoints)} checkpoint, akar / root {log.root_hash.hex()}")
    print(f"  checkpoint terakhir / last checkpoint: size {last.size}, origin {last.origin}")
    print(f"  {replay.journals} jurnal / journals ({replay.pending} tertunda / pending), {replay.accounts} akun / accounts")
    print(f"  key: {report.vkey}")
    if report.key_from_export:
        print("  PERINGATAN: kunci diambil dari ekspor; bandingkan dengan kunci yang dipublikasikan (--vkey).")
        print("  WARNING: the key was taken from the export; compare it with the published key (--vkey).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
