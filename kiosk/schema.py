"""Every table of the kiosk package, in one MetaData (for Alembic and the models-match test)."""

from kiosk import cards as _cards  # noqa: F401  (registers card_atc, card_hotlist)
from kiosk.checkout import schema as _checkout  # noqa: F401  (registers checkouts, checkout_steps)
from kiosk.models import metadata

__all__ = ["metadata"]
