"""The BPJS host's side as its own server, for demos and tests (DESIGN §3, §8).

``python -m bpjs_link.sandbox --port P --data DIR --partner host-partner.json [--seed demo]``.
Flask on its own SQLite; see docs/bpjs.md.
"""

from bpjs_link.sandbox.app import create_app
from bpjs_link.sandbox.options import FaultRates, Partner, SandboxOptions

__all__ = ["FaultRates", "Partner", "SandboxOptions", "create_app"]
