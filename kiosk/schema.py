"""Every table of the kiosk package, in one MetaData (for Alembic and the models-match test)."""

from kiosk.auth import schema as _auth  # noqa: F401  (login_failures, login_lockouts)
from kiosk import cards as _cards  # noqa: F401  (registers card_atc, card_hotlist)
from kiosk.checkout import schema as _checkout  # noqa: F401  (registers checkouts, checkout_steps)
from kiosk.models import metadata
from kiosk.money import schema as _money  # noqa: F401  (receipt prints, bank imports, reversals, reconciliation, end of day)

__all__ = ["metadata"]
