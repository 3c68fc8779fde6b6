"""Card share of DESIGN P2, through the real stack (pcscd + vpcd + card emulator + PIN pad on a
pty pair + ``kiosk agent`` over HTTP + verification on the web side against SQLite).

Per session: insert a card -> the agent's card event -> read (records + card-check signature)
-> verified on the web side (issuer signature, card signature, hotlist, expiry, ATC in the
database); then PIN (typed at once) -> VERIFY -> transaction signature -> verified; remove.

Figures (ms, p50/p99):
* ``event_to_verified``: from the agent's insertion event to verified card data;
* ``pin_to_consent``: from starting the PIN operation to the verified transaction signature;
* ``insert_to_event``: how long pcscd takes to notice the card. pcscd polls the vpcd driver
  every 400 ms (vpcd cannot notify), so this is uniform in 0-400 ms and is reported, not
  optimised: a USB CCID reader notifies pcscd at once;
* ``insert_to_verified``: the two together.

``BENCH_CARD_SESSIONS`` (default 1000) sets the number of sessions.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy.orm import Session

from kiosk import migrate
from kiosk.agent.client import AgentClient
from kiosk.cards import new_challenge, verify_card_read, verify_transaction
from ledger.storage import create_engine
from tests.support.devices import AgentProcess, CardEmulatorProcess, IssuerKit, PinPadProcess, PtyPair
from tests.support.pcsc import shared_pcscd, wait_until_empty

CARDS = 20


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def _wait_event(client: AgentClient, cursor: int, kind: str) -> tuple[float, int]:
    while True:
        events, cursor = client.events(cursor, wait=5)
        for event in events:
            if event.kind == kind:
                return time.perf_counter(), cursor
        if not events:
            raise RuntimeError(f"no {kind} event within 5 s")


def _session(client: AgentClient, emulator: CardEmulatorProcess, pad: PinPadProcess, engine: object,
             kit: IssuerKit, card: tuple[str, str], out: dict[str, list[float]]) -> None:
    number, pin = card
    cursor = client.status()["events"]["cursor"]
    inserted = time.perf_counter()
    emulator.insert(number, 0)
    seen, cursor = _wait_event(client, cursor, "inserted")
    challenge = new_challenge()
    read = client.read_card(challenge)
    with Session(engine) as session, session.begin():  # type: ignore[arg-type]
        verified = verify_card_read(session, read.records, read.card_check, challenge, kit.public_keys,
                                    insertion=read.insertion)
    done = time.perf_counter()
    pad.queue_pin(pin)
    started = time.perf_counter()
    tx = new_challenge()
    answer = client.wait_pin(client.start_pin(read.insertion, tx, 166_800, "PIN", 30), 30, poll_s=0.002)
    with Session(engine) as session, session.begin():  # type: ignore[arg-type]
        verify_transaction(session, verified, tx, answer.atc, answer.signature)
    consent = time.perf_counter()
    emulator.remove(0)
    _wait_event(client, cursor, "removed")
    for key, value in (("insert_to_event", seen - inserted), ("event_to_verified", done - seen),
                       ("insert_to_verified", done - inserted), ("pin_to_consent", consent - started)):
        out[key].append(value * 1000)


def main() -> dict[str, float]:
    sessions = int(os.environ.get("BENCH_CARD_SESSIONS", "1000"))
    root = Path(tempfile.mkdtemp(prefix="bench-card-"))
    kit = IssuerKit(root)
    cards = [(c.card_number, c.pin) for c in (kit.issue() for _ in range(CARDS))]
    url = f"sqlite:///{root / 'web.sqlite3'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    out: dict[str, list[float]] = {k: [] for k in ("insert_to_event", "event_to_verified", "insert_to_verified",
                                                   "pin_to_consent")}
    with shared_pcscd() as pcscd:
        emulator = CardEmulatorProcess(kit.deck, pcscd)
        pair = PtyPair(root)
        pad = PinPadProcess(pair.pad)
        agent = AgentProcess(pcscd, root, reader="0", pinpad=pair.host)
        try:
            wait_until_empty()
            with AgentClient(agent.url, agent.token) as client:
                for i in range(sessions):
                    _session(client, emulator, pad, engine, kit, cards[i % CARDS], out)
        finally:
            for process in (agent, pad, emulator):
                process.stop()
            pair.stop()
            engine.dispose()
            shutil.rmtree(root, ignore_errors=True)
    figures: dict[str, float] = {"sessions": float(sessions)}
    print(f"{'figure (ms)':24} {'p50':>8} {'p99':>8} {'mean':>8}")
    for key, values in out.items():
        figures[f"{key}_p50_ms"], figures[f"{key}_p99_ms"] = _pct(values, 0.5), _pct(values, 0.99)
        print(f"{key:24} {figures[key + '_p50_ms']:8.2f} {figures[key + '_p99_ms']:8.2f} {statistics.mean(values):8.2f}")
    return figures


if __name__ == "__main__":
    main()
