"""The audit export's files and line formats (docs/audit-log.md, "Export"), for writer and reader.

::

    DIR/manifest.json       {"format", "version", "origin", "vkey", "size", "entries", "checkpoints", "exported_at"}
    DIR/log.vkey            the log's verifier key (name+id+key), one line
    DIR/checkpoints.jsonl   {"size", "root", "note", "consistency"}  smallest first; "consistency" is the
                            proof from the line before (empty on the first line)
    DIR/entries.jsonl       {"seq", "leaf_hash", "entry"}  in sequence order from 0; "entry" is the
                            entry's canonical body, byte for byte (a journal entry holds the journal and its legs)

Hashes are lowercase hex. ``manifest.json`` is written last: an export without it is incomplete.
Readers distrust every byte: lines are length-limited, parsed strictly and named when refused.
"""

from __future__ import annotations

import json
import re
from binascii import a2b_hex, b2a_hex
from dataclasses import dataclass
from typing import Any

from ledger.audit.errors import LogVerificationError, Text
from ledger.audit.merkle import HASH_SIZE, MAX_SIZE

FORMAT = "sutasoma-audit-export"
VERSION = 1
MANIFEST, VKEY, CHECKPOINTS, ENTRIES = "manifest.json", "log.vkey", "checkpoints.jsonl", "entries.jsonl"
MAX_ENTRY_LINE = 1 << 20  # an entry body is at most a few KiB (64 legs); anything longer is refused
MAX_CHECKPOINT_LINE = 1 << 17
MAX_MANIFEST = 1 << 16
_PROOF_LIMIT = 2 * 64

_ENTRY_PREFIX = re.compile(rb'\{"seq":(0|[1-9][0-9]{0,19}),"leaf_hash":"([0-9a-f]{64})","entry":')
_HEX64 = re.compile(r"[0-9a-f]{64}")


def entry_line(seq: int, leaf_hash: bytes, body: bytes) -> bytes:
    """One line of ``entries.jsonl`` (valid JSON: ``body`` is canonical JSON without raw newlines)."""
    return b'{"seq":%d,"leaf_hash":"%s","entry":%s}\n' % (seq, b2a_hex(leaf_hash), body)


def checkpoint_line(size: int, root: bytes, note: str, consistency: list[bytes]) -> bytes:
    body = {"size": size, "root": root.hex(), "note": note, "consistency": [h.hex() for h in consistency]}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def malformed(file: str, line: int, reason_id: str, reason_en: str) -> LogVerificationError:
    return LogVerificationError("export_malformed", file=file, line=line, reason=Text(reason_id, reason_en))


NOT_LINE = ("baris terpotong atau terlalu panjang", "truncated or over-long line")
BAD_PREFIX = ("bukan baris entri yang sah", "not a valid entry line")


def parse_entry_line(line: bytes, number: int) -> tuple[int, bytes, bytes]:
    """``(seq, leaf_hash, body)`` of one ``entries.jsonl`` line without its newline (``number`` is
    1-based, for messages)."""
    m = _ENTRY_PREFIX.match(line)
    if m is None or line[-1:] != b"}":
        raise malformed(ENTRIES, number, *BAD_PREFIX)
    seq_digits, leaf_hex = m.groups()
    seq = int(seq_digits)
    if seq > MAX_SIZE:
        raise malformed(ENTRIES, number, *BAD_PREFIX)
    return seq, a2b_hex(leaf_hex), line[m.end() : -1]


_BODY_AT = len(b'{"seq":,"leaf_hash":"","entry":') + 2 * HASH_SIZE  # where the body starts, less seq's digits


def entry_body(line: bytes, seq: int) -> bytes:
    """The body of line ``seq`` *if the line is well formed*: it starts at a fixed offset once the
    sequence number is known. Only for a reader that runs alongside :func:`parse_entry_line` over the
    same lines, which refuses a malformed line first (the verifier's meaning pass); on a malformed
    line this returns some other bytes, which are then refused or ignored, never trusted."""
    return line[_BODY_AT + len(str(seq)) : -1]


@dataclass(frozen=True, slots=True)
class CheckpointLine:
    size: int
    root: bytes
    note: str
    consistency: tuple[bytes, ...]


def _hash(value: Any) -> bytes | None:
    if isinstance(value, str) and _HEX64.fullmatch(value):
        return bytes.fromhex(value)
    return None


def parse_checkpoint_line(line: bytes, number: int) -> CheckpointLine:
    """One ``checkpoints.jsonl`` line, without its newline."""
    try:
        body = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise malformed(CHECKPOINTS, number, "bukan JSON", "not JSON") from None
    if not isinstance(body, dict) or set(body) != {"size", "root", "note", "consistency"}:
        raise malformed(CHECKPOINTS, number, "kolom harus size, root, note, consistency",
                        "members must be size, root, note, consistency")
    size, root, note, proof = body["size"], _hash(body["root"]), body["note"], body["consistency"]
    if type(size) is not int or not 0 <= size <= MAX_SIZE or root is None or not isinstance(note, str):
        raise malformed(CHECKPOINTS, number, "size, root atau note tidak sah", "invalid size, root or note")
    if not isinstance(proof, list) or len(proof) > _PROOF_LIMIT:
        raise malformed(CHECKPOINTS, number, "bukti konsistensi bukan daftar pendek", "the consistency proof is not a short list")
    hashes = [_hash(h) for h in proof]
    if any(h is None for h in hashes):
        raise malformed(CHECKPOINTS, number, "hash bukti tidak sah", "invalid proof hash")
    return CheckpointLine(size, root, note, tuple(h for h in hashes if h is not None and len(h) == HASH_SIZE))


@dataclass(frozen=True, slots=True)
class Manifest:
    origin: str
    vkey: str
    size: int
    entries: int
    checkpoints: int
    exported_at: str

    def to_json(self) -> bytes:
        body = {"format": FORMAT, "version": VERSION, "origin": self.origin, "vkey": self.vkey, "size": self.size,
                "entries": self.entries, "checkpoints": self.checkpoints, "exported_at": self.exported_at}
        return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def parse_manifest(raw: bytes) -> Manifest:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise malformed(MANIFEST, 1, "bukan JSON", "not JSON") from None
    want = {"format", "version", "origin", "vkey", "size", "entries", "checkpoints", "exported_at"}
    if not isinstance(body, dict) or set(body) != want or body["format"] != FORMAT or body["version"] != VERSION:
        raise malformed(MANIFEST, 1, f"bukan manifes {FORMAT} versi {VERSION}", f"not a {FORMAT} version {VERSION} manifest")
    counts = [body[k] for k in ("size", "entries", "checkpoints")]
    texts = [body[k] for k in ("origin", "vkey", "exported_at")]
    if any(type(c) is not int or not 0 <= c <= MAX_SIZE for c in counts) or not all(isinstance(t, str) for t in texts):
        raise malformed(MANIFEST, 1, "kolom manifes tidak sah", "invalid manifest members")
    return Manifest(body["origin"], body["vkey"], body["size"], body["entries"], body["checkpoints"], body["exported_at"])
