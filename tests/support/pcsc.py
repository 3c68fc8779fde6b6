"""A private pcscd for tests and benchmarks: a thin wrapper over :mod:`kiosk.devstack.pcscd`, where
the daemon, its mount namespace and its ports are managed (docs/card.md, docs/devices.md).

The client library reads ``PCSCLITE_CSOCK_NAME`` once per process, so a test process has one
private pcscd (:func:`shared_pcscd`), which tests may stop and start again at the same socket and ports.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiosk.devstack.pcscd import (
    VPCD_DRIVER,
    PrivatePcscd,
    cards_present,
    unshare_works,
    wait_until_empty,
)
from kiosk.devstack.ports import free_port_pair

__all__ = ["VPCD_DRIVER", "PrivatePcscd", "cards_present", "free_port_pair", "shared_pcscd", "unshare_works",
           "wait_until_empty"]

_shared: PrivatePcscd | None = None
_users = 0
_shared_lock = threading.Lock()


@contextmanager
def shared_pcscd() -> Iterator[PrivatePcscd]:
    """The process's private pcscd, started on first use and stopped when the last user leaves.

    Sets ``PCSCLITE_CSOCK_NAME`` in this process (the client library reads it once).
    """
    global _shared, _users
    with _shared_lock:
        if _shared is None:
            root = Path(tempfile.mkdtemp(prefix="kiosk-pcscd-"))
            atexit.register(shutil.rmtree, root, True)
            _shared = PrivatePcscd(root)
            os.environ.update(_shared.env)
        _users += 1
        daemon = _shared
    try:
        daemon.start()
        yield daemon
    finally:
        with _shared_lock:
            _users -= 1
            if _users == 0:
                daemon.stop()
