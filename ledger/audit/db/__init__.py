"""The audit log in the database (adapter): sealing, the node store, checkpoints, proofs, export, live verify.

Pure maths, notes and the verifier's core are in :mod:`ledger.audit` (which never imports this);
these modules put them on the ledger's tables (``ledger_seal``, ``ledger_audit_nodes``,
``ledger_checkpoints``, ``ledger_seal_queue``; migration l0002). Services take the caller's
``Session`` and never commit. docs/audit-log.md, part B.
"""

from ledger.audit.db.checkpoints import CheckpointResult, checkpoint_due, write_checkpoint
from ledger.audit.db.export import ExportSummary, export_log
from ledger.audit.db.live import LiveReport, verify_live
from ledger.audit.db.proofs import (
    ConsistencyProof,
    InclusionProof,
    checkpoint_json,
    consistency_between,
    consistency_json,
    inclusion_for_journal,
    inclusion_for_leaf,
    inclusion_json,
    leaf_hash_of_journal,
)
from ledger.audit.db.seal import SealResult, queued, seal, seal_all
from ledger.audit.db.store import (
    CheckpointRow,
    SqlHashStore,
    all_checkpoints,
    checkpoint_at,
    checkpoint_or_latest,
    latest_checkpoint,
    read_snapshot,
    sealed_size,
)

__all__ = [
    "CheckpointResult", "CheckpointRow", "ConsistencyProof", "ExportSummary", "InclusionProof", "LiveReport",
    "SealResult", "SqlHashStore", "all_checkpoints", "checkpoint_at", "checkpoint_or_latest", "checkpoint_due", "checkpoint_json", "consistency_between", "consistency_json",
    "export_log", "inclusion_for_journal", "inclusion_for_leaf", "inclusion_json", "latest_checkpoint", "leaf_hash_of_journal",
    "queued", "read_snapshot", "seal", "seal_all", "sealed_size", "verify_live", "write_checkpoint",
]
