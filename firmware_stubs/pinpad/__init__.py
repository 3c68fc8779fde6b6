"""Emulated serial PIN pad (DESIGN §7) on one end of a pty pair; see docs/card.md."""
