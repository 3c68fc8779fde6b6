"""Real-stack fixtures (private pcscd, card emulator, PIN pad on a pty pair) from tests.support."""

from tests.support.devices import (  # noqa: F401
    card_emulator,
    card_emulator_process,
    issuer_kit,
    pcscd,
    pcscd_running,
    pinpad,
    pinpad_process,
    pty_pair,
)
