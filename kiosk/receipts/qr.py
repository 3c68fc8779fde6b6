"""The receipt's QR payload: journal id + audit entry hash, as a compact URI. Pure.

    sutasoma:r?j=<journal id, canonical UUID text>&h=<entry hash, 64 lowercase hex digits>

e.g. ``sutasoma:r?j=0190f3a2-7c1e-7d2b-9a41-5e3f2b1c0d9e&h=9f86d0...0a08`` (116 characters, a
version 6 QR at error correction M). ``h`` is the hash the audit log proves: the Merkle leaf hash
(SHA-256(0x00 || entry)) of the journal's posting entry (DESIGN §5), so an auditor who scans the
receipt asks the log for the inclusion proof of ``h`` and checks it against a signed checkpoint.
"""

from __future__ import annotations

import re
import uuid

from kiosk.receipts.errors import InvalidReceipt
from kiosk.receipts.model import Proof

SCHEME = "sutasoma:r"
_PAYLOAD = re.compile(
    r"^sutasoma:r\?j=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})&h=([0-9a-f]{64})$")


def qr_payload(proof: Proof) -> str:
    return f"{SCHEME}?j={proof.journal_id}&h={proof.entry_hash.hex()}"


def parse_qr_payload(text: str) -> Proof:
    """The proof a scanned receipt carries; :class:`InvalidReceipt` when it is not one of ours."""
    match = _PAYLOAD.match(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidReceipt("qr", "bukan kode QR struk Sutasoma", "not a Sutasoma receipt QR code")
    return Proof(uuid.UUID(match.group(1)), bytes.fromhex(match.group(2)))
