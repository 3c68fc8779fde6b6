"""The device agent (DESIGN §3): the one process that owns the card reader and the PIN pad (and,
from the receipts issue, the printer), with a small token-protected HTTP API on loopback; and the
web side's client for it (:mod:`kiosk.agent.client`, httpx only: no pyscard in the web process).
"""
