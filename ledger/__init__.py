"""The double-entry ledger and its audit log (DESIGN §4, §5). Imports nothing of ours."""
