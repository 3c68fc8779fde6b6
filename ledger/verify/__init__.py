"""The audit log's offline verifier: ``python -m ledger.verify DIR`` needs only an export.

See :mod:`ledger.verify.offline` for what is checked, :mod:`ledger.verify.format` for the export's
files and :mod:`ledger.verify.replay` for what the entries must mean. ``kiosk audit verify`` runs the
same checks on the live database (``ledger.audit.db.live``).
"""

from ledger.verify.entries import Entry, decode_entry
from ledger.verify.offline import ExportReport, verify_export
from ledger.verify.replay import Replay, ReplaySummary

__all__ = ["Entry", "ExportReport", "Replay", "ReplaySummary", "decode_entry", "verify_export"]
