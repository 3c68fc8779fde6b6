"""The deck of demo cards as the demo control page shows it (demo mode only; docs/operator-ui.md).

Each card's farmer (name, masked NIK) comes from the card image's own records, its PIN from the
image too (:func:`kiosk.devstack.deck.card_pin` hands the same value to ``kiosk devices pin``),
and its BPJS standing from ``standings.csv`` next to the images: ``kiosk demo`` writes it when it
chooses the deck (the standings are the BPJS sandbox's data, which the card cannot know). A card
without a row there shows "unknown". The file is CSV, not JSON, so the card emulator (which takes
every ``*.json`` in the folder for a card image) never mistakes it for a card.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from card_reader.errors import CardError
from card_reader.records import CardRecords, mask_nik, parse_records
from firmware_stubs.card.image import ImageError, deck_paths, load_image
from kiosk.devstack.errors import DevStackError

STANDINGS_FILE = "standings.csv"


@dataclass(frozen=True)
class DeckCard:
    card_number: str
    name: str = field(repr=False)
    masked_nik: str
    standing: str  # paid_up | one_behind | two_behind | behind | ahead | inactive | unregistered | unknown
    pin: str = field(repr=False)  # demo data, shown on the demo page on purpose; never logged


def write_standings(deck: Path, standings: Iterable[tuple[str, str]]) -> Path:
    """``standings.csv`` (card_number, standing) in the deck folder, for the demo page's labels."""
    path = Path(deck) / STANDINGS_FILE
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(("card_number", "standing"))
        out.writerows(standings)
    return path


def read_standings(deck: Path) -> dict[str, str]:
    path = Path(deck) / STANDINGS_FILE
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["card_number"]: row["standing"] for row in csv.DictReader(fh)}


def read_deck(deck: Path) -> list[DeckCard]:
    """Every card image in the deck, in card-number order; an unreadable one raises DevStackError."""
    standings = read_standings(deck)
    out: list[DeckCard] = []
    for number, path in deck_paths(Path(deck)).items():
        try:
            image = load_image(path)
            data = parse_records(CardRecords(*image.records))
        except (ImageError, CardError):
            raise DevStackError("Berkas kartu di dek rusak.", "A card image in the deck is unreadable.",
                                card_number=number) from None
        out.append(DeckCard(number, data.name, mask_nik(data.nik), standings.get(number, "unknown"), image.pin))
    return out
