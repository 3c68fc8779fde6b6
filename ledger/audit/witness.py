"""An auditor's witness: keeps every checkpoint of one log it is shown and refuses any that rewrites history.

The witness pins one log (origin) and its verifier key. A checkpoint is accepted only if its signature
verifies under the pinned key, it names the pinned origin, and it extends the last accepted one: a
larger size with a verifying consistency proof from it, or the same size and root (a repeat, accepted
without a new record). A smaller size (rollback), the same size with another root (fork), or a proof
that does not verify (history rewritten and re-signed) is refused with the reason named. Refused
checkpoints are kept too: a validly signed fork is the evidence an auditor needs.

Directory layout (plain files, readable without this code)::

    witness.json          {"origin": ..., "vkey": ...}   pinned at init, never changed
    state.json            {"latest": N}                  sequence of the last accepted record
    accepted/0000000N.json  {"seq", "seen_at", "size", "root", "note", "proof"}
    refused/0000000N.json   {"seq", "seen_at", "reason", "message_id", "message_en", "note", "proof"}
    witness.lock          flock'd while a checkpoint is submitted

Records are written atomically (temporary file, fsync, rename), the record before the state; a record
found past the state's number (a crash in between) was complete and checked, and counts.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ledger.audit.checkpoint import Checkpoint, SignedCheckpoint, open_checkpoint, verify_consistency_between
from ledger.audit.errors import (
    AuditError,
    CheckpointError,
    NoteError,
    ProofError,
    RefusalReason,
    Text,
    WitnessError,
    WitnessRefusal,
)
from ledger.audit.note import NoteVerifier, b64decode_strict, b64encode

log = logging.getLogger("ledger.audit.witness")

MAX_NOTE_BYTES = 64 * 1024
MAX_PROOF_HASHES = 2 * 64  # a consistency proof between uint64 sizes never needs more
CONFIG, STATE, LOCK = "witness.json", "state.json", "witness.lock"
NOT_TEXT = Text("checkpoint harus berupa teks", "a checkpoint must be text")
PROOF_SHAPE = Text("bukti harus daftar hash yang pendek", "the proof must be a short list of hashes")


@dataclass(frozen=True)
class WitnessRecord:
    """An accepted checkpoint as the witness keeps it; ``new`` is False for a repeat of the latest."""

    seq: int
    checkpoint: Checkpoint
    note: str
    proof: tuple[bytes, ...]
    seen_at: datetime
    new: bool = True


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Witness:
    """The file-backed witness of one log; open an existing directory, or create one with :meth:`init`."""

    def __init__(self, directory: Path | str, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.directory = Path(directory)
        self._clock = clock
        try:
            config = json.loads((self.directory / CONFIG).read_text("utf-8"))
            self.origin: str = config["origin"]
            self.verifier = NoteVerifier.from_vkey(config["vkey"])
        except FileNotFoundError:
            raise WitnessError("witness_missing", path=str(self.directory)) from None
        except (ValueError, KeyError, TypeError, AuditError):
            raise self._corrupt(f"{CONFIG} tidak terbaca", f"{CONFIG} unreadable") from None

    @classmethod
    def init(
        cls,
        directory: Path | str,
        vkey: str,
        origin: str | None = None,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> Witness:
        """Create a witness for the log ``origin`` (default: the key's name) signed by ``vkey``."""
        directory = Path(directory)
        verifier = NoteVerifier.from_vkey(vkey)
        origin = verifier.name if origin is None else origin
        Checkpoint(origin, 0, bytes(32))  # validates the origin line
        if (directory / CONFIG).exists():
            raise WitnessError("witness_exists", path=str(directory))
        for sub in ("accepted", "refused"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        _write_json(directory / STATE, {"latest": 0})
        _write_json(directory / CONFIG, {"origin": origin, "vkey": verifier.vkey})
        return cls(directory, clock=clock)

    # ----------------------------------------------------------------------------------------
    # reading

    def latest(self) -> WitnessRecord | None:
        """The last accepted checkpoint, or None before the first."""
        seq = self._latest_seq()
        return self._record(seq) if seq else None

    def history(self) -> Iterator[WitnessRecord]:
        """Every accepted checkpoint, oldest first."""
        for seq in range(1, self._latest_seq() + 1):
            yield self._record(seq)

    def check_store(self) -> int:
        """Re-verify every kept checkpoint and the proof chain between them; the number checked."""
        previous: WitnessRecord | None = None
        count = 0
        for record in self.history():
            if previous is not None:
                try:
                    _extends(previous.checkpoint, record.checkpoint, record.proof)
                except WitnessRefusal as exc:
                    n, why = record.seq, exc.text
                    raise self._corrupt(f"catatan {n}: {why.id}", f"record {n}: {why.en}") from None
            previous, count = record, count + 1
        return count

    # ----------------------------------------------------------------------------------------
    # submitting

    def submit(self, note: bytes | str, proof: Sequence[bytes] = ()) -> WitnessRecord:
        """Accept ``note`` if it extends the last accepted checkpoint (``proof``: consistency from it).

        Raises :class:`WitnessRefusal` with the reason, after keeping the refused note.
        """
        with self._locked():
            try:
                return self._accept(note, proof)
            except WitnessRefusal as refusal:
                self._keep_refused(note, proof, refusal)
                log.warning("witness.refused origin=%s reason=%s", self.origin, refusal.reason.name.lower())
                raise

    def _accept(self, note: bytes | str, proof: Sequence[bytes]) -> WitnessRecord:
        checked_proof = _check_proof_input(proof)
        signed = self._open(note)
        new = signed.checkpoint
        last = self.latest()
        if last is not None:
            if new.size == last.checkpoint.size and new.root_hash == last.checkpoint.root_hash:
                return WitnessRecord(last.seq, last.checkpoint, last.note, last.proof, last.seen_at, new=False)
            _extends(last.checkpoint, new, checked_proof)
        seq = (last.seq if last else 0) + 1
        record = WitnessRecord(seq, new, signed.note, checked_proof, self._clock())
        _write_json(self._path("accepted", seq), _record_json(record))
        _write_json(self.directory / STATE, {"latest": seq})
        root = b64encode(new.root_hash)
        log.info("witness.accepted origin=%s seq=%d size=%d root=%s", self.origin, seq, new.size, root)
        return record

    def _open(self, note: bytes | str) -> SignedCheckpoint:
        if not isinstance(note, (bytes, str)):
            raise WitnessRefusal(RefusalReason.MALFORMED, detail=NOT_TEXT)
        size = len(note.encode("utf-8", "replace") if isinstance(note, str) else note)
        if size > MAX_NOTE_BYTES:
            why = Text(f"{size} byte, maksimal {MAX_NOTE_BYTES}", f"{size} bytes, at most {MAX_NOTE_BYTES}")
            raise WitnessRefusal(RefusalReason.MALFORMED, detail=why)
        try:
            return open_checkpoint(note, self.verifier, self.origin)
        except NoteError as exc:
            if exc.code == "malformed_note":
                raise WitnessRefusal(RefusalReason.MALFORMED, detail=exc.text) from None
            raise WitnessRefusal(RefusalReason.BAD_SIGNATURE, detail=exc.text) from None
        except CheckpointError as exc:
            if exc.code == "wrong_origin":
                raise WitnessRefusal(RefusalReason.WRONG_ORIGIN, **exc.fields) from None
            raise WitnessRefusal(RefusalReason.MALFORMED, detail=exc.text) from None

    def _keep_refused(self, note: bytes | str, proof: Sequence[bytes], refusal: WitnessRefusal) -> None:
        refused = sorted(self.directory.joinpath("refused").glob("*.json"))
        seq = int(refused[-1].stem) + 1 if refused else 1
        if isinstance(note, bytes):
            text = note.decode("utf-8", "backslashreplace")
        elif isinstance(note, str):
            text = note.encode("utf-8", "backslashreplace").decode("utf-8")
        else:
            text = repr(note)[:200]
        body = {
            "seq": seq,
            "seen_at": self._clock().isoformat(),
            "reason": refusal.reason.name.lower(),
            "message_id": refusal.message_id,
            "message_en": refusal.message_en,
            "note": text[:MAX_NOTE_BYTES],
            "proof": [b64encode(p) if isinstance(p, bytes) else repr(p)[:100] for p in _first(proof)],
        }
        _write_json(self._path("refused", seq), body)

    # ----------------------------------------------------------------------------------------
    # files

    def _path(self, kind: str, seq: int) -> Path:
        return self.directory / kind / f"{seq:08d}.json"

    def _latest_seq(self) -> int:
        try:
            seq = json.loads((self.directory / STATE).read_text("utf-8"))["latest"]
        except (OSError, ValueError, KeyError, TypeError):
            raise self._corrupt(f"{STATE} tidak terbaca", f"{STATE} unreadable") from None
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
            raise self._corrupt(f"{STATE} tidak berisi nomor catatan", f"{STATE} holds no record number")
        while self._path("accepted", seq + 1).exists():  # written, then a crash before the state: roll forward
            seq += 1
        return seq

    def _record(self, seq: int) -> WitnessRecord:
        try:
            body = json.loads(self._path("accepted", seq).read_text("utf-8"))
            signed = open_checkpoint(body["note"], self.verifier, self.origin)
            proof = tuple(b64decode_strict(p) for p in body["proof"])
            seen_at = datetime.fromisoformat(body["seen_at"])
        except (OSError, ValueError, KeyError, TypeError, AuditError):
            raise self._corrupt(f"catatan {seq} tak terbaca/tak sah", f"record {seq} unreadable or invalid") from None
        if body.get("seq") != seq or seen_at.tzinfo is None:
            raise self._corrupt(f"catatan {seq}: nomor salah/tanpa zona", f"record {seq}: wrong number or no zone")
        return WitnessRecord(seq, signed.checkpoint, signed.note, proof, seen_at)

    def _corrupt(self, reason_id: str, reason_en: str) -> WitnessError:
        return WitnessError("witness_corrupt", path=str(self.directory), reason=Text(reason_id, reason_en))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with open(self.directory / LOCK, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def _first(items: Any, limit: int = MAX_PROOF_HASHES) -> list[Any]:
    """The first ``limit`` items of whatever was passed as a proof, for the refusal record."""
    try:
        return list(items)[:limit] if not isinstance(items, (bytes, str)) else [items]
    except TypeError:
        return [items]


def _check_proof_input(proof: Any) -> tuple[bytes, ...]:
    if isinstance(proof, (bytes, str)) or not isinstance(proof, Sequence) or len(proof) > MAX_PROOF_HASHES:
        raise WitnessRefusal(RefusalReason.MALFORMED, detail=PROOF_SHAPE)
    return tuple(proof)


def _extends(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """Raise :class:`WitnessRefusal` unless ``new`` extends ``old`` by ``proof``."""
    if new.size < old.size:
        raise WitnessRefusal(RefusalReason.ROLLBACK, size=new.size, last_size=old.size)
    if new.size == old.size and new.root_hash != old.root_hash:
        raise WitnessRefusal(RefusalReason.FORK, size=new.size)
    try:
        verify_consistency_between(old, new, proof)
    except ProofError as exc:
        raise WitnessRefusal(RefusalReason.INCONSISTENT, last_size=old.size, detail=exc.text) from None


def _record_json(record: WitnessRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "seen_at": record.seen_at.astimezone(timezone.utc).isoformat(),
        "size": record.checkpoint.size,
        "root": b64encode(record.checkpoint.root_hash),
        "note": record.note,
        "proof": [b64encode(p) for p in record.proof],
    }


def _write_json(path: Path, body: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(body, f, indent=2, ensure_ascii=False)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
