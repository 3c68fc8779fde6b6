"""The fertilizer package's settings: typed defaults that the kiosk fills from its configuration.

Numbers that regulation changes are settings, never constants (DOMAIN.md *config*).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from fertilizer.catalogue import PRODUCT_CODES, ProductCode
from fertilizer.clock import WITA, require_aware
from fertilizer.errors import FertilizerError
from fertilizer.nik import SOPPENG
from fertilizer.seasons import DEFAULT_CALENDAR, SeasonCalendar

M2_PER_HA = 10_000

# Ceiling per hectare and season used to check RDKK rows (kg/ha). Defaults sit above the usual
# recommended doses so that only implausible rows are refused; Dinas sets its own.
DEFAULT_CEILING_KG_PER_HA: Mapping[str, int] = MappingProxyType({
    ProductCode.UREA: 250,
    ProductCode.NPK: 300,
    ProductCode.NPK_FK: 300,
    ProductCode.ZA: 150,
    ProductCode.SP36: 150,
    ProductCode.ORGANIC: 500,
})


@dataclass(frozen=True)
class RdkkRules:
    max_land_m2: int = 2 * M2_PER_HA  # DOMAIN: at most 2 ha per farmer per season
    ceiling_kg_per_ha: Mapping[str, int] = field(default_factory=lambda: DEFAULT_CEILING_KG_PER_HA)
    nik_regions: tuple[str, ...] = (SOPPENG,)
    max_reported_problems: int = 1_000  # problems kept in a report; all are counted

    def __post_init__(self) -> None:
        if self.max_land_m2 <= 0 or set(self.ceiling_kg_per_ha) != set(PRODUCT_CODES):
            raise FertilizerError(
                "bad_rdkk_rules",
                "Aturan RDKK tidak lengkap: luas maksimum > 0 dan batas kg/ha untuk setiap produk.",
                "RDKK rules need a maximum land > 0 and a kg/ha ceiling for every product.",
            )
        if any(v < 0 for v in self.ceiling_kg_per_ha.values()):
            raise FertilizerError("bad_rdkk_rules", "Batas kg/ha tidak boleh negatif.", "kg/ha ceilings cannot be negative.")


@dataclass(frozen=True)
class PolicySettings:
    """The draft Perbup rule and its numbers (DOMAIN.md: BPJS BPU; DESIGN §9)."""

    rule_enabled: bool = True
    rule_start: datetime = datetime(2026, 1, 1, tzinfo=WITA)
    contribution_per_month: int = 16_800  # JKK Rp 10,000 + JKM Rp 6,800
    agent_fee_bps: int = 750  # 7.5 % of contributions collected
    max_cached_status_age: timedelta = timedelta(hours=12)
    calendar: SeasonCalendar = DEFAULT_CALENDAR

    def __post_init__(self) -> None:
        require_aware(self.rule_start, "rule_start")
        if self.contribution_per_month <= 0 or not 0 <= self.agent_fee_bps <= 10_000:
            raise FertilizerError(
                "bad_policy_settings",
                "Iuran per bulan harus > 0 dan fee agen 0-10000 basis poin.",
                "The monthly contribution must be > 0 and the agent fee 0-10000 basis points.",
            )
        if self.max_cached_status_age < timedelta(0):
            raise FertilizerError("bad_policy_settings", "Umur cache tidak boleh negatif.", "The cache age cannot be negative.")

    def rule_in_force(self, at: datetime) -> bool:
        return self.rule_enabled and at >= self.rule_start
