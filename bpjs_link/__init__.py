"""BPJS Ketenagakerjaan host-to-host link after Bank Indonesia's SNAP (DESIGN §8).

Public API::

    from bpjs_link import BpjsClient, BpjsConfig, final_status, Finality, Month
    with BpjsClient(BpjsConfig.from_file("client.json")) as bpjs:
        p = bpjs.inquire(nik)                                  # Participant
        order = bpjs.new_payment(request_id=journal_id, kpj=p.kpj, months=len(p.months_due),
                                 amount=p.amount_due, expected_paid_through=p.paid_through)
        # store `order` with the PENDING journal, then:
        receipt = bpjs.pay(order)                              # or BpjsRejected / BpjsUnknownOutcome
        st = bpjs.payment_status(order.request_id)
        final_status(st, payment_timestamp=order.timestamp, window=bpjs.config.acceptance_window)

Imports nothing of ours (DESIGN §2). The host side is :mod:`bpjs_link.sandbox`.
"""

from bpjs_link.bpu import BpuRules, Month, ParticipantStatus, ReturnMode
from bpjs_link.client import BpjsClient
from bpjs_link.codes import Case, ResponseCode, Service
from bpjs_link.config import BpjsConfig
from bpjs_link.errors import (
                              BpjsBadAnswer,
                              BpjsBadSignature,
                              BpjsConfigError,
                              BpjsError,
                              BpjsInvalidInput,
                              BpjsRejected,
                              BpjsUnavailable,
                              BpjsUnknownOutcome,
                              RefusalReason,
)
from bpjs_link.finality import Finality, final_status, not_found_final_at
from bpjs_link.keys import PartnerKeyFiles, generate_partner_keys
from bpjs_link.protocol import BpjsLink
from bpjs_link.results import (
                              ClockOffset,
                              Participant,
                              PaymentOrder,
                              PaymentReceipt,
                              PaymentState,
                              PaymentStatus,
                              Registration,
                              Settlement,
                              SettlementLine,
                              mask_nik,
)

__all__ = [
    "BpjsBadAnswer", "BpjsBadSignature", "BpjsClient", "BpjsConfig", "BpjsConfigError", "BpjsError", "BpjsInvalidInput",
    "BpjsLink", "BpjsRejected", "BpjsUnavailable", "BpjsUnknownOutcome", "BpuRules", "Case", "ClockOffset", "Finality", "Month",
    "Participant", "ParticipantStatus", "PartnerKeyFiles", "PaymentOrder", "PaymentReceipt", "PaymentState", "PaymentStatus",
    "RefusalReason", "Registration", "ResponseCode", "ReturnMode", "Service", "Settlement", "SettlementLine", "final_status",
    "generate_partner_keys", "mask_nik", "not_found_final_at",
]
