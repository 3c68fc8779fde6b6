"""The private pcscd: a deep run folder still gets a short socket path, and without the right to
make a mount namespace (no root) the error says so plainly, in both languages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.devstack.pcscd import SOCKET_PATH_MAX, PrivatePcscd
from kiosk.devstack.ports import listening_ports


def test_deep_folder_gets_a_short_socket_and_close_cleans_up(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    daemon = PrivatePcscd(deep, log_path=tmp_path / "pcscd.log")
    assert daemon.isolated, "the tests run as root: pcscd gets its own mount namespace"
    assert len(str(daemon.socket_path)) <= SOCKET_PATH_MAX and not str(daemon.socket_path).startswith(str(deep))
    daemon.start()
    try:
        assert daemon.running and daemon.socket_path.exists()
        assert {daemon.port, daemon.port + 1} <= listening_ports()
        assert daemon.env == {"PCSCLITE_CSOCK_NAME": str(daemon.socket_path)}
    finally:
        daemon.close()
    assert not daemon.running and not daemon.run_dir.exists()
    assert not {daemon.port, daemon.port + 1} & listening_ports()


SCRIPT = """
import json, sys
from pathlib import Path
import kiosk.devstack.pcscd as pcscd
from kiosk.devstack.errors import PcscdNeedsRoot
root = Path(sys.argv[1])
fake_system = root / "system-run" / "pcscd.comm"   # stands for a system pcscd's socket: never touch the real one
fake_system.parent.mkdir(parents=True)
fake_system.touch()
pcscd.SYSTEM_SOCKET = fake_system
daemon = pcscd.PrivatePcscd(root / "private")
try:
    daemon.start()
    print(json.dumps({"started": True}))
except PcscdNeedsRoot as exc:
    print(json.dumps({"isolated": daemon.isolated, **exc.to_dict()}))
"""


def test_without_cap_sys_admin_the_error_says_root(tmp_path: Path) -> None:
    drop = ["setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "--"]
    result = subprocess.run([*drop, sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                            timeout=60, cwd=Path(__file__).parents[3], check=True)
    answer = json.loads(result.stdout)
    assert answer["isolated"] is False and answer["code"] == "pcscd_needs_root"
    assert "root" in answer["message_en"] and "unshare --mount" in answer["message_en"]
    assert "membutuhkan root" in answer["message_id"]
