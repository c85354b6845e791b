"""Incremental FINESS imports: updates, closures, crash and rerun, SQLite and PostgreSQL (issue 4 point 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from openror.app.factory import Services
from openror.ingest.finess.mapping import EXT_PERIOD
from tests.ingest.finess_helpers import (
    all_bodies,
    body,
    counts,
    ext,
    n_resources,
    n_versions,
    run,
    small_feed,
    write_feed,
)


def test_newer_file_updates_only_what_changed_and_closes(services: Services, tmp_path: Path) -> None:
    doc = small_feed()  # 4 EJ (one closed), 8 EG
    (rep,) = run(services, write_feed(tmp_path / "v1.json.gz", doc), batch_size=3)
    assert counts(rep) == (4 + 8 + 8, 0, 0, 0), rep.rejects
    before = all_bodies(services, "Organization")
    # Next month: one EG renamed, one EG closed, one new EG; everything else identical.
    renamed = doc["pmej"][1]["ege"][0]
    renamed["informationsGeneralesEGE"]["nomEgeLong"] = "CLINIQUE DOCTEUR CONVERT (RENOMMEE)"
    closing = doc["pmej"][2]["ege"][0]
    closing["etatObjet"] = "I"
    closing["informationsGeneralesEGE"]["dateFermeture"] = "2026-09-30"
    added = dict(
        doc["pmej"][3]["ege"][0], informationsGeneralesEGE=dict(doc["pmej"][3]["ege"][0]["informationsGeneralesEGE"])
    )
    added["informationsGeneralesEGE"]["numFinessEge"] = "010099990"
    doc["pmej"][3]["ege"].append(added)
    versions = n_versions(services)
    (rep2,) = run(services, write_feed(tmp_path / "v2.json", doc, gz=False), batch_size=3)
    # renamed: EG + Location; closed: EG + Location; added: EG + Location created.
    assert counts(rep2) == (2, 4, 20 - 4, 0), rep2.rejects
    assert n_versions(services) == versions + 6
    eg = body(services, "Organization", f"finess-eg-{closing['informationsGeneralesEGE']['numFinessEge']}")
    assert eg["active"] is False and eg["meta"]["versionId"] == "2"
    assert ext(eg, EXT_PERIOD)[0]["valuePeriod"]["end"] == "2026-09-30"
    loc = body(services, "Location", f"loc-finess-{closing['informationsGeneralesEGE']['numFinessEge']}")
    assert loc["status"] == "inactive" and loc["operationalStatus"]["code"] == "1"
    # History is kept: version 1 is still readable.
    fin = closing["informationsGeneralesEGE"]["numFinessEge"]
    v1 = services.store.vread("Organization", f"finess-eg-{fin}", 1)
    assert v1 is not None and b'"active":true' in (v1.body or b"")
    # Untouched resources kept their version and creation date.
    after = all_bodies(services, "Organization")
    same = [k for k in before if k in after and after[k]["meta"]["versionId"] == "1"]
    assert len(same) == len(before) - 2
    assert all(after[k]["extension"][-1] == before[k]["extension"][-1] for k in same)


class Crash(Exception):
    pass


def test_crash_mid_import_then_rerun_completes(services: Services, tmp_path: Path) -> None:
    src = write_feed(tmp_path / "feed.json.gz", small_feed((1, 2, 3, 5)))  # 4 EJ, 161 EG
    calls = 0

    def crash_after_three_batches(n: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Crash

    with pytest.raises(Crash):
        run(services, src, batch_size=25, progress=crash_after_three_batches)
    # Three whole batches were committed, nothing of the fourth.
    assert n_resources(services) == 75
    assert n_versions(services) == 75
    (rep,) = run(services, src, batch_size=25)
    total = 4 + 2 * 161
    assert counts(rep) == (total - 75, 0, 75, 0)
    assert n_resources(services) == total and n_versions(services) == total
    # The same as an import that never crashed: every resource at version 1, nothing to redo.
    (again,) = run(services, src, batch_size=100)
    assert counts(again) == (0, 0, total, 0)
