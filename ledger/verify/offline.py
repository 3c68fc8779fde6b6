"""Verifying an export directory with nothing but the export (and, better, the published key).

Constant memory for the log (a compact range) plus the replay's accounts and journal ids:

1. the manifest and the key; every checkpoint's signature under the key and its origin, sizes never
   decreasing, and the consistency proof each checkpoint line carries from the one before;
2. every entry line in sequence order: its leaf hash recomputed from the body, the tree root at every
   checkpoint's size recomputed (:class:`~ledger.audit.verify.LogVerifier`), the body canonical and
   meaningful (:class:`~ledger.verify.replay.Replay`);
3. the end: entries exactly up to the last checkpoint, counts as the manifest says, every limited
   account within its limit and every asset summing to zero.

Step 2 is two passes over ``entries.jsonl`` that share nothing: the *tree pass* (:func:`check_tree`:
each line's form, its sequence number, its leaf hash, the roots) and the *meaning pass*
(:func:`check_meaning`: each body decoded, canonical, replayed). On a large export with two cores they
run at once, the tree pass in a worker process; otherwise one after the other. Either way the report
is the one a single pass would give: each pass stops at its first problem and says at which line; the
earlier line wins, and on the same line the tree pass's problem (it checks the line's form first).

The first problem raises :class:`~ledger.audit.errors.LogVerificationError` naming the entry (its
sequence number), the checkpoint or the file line, and why.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

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


END = 1 << 64  # the position of the checks after the last line: after every line's own checks


@dataclass(frozen=True)
class Failure:
    """The first problem a pass found, at ``position``: the 1-based line it concerns, or :data:`END`.
    Kept as class, code and fields (an :class:`AuditError` does not cross a process boundary)."""

    position: int
    error_type: type[AuditError]
    code: str
    fields: dict[str, Any]

    @classmethod
    def of(cls, position: int, exc: AuditError) -> Failure:
        return cls(position, type(exc), exc.code, exc.fields)

    def error(self) -> AuditError:
        return self.error_type(self.code, **self.fields)


@dataclass(frozen=True)
class TreePass:
    lines: int
    log: VerifiedLog | None
    failure: Failure | None


def check_tree(directory: Path, vkey: str, notes: Sequence[str]) -> TreePass:
    """The tree pass: every line of ``entries.jsonl`` strictly parsed (:func:`~ledger.verify.format.parse_entry_line`),
    its sequence number, its leaf hash recomputed from the body, the root at every checkpoint, and the
    log's end at the last checkpoint. A module-level function of plain arguments: it runs in a worker."""
    log = LogVerifier(NoteVerifier.from_vkey(vkey), notes)
    done = 0  # lines fully checked: a problem raised now concerns line done + 1
    try:
        for number, line in read_lines(directory / fmt.ENTRIES, fmt.MAX_ENTRY_LINE):
            seq, leaf, body = fmt.parse_entry_line(line, number)
            log.add(body, seq=seq, leaf_hash=leaf)
            done = number
    except AuditError as exc:
        return TreePass(done, None, Failure.of(done + 1, exc))
    try:
        return TreePass(done, log.finish(), None)
    except AuditError as exc:
        return TreePass(done, None, Failure.of(END, exc))


@dataclass(frozen=True)
class MeaningPass:
    lines: int
    replay: Replay
    failure: Failure | None


def check_meaning(directory: Path, progress: Callable[[int], None] | None = None) -> MeaningPass:
    """The meaning pass: every body decoded and checked canonical (:func:`~ledger.verify.entries.decode_entry`)
    and replayed in order. It reads line ``n`` as entry ``n - 1`` and takes the body at its fixed offset
    (:func:`~ledger.verify.format.entry_body`): the tree pass proves both, and refuses a line where
    they do not hold, at that line or earlier, which then wins."""
    replay = Replay()
    done = 0
    try:
        for number, line in read_lines(directory / fmt.ENTRIES, fmt.MAX_ENTRY_LINE):
            seq = number - 1
            replay.add(seq, decode_entry(fmt.entry_body(line, seq), seq))
            done = number
            if progress is not None and not number & 0xFFFF:
                progress(number)
    except AuditError as exc:
        return MeaningPass(done, replay, Failure.of(done + 1, exc))
    return MeaningPass(done, replay, None)


PARALLEL_FROM = 32 << 20  # bytes of entries.jsonl; below, a worker's start-up (~0.5 s) costs more than it saves


def _in_parallel(path: Path) -> bool:
    try:
        large = path.stat().st_size >= PARALLEL_FROM
    except OSError:
        return False  # the passes name the unreadable file
    return large and len(os.sched_getaffinity(0)) >= 2


def _run_passes(directory: Path, vkey: str, notes: Sequence[str], progress: Callable[[int], None] | None,
                parallel: bool) -> tuple[TreePass, MeaningPass]:
    if not parallel:
        return check_tree(directory, vkey, notes), check_meaning(directory, progress)
    # spawn, not fork: the worker starts clean (no inherited connections, threads or memory)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        tree = pool.apply_async(check_tree, (directory, vkey, list(notes)))
        meaning = check_meaning(directory, progress)
        return tree.get(), meaning


def verify_export(directory: Path | str, *, vkey: str | None = None, known: Sequence[str] = (),
                  progress: Callable[[int], None] | None = None, parallel: bool | None = None) -> ExportReport:
    """Verify the export in ``directory``; ``vkey`` pins the log's key (else the export's own is used);
    ``known`` are checkpoint notes seen elsewhere (a witness's), which the log must reach and match.
    ``parallel`` runs the tree pass in a worker process (default: for a large export on two cores)."""
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
    notes = with_known(verifier, [c.note for c in checkpoints], known)
    LogVerifier(verifier, notes)  # opens every checkpoint: a bad one is named before any entry is read
    if parallel is None:
        parallel = _in_parallel(directory / fmt.ENTRIES)
    tree, meaning = _run_passes(directory, verifier.vkey, notes, progress, parallel)
    failures = [f for f in (tree.failure, meaning.failure) if f is not None]
    if failures:
        raise min(failures, key=lambda f: f.position).error()  # min keeps the first: the tree pass on a tie
    assert tree.log is not None
    summary = meaning.replay.finish(lambda: _entries(directory))
    if tree.lines != manifest.entries or tree.log.size != manifest.size:
        raise LogVerificationError("export_incomplete", file=fmt.ENTRIES, got=tree.lines, want=manifest.entries)
    if len(checkpoints) != manifest.checkpoints:
        raise LogVerificationError("export_incomplete", file=fmt.CHECKPOINTS, got=len(checkpoints), want=manifest.checkpoints)
    return ExportReport(tree.log, summary, verifier.vkey, key_from_export=not pinned)
