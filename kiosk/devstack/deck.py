"""The deck of demo cards the card emulator serves: an issuer key pair and one image per card.

``demo_cards(n)`` takes the first ``n`` farmers of the Soppeng demo data set
(:func:`fertilizer.generator.farmers`, same seed), so the cards match the demo registry;
``cards_from_csv`` reads the personalisation CSV (docs/card.md). Images already in the deck are
kept as they are (their PIN tries and ATC are the card's memory). PINs stay in the images (0600):
:func:`card_pin` hands one to the code that types it on the emulated pad, never to a log.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from firmware_stubs.card.image import deck_paths, load_image
from firmware_stubs.personalise import (
    FarmerCard,
    issue_card,
    load_issuer_key,
    make_issuer_key,
    read_farmer_csv,
)
from kiosk.devstack.errors import DevStackError

DEMO_ISSUER = "BRI-7312"


def ensure_issuer(keys_dir: Path, issuer_id: str = DEMO_ISSUER) -> Path:
    """The issuer's private key file ``<keys_dir>/<ID>.key.pem``, made (with ``.pub.pem``) if missing."""
    private = Path(keys_dir) / f"{issuer_id}.key.pem"
    if not private.exists():
        make_issuer_key(Path(keys_dir), issuer_id)
    return private


def _expiry(yymm: str) -> date:
    year, month = 2000 + int(yymm[:2]), int(yymm[2:])
    return date(year, month, calendar.monthrange(year, month)[1])


def demo_cards(count: int, seed: int = 2021) -> list[FarmerCard]:
    """The first ``count`` farmers of the demo data set as cards."""
    from fertilizer.generator import GeneratorConfig, farmers

    chosen = itertools.islice(farmers(GeneratorConfig(seed=seed)), count)
    return [FarmerCard(f.card_number, f.nik, f.name, f.birth_date, f.village_code, f.group_code, _expiry(f.card_expiry),
                       f.pin) for f in chosen]


def cards_from_csv(path: Path, limit: int | None = None) -> list[FarmerCard]:
    cards = read_farmer_csv(Path(path))
    return cards[:limit] if limit is not None else cards


def issue_deck(deck: Path, keys_dir: Path, cards: Sequence[FarmerCard], issuer_id: str = DEMO_ISSUER) -> list[str]:
    """Issue the cards not yet in the deck; returns the card numbers issued now."""
    deck.mkdir(parents=True, exist_ok=True)
    present = deck_paths(deck)
    todo = [c for c in cards if c.card_number not in present]
    if not todo:
        return []
    found_id, key = load_issuer_key(ensure_issuer(keys_dir, issuer_id))
    return [issue_card(card, found_id, key, deck).card_number for card in todo]


def deck_cards(deck: Path) -> list[str]:
    """The card numbers in the deck."""
    return sorted(deck_paths(deck))


def card_pin(deck: Path, card_number: str) -> str:
    """The PIN personalised into a deck card (for typing it on the emulated pad in the demo)."""
    path = deck_paths(deck).get(card_number)
    if path is None:
        raise DevStackError("Kartu tidak ada di dek.", "No such card in the deck.", card_number=card_number)
    return load_image(path).pin
