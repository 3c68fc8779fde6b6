"""Errors of the audit log, rooted in :class:`AuditError` (STYLE habit 4).

Every error carries a stable ``code``, the structured ``fields`` it was raised with, and a message in
Bahasa Indonesia (``message_id``) and English (``message_en``) built from the table below. Messages
never contain key material: callers pass names, paths, sizes and hashes only.

``AuditError`` stands alone for now; once the ledger has its ``LedgerError`` it may become its base.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, NamedTuple


class Text(NamedTuple):
    """A phrase in both languages, for a field that is shown inside a message."""

    id: str
    en: str

# code -> (Bahasa Indonesia, English); placeholders are filled from the error's fields.
MESSAGES: Mapping[str, tuple[str, str]] = {
    # --- Merkle proofs (RFC 6962 / RFC 9162) ---
    "bad_hash": (
        "{what} harus berupa hash SHA-256 32 byte, diterima {got}.",
        "{what} must be a 32-byte SHA-256 hash, got {got}.",
    ),
    "bad_number": (
        "{what} harus bilangan bulat 0..2^64-1, diterima {got}.",
        "{what} must be an integer in 0..2^64-1, got {got}.",
    ),
    "bad_proof_type": (
        "Bukti harus berupa daftar hash, diterima {got}.",
        "A proof must be a list of hashes, got {got}.",
    ),
    "index_out_of_range": (
        "Indeks daun {index} di luar pohon berukuran {size}.",
        "Leaf index {index} is outside a tree of size {size}.",
    ),
    "size_beyond_log": (
        "Ukuran pohon {size} melebihi log yang berisi {log_size} entri.",
        "Tree size {size} is beyond the log, which holds {log_size} entries.",
    ),
    "sizes_reversed": (
        "Ukuran pertama {size1} lebih besar dari ukuran kedua {size2}: log tidak boleh mengecil.",
        "First size {size1} is larger than second size {size2}: a log never shrinks.",
    ),
    "wrong_proof_length": (
        "Panjang bukti salah: {got} hash, seharusnya {want}.",
        "Wrong proof length: {got} hashes, expected {want}.",
    ),
    "root_mismatch": (
        "Hash akar hasil hitung bukti tidak sama dengan akar yang diharapkan.",
        "The root hash computed from the proof does not match the expected root.",
    ),
    "first_root_mismatch": (
        "Bukti konsistensi tidak menghasilkan akar pohon pertama.",
        "The consistency proof does not reproduce the first tree's root.",
    ),
    "second_root_mismatch": (
        "Bukti konsistensi tidak menghasilkan akar pohon kedua.",
        "The consistency proof does not reproduce the second tree's root.",
    ),
    "equal_sizes_roots_differ": (
        "Dua pohon berukuran sama {size} memiliki akar berbeda.",
        "Two trees of the same size {size} have different roots.",
    ),
    "empty_tree_root": (
        "Akar pohon kosong harus SHA-256 dari string kosong.",
        "The root of the empty tree must be the SHA-256 of the empty string.",
    ),
    "store_node_missing": (
        "Penyimpanan hash tidak memiliki simpul ({level}, {index}).",
        "The hash store lacks node ({level}, {index}).",
    ),
    "store_wrong_answer": (
        "Penyimpanan hash menjawab {got} hash sah untuk {asked} simpul yang diminta.",
        "The hash store answered {got} valid hashes for {asked} requested nodes.",
    ),
    # --- signed notes (c2sp.org/signed-note) ---
    "malformed_note": (
        "Catatan bertanda tangan tidak sah: {reason}.",
        "Malformed signed note: {reason}.",
    ),
    "bad_key_name": (
        "Nama kunci tidak sah: harus tidak kosong, tanpa spasi dan tanpa '+'.",
        "Invalid key name: it must be non-empty, without spaces and without '+'.",
    ),
    "malformed_vkey": (
        "Kunci verifikasi tidak sah: {reason}.",
        "Malformed verifier key: {reason}.",
    ),
    "ambiguous_key": (
        "Dua kunci verifikasi sama-sama bernama {name} dengan ID {key_id}.",
        "Two verifier keys share the name {name} and ID {key_id}.",
    ),
    "invalid_signature": (
        "Tanda tangan kunci {name}+{key_id} tidak sah: catatan ditolak.",
        "The signature by key {name}+{key_id} does not verify: note rejected.",
    ),
    "no_verified_signature": (
        "Catatan tidak ditandatangani oleh kunci yang dikenal ({names}).",
        "The note carries no signature by a known key ({names}).",
    ),
    # --- checkpoints (c2sp.org/tlog-checkpoint) ---
    "malformed_checkpoint": (
        "Checkpoint tidak sah: {reason}.",
        "Malformed checkpoint: {reason}.",
    ),
    "wrong_origin": (
        "Checkpoint dari log {got}, seharusnya {want}.",
        "Checkpoint is for log {got}, expected {want}.",
    ),
    # --- key files ---
    "key_exists": (
        "Berkas kunci {path} sudah ada; kunci lama tidak ditimpa.",
        "Key file {path} already exists; an existing key is never overwritten.",
    ),
    "key_missing": (
        "Berkas kunci {path} tidak ditemukan; buat dengan 'kiosk keys init'.",
        "Key file {path} not found; create it with 'kiosk keys init'.",
    ),
    "key_permissions": (
        "Berkas kunci {path} dapat dibaca pengguna lain (mode {mode}); jalankan chmod 600.",
        "Key file {path} is readable by others (mode {mode}); run chmod 600.",
    ),
    "key_malformed": (
        "Berkas kunci {path} bukan kunci privat Ed25519 PEM yang sah.",
        "Key file {path} is not a valid Ed25519 PEM private key.",
    ),
    # --- log verification (the verifier's core) ---
    "entry_out_of_order": (
        "Entri nomor urut {got} muncul di posisi {want}: baris hilang, ganda atau tertukar.",
        "Entry with sequence {got} found at position {want}: a line is missing, repeated or reordered.",
    ),
    "entry_not_bytes": (
        "Entri {seq} bukan deretan byte kanonik.",
        "Entry {seq} is not canonical bytes.",
    ),
    "leaf_hash_mismatch": (
        "Entri {seq} telah diubah: hash daunnya tidak cocok dengan yang disegel.",
        "Entry {seq} was altered: its leaf hash does not match the sealed one.",
    ),
    "checkpoint_root_mismatch": (
        "Akar pohon pada ukuran {size} tidak cocok dengan checkpoint bertanda tangan: "
        "entri {first}..{last} telah diubah, dihapus atau ditukar.",
        "The tree root at size {size} does not match the signed checkpoint: "
        "entries {first}..{last} were altered, deleted or swapped.",
    ),
    "checkpoints_out_of_order": (
        "Checkpoint berukuran {size} muncul setelah checkpoint berukuran {previous}.",
        "Checkpoint of size {size} comes after a checkpoint of size {previous}.",
    ),
    "checkpoint_fork": (
        "Dua checkpoint berukuran {size} memiliki akar berbeda: riwayat log bercabang.",
        "Two checkpoints of size {size} have different roots: the log's history forked.",
    ),
    "log_truncated": (
        "Log berhenti pada {got} entri, tetapi checkpoint menyebut {want} entri.",
        "The log stops after {got} entries, but a checkpoint covers {want}.",
    ),
    "log_extra_entries": (
        "Log berisi {got} entri, lebih banyak dari checkpoint terakhir ({want}).",
        "The log holds {got} entries, more than its last checkpoint ({want}).",
    ),
    "bad_checkpoint": (
        "Checkpoint ke-{position} ditolak: {detail}",
        "Checkpoint number {position} refused: {detail}",
    ),
    "no_checkpoint": (
        "Tidak ada checkpoint untuk diperiksa.",
        "There is no checkpoint to check against.",
    ),
    # --- the log's export and the offline / live verifier (part B) ---
    "export_unreadable": (
        "Ekspor {path} tidak dapat dibaca: {reason}.",
        "Export {path} cannot be read: {reason}.",
    ),
    "export_malformed": (
        "Ekspor rusak di {file} baris {line}: {reason}.",
        "Export damaged at {file} line {line}: {reason}.",
    ),
    "export_incomplete": (
        "Ekspor tidak lengkap: {file} berisi {got} baris, manifes menyebut {want}.",
        "Export incomplete: {file} holds {got} lines, the manifest says {want}.",
    ),
    "checkpoint_inconsistent": (
        "Checkpoint ke-{position} (ukuran {size}) tidak konsisten dengan checkpoint sebelumnya: {detail}",
        "Checkpoint number {position} (size {size}) is not consistent with the one before: {detail}",
    ),
    "entry_malformed": (
        "Entri {seq} tidak sah: {reason}.",
        "Entry {seq} is invalid: {reason}.",
    ),
    "journal_unbalanced": (
        "Entri {seq}: jurnal {journal} tidak seimbang untuk aset {asset} (selisih {difference}).",
        "Entry {seq}: journal {journal} does not balance in asset {asset} (off by {difference}).",
    ),
    "journal_bad_leg": (
        "Entri {seq}: baris {leg} jurnal {journal} tidak sah: {reason}.",
        "Entry {seq}: leg {leg} of journal {journal} is invalid: {reason}.",
    ),
    "journal_repeated": (
        "Entri {seq}: jurnal {journal} diajukan lebih dari sekali.",
        "Entry {seq}: journal {journal} is submitted more than once.",
    ),
    "journal_not_pending": (
        "Entri {seq}: jurnal {journal} berubah status tanpa sedang tertunda.",
        "Entry {seq}: journal {journal} changes state without being pending.",
    ),
    "journal_changed": (
        "Entri {seq}: jurnal {journal} mengubah {field} saat berubah status.",
        "Entry {seq}: journal {journal} changes its {field} along with its state.",
    ),
    "account_repeated": (
        "Entri {seq}: akun {account} dibuka lebih dari sekali.",
        "Entry {seq}: account {account} is opened more than once.",
    ),
    "account_not_open": (
        "Entri {seq}: akun {account} {reason}.",
        "Entry {seq}: account {account} {reason}.",
    ),
    "account_over_limit": (
        "Saldo akun {account} ({asset}) yang dihitung ulang melanggar batasnya ({limit}).",
        "The rebuilt balance of account {account} ({asset}) breaks its limit ({limit}).",
    ),
    "assets_unbalanced": (
        "Saldo yang dihitung ulang untuk aset {asset} tidak berjumlah nol ({difference}).",
        "The rebuilt balances of asset {asset} do not sum to zero ({difference}).",
    ),
    "table_mismatch": (
        "Tabel {table} tidak cocok dengan log untuk {key}: {field} di tabel {table_value}, di log {log_value}.",
        "Table {table} disagrees with the log for {key}: {field} is {table_value} in the table, {log_value} in the log.",
    ),
    "row_missing": (
        "{what} {key} ada di log tetapi hilang dari tabel {table}.",
        "{what} {key} is in the log but missing from table {table}.",
    ),
    "row_unlogged": (
        "{what} {key} di tabel {table} tidak tercatat di log audit.",
        "{what} {key} in table {table} is not recorded in the audit log.",
    ),
    "entry_unsealed": (
        "Entri {entry} tidak disegel dan tidak ada di antrean segel.",
        "Entry {entry} is neither sealed nor queued for sealing.",
    ),
    "sealed_entry_missing": (
        "Entri bernomor urut {seq} telah disegel tetapi barisnya hilang dari ledger_entries.",
        "The entry sealed as sequence {seq} is missing from ledger_entries.",
    ),
    "node_mismatch": (
        "Simpul pohon ({level}, {index}) tersimpan tidak cocok dengan hasil hitung ulang.",
        "The stored tree node ({level}, {index}) does not match its recomputed hash.",
    ),
    "node_count": (
        "Tingkat {level} pohon berisi {got} simpul, seharusnya {want}.",
        "Tree level {level} holds {got} nodes, expected {want}.",
    ),
    "log_rolled_back": (
        "Log berakhir pada checkpoint berukuran {size}, padahal checkpoint berukuran {known} pernah terlihat: "
        "riwayat digulung mundur.",
        "The log ends at a checkpoint of size {size}, but a checkpoint of size {known} was seen before: "
        "history was rolled back.",
    ),
    "known_checkpoint_invalid": (
        "Checkpoint yang diketahui tidak sah: {detail}",
        "The known checkpoint is invalid: {detail}",
    ),
    # --- the database side of the log ---
    "log_tampered": (
        "Log audit di basis data rusak atau diubah: {detail}. Tidak ada checkpoint baru yang ditandatangani.",
        "The audit log in the database is damaged or was altered: {detail}. No new checkpoint is signed.",
    ),
    "checkpoint_not_found": (
        "Tidak ada checkpoint berukuran {size}.",
        "There is no checkpoint of size {size}.",
    ),
    "journal_not_logged": (
        "Jurnal {journal} tidak memiliki entri audit.",
        "Journal {journal} has no audit entry.",
    ),
    "leaf_not_found": (
        "Tidak ada entri tersegel dengan hash daun {leaf_hash}.",
        "No sealed entry has the leaf hash {leaf_hash}.",
    ),
    "entry_not_sealed": (
        "Entri {entry} belum disegel; coba lagi dalam beberapa detik.",
        "Entry {entry} is not sealed yet; try again in a few seconds.",
    ),
    "entry_not_in_checkpoint": (
        "Entri nomor urut {seq} belum tercakup checkpoint berukuran {size}; coba lagi setelah checkpoint berikutnya.",
        "Entry {seq} is not yet covered by the checkpoint of size {size}; try again after the next checkpoint.",
    ),
    "export_target_exists": (
        "Direktori ekspor {path} sudah berisi berkas; pilih direktori kosong.",
        "Export directory {path} is not empty; choose an empty directory.",
    ),
    # --- witness ---
    "witness_exists": (
        "Direktori saksi {path} sudah berisi saksi.",
        "Witness directory {path} already holds a witness.",
    ),
    "witness_missing": (
        "Direktori {path} bukan direktori saksi; buat dengan 'kiosk audit witness init'.",
        "Directory {path} is not a witness directory; create one with 'kiosk audit witness init'.",
    ),
    "witness_corrupt": (
        "Penyimpanan saksi {path} rusak: {reason}.",
        "The witness store {path} is damaged: {reason}.",
    ),
    "witness_rollback": (
        "Checkpoint ditolak: ukuran {size} lebih kecil dari checkpoint terakhir yang diterima ({last_size}).",
        "Checkpoint refused: size {size} is smaller than the last accepted checkpoint ({last_size}).",
    ),
    "witness_fork": (
        "Checkpoint ditolak: ukuran {size} sama dengan yang terakhir diterima, tetapi akarnya berbeda.",
        "Checkpoint refused: same size {size} as the last accepted one, but a different root.",
    ),
    "witness_inconsistent": (
        "Checkpoint ditolak: tidak konsisten dengan checkpoint terakhir ({last_size}); "
        "riwayat mungkin ditulis ulang ({detail}).",
        "Checkpoint refused: not consistent with the last accepted checkpoint ({last_size}); "
        "history may have been rewritten ({detail}).",
    ),
    "witness_bad_signature": (
        "Checkpoint ditolak: tanda tangan tidak sah untuk kunci yang disematkan ({detail}).",
        "Checkpoint refused: no valid signature by the pinned key ({detail}).",
    ),
    "witness_wrong_origin": (
        "Checkpoint ditolak: log {got}, saksi ini untuk {want}.",
        "Checkpoint refused: log {got}, this witness is for {want}.",
    ),
    "witness_malformed": (
        "Checkpoint ditolak: format tidak sah ({detail}).",
        "Checkpoint refused: malformed ({detail}).",
    ),
}


class AuditError(Exception):
    """Base of every audit-log error: ``code``, ``fields``, ``message_id`` and ``message_en``."""

    def __init__(self, code: str, **fields: Any) -> None:
        template_id, template_en = MESSAGES[code]
        self.code = code
        self.fields: dict[str, Any] = dict(fields)
        self.message_id = template_id.format(**{k: v.id if isinstance(v, Text) else v for k, v in fields.items()})
        self.message_en = template_en.format(**{k: v.en if isinstance(v, Text) else v for k, v in fields.items()})
        super().__init__(f"{self.message_en} / {self.message_id}")

    @property
    def text(self) -> Text:
        """The message in both languages, to nest inside another error's message."""
        return Text(self.message_id, self.message_en)


class ProofError(AuditError):
    """A Merkle proof, root, index or size was refused."""


class NoteError(AuditError):
    """A signed note, key name or verifier key was refused."""


class CheckpointError(AuditError):
    """A checkpoint's text was malformed or names another log."""


class KeyFileError(AuditError):
    """The signing key file is missing, exposed, malformed, or would be overwritten."""


class LogVerificationError(AuditError):
    """The log does not match its signed checkpoints; ``fields`` name the first bad entry or range."""


class LogStateError(AuditError):
    """The database's log cannot answer (not sealed yet, no such checkpoint) or was found altered."""


class WitnessError(AuditError):
    """The witness store itself cannot be used (missing, already there, damaged)."""


class RefusalReason(Enum):
    """Why a witness refused a checkpoint; the value is the error code."""

    MALFORMED = "witness_malformed"
    WRONG_ORIGIN = "witness_wrong_origin"
    BAD_SIGNATURE = "witness_bad_signature"
    ROLLBACK = "witness_rollback"
    FORK = "witness_fork"
    INCONSISTENT = "witness_inconsistent"


class WitnessRefusal(WitnessError):
    """The witness refused a checkpoint; ``reason`` says why (rollback, fork, wrong key, ...)."""

    def __init__(self, reason: RefusalReason, **fields: Any) -> None:
        super().__init__(reason.value, **fields)
        self.reason = reason
