"""Free TCP ports, and which ports something listens on (from ``/proc/net/tcp*``)."""

from __future__ import annotations

import socket
from pathlib import Path

from kiosk.devstack.errors import DevStackError

LISTEN_STATE = "0A"


def listening_ports() -> set[int]:
    """Every local TCP port in LISTEN state, IPv4 and IPv6."""
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) > 3 and parts[3] == LISTEN_STATE:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing is bound to right now (the kernel's pick)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_port_pair() -> int:
    """A port p with p and p+1 free on every interface (vpcd listens on its port and the next)."""
    for _ in range(100):
        port = free_port("0.0.0.0")
        if port >= 65535:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("0.0.0.0", port))
                b.bind(("0.0.0.0", port + 1))
        except OSError:
            continue
        return port
    raise DevStackError("Tidak ada dua port TCP berurutan yang bebas.", "No two consecutive free TCP ports.")
