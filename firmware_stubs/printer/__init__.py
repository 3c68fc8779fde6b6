"""Emulated ESC/POS receipt printer (DESIGN §7) on one end of a serial pty pair; see docs/receipts.md.

``decoder`` (bytes -> tokens) and ``paper`` (tokens -> receipts) are pure; ``device`` owns the line,
answers real-time status and injects faults; ``store`` keeps one JSON file per receipt.
"""
