"""Rebuild ``src/openror/definitions/geo/`` (communes and départements of the INSEE COG) from the npm package.

Source: ``@etalab/decoupage-administratif`` 6.0.0 (code MIT, data INSEE Code officiel géographique 2026
under Licence Ouverte 2.0), obtained with ``npm pack @etalab/decoupage-administratif@6.0.0``.

    python scripts/build_geo.py etalab-decoupage-administratif-6.0.0.tgz

Writes, deterministically (sorted rows, gzip without timestamp):

* ``communes.csv.gz`` - ``code,nom,departement,region``: every current commune, municipal
  arrondissement (Paris, Lyon, Marseille), delegated and associated commune, plus the former codes
  listed in ``anciensCodes`` (pointing at the current commune's name, département and région) so
  that FINESS records still carrying a pre-merger code find their région;
* ``departements.csv`` - ``code,nom,region``: the fallback when a commune code is unknown.

Other engineers add columns/files to the same folder (commune centroids); keep the four columns first.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "src" / "openror" / "definitions" / "geo"
# Preference when one code appears several times (a commune nouvelle keeps the code of one of its
# delegated communes): the current commune wins.
_RANK = {"commune-actuelle": 0, "arrondissement-municipal": 1, "commune-deleguee": 2, "commune-associee": 3}


def _load(source: Path, name: str) -> list[dict[str, Any]]:
    if source.is_dir():
        data = (source / "data" / name).read_bytes()
    else:
        with tarfile.open(source) as tar:
            member = tar.extractfile(f"package/data/{name}")
            if member is None:
                raise SystemExit(f"{source}: package/data/{name} missing")
            data = member.read()
    value = json.loads(data)
    assert isinstance(value, list)
    return value


def build(source: Path, out: Path = OUT) -> tuple[int, int]:
    communes = _load(source, "communes.json")
    departements = _load(source, "departements.json")
    best: dict[str, tuple[int, str, str, str]] = {}
    for c in communes:
        rank = _RANK.get(c.get("type", ""), 9)
        row = (rank, c["nom"], c["departement"], c["region"])
        if c["code"] not in best or rank < best[c["code"]][0]:
            best[c["code"]] = row
    for c in communes:  # former codes: only where the code is not (still) a commune of its own
        if c.get("type") != "commune-actuelle":
            continue
        for old in c.get("anciensCodes") or []:
            if old not in best:
                best[old] = (8, c["nom"], c["departement"], c["region"])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["code", "nom", "departement", "region"])
    for code in sorted(best):
        _, nom, dep, reg = best[code]
        writer.writerow([code, nom, dep, reg])
    out.mkdir(parents=True, exist_ok=True)
    with (
        (out / "communes.csv.gz").open("wb") as raw,
        gzip.GzipFile(filename="communes.csv", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(text.getvalue().encode("utf-8"))
    with (out / "departements.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "nom", "region"])
        for d in sorted(departements, key=lambda d: str(d["code"])):
            w.writerow([d["code"], d["nom"], d["region"]])
    return len(best), len(departements)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild src/openror/definitions/geo from the npm package.")
    parser.add_argument("source", type=Path, help="the npm tarball, or its extracted package/ folder")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    n_communes, n_deps = build(args.source, args.out)
    print(f"{n_communes} commune codes, {n_deps} départements written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
