"""Rebuild ``src/openror/definitions/geo/commune-centroids.csv.gz`` (commune centroids for ``near-insee-code``).

The table behind ``openror.fhir.geo`` (spec ``ror-fhir-api.md`` b.3, c.2 and "Known defects" 9): one row
per current commune of the INSEE Code officiel géographique, ``code,lat,lon,departement,region,nom``.

Sources (both npm packages, data under Licence Ouverte 2.0, code MIT), see ``PROVENANCE-centroids.md``:

* ``@etalab/fr-bounding-boxes`` 0.1.3 (``npm pack @etalab/fr-bounding-boxes@0.1.3``), ``dist/communes.json``:
  the WGS84 bounding box of every commune of IGN ADMIN EXPRESS (2017 edition), 4 decimals;
* ``@etalab/decoupage-administratif`` 6.0.0 (``npm pack @etalab/decoupage-administratif@6.0.0``),
  ``data/communes.json``: the current communes (COG 2026) with département, région, name, the codes they
  absorbed (``anciensCodes``) and their delegated/associated communes (``chefLieu``).

    python scripts/build_commune_centroids.py etalab-fr-bounding-boxes-0.1.3.tgz \\
        etalab-decoupage-administratif-6.0.0.tgz

Centroid = centre of the bounding box (what geo.api.gouv.fr calls ``centre``: turf ``center``). A current
commune's box is the union of the 2017 boxes of its own code and of the codes it has absorbed since (former
codes and delegated/associated communes that were communes of their own in 2017), so communes nouvelles
created after 2017 get the box of their whole territory. Current communes with no 2017 box (municipal
arrondissements, overseas collectivities 975-989, communes restored after 2017) are left out, and so
are the communes of ``_EXCLUDED`` (a box that does not describe the commune).

Deterministic: decimal arithmetic, rows sorted by code, gzip with mtime 0.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import tarfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "openror" / "definitions" / "geo" / "commune-centroids.csv.gz"
_Q = Decimal("0.00001")
# Boxes that do not describe the commune: left out (None at run time) rather than a misleading centroid.
_EXCLUDED = {
    "97302": "Cayenne: its 2017 box spans 192 km of coast (-53.9043..-52.1637), centre 89 km from the town",
}
Box = tuple[Decimal, Decimal, Decimal, Decimal]  # min lon, min lat, max lon, max lat


def _load(source: Path, member: str) -> list[dict[str, Any]]:
    """``member`` (e.g. ``dist/communes.json``) of an npm tarball, its extracted ``package/`` folder, or a JSON file."""
    if source.is_dir():
        data = (source / member).read_bytes()
    elif source.suffix == ".json":
        data = source.read_bytes()
    else:
        with tarfile.open(source) as tar:
            fh = tar.extractfile(f"package/{member}")
            if fh is None:
                raise SystemExit(f"{source}: package/{member} missing")
            data = fh.read()
    value = json.loads(data)
    if not isinstance(value, list):
        raise SystemExit(f"{source}: {member} is not a JSON array")
    return value


def _boxes(items: list[dict[str, Any]]) -> dict[str, Box]:
    boxes: dict[str, Box] = {}
    for item in items:
        kind, _, code = str(item["id"]).rpartition(":")
        if kind != "fr:commune":
            continue
        w, s, e, n = (Decimal(str(v)) for v in item["bbox"])
        boxes[code] = (w, s, e, n)
    return boxes


def _fmt(value: Decimal) -> str:
    text = format(value.quantize(_Q), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def build(bboxes: Path, cog: Path, out: Path = OUT) -> dict[str, int]:
    boxes = _boxes(_load(bboxes, "dist/communes.json"))
    communes = _load(cog, "data/communes.json")
    current = {c["code"]: c for c in communes if c.get("type") == "commune-actuelle"}
    absorbed: dict[str, set[str]] = defaultdict(set)
    for c in current.values():
        absorbed[c["code"]].update(c.get("anciensCodes") or [])
    for c in communes:
        if c.get("type") in ("commune-deleguee", "commune-associee") and c.get("chefLieu"):
            absorbed[c["chefLieu"]].add(c["code"])
    # A former code claimed by two current communes (split history) is used by neither.
    owners: dict[str, list[str]] = defaultdict(list)
    for code, olds in absorbed.items():
        for old in olds:
            if old != code and old not in current and old in boxes:
                owners[old].append(code)
    members: dict[str, list[str]] = defaultdict(list)
    for old, codes in owners.items():
        if len(codes) == 1:
            members[codes[0]].append(old)

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "lat", "lon", "departement", "region", "nom"])
    stats = {"current": len(current), "rows": 0, "merged_boxes": 0, "missing": 0}
    missing: list[str] = []
    for code in sorted(current):
        parts = [boxes[k] for k in ([code] if code in boxes else []) + sorted(members.get(code, []))]
        if not parts or code in _EXCLUDED:
            missing.append(code)
            continue
        if len(parts) > 1:
            stats["merged_boxes"] += 1
        w = min(p[0] for p in parts)
        s = min(p[1] for p in parts)
        e = max(p[2] for p in parts)
        n = max(p[3] for p in parts)
        c = current[code]
        writer.writerow([code, _fmt((s + n) / 2), _fmt((w + e) / 2), c["departement"], c["region"], c["nom"]])
        stats["rows"] += 1
    stats["missing"] = len(missing)
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        out.open("wb") as raw,
        gzip.GzipFile(filename="commune-centroids.csv", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text.getvalue().encode("utf-8"))
    print("no centroid: " + " ".join(missing), file=sys.stderr)
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild the commune centroid table from the two npm packages.")
    parser.add_argument("bboxes", type=Path, help="@etalab/fr-bounding-boxes tarball, package/ folder or communes.json")
    parser.add_argument(
        "cog", type=Path, help="@etalab/decoupage-administratif tarball, package/ folder or communes.json"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    stats = build(args.bboxes, args.cog, args.out)
    print(", ".join(f"{k}={v}" for k, v in stats.items()) + f" -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
