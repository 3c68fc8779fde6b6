"""One sandbox per test module (a real subprocess); tests that need other options start their own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from bpjs_link import BpjsClient, Month
from bpjs_link.sandbox.seed import demo
from bpjs_link.signing import WIB
from tests.bpjs_link.raw import Raw
from tests.support.bpjs import SandboxHandle, SeedFarmer, farmers, running_sandbox, write_seed


def host_today() -> datetime:
    return datetime.now(timezone.utc).astimezone(WIB)


def this_month() -> Month:
    return Month.of(host_today().date())


def demo_and_farmers(count: int) -> list[SeedFarmer]:
    """The ``--seed demo`` participants plus ``count`` farmers two months behind (serials 1..count)."""
    rows = [SeedFarmer(p.nik, p.name, p.birth_date.isoformat(), p.kpj, p.paid_through, p.status.value) for p in demo(host_today().date())]
    return rows + farmers(count, this_month() + (-2))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    work = tmp_path_factory.mktemp("bpjs")
    seed = write_seed(work / "seed.csv", demo_and_farmers(200))
    with running_sandbox(work / "host", seed=seed) as host:
        yield host


@pytest.fixture
def bpjs(sandbox: SandboxHandle) -> Iterator[BpjsClient]:
    with sandbox.client(read_timeout_s=5, retry_backoff_s=0.05) as client:
        yield client


@pytest.fixture
def raw(sandbox: SandboxHandle) -> Iterator[Raw]:
    r = Raw(sandbox)
    yield r
    r.close()
