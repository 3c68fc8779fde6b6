"""Verifying an export directory with nothing but the export (and, better, the published key).

In one pass, constant memory for the log (a compact range) plus the replay's accounts and journal ids:

1. the manifest and the key; every checkpoint's signature under the key and its origin, sizes never
   decreasing, and the consistency proof each checkpoint line carries from the one before;
2. every entry line in sequence order: its leaf hash recomputed from the body, the tree root at every
   checkpoint's size recomputed (:class:`~ledger.audit.verify.LogVerifier`), the body canonical and
   meaningful (:class:`~ledger.verify.replay.Replay`);
3. the end: entries exactly up to the last checkpoint, counts as the manifest says, every limited
   account within its limit and every asset summing to zero.

The first problem raises :class:`~ledger.audit.errors.LogVerificationError` naming the entry (its
sequence number), the checkpoint or the file line, and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ledger.audit.checkpoint import Checkpoint, open_checkpoint, verify_consistency_between
from ledger.audit.errors import AuditError, LogVerificationError, Text
from ledger.audit.note import NoteVerifier, Verifiers
from ledger.audit.verify import LogVerifier, VerifiedLog
from ledger.verify import format as fmt
from ledger.verify.entries import Entry, decode_entry
from ledger.verify.replay import Replay, ReplaySummary


@dataclass(frozen=True)
class ExportReport:
    """What a verified export vouches for; ``key_from_export`` warns that the key was not pinned."""

    log: VerifiedLog
    replay: ReplaySummary
    vkey: str
    key_from_export: bool


def _unreadable(path: Path, why_id: str, why_en: str) -> LogVerificationError:
    return LogVerificationError("export_unreadable", path=str(path), reason=Text(why_id, why_en))


def _open(path: Path) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise _unreadable(path, f"tidak dapat dibuka ({exc.strerror})", f"cannot be opened ({exc.strerror})") from None


READ_CHUNK = 1 << 20


def read_lines(path: Path, limit: int) -> Iterator[tuple[int, bytes]]:
    """(1-based number, line without its newline) for each line. A line longer than ``limit`` bytes,
    or a last line without its newline (a truncated file), is refused by name."""
    with _open(path) as f:
        number, rest = 0, b""
        while chunk := f.read(READ_CHUNK):
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            if len(rest) > limit:
                raise fmt.malformed(path.name, number + len(lines) + 1, "baris terlalu panjang", "line too long")
            for line in lines:
                number += 1
                if len(line) > limit:
                    raise fmt.malformed(path.name, number, "baris terlalu panjang", "line too long")
                yield number, line
        if rest:
            raise fmt.malformed(path.name, number + 1, *fmt.NOT_LINE)


def _manifest(directory: Path) -> fmt.Manifest:
    with _open(directory / fmt.MANIFEST) as f:
        raw = f.read(fmt.MAX_MANIFEST + 1)
    if len(raw) > fmt.MAX_MANIFEST:
        raise fmt.malformed(fmt.MANIFEST, 1, "terlalu besar", "too large")
    return fmt.parse_manifest(raw)


def _verifier(vkey: str, *, pinned: bool) -> NoteVerifier:
    try:
        return NoteVerifier.from_vkey(vkey.strip())
    except AuditError as exc:
        where = "--vkey" if pinned else fmt.VKEY
        raise _unreadable(Path(where), exc.message_id, exc.message_en) from None


def _checkpoints(directory: Path, verifier: NoteVerifier) -> list[fmt.CheckpointLine]:
    lines: list[fmt.CheckpointLine] = []
    previous: Checkpoint | None = None
    for number, raw in read_lines(directory / fmt.CHECKPOINTS, fmt.MAX_CHECKPOINT_LINE):
        line = fmt.parse_checkpoint_line(raw, number)
        try:
            opened = open_checkpoint(line.note, verifier).checkpoint
        except AuditError as exc:
            raise LogVerificationError("bad_checkpoint", position=number, detail=exc.text) from None
        if (opened.size, opened.root_hash) != (line.size, line.root):
            raise fmt.malformed(fmt.CHECKPOINTS, number, "size/root berbeda dari catatan bertanda tangan",
                                "size/root differ from the signed note")
        if previous is not None:
            try:
                verify_consistency_between(previous, opened, line.consistency)
            except AuditError as exc:
                raise LogVerificationError("checkpoint_inconsistent", position=number, size=line.size,
                                           detail=exc.text) from None
        elif line.consistency:
            raise fmt.malformed(fmt.CHECKPOINTS, number, "checkpoint pertama tanpa bukti", "the first checkpoint has no proof")
        previous = opened
        lines.append(line)
    return lines


def with_known(verifier: Verifiers, notes: Sequence[str], known: Sequence[str]) -> list[str]:
    """The log's checkpoint notes merged (by size) with checkpoints seen elsewhere (a witness's latest):
    the log must reach each known checkpoint (else it was rolled back) and agree with it there (else it
    forked, caught by :class:`~ledger.audit.verify.LogVerifier`)."""
    if not known:
        return list(notes)
    sizes = []
    for note in notes:
        try:
            sizes.append(open_checkpoint(note, verifier).checkpoint.size)
        except AuditError:
            sizes.append(-1)  # LogVerifier names this checkpoint and why
    merged = list(zip(sizes, notes))
    for note in known:
        try:
            checkpoint = open_checkpoint(note, verifier).checkpoint
        except AuditError as exc:
            raise LogVerificationError("known_checkpoint_invalid", detail=exc.text) from None
        last = max(sizes, default=0)
        if checkpoint.size > last:
            raise LogVerificationError("log_rolled_back", size=last, known=checkpoint.size)
        merged.append((checkpoint.size, note))
    merged.sort(key=lambda sn: sn[0])
    return [note for _, note in merged]


def _entries(directory: Path) -> Iterator[tuple[int, Entry]]:
    """The entries again, for the replay's second look at journal ids whose fingerprints repeat."""
    for number, line in read_lines(directory / fmt.ENTRIES, fmt.MAX_ENTRY_LINE):
        seq, _, body = fmt.parse_entry_line(line, number)
        yield seq, decode_entry(body, seq)


def verify_export(directory: Path | str, *, vkey: str | None = None, known: Sequence[str] = (),
                  progress: Callable[[int], None] | None = None) -> ExportReport:
    """Verify the export in ``directory``; ``vkey`` pins the log's key (else the export's own is used);
    ``known`` are checkpoint notes seen elsewhere (a witness's), which the log must reach and match."""
    directory = Path(directory)
    if not directory.is_dir():
        raise _unreadable(directory, "bukan direktori", "not a directory")
    manifest = _manifest(directory)
    pinned = vkey is not None
    if vkey is None:
        with _open(directory / fmt.VKEY) as f:
            vkey = f.read(4096).decode("utf-8", "replace")
    verifier = _verifier(vkey, pinned=pinned)
    checkpoints = _checkpoints(directory, verifier)
    log = LogVerifier(verifier, with_known(verifier, [c.note for c in checkpoints], known))
    replay = Replay()
    count = 0
    for number, line in read_lines(directory / fmt.ENTRIES, fmt.MAX_ENTRY_LINE):
        seq, leaf, body = fmt.parse_entry_line(line, number)
        log.add(body, seq=seq, leaf_hash=leaf)
        replay.add(seq, decode_entry(body, seq))
        count = number
        if progress is not None and not number & 0xFFFF:
            progress(number)
    verified = log.finish()
    summary = replay.finish(lambda: _entries(directory))
    if count != manifest.entries or verified.size != manifest.size:
        raise LogVerificationError("export_incomplete", file=fmt.ENTRIES, got=count, want=manifest.entries)
    if len(checkpoints) != manifest.checkpoints:
        raise LogVerificationError("export_incomplete", file=fmt.CHECKPOINTS, got=len(checkpoints), want=manifest.checkpoints)
    return ExportReport(verified, summary, verifier.vkey, key_from_export=not pinned)
