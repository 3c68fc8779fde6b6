"""PC/SC through pyscard's thin ``smartcard.scard`` layer: contexts, readers, one card link.

pyscard's high-level connection objects release their PC/SC context in ``__del__`` and raise
there when pcscd has gone away; this adapter calls the PC/SC functions itself and closes
explicitly, so a dead pcscd turns into a :class:`~card_reader.errors.ReaderUnavailable`, never an
exception in a destructor. PC/SC result codes map to errors through :data:`HRESULT_ERRORS`.
"""

from __future__ import annotations

from smartcard import scard

from card_reader.errors import CardError, CardRemoved, MalformedAnswer, NoCard, ReaderUnavailable

# PC/SC result -> error class (pcsc-lite pcsclite.h; MSDN "Smart Card Return Values").
HRESULT_ERRORS: dict[int, type[CardError]] = {
    scard.SCARD_W_REMOVED_CARD: CardRemoved,
    scard.SCARD_W_RESET_CARD: CardRemoved,
    scard.SCARD_W_UNPOWERED_CARD: CardRemoved,
    scard.SCARD_E_NO_SMARTCARD: NoCard,
    scard.SCARD_W_UNRESPONSIVE_CARD: CardRemoved,
    # the reader could not complete the exchange: a card pulled mid-command (vpcd reports this
    # before pcscd's next poll notices the removal; contact readers do the same on a torn card)
    scard.SCARD_E_NOT_TRANSACTED: CardRemoved,
    scard.SCARD_E_NO_SERVICE: ReaderUnavailable,
    scard.SCARD_E_SERVICE_STOPPED: ReaderUnavailable,
    scard.SCARD_F_COMM_ERROR: ReaderUnavailable,
    scard.SCARD_E_READER_UNAVAILABLE: ReaderUnavailable,
    scard.SCARD_E_UNKNOWN_READER: ReaderUnavailable,
    scard.SCARD_E_NO_READERS_AVAILABLE: ReaderUnavailable,
    scard.SCARD_E_INVALID_HANDLE: ReaderUnavailable,
    scard.SCARD_E_SHARING_VIOLATION: ReaderUnavailable,
}


def pcsc_error(hresult: int, action: str) -> CardError:
    cls = HRESULT_ERRORS.get(hresult, ReaderUnavailable)
    err = cls()
    err.fields.update(pcsc=f"{hresult & 0xFFFFFFFF:08X}", action=action)
    return err


class Context:
    """A PC/SC context; ``close`` never raises."""

    def __init__(self) -> None:
        hresult, self.handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise pcsc_error(hresult, "establish_context")

    def readers(self) -> list[str]:
        hresult, names = scard.SCardListReaders(self.handle, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            raise pcsc_error(hresult, "list_readers")
        return list(names)

    def close(self) -> None:
        if self.handle is not None:
            scard.SCardReleaseContext(self.handle)
            self.handle = None


def list_readers() -> list[str]:
    """Reader names; raises ReaderUnavailable when pcscd does not answer."""
    ctx = Context()
    try:
        return ctx.readers()
    finally:
        ctx.close()


def pcscd_answers() -> bool:
    try:
        list_readers()
    except CardError:
        return False
    return True


class PcscLink:
    """One card connection (satisfies :class:`card_reader.transport.Link`).

    Exclusive by default: the agent is the reader's sole owner (DESIGN §3). Disconnecting
    unpowers the card, so every connection is a fresh card session.
    """

    def __init__(self, reader: str, exclusive: bool = True) -> None:
        self.reader = reader
        self.context = Context()
        mode = scard.SCARD_SHARE_EXCLUSIVE if exclusive else scard.SCARD_SHARE_SHARED
        hresult, self.card, protocol = scard.SCardConnect(
            self.context.handle, reader, mode, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        )
        if hresult != scard.SCARD_S_SUCCESS:
            self.context.close()
            raise pcsc_error(hresult, "connect")
        self.pci = scard.SCARD_PCI_T1 if protocol == scard.SCARD_PROTOCOL_T1 else scard.SCARD_PCI_T0

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        if self.card is None:
            raise CardRemoved(action="transmit")
        hresult, response = scard.SCardTransmit(self.card, self.pci, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS:
            raise pcsc_error(hresult, "transmit")
        if len(response) < 2:
            raise MalformedAnswer(detail="answer shorter than a status word")
        return bytes(response[:-2]), (response[-2] << 8) | response[-1]

    def close(self) -> None:
        if self.card is not None:
            scard.SCardDisconnect(self.card, scard.SCARD_UNPOWER_CARD)
            self.card = None
        self.context.close()
