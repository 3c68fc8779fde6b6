"""The double-entry ledger and its audit log (DESIGN §4, §5). Imports nothing of ours.

Public API (docs/ledger.md). Every function that touches the database takes the caller's
``Session`` and never commits: the caller owns the transaction (``with session.begin(): ...``) or
uses ``run_in_transaction`` for bounded retries of pure database work.
"""

from ledger.accounts import account_by_key, close_account, get_account, open_account, open_accounts
from ledger.batch import submit_batch
from ledger.entries import EntryKind, canonical, decode, rfc3339
from ledger.errors import (
    AccountClosed,
    AccountConflict,
    AccountHasPending,
    AlreadyFinal,
    AssetMismatch,
    BadAmount,
    BatchRefused,
    ConcurrentSubmission,
    IdempotencyConflict,
    InvalidInput,
    LedgerError,
    LimitExceeded,
    RetriesExhausted,
    UnbalancedJournal,
    UnknownAccount,
    UnknownJournal,
)
from ledger.ids import new_id
from ledger.journals import submit
from ledger.model import (
    IDR,
    MAX_AMOUNT,
    Account,
    AccountSpec,
    Balance,
    HistoryLine,
    Journal,
    JournalKind,
    JournalResult,
    JournalSpec,
    JournalState,
    Leg,
    Limit,
    check_asset,
    kg_asset,
)
from ledger.queries import balance, balances, history, journal, journal_by_key, journals_by_remote_ref, pending_journals
from ledger.recording import EntryRecord, append_entry, journal_entries
from ledger.retry import run_in_transaction
from ledger.settle import expire_pending, post, void
from ledger.sinks import roll_up

# The audit log on the database (sealing, checkpoints, proofs, export; ledger.audit.db) comes last:
# it builds on the modules above. Receipts take the entry hash a journal's QR code carries from here.
from ledger.audit.db import leaf_hash_of_journal  # noqa: E402

new_journal_id = new_id

__all__ = [
    "IDR", "MAX_AMOUNT", "Account", "AccountClosed", "AccountConflict", "AccountHasPending", "AccountSpec",
    "AlreadyFinal", "AssetMismatch", "BadAmount", "Balance", "BatchRefused", "ConcurrentSubmission", "EntryKind",
    "EntryRecord", "HistoryLine", "IdempotencyConflict", "InvalidInput", "Journal", "JournalKind", "JournalResult",
    "JournalSpec", "JournalState", "LedgerError", "Leg", "Limit", "LimitExceeded", "RetriesExhausted",
    "UnbalancedJournal", "UnknownAccount", "UnknownJournal", "account_by_key", "append_entry", "balance", "balances",
    "canonical", "check_asset", "close_account", "decode", "expire_pending", "get_account", "history", "journal",
    "journal_by_key", "journal_entries", "journals_by_remote_ref", "kg_asset", "leaf_hash_of_journal", "new_journal_id", "open_account",
    "open_accounts", "pending_journals", "post", "rfc3339", "roll_up", "run_in_transaction", "submit",
    "submit_batch", "void",
]
