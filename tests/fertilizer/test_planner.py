from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fertilizer.errors import FertilizerError
from fertilizer.planner import Allocation, Conflict, Delta, QuotaPosition, plan_allocations


def test_first_import_credits_everything() -> None:
    plan = list(plan_allocations({}, [Allocation("F-A", "UREA", 170), Allocation("F-A", "NPK", 0)], complete=False))
    assert plan == [Delta("F-A", "UREA", 170)]


def test_reimport_adjusts_by_deltas_and_respects_redeemed_kg() -> None:
    current = {("F-A", "UREA"): QuotaPosition(170, 100), ("F-B", "UREA"): QuotaPosition(50, 0),
               ("F-C", "NPK"): QuotaPosition(80, 20)}
    wanted = [Allocation("F-A", "UREA", 120), Allocation("F-B", "UREA", 50), Allocation("F-C", "NPK", 10)]
    assert list(plan_allocations(current, wanted, complete=False)) == [
        Delta("F-A", "UREA", -50), Conflict("F-C", "NPK", 10, 20)]


def test_complete_import_takes_back_what_is_missing() -> None:
    current = {("F-A", "UREA"): QuotaPosition(170, 0), ("F-B", "NPK"): QuotaPosition(80, 30)}
    assert list(plan_allocations(current, [Allocation("F-A", "UREA", 170)], complete=True)) == [Conflict("F-B", "NPK", 0, 30)]
    current[("F-B", "NPK")] = QuotaPosition(80, 0)
    assert list(plan_allocations(current, [], complete=True)) == [Delta("F-A", "UREA", -170), Delta("F-B", "NPK", -80)]


def test_repeated_allocation_is_refused() -> None:
    with pytest.raises(FertilizerError):
        list(plan_allocations({}, [Allocation("F-A", "UREA", 1), Allocation("F-A", "UREA", 2)], complete=False))


positions = st.builds(lambda a, r: QuotaPosition(a, min(a, r)), st.integers(0, 300), st.integers(0, 300))
keys = st.tuples(st.sampled_from(["F-A", "F-B", "F-C"]), st.sampled_from(["UREA", "NPK"]))


@given(st.dictionaries(keys, positions), st.dictionaries(keys, st.integers(0, 300)), st.booleans())
def test_applying_the_deltas_reaches_the_new_rdkk_unless_a_conflict_stops_it(current: dict[tuple[str, str], QuotaPosition],
                                                                           new: dict[tuple[str, str], int], complete: bool) -> None:
    plan = list(plan_allocations(current, [Allocation(f, p, kg) for (f, p), kg in new.items()], complete=complete))
    allocated = {k: v.allocated for k, v in current.items()}
    for step in plan:
        if isinstance(step, Delta):
            assert step.kg != 0
            allocated[(step.farmer, step.product)] = allocated.get((step.farmer, step.product), 0) + step.kg
    conflicts = {(c.farmer, c.product) for c in plan if isinstance(c, Conflict)}
    target = {**({k: 0 for k in current} if complete else {}), **new}
    for key, kg in target.items():
        if key not in conflicts:
            assert allocated.get(key, 0) == kg
            assert kg >= current.get(key, QuotaPosition(0, 0)).redeemed  # never below what was taken
