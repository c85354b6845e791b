"""`openror demo --load-only`: real FINESS establishments + the hand-made offers attached to them, idempotent."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from openror.cli.main import app


def test_demo_loads_real_finess_and_bundle_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--load-only", "--database-url", url], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    engine = sa.create_engine(url)
    with engine.connect() as c:
        counts = dict(c.execute(sa.text("select type, count(*) from resource group by type")).all())
        versions = c.execute(sa.text("select count(*) from resource_version")).scalar_one()
        # the EG of the hand-made cardiology offer is the real FINESS record (conditional create reused it)
        eg = c.execute(sa.text("select count(*) from idx_token where type='Organization' and param='identifier' "
                               "and code='750150104'")).scalar_one()  # fmt: skip
    assert counts["Organization"] > 1700 and counts["Location"] > 1700  # the real FINESS sample
    assert counts["HealthcareService"] == 6 and counts["Task"] == 2
    assert eg == 1
    second = runner.invoke(app, ["demo", "--load-only", "--database-url", url], catch_exceptions=False)
    assert second.exit_code == 0, second.output
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from resource_version")).scalar_one() == versions
    engine.dispose()
