"""Synthetic FINESS+ "structures" feed of ``openror generate --format finess-json`` (issue 4.1, 4.5; data-sources §1.2).

The layout is the one of the real published file (``finess-structures-mensuel-202607-echantillon``):
``{schemaVersion, generatedAt, gco[], gcc[], pmej[]}``, each ``pmej`` with its ``ege[]``, field names
and key order as in the sample (which differs from ``schema-structures-v1.json`` on a few names and
on coded values, written as plain codes: the sample is what the data.gouv.fr feed really contains),
2-space indentation like the sample. The document is written incrementally, one ``pmej`` at a time,
so size L (the national file: 98,168 legal entities, 174,508 establishments, about 1 GB) never
sits in memory. Shares of optional fields, closed entities, events and engagements follow the
national profile (``RECENS_STRUCTURES``) through ``distributions.json``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

import orjson

from openror.ingest.generate.cards import AS_OF, Address, Card, Described, Numbering, day, describe
from openror.ingest.generate.model import Entity, Establishment
from openror.ingest.generate.output import Progress, Sink, Written, prepare_output
from openror.ingest.generate.tables import Tables, Weighted
from openror.ingest.generate.universe import Size, Universe, stream

SCHEMA_VERSION = "v1.0.0"
GENERATED_AT = "2026-11-01T02:07:30.000000000Z"  # fixed: the same seed gives the same bytes
# National profile: 77,260 engagements on 42,792 establishments (mean 1.8); 47,474 roleEge links on
# 174,508 establishments, about half of those that are not the first of their legal entity.
ENGAGEMENT_MORE = 0.44
ROLE_SHARE = 0.5


class _Events:
    """FINESS event ids, counted in universe order."""

    def __init__(self) -> None:
        self.event = 0
        self.engagement = 0

    def next_event(self) -> str:
        self.event += 1
        return str(self.event)

    def next_engagement(self) -> str:
        self.engagement += 1
        return str(self.engagement)


def _stamp(d: date, rng: Random) -> str:
    return f"{d.isoformat()} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"


def _address(a: Address, usage: str, name: str | None) -> dict[str, Any]:
    c = a.commune
    geo: dict[str, Any] | None = None
    if a.lat is not None and a.lon is not None:
        geo = {
            "coordonneeX": f"{a.lon:.6f}".rstrip("0").rstrip("."),
            "coordonneeY": f"{a.lat:.6f}".rstrip("0").rstrip("."),
            "directionLatitude": f"{a.y:.2f}" if a.y is not None else None,
            "directionLongitude": f"{a.x:.2f}" if a.x is not None else None,
            "cleInInteropBAN": f"{c.cog}_{hash_street(a) % 10_000:04d}" + (f"_{int(a.number):05d}" if a.number else ""),
            "scoreBAN": f"{0.9 + (hash_street(a) % 1000) / 10_000:.4f}",
        }
    line = a.line()
    return {
        "usageAdresse": usage,
        "numeroVoie": a.number,
        "typeVoie": a.street_type,
        "libelleVoie": a.street,
        "complementVoie": a.suffix,
        "complementPointGeographique": None,
        "lieuDit": a.lieu_dit,
        "cogCommune": c.cog,
        "ligneAcheminement": c.city,
        "ligneUne": name,
        "ligneDeux": None,
        "ligneTrois": None,
        "ligneQuatre": line,
        "ligneCinq": None,
        "ligneSix": f"{c.postal_code} {c.name}" if c.city != c.name.upper() else None,
        "codePostal": c.postal_code,
        "coordonneesGeographique": geo,
    }


def hash_street(a: Address) -> int:
    """A stable small hash of an address (not Python's salted ``hash``)."""
    text = f"{a.commune.cog}|{a.street}|{a.number}"
    h = 0
    for ch in text:
        h = (h * 131 + ord(ch)) % 1_000_003
    return h


def _contact(card: Card) -> list[dict[str, Any]]:
    if not (card.phone or card.fax or card.email):
        return []
    return [
        {
            "typeContact": {"roleContact": "01"},
            "telecom": {"telephone": card.phone, "telecopie": card.fax, "courriel": card.email},
        }
    ]


def _event(
    events: _Events, rng: Random, when: date, code: str, state: str | None, kind: str, obj: str, master: str = "01"
) -> dict[str, Any]:
    return {
        "evenementId": events.next_event(),
        "dateEnregistrement": _stamp(min(AS_OF, max(when, date(2023, 3, 15))), rng),
        "dateEvenement": when.isoformat(),
        "etatObjet1": state,
        "identifiantObjet1": obj,
        "identifiantObjet2": None,
        "systemeMaitre": master,
        "typeObjet1": kind,
        "typeObjet2": None,
        "codeEvenement": code,
    }


class FeedBuilder:
    """Turns described entities into ``pmej`` records."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.events = _Events()
        self.mft = tables.weighted("mode_fixation_tarifaire")
        self.budget = tables.weighted("type_budget")
        self.espic = tables.weighted("ege_espic")
        self.engagement_type = tables.weighted("engagement_type")
        self.engagement_subtype = tables.weighted("engagement_subtype")
        self.closing_state = Weighted((("100", 548.0), ("102", 261.0), ("101", 69.0), ("103", 18.0)))

    def pmej(self, d: Described, rng: Random) -> dict[str, Any]:
        entity, card = d.entity, d.card
        t = self.tables
        obj = str(entity.number + 1)
        events = [_event(self.events, rng, card.opened, "001", "001", "PM", obj)]
        codes = t.national["pmej_event_codes"]
        for code in ("002", "034"):  # modification events, in their national proportions
            if rng.random() < codes[code] / t.national["pmej"]:
                when = day(rng, card.opened, card.closed or AS_OF)
                events.append(_event(self.events, rng, when, code, code, "PM", obj, "04" if code == "034" else "01"))
        if card.closed:
            events.append(_event(self.events, rng, card.closed, "005", "005", "PM", obj))
        public = entity.statut.isdigit() and int(entity.statut) < 40
        function = None
        if public and rng.random() < min(1.0, t.national["pmej_fonction_publique_share"] * 3):
            function = "01" if entity.family in ("mco", "ssr", "psy") else rng.choice(("02", "03"))
        last = max((c.opened for c in d.cards), default=card.opened)
        record: dict[str, Any] = {
            "informationsGeneralesPMEJ": {
                "pmSmsseId": obj,
                "codeApe": t.ape.get(entity.family, "88.99B") if entity.siren else None,
                "complementAdressePmSmsse": None,
                "dateCreation": card.opened.isoformat(),
                "dateFermeture": card.closed.isoformat() if card.closed else None,
                "denominationLonguePmSmsse": card.long_name,
                "denominationPm": card.name,
                "numFinessPm": entity.finess,
                "fonctionPublique": function,
                "categorieentiteGeographiqueExercice": None,
                "siren": entity.siren,
                "statutJuridique": entity.statut,
                "typeGroupeGco": entity.gco_type,
                "typePersonneMorale": "01",
            },
            "adresse": [_address(card.address, "02", None)],
            "contact": _contact(card),
            "engagement": [],
            "evenement": events,
            "ege": [self.ege(entity, est, c, rng) for est, c in zip(entity.establishments, d.cards, strict=True)],
            "etatObjet": "A" if entity.active else "I",
            "dateDerniereMaj": _stamp(max(last, card.closed or card.opened), rng),
        }
        return record

    def ege(self, entity: Entity, est: Establishment, card: Card, rng: Random) -> dict[str, Any]:
        t = self.tables
        nat = t.national
        obj = str(est.number + 1)
        events = [
            _event(self.events, rng, card.opened, "003", "003", "EG", obj),
            _event(self.events, rng, card.opened, "007", "007", "EG", obj),
        ]
        if rng.random() < nat["ege_event_codes"]["035"] / nat["ege"]:  # the 035/036 pair, from the other system
            when = day(rng, card.opened, card.closed or AS_OF)
            events.append(_event(self.events, rng, when, "035", "035", "EG", obj, "04"))
            events.append(_event(self.events, rng, when, "036", "036", "EG", obj, "04"))
        if card.closed:
            events.append(_event(self.events, rng, card.closed, "005", self.closing_state.pick(rng), "EG", obj))
        espic = [self.espic.pick(rng)] if rng.random() < nat["ege_espic_share"] else None
        addresses = [_address(card.address, "03", card.name if rng.random() < 0.04 else None)]
        if rng.random() < (nat["ege_addresses"] - nat["ege"]) / nat["ege"]:
            addresses.append(_address(card.address, rng.choice(("06", "04")), None))
        engagements: list[dict[str, Any]] = []
        count = 0
        if rng.random() < nat["ege_with_engagement_share"]:
            count = 1  # then more: the national mean is 1.8 per establishment that has any
            while count < 6 and rng.random() < ENGAGEMENT_MORE:
                count += 1
        for _ in range(count):
            start = card.opened + timedelta(days=rng.randrange(3650))
            start = min(start, AS_OF)
            engagements.append(
                {
                    "engagementId": self.events.next_engagement(),
                    "typeEngagement": self.engagement_type.pick(rng),
                    "sousTypeEngagement": self.engagement_subtype.pick(rng),
                    "dateEffetEngagement": start.isoformat(),
                    "dateSignatureEngagement": start.isoformat(),
                    "dateCaduciteEngagement": None,
                    "dateFinEngagement": None,
                    "dateNotificationEngagement": None,
                    "nomEngagement": None,
                    "identifiantEngagement": None,
                    "motifArrete": None,
                    "autoriteRegulationEngagement": [],
                }
            )
        roles = []
        first = entity.establishments[0]
        if est is not first and rng.random() < ROLE_SHARE:
            roles.append({"idEgeNonPorteuse": obj, "idEgePorteuse": str(first.number + 1), "roleRelationEge": "B"})
        return {
            "informationsGeneralesEGE": {
                "egeId": obj,
                "complementDenominationEg": None,
                "dateFermeture": card.closed.isoformat() if card.closed else None,
                "dateOuverture": card.opened.isoformat(),
                "datePremiereAutorisation": card.opened.isoformat(),
                "nomEgeCourt": card.name,
                "nomEgeLong": card.long_name,
                "numeroEducationNationale": None,
                "numeroReferenceExterne": None,
                "numFinessEge": est.finess,
                "espic": espic,
                "siret": est.siret,
            },
            "categorieentiteGeographiqueExercice": est.category.code,
            "modefixationtarifaire": self.mft.pick(rng),
            "typeBudget": [self.budget.pick(rng)],
            "adresse": addresses,
            "contact": _contact(card),
            "engagement": engagements,
            "evenement": events,
            "roleEge": roles,
            "etatObjet": "A" if est.active else "I",
            "dateDerniereMaj": _stamp(day(rng, card.closed or card.opened, AS_OF), rng),
        }


def _indented(value: Any, depth: int) -> bytes:
    """``value`` as 2-space indented JSON nested ``depth`` levels deep (like ``json.dumps(indent=2)``)."""
    pad = b"\n" + b"  " * depth
    return b"  " * depth + orjson.dumps(value, option=orjson.OPT_INDENT_2).replace(b"\n", pad)


def _groupings(universe: Universe, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rng = stream(seed, "groupings")
    gco = [
        {"pmSmsseId": str(i + 1), "typeGco": kind, "pmejDuGco": [], "egeDuGco": []}
        for i, kind in sorted(universe.gco.items())
    ]
    gcc = []
    gcc_type = universe.tables.weighted("gcc_type")
    for k in range(universe.n_gcc):
        members = sorted(rng.sample(range(universe.entities), min(universe.entities, rng.randint(2, 9))))
        when = date(2017, 1, 1) if rng.random() < 0.9 else date(rng.randint(2018, 2024), 1, 1)
        gcc.append(
            {
                "gccId": str(k + 1),
                "nomGcc": f"Groupement territorial {k + 1}",
                "typeGcc": gcc_type.pick(rng),
                "numFinessGcc": f"{rng.randrange(10**10, 10**11)}",
                "engagement": [],
                "evenement": [
                    {
                        "evenementId": str(900_000_000 + k),
                        "dateEnregistrement": "2026-07-07 13:04:04",
                        "dateEvenement": when.isoformat(),
                        "etatObjet1": "003",
                        "identifiantObjet1": str(k + 1),
                        "identifiantObjet2": None,
                        "systemeMaitre": "01",
                        "typeObjet1": "GR",
                        "typeObjet2": None,
                        "codeEvenement": "003",
                    }
                ],
                "pmejDuGcc": [
                    {"pmSmsseId": str(m + 1), "typeRoleEntiteGroupe": "S" if j == 0 else "M"}
                    for j, m in enumerate(members)
                ],
                "egeDuGcc": [],
                "etatObjet": "A",
                "dateDerniereMaj": "1900-01-01 00:00:00",
            }
        )
    return gco, gcc


def write_finess(
    size: Size,
    seed: int,
    out: Path,
    *,
    gz: bool = False,
    progress: Progress | None = None,
    universe: Universe | None = None,
) -> Written:
    """Write the FINESS+ structures feed of ``size`` and ``seed`` as ``out/finess-structures.json[.gz]``."""
    universe = prepare_output(size, seed, out, universe)
    builder = FeedBuilder(universe.tables)
    numbering = Numbering()
    path = out / ("finess-structures.json.gz" if gz else "finess-structures.json")
    sink = Sink(path, gz)
    gco, gcc = _groupings(universe, seed)
    counts = {"pmej": 0, "ege": 0, "gco": len(gco), "gcc": len(gcc)}
    try:
        sink.write(b'{\n  "schemaVersion": ' + orjson.dumps(SCHEMA_VERSION) + b",\n")
        sink.write(b'  "generatedAt": ' + orjson.dumps(GENERATED_AT) + b",\n")
        for key, items in (("gco", gco), ("gcc", gcc)):
            sink.write(b'  "' + key.encode() + b'": ' + (b"[\n" if items else b"[],\n"))
            if items:
                sink.write(b",\n".join(_indented(item, 2) for item in items) + b"\n  ],\n")
        sink.write(b'  "pmej": [')
        done = 0
        for i, entity in enumerate(universe):
            described = describe(entity, universe.tables, numbering, seed)
            record = builder.pmej(described, stream(seed, "feed", entity.number))
            sink.write((b"\n" if i == 0 else b",\n") + _indented(record, 2))
            counts["pmej"] += 1
            counts["ege"] += len(entity.establishments)
            done += 1
            if progress and done % 200 == 0:
                progress(200)
        if progress and done % 200:
            progress(done % 200)
        sink.write(b"\n  ]\n}\n" if counts["pmej"] else b"]\n}\n")
    finally:
        sink.close()
    manifest = {"format": "finess-json", "size": size.value, "seed": seed, "counts": counts, "gzip": gz}
    (out / "MANIFEST.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return Written([path], counts, sink.size)
