"""A standard PC/SC tool (pcsc-tools' scriptor) selects the applet on the emulated card: 90 00.
The command is the one in docs/card.md."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.devices import CardEmulatorProcess, IssuerKit, wait_for
from tests.support.pcsc import PrivatePcscd, cards_present


def test_scriptor_selects_the_applet(pcscd_running: PrivatePcscd, card_emulator: CardEmulatorProcess,
                                     issuer_kit: IssuerKit) -> None:
    if shutil.which("scriptor") is None:
        pytest.fail("scriptor (Debian pcsc-tools) is not installed; scripts/bootstrap installs it")
    card_emulator.insert(issuer_kit.issue().card_number, 0)
    wait_for(lambda: cards_present().get("Virtual PCD 00 00"))
    result = subprocess.run(
        ["scriptor", "-r", "Virtual PCD 00 00"], input="00 A4 04 00 07 F0 4B 54 41 4E 49 01 00\n",
        capture_output=True, text=True, timeout=30, env={**os.environ, **pcscd_running.env},
    )
    assert result.returncode == 0, result.stderr
    # scriptor prints the answer 16 bytes a line, then the status word with its meaning
    answer = result.stdout.split("> 00 A4 04 00 07 F0 4B 54 41 4E 49 01 00\n", 1)[1]
    assert answer.startswith("< 6F 1E 84 07 F0 4B 54 41 4E 49 01")
    assert "\n90 00 : Normal processing." in answer
