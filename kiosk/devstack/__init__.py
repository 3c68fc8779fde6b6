"""The emulated device stack as product code (docs/devices.md): for ``make demo``, the tests and
trying the kiosk by hand. A private pcscd, the card emulator with a deck of demo cards, the PIN pad
and receipt printer emulators on socat pty pairs, and the device agent on them, each a supervised
process (readiness checks, ordered start, logs in a run folder, the whole process group stopped on
exit, Ctrl-C or a crash).

    with DeviceStack(run_dir, deck_dir, issuer_keys_dir=keys) as stack:
        stack.insert_card(number); client = stack.agent_client(); ...
"""

from kiosk.devstack.controls import CardControl, PinPadControl, PrinterControl
from kiosk.devstack.deck import (
    card_pin,
    cards_from_csv,
    deck_cards,
    demo_cards,
    ensure_issuer,
    issue_deck,
)
from kiosk.devstack.errors import (
    ControlFailed,
    DevStackError,
    MissingTool,
    PcscdNeedsRoot,
    ProcessFailed,
    StackNotRunning,
)
from kiosk.devstack.pcscd import PrivatePcscd, cards_present, wait_until_empty
from kiosk.devstack.process import ManagedProcess
from kiosk.devstack.stack import DeviceStack, StackOptions

__all__ = [
    "CardControl", "ControlFailed", "DevStackError", "DeviceStack", "ManagedProcess", "MissingTool", "PcscdNeedsRoot",
    "PinPadControl", "PrinterControl", "PrivatePcscd", "ProcessFailed", "StackNotRunning", "StackOptions", "card_pin",
    "cards_from_csv", "cards_present", "deck_cards", "demo_cards", "ensure_issuer", "issue_deck", "wait_until_empty",
]
