"""Bad FINESS input: refused whole with a clear reason, or rejected record by record (issue 4 point 7)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from openror.app.factory import Services
from openror.ingest.finess.mapping import CATEGORY_URL
from tests.ingest.finess_helpers import (
    ACTIVITIES,
    CS1100502,
    STRUCTURES,
    body,
    counts,
    ext,
    n_resources,
    run,
    small_feed,
    write_feed,
)


def _refused(services: Services, path: Path, expected: str, **kw: object) -> None:
    (rep,) = run(services, path, **kw)
    assert counts(rep) == (0, 0, 0, 1)
    assert expected in rep.rejects[0]["reason"], rep.rejects
    assert rep.rejects[0]["where"] == path.name
    assert n_resources(services) == 0  # nothing half-written


def _files(tmp: Path) -> dict[str, tuple[Path, str]]:
    raw = gzip.decompress(STRUCTURES.read_bytes())
    gz = STRUCTURES.read_bytes()
    csv = CS1100502.read_bytes()
    doc = small_feed((1,))
    text = json.dumps(doc, ensure_ascii=False)
    cases = {
        "truncated.json.gz": (gz[: len(gz) * 2 // 3], "truncated or corrupt gzip"),
        "truncated.csv.gz": (gzip.compress(csv)[:-20], "gzip"),
        "truncated.json": (raw[: len(raw) // 2], "malformed or truncated JSON"),
        "malformed.json": (text.replace('"adresse": [', '"adresse" [', 1).encode(), "malformed or truncated JSON"),
        "latin1.json": (text.replace("CLINIQUE", "CLINIQUE é", 1).encode("latin-1"), "not UTF-8"),
        "utf16.csv": (csv.decode("latin-1").encode("utf-16"), "NUL bytes"),
        "nomanifest.csv": (b"\n".join(csv.split(b"\n")[1:]), "not the etalab manifest"),
        "other.txt": (b"hello;world\n", "neither a FINESS+ JSON feed"),
        "empty.json": (b"", "empty file"),
        "nopmej.json": (b'{"schemaVersion": "v1.0.0", "gco": []}', "no pmej record"),
        "strange.json": (b'{"pmej": [{"foo": 1}]}', "neither informationsGeneralesPMEJ"),
    }
    out = {}
    for name, (data, reason) in cases.items():
        p = tmp / name
        p.write_bytes(data)
        out[name] = (p, reason)
    return out


def test_files_refused_whole(services: Services, tmp_path: Path) -> None:
    for _name, (path, reason) in _files(tmp_path).items():
        _refused(services, path, reason)


def test_forced_format_mismatch_is_refused(services: Services) -> None:
    _refused(services, CS1100502, "malformed or truncated JSON", fmt="json")
    _refused(services, STRUCTURES, "not the etalab manifest", fmt="csv")


def test_record_level_problems(services: Services, tmp_path: Path) -> None:
    doc = small_feed((1, 3))  # 2 EJ, 3 EG
    egs = doc["pmej"][1]["ege"]
    egs.append(json.loads(json.dumps(egs[0])))  # duplicate EG
    bad = json.loads(json.dumps(egs[1]))
    bad["informationsGeneralesEGE"]["numFinessEge"] = "ABC"  # malformed FINESS number
    egs.append(bad)
    missing = json.loads(json.dumps(egs[1]))
    del missing["informationsGeneralesEGE"]
    egs.append(missing)
    odd = doc["pmej"][0]["ege"][0]
    odd["categorieentiteGeographiqueExercice"] = "999"  # unknown code
    odd["informationsGeneralesEGE"]["siret"] = "4,09527E+13"  # spreadsheet damage
    odd["informationsGeneralesEGE"]["dateOuverture"] = "31/02/2020"
    doc["pmej"].append({"informationsGeneralesPMEJ": {"numFinessPm": None}})
    (rep,) = run(services, write_feed(tmp_path / "f.json.gz", doc))
    assert counts(rep) == (2 + 2 * 3, 0, 0, 4), rep.rejects
    reasons = [(r["where"], r["reason"]) for r in rep.rejects]
    assert "duplicate FINESS number" in reasons[0][1] and "already in this file at pmej[1].ege[0]" in reasons[0][1]
    assert "'ABC' is not a FINESS number" in reasons[1][1]
    assert reasons[2] == ("pmej[1].ege[4]", "invalid: informationsGeneralesEGE is missing")
    assert reasons[3] == ("pmej[2]", "invalid: numFinessPm is missing")
    eg = body(services, "Organization", f"finess-eg-{odd['informationsGeneralesEGE']['numFinessEge']}")
    assert ext(eg, CATEGORY_URL)[0]["valueCoding"]["code"] == "999"
    assert "type" not in eg or all(t["coding"][0]["code"] != "999" for t in eg["type"])
    assert not any(i["value"] == "4,09527E+13" for i in eg["identifier"])
    messages = " ".join(w["message"] for w in rep.to_json()["warnings"])
    assert "category 999: unknown" in messages and "siret '4,09527E+13' is malformed" in messages
    assert "'31/02/2020' is not a date" in messages


def test_activities_need_the_structures_first(services: Services) -> None:
    (rep,) = run(services, ACTIVITIES)
    assert rep.created == 0 and rep.updated == 0 and rep.rejected == 1780
    assert "import the FINESS structures feed before the activités feed" in rep.rejects[0]["reason"]
    assert n_resources(services) == 0


@pytest.mark.parametrize("size", [1])
def test_batch_of_one(services: Services, tmp_path: Path, size: int) -> None:
    (rep,) = run(services, write_feed(tmp_path / "one.json.gz", small_feed((1,))), batch_size=size)
    assert counts(rep) == (3, 0, 0, 0)
