"""Wire constants and pure encoders shared by the reader side and the emulators (DESIGN §6-7).

``card_reader.protocol.card`` holds the e-Kartu Tani applet's facts, ``card_reader.protocol.pinpad``
the PIN pad's. This is the only part of ``card_reader`` that ``firmware_stubs`` may import.
"""

from card_reader.protocol import card, pinpad

__all__ = ["card", "pinpad"]
