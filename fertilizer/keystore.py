"""Where farmers' data keys live: outside the main database (DESIGN §3, §5; UU 27/2022 PDP).

:class:`KeyStore` is the seam an HSM or a KMS can fill. :class:`FileKeyStore` is the default: a
directory (mode 0700) holding

* ``master.key``  the key-encryption key (KEK, 32 bytes, mode 0600);
* ``lookup.key``  the HMAC key for NIK lookup hashes (32 bytes, mode 0600);
* ``farmer-keys.sqlite3``  every farmer's data key wrapped under the KEK (AES-256-GCM, the farmer
  id as associated data), plus tombstones of destroyed keys. One SQLite file, not one file per
  farmer: creating 55,289 keys is one transaction and one fsync (docs/fertilizer.md has the figures).

Key files are created atomically (written, fsynced, then hard-linked into place, so two processes
can never install different keys). Destroying a key (crypto-shredding) deletes its row with
``secure_delete`` on and checkpoints the WAL, so the live files keep no copy; a tombstone keeps the
id from ever being given a new key. Residual copies in freed disk blocks stay wrapped under the KEK
(docs/fertilizer.md, "Limits of shredding on a file system").
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from fertilizer.errors import KeyStoreError
from fertilizer.vault import KEY_BYTES, NONCE_BYTES, new_data_key

KEYS_DB = "farmer-keys.sqlite3"
MASTER_KEY = "master.key"
LOOKUP_KEY = "lookup.key"
_CHUNK = 500


@runtime_checkable
class KeyStore(Protocol):
    def lookup_key(self) -> bytes:
        """The HMAC key for NIK lookup hashes (never a farmer's data key)."""
        ...

    def create(self, farmer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        """New data keys for farmers that never had one, all or none, durably stored."""
        ...

    def get(self, farmer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        """The data keys that exist; destroyed or unknown ids are absent from the answer."""
        ...

    def destroy(self, farmer_id: uuid.UUID) -> bool:
        """Destroy a farmer's key for ever; True when a key was destroyed now."""
        ...

    def close(self) -> None: ...


def _exists_error(ids: Iterable[uuid.UUID]) -> KeyStoreError:
    return KeyStoreError(
        "key_exists",
        "Petani ini sudah (atau pernah) punya kunci data; kunci tidak dibuat ulang.",
        "This farmer has (or had) a data key; keys are never made again.",
        farmer_ids=sorted(str(i) for i in ids),
    )


class MemoryKeyStore:
    """The same contract in memory, for unit tests and throwaway demos (keys die with the process)."""

    def __init__(self) -> None:
        self._lookup = new_data_key()
        self._keys: dict[uuid.UUID, bytes] = {}
        self._destroyed: set[uuid.UUID] = set()

    def lookup_key(self) -> bytes:
        return self._lookup

    def create(self, farmer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        taken = [i for i in farmer_ids if i in self._keys or i in self._destroyed]
        if taken or len(set(farmer_ids)) != len(farmer_ids):
            raise _exists_error(taken or farmer_ids)
        made = {i: new_data_key() for i in farmer_ids}
        self._keys.update(made)
        return made

    def get(self, farmer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        return {i: self._keys[i] for i in farmer_ids if i in self._keys}

    def destroy(self, farmer_id: uuid.UUID) -> bool:
        self._destroyed.add(farmer_id)
        return self._keys.pop(farmer_id, None) is not None

    def close(self) -> None:
        self._keys.clear()


def _check_private(path: Path, want_dir: bool) -> None:
    st = path.stat()
    if want_dir != stat.S_ISDIR(st.st_mode) or st.st_mode & 0o077 or st.st_uid != os.geteuid():
        raise KeyStoreError(
            "unsafe_key_store",
            f"Berkas kunci {path} harus milik pengguna ini dengan izin {'0700' if want_dir else '0600'}.",
            f"Key store path {path} must belong to this user with mode {'0700' if want_dir else '0600'}.",
            path=str(path),
        )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _load_or_create_key(path: Path) -> bytes:
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, new_data_key())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            with contextlib.suppress(FileExistsError):  # a concurrent creator's key won: use it
                os.link(tmp, path)  # atomic create-if-absent, never two different keys
        finally:
            tmp.unlink()
        _fsync_dir(path.parent)
    _check_private(path, want_dir=False)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise KeyStoreError("corrupt_key_file", f"Berkas kunci {path} rusak.", f"Key file {path} is corrupt.", path=str(path))
    return key


class FileKeyStore:
    """The default key store: one private directory (see the module docstring)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        if not self.directory.exists():
            self.directory.mkdir(parents=True, mode=0o700)
            os.chmod(self.directory, 0o700)  # mkdir's mode is filtered by the umask
        _check_private(self.directory, want_dir=True)
        self._kek = AESGCM(_load_or_create_key(self.directory / MASTER_KEY))
        self._lookup = _load_or_create_key(self.directory / LOOKUP_KEY)
        self._lock = threading.Lock()
        self._db = self._open_db(self.directory / KEYS_DB)

    @staticmethod
    def _open_db(path: Path) -> sqlite3.Connection:
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))  # SQLite's -wal/-shm copy this mode
        _check_private(path, want_dir=False)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "secure_delete=ON", "busy_timeout=30000"):
            db.execute(f"PRAGMA {pragma}")
        db.execute("CREATE TABLE IF NOT EXISTS data_keys (farmer_id BLOB PRIMARY KEY, wrapped BLOB NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE IF NOT EXISTS destroyed (farmer_id BLOB PRIMARY KEY, at TEXT NOT NULL) WITHOUT ROWID")
        return db

    def _wrap(self, farmer_id: uuid.UUID, key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._kek.encrypt(nonce, key, b"sutasoma/keystore/v1/" + farmer_id.bytes)

    def _unwrap(self, farmer_id: uuid.UUID, wrapped: bytes) -> bytes:
        try:
            return self._kek.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], b"sutasoma/keystore/v1/" + farmer_id.bytes)
        except InvalidTag:
            raise KeyStoreError(
                "corrupt_wrapped_key", "Kunci data petani rusak atau bukan milik petani ini.",
                "A farmer's wrapped data key is corrupt or belongs to another farmer.", farmer_id=str(farmer_id),
            ) from None

    def lookup_key(self) -> bytes:
        return self._lookup

    def create(self, farmer_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        if len(set(farmer_ids)) != len(farmer_ids):
            raise _exists_error(farmer_ids)
        made = {i: new_data_key() for i in farmer_ids}
        rows = [(i.bytes, self._wrap(i, k)) for i, k in made.items()]
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                taken = self._known(farmer_ids)
                if taken:
                    raise _exists_error(taken)
                self._db.executemany("INSERT INTO data_keys (farmer_id, wrapped) VALUES (?, ?)", rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return made

    def _known(self, farmer_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        found: list[uuid.UUID] = []
        for start in range(0, len(farmer_ids), _CHUNK):
            chunk = [i.bytes for i in farmer_ids[start : start + _CHUNK]]
            marks = ",".join("?" * len(chunk))
            for table in ("data_keys", "destroyed"):
                cur = self._db.execute(f"SELECT farmer_id FROM {table} WHERE farmer_id IN ({marks})", chunk)
                found.extend(uuid.UUID(bytes=r[0]) for r in cur)
        return found

    def get(self, farmer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        ids = list(farmer_ids)
        out: dict[uuid.UUID, bytes] = {}
        with self._lock:
            for start in range(0, len(ids), _CHUNK):
                chunk = [i.bytes for i in ids[start : start + _CHUNK]]
                marks = ",".join("?" * len(chunk))
                for raw, wrapped in self._db.execute(f"SELECT farmer_id, wrapped FROM data_keys WHERE farmer_id IN ({marks})", chunk):
                    fid = uuid.UUID(bytes=raw)
                    out[fid] = self._unwrap(fid, wrapped)
        return out

    def destroy(self, farmer_id: uuid.UUID) -> bool:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                gone = self._db.execute("DELETE FROM data_keys WHERE farmer_id = ?", (farmer_id.bytes,)).rowcount
                self._db.execute(
                    "INSERT OR IGNORE INTO destroyed (farmer_id, at) VALUES (?, ?)",
                    (farmer_id.bytes, datetime.now(timezone.utc).isoformat()),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return gone > 0

    def close(self) -> None:
        with self._lock:
            self._db.close()
