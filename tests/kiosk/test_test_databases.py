"""The test-database machinery itself: a private PostgreSQL cluster works where no server runs."""

from __future__ import annotations

import glob
import os

import pytest
import sqlalchemy as sa

from tests.support.databases import PrivateCluster


@pytest.mark.slow
@pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"), reason="no PostgreSQL server binaries installed")
@pytest.mark.skipif(os.geteuid() == 0 and not os.path.exists("/usr/sbin/runuser"), reason="root without runuser")
def test_private_cluster_starts_answers_and_stops() -> None:
    cluster = PrivateCluster()
    try:
        engine = sa.create_engine(cluster.url, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            assert conn.execute(sa.text("select current_user")).scalar() == "postgres"
        engine.dispose()
    finally:
        cluster.stop()
    assert not cluster.dir.exists()
