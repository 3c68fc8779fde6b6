"""Farmer registry, products and HET prices, seasons, RDKK quotas, stock and policy (DESIGN §9).

Pure core (no database, no I/O): :mod:`~fertilizer.catalogue`, :mod:`~fertilizer.prices`,
:mod:`~fertilizer.seasons`, :mod:`~fertilizer.nik`, :mod:`~fertilizer.rdkk`,
:mod:`~fertilizer.planner`, :mod:`~fertilizer.policy`, :mod:`~fertilizer.pricing`.
Adapters: :mod:`~fertilizer.keystore` (files), :mod:`~fertilizer.registry`,
:mod:`~fertilizer.farmers`, :mod:`~fertilizer.price_admin`, and over the ledger
:mod:`~fertilizer.quotas`, :mod:`~fertilizer.stock`, :mod:`~fertilizer.redemption`,
:mod:`~fertilizer.rdkk_import` (SQLAlchemy sessions; never commit).
Only ``ledger`` may be imported from our other packages.
"""

from __future__ import annotations

from fertilizer.audit import AdminAction, AuditSink
from fertilizer.catalogue import PRODUCT_CODES, PRODUCTS, Product, ProductCode, product
from fertilizer.clock import WITA, YearMonth
from fertilizer.errors import (
    FarmerErased,
    FertilizerError,
    PolicyError,
    QuotaError,
    RdkkFormatError,
    RdkkImportError,
    RegistryError,
    StockError,
)
from fertilizer.farmers import (
    FarmerPersonal,
    FarmerRecord,
    FarmerView,
    NewFarmer,
    by_pseudonym,
    erase_farmer,
    find_by_nik,
    place_farmer,
    register_farmers,
    reveal,
    views,
)
from fertilizer.keystore import FileKeyStore, KeyStore, MemoryKeyStore
from fertilizer.ledger_audit import LedgerAuditSink, ledger_audit_sink
from fertilizer.nik import mask_nik, parse_nik
from fertilizer.planner import Allocation, Conflict, Delta, QuotaPosition, plan_allocations
from fertilizer.policy import decide
from fertilizer.policy_types import (
    Allowance,
    BpjsAnswer,
    BpjsStatus,
    CardCheck,
    CardStatus,
    Contribution,
    Decision,
    Due,
    FarmerFacts,
    PolicyInput,
    Reason,
    ReasonCode,
    Severity,
)
from fertilizer.price_admin import load_price_list, set_price
from fertilizer.prices import SEEDED, PriceEntry, PriceList
from fertilizer.pricing import Line, Quote, agent_fee, price_selection
from fertilizer.quotas import allocate, quota_accounts, quota_left, quota_seasons
from fertilizer.rdkk import RdkkReport, RdkkRow, RowProblem, check_rdkk, read_rdkk
from fertilizer.rdkk_import import ImportReport, import_rdkk
from fertilizer.redemption import redemption_legs, reversal_legs
from fertilizer.rdkk_reference import RdkkReference
from fertilizer.registry import add_reference, group, groups_of_outlet, outlet, reference_data
from fertilizer.seasons import DEFAULT_CALENDAR, Season, SeasonCalendar
from fertilizer.settings import PolicySettings, RdkkRules
from fertilizer.stock import receive_stock, stock_accounts, stock_left

__all__ = [
    "AdminAction", "AuditSink", "PRODUCT_CODES", "PRODUCTS", "Product", "ProductCode", "product", "WITA", "YearMonth",
    "FarmerErased", "FertilizerError", "PolicyError", "RegistryError", "FarmerPersonal", "FarmerRecord", "FarmerView",
    "NewFarmer", "by_pseudonym", "erase_farmer", "find_by_nik", "place_farmer", "register_farmers", "reveal", "views",
    "FileKeyStore", "KeyStore", "MemoryKeyStore", "mask_nik", "parse_nik", "Allocation", "Conflict", "Delta",
    "QuotaPosition", "plan_allocations", "decide", "Allowance", "BpjsAnswer", "BpjsStatus", "CardCheck", "CardStatus",
    "Contribution", "Decision", "Due", "FarmerFacts", "PolicyInput", "Reason", "ReasonCode", "Severity",
    "load_price_list", "set_price", "SEEDED", "PriceEntry", "PriceList", "Line", "Quote", "agent_fee",
    "price_selection", "RdkkReport", "RdkkRow", "RowProblem", "check_rdkk", "read_rdkk", "RdkkReference",
    "add_reference", "group", "groups_of_outlet", "outlet", "reference_data", "DEFAULT_CALENDAR", "Season",
    "SeasonCalendar", "PolicySettings", "RdkkRules", "QuotaError", "RdkkFormatError", "RdkkImportError", "StockError",
    "LedgerAuditSink", "ledger_audit_sink", "allocate", "quota_accounts", "quota_left",
    "quota_seasons", "ImportReport", "import_rdkk", "redemption_legs", "reversal_legs", "receive_stock",
    "stock_accounts", "stock_left",
]
