"""Emulated e-Kartu Tani: the applet (DESIGN §6), card images, vpcd slots and a control API.

Run with ``python -m firmware_stubs.card serve --deck DIR``; see docs/card.md.
"""
