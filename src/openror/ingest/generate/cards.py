"""Identification of the synthetic legal entities and establishments: numbers, names, addresses, phones (issue 4.5).

Shared by both outputs, so an establishment has the same FINESS number, name and address in the ROR
NDJSON and in the FINESS+ feed. Numbers come from counters advanced in universe order (FINESS
numbers per département, SIREN, RPPS) and carry valid check digits; they are FINESS/SIREN-*like* and
may coincide with real ones, so never mix generated and real data in one database. Everything else
comes from the entity's "card" stream. Phone numbers are taken from the ARCEP ranges reserved for
fiction; e-mail and MSSanté addresses use invented domains under ``openror-gen``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from openror.ingest.generate.model import Entity, Establishment
from openror.ingest.generate.tables import Commune, Tables
from openror.ingest.generate.universe import stream

AS_OF = date(2026, 11, 1)  # reference date of the data set: nothing depends on the wall clock
MSS_DOMAIN = "openror-gen.mssante.fr"
WEB_DOMAIN = "openror-gen.example"

# ARCEP numbers reserved for fiction (2 first groups), by region (overseas regions use the zone of
# their numbering plan: 02 for the Indian Ocean, 05 for the Antilles and Guyane).
_FICTION = {"01": "01 99 00", "02": "02 61 91", "03": "03 53 01", "04": "04 65 71", "05": "05 36 49"}
_ZONE = {
    "11": "01",
    "24": "02",
    "28": "02",
    "52": "02",
    "53": "02",
    "04": "02",
    "06": "02",
    "27": "03",
    "32": "03",
    "44": "03",
    "84": "04",
    "93": "04",
    "94": "04",
    "76": "04",
    "75": "05",
    "01": "05",
    "02": "05",
    "03": "05",
}
MOBILE = "06 39 98"

STREET_TYPES = {
    "R": "RUE",
    "AV": "AVENUE",
    "BD": "BOULEVARD",
    "PL": "PLACE",
    "RTE": "ROUTE",
    "CHE": "CHEMIN",
    "ALL": "ALLEE",
    "IMP": "IMPASSE",
    "CRS": "COURS",
    "QUA": "QUARTIER",
    "QU": "QUAI",
    "SQ": "SQUARE",
    "LOT": "LOTISSEMENT",
    "RES": "RESIDENCE",
    "LD": "LIEU DIT",
    "ZA": "ZONE ARTISANALE",
    "ESP": "ESPLANADE",
    "FG": "FAUBOURG",
    "PAS": "PASSAGE",
    "IMM": "IMMEUBLE",
    "ESPA": "ESPACE",
    "VC": "VOIE COMMUNALE",
    "HAM": "HAMEAU",
    "CAR": "CARREFOUR",
    "PRV": "PARVIS",
    "MTE": "MONTEE",
    "SEN": "SENTIER",
    "PRO": "PROMENADE",
    "VOIE": "VOIE",
    "CITE": "CITE",
    "ZI": "ZONE INDUSTRIELLE",
    "RPT": "ROND POINT",
}

NAME_WORDS = (
    "LES TILLEULS",
    "LE VAL FLEURI",
    "LES GLYCINES",
    "SAINT JOSEPH",
    "SAINTE MARIE",
    "LES CHARMILLES",
    "LA ROSERAIE",
    "LES OLIVIERS",
    "LE BOIS JOLI",
    "LES PEUPLIERS",
    "LA SOURCE",
    "LES CEDRES",
    "L'ARC EN CIEL",
    "LES MARRONNIERS",
    "LE PARC",
    "LES JARDINS D'AUTOMNE",
    "LA FONTAINE",
    "LES ACACIAS",
    "LE CLOS DES VIGNES",
    "LES HIRONDELLES",
    "SAINT LOUIS",
    "LA CHAUMIERE",
    "LES LILAS",
    "LE PRIEURE",
    "LES SAULES",
    "LA COLLINE",
    "LES BRUYERES",
    "LE MOULIN",
    "LES AMANDIERS",
    "PASTEUR",
    "JEAN MOULIN",
    "VICTOR HUGO",
    "LES ECUREUILS",
    "LA PASSERELLE",
    "L'OREE DU BOIS",
    "LES MIMOSAS",
    "LE PHARE",
    "LES PINS",
    "BELLEVUE",
    "LA MAISON BLEUE",
)

FAMILY_NAMES = [
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEVRE",
    "FAURE",
    "ANDRE",
    "MERCIER",
    "BLANC",
    "GUERIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANCOIS",
    "LEGRAND",
    "GAUTHIER",
    "GARCIA",
    "PERRIN",
    "ROBIN",
    "CLEMENT",
    "MORIN",
    "NICOLAS",
    "HENRY",
    "ROUSSEL",
    "MATHIEU",
    "GAUTIER",
    "MASSON",
    "MARCHAND",
    "DUVAL",
    "DENIS",
    "DUMONT",
    "MARIE",
    "LEMAIRE",
    "NOEL",
    "MEYER",
    "DUFOUR",
    "MEUNIER",
    "BRUN",
    "BLANCHARD",
    "GIRAUD",
    "JOLY",
    "RIVIERE",
    "LUCAS",
    "BRUNET",
    "GAILLARD",
    "BARBIER",
    "ARNAUD",
    "MARTINEZ",
    "GERARD",
    "ROCHE",
    "RENARD",
    "SCHMITT",
    "ROY",
    "LEROUX",
    "COLIN",
    "VIDAL",
    "CARON",
    "PICARD",
    "ROGER",
    "FABRE",
    "AUBERT",
    "LEMOINE",
    "RENAUD",
    "DUMAS",
    "LACROIX",
    "OLIVIER",
    "PHILIPPE",
    "BOURGEOIS",
    "PIERRE",
    "BENOIT",
    "REY",
    "LECLERC",
    "PAYET",
    "ROLLAND",
    "LECLERCQ",
    "GUILLAUME",
    "LECOMTE",
    "LOPEZ",
    "JEAN",
    "DUPUY",
    "GUILLOT",
    "HUBERT",
    "BERGER",
    "CARPENTIER",
    "SANCHEZ",
    "DUPUIS",
    "MOULIN",
    "LOUIS",
    "DESCHAMPS",
    "HUET",
    "VASSEUR",
    "PEREZ",
    "BOUCHER",
    "FLEURY",
    "ROYER",
    "KLEIN",
    "JACQUET",
    "ADAM",
    "PARIS",
    "POIRIER",
    "MARTY",
    "AUBRY",
    "GUYOT",
    "CARRE",
    "CHARLES",
    "RENAULT",
    "CHARPENTIER",
    "MENARD",
    "MAILLARD",
    "BARON",
    "BERTIN",
    "BAILLY",
    "HERVE",
    "SCHNEIDER",
    "FERNANDEZ",
    "LE",
    "GALL",
    "COLLET",
    "LEGER",
    "BOUVIER",
    "JULIEN",
    "PREVOST",
    "MILLET",
    "PERROT",
]

GIVEN_FEMALE = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sylvie",
    "Catherine",
    "Sophie",
    "Christine",
    "Sandrine",
    "Valérie",
    "Céline",
    "Stéphanie",
    "Julie",
    "Aurélie",
    "Emilie",
    "Camille",
    "Laura",
    "Sarah",
    "Manon",
    "Léa",
    "Chloé",
    "Emma",
    "Pauline",
    "Claire",
    "Anne",
    "Hélène",
    "Agnès",
    "Elodie",
    "Caroline",
    "Virginie",
    "Laetitia",
    "Audrey",
    "Mélanie",
    "Marion",
    "Lucie",
    "Inès",
    "Juliette",
    "Alice",
    "Louise",
    "Jeanne",
    "Margaux",
]
GIVEN_MALE = [
    "Jean",
    "Pierre",
    "Michel",
    "Philippe",
    "Alain",
    "Nicolas",
    "Christophe",
    "Patrick",
    "Laurent",
    "Frédéric",
    "Sébastien",
    "Julien",
    "David",
    "Stéphane",
    "Olivier",
    "Thomas",
    "Eric",
    "Pascal",
    "Vincent",
    "Antoine",
    "Maxime",
    "Alexandre",
    "Romain",
    "Guillaume",
    "Mathieu",
    "Hugo",
    "Lucas",
    "Louis",
    "Paul",
    "Arthur",
    "Nathan",
    "Théo",
    "Adrien",
    "Benoît",
    "François",
    "Xavier",
    "Yann",
    "Karim",
    "Mehdi",
]


def luhn_key(digits: str) -> str:
    """The Luhn check digit to append to ``digits`` (letters count as 0)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) if ch.isdigit() else 0
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    return luhn_key(number[:-1]) == number[-1]


class Numbering:
    """Counters advanced in universe order: FINESS numbers per département, SIREN."""

    def __init__(self) -> None:
        self.finess: dict[str, int] = {}
        self.siren = 0

    def next_finess(self, departement: str) -> str:
        n = self.finess.get(departement, 0)
        self.finess[departement] = n + 1
        body = f"{departement}{80_000 + n:05d}" if len(departement) == 3 else f"{departement}{800_000 + n:06d}"
        return body + luhn_key(body)

    def next_siren(self) -> str:
        self.siren += 1
        body = f"9{self.siren:07d}"
        return body + luhn_key(body)


def siret(siren: str, nic: int) -> str:
    body = f"{siren}{nic:04d}"
    return body + luhn_key(body)


@dataclass(slots=True)
class Address:
    number: str | None
    suffix: str | None  # B, T, Q…
    street_type: str | None  # FINESS code (may carry the padding spaces of the real file)
    street: str | None
    lieu_dit: str | None
    commune: Commune
    lat: float | None
    lon: float | None
    x: float | None
    y: float | None

    @property
    def street_type_code(self) -> str | None:
        return self.street_type.strip() if self.street_type else None

    def line(self) -> str | None:
        """The street line as FINESS writes it (ligneQuatre): ``62 AVENUE DE JASSERON``."""
        if not self.street:
            return None
        parts = [p for p in (self.number, self.suffix) if p]
        code = self.street_type_code
        if code:
            parts.append(STREET_TYPES.get(code, code))
        parts.append(self.street)
        return " ".join(parts)


@dataclass(slots=True)
class Card:
    name: str  # short name (≤ 38)
    long_name: str  # long name (≤ 80)
    address: Address
    phone: str | None  # FINESS format 0XXXXXXXXX
    fax: str | None
    email: str | None
    opened: date
    closed: date | None
    slug: str  # for invented e-mail domains


def day(rng: Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange(max(1, (end - start).days)))


def phone(rng: Random, region: str, *, spaced: bool = True, mobile: bool = False) -> str:
    head = MOBILE if mobile else _FICTION[_ZONE.get(region, "01")]
    number = f"{head} {rng.randrange(100):02d} {rng.randrange(100):02d}"
    return number if spaced else number.replace(" ", "")


def person(rng: Random) -> tuple[str, str, str]:
    """(family, given, gender) of an invented person."""
    gender = "female" if rng.random() < 0.55 else "male"
    given = rng.choice(GIVEN_FEMALE if gender == "female" else GIVEN_MALE)
    family = rng.choice(FAMILY_NAMES)
    if rng.random() < 0.08:
        family = f"{family}-{rng.choice(FAMILY_NAMES)}"
    return family, given, gender


def _address(rng: Random, tables: Tables, commune: Commune, geocoded: float) -> Address:
    nat = tables.national
    street = rng.choice(tables.streets) if rng.random() < nat["address_street_share"] else None
    number = str(rng.randint(1, 250)) if street and rng.random() < nat["address_number_share"] else None
    suffix = (
        rng.choice(("B", "B", "B", "T", "C")) if number and rng.random() < nat["address_complement_share"] else None
    )
    lieu_dit = None
    if rng.random() < nat["address_lieu_dit_share"]:
        lieu_dit = f"BP {rng.randint(1, 999)}" if rng.random() < 0.6 else rng.choice(NAME_WORDS)
    lat = lon = x = y = None
    if commune.lat is not None and commune.lon is not None and rng.random() < geocoded:
        dlat, dlon = (rng.random() - 0.5) * 0.02, (rng.random() - 0.5) * 0.02
        lat, lon = round(commune.lat + dlat, 6), round(commune.lon + dlon, 6)
        if commune.x is not None and commune.y is not None:  # metres: small offsets, local scale
            x = round(commune.x + dlon * 111_320 * _cos(commune.lat), 2)
            y = round(commune.y + dlat * 110_574, 2)
    return Address(
        number, suffix, tables.street_types.pick(rng) if street else None, street, lieu_dit, commune, lat, lon, x, y
    )


def _cos(degrees: float) -> float:
    return math.cos(math.radians(degrees))


def _abbreviation(label: str) -> str:
    """``Service de Soins Infirmiers A Domicile (S.S.I.A.D)`` → ``SSIAD``; else the first words."""
    if "(" in label and label.rstrip().endswith(")"):
        inner = label[label.rindex("(") + 1 : -1].replace(".", "").replace(" ", "")
        if 2 <= len(inner) <= 12:
            return inner.upper()
    words = [w for w in label.upper().replace("'", " ").split() if len(w) > 2][:3]
    return " ".join(words)[:20]


_ENTITY_PREFIX = {
    "13": "CH",
    "14": "CH INTERCOMMUNAL",
    "11": "EPSM",
    "17": "CCAS DE",
    "21": "EHPAD PUBLIC DE",
    "22": "SIVU DE",
    "19": "ESMS DEPARTEMENTAL DE",
    "02": "DEPARTEMENT DE",
    "03": "COMMUNE DE",
    "60": "ASSOCIATION",
    "61": "ASSOCIATION",
    "63": "FONDATION",
    "47": "MUTUELLE",
    "95": "SAS",
    "73": "SA",
    "72": "SARL",
    "85": "SELARL",
    "91": "SELAS",
    "86": "SELAFA",
    "74": "SCM",
    "80": "SISA",
    "78": "EURL",
    "100": "SELARLU",
    "70": "",
    "28": "GIP",
    "29": "GCS",
    "89": "GCS",
    "30": "GCSMS",
    "66": "GCSMS",
}
_BY_CITY = {"13", "14", "11", "17", "21", "22", "19", "02", "03"}


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n].rstrip()


def entity_card(rng: Random, tables: Tables, entity: Entity) -> Card:
    commune = entity.commune
    prefix = _ENTITY_PREFIX.get(entity.statut, "")
    if entity.statut in _BY_CITY:
        core = commune.city
    elif entity.family == "pharmacy":
        core = f"PHARMACIE {rng.choice(FAMILY_NAMES)}"
    elif entity.statut == "70":
        family, given, _ = person(rng)
        core = f"{family} {given.upper()}"
    else:
        core = rng.choice(NAME_WORDS)
    long_name = f"{prefix} {core}".strip()
    address = _address(rng, tables, commune, tables.national["pmej_geocoded_share"])
    has_contact = rng.random() < tables.national["pmej_with_contact_share"]
    opened = day(rng, date(1950, 1, 1), date(2025, 6, 1))
    closed = None if entity.active else day(rng, opened, AS_OF - timedelta(days=60))
    return Card(
        name=_clip(long_name, 38),
        long_name=_clip(long_name, 98),
        address=address,
        phone=phone(rng, commune.region, spaced=False) if has_contact else None,
        fax=phone(rng, commune.region, spaced=False) if has_contact and rng.random() < 0.4 else None,
        email=None,
        opened=opened,
        closed=closed,
        slug=f"ej{entity.number + 1}",
    )


def establishment_card(rng: Random, tables: Tables, entity: Entity, est: Establishment) -> Card:
    nat = tables.national
    abbr = _abbreviation(est.category.label)
    if est.category.family == "pharmacy":
        core = f"PHARMACIE {rng.choice(FAMILY_NAMES)}"
        short, long_name = core, f"{core} {est.commune.city}"
    elif est.category.family in ("mco", "psy", "ssr") and rng.random() < 0.5:
        short = f"{abbr} {est.commune.city}"
        long_name = f"{est.category.label.split('(')[0].strip().upper()} DE {est.commune.city}"
    else:
        word = rng.choice(NAME_WORDS)
        short = f"{abbr} {word}"
        long_name = f"{abbr} {word} {est.commune.city}"
    has_contact = rng.random() < nat["ege_with_contact_share"]
    tel = (
        phone(rng, est.commune.region, spaced=False) if has_contact and rng.random() < nat["telephone_share"] else None
    )
    fax = (
        phone(rng, est.commune.region, spaced=False) if has_contact and rng.random() < nat["telecopie_share"] else None
    )
    email = f"contact@{est.number + 1}.{WEB_DOMAIN}" if has_contact and rng.random() < nat["courriel_share"] else None
    opened = day(rng, date(1950, 1, 1), date(2025, 6, 1))
    if est.ror is not None:  # ROR establishments open before their data was entered
        opened = min(opened, date(2014, 12, 31))
    closed = None if est.active else day(rng, opened, AS_OF - timedelta(days=60))
    return Card(
        name=_clip(short, 38),
        long_name=_clip(long_name, 80),
        address=_address(rng, tables, est.commune, nat["ege_geocoded_share"]),
        phone=tel,
        fax=fax,
        email=email,
        opened=opened,
        closed=closed,
        slug=f"eg{est.number + 1}",
    )


@dataclass(slots=True)
class Described:
    """An entity with its numbers and cards, ready for either output."""

    entity: Entity
    card: Card
    cards: list[Card]  # one per establishment


def describe(entity: Entity, tables: Tables, numbering: Numbering, seed: int) -> Described:
    """Numbers (counters, in universe order) and cards (the entity's card stream) of ``entity``."""
    rng = stream(seed, "card", entity.number)
    entity.finess = numbering.next_finess(entity.commune.departement)
    if rng.random() < tables.national["pmej_siren_share"]:
        entity.siren = numbering.next_siren()
    card = entity_card(rng, tables, entity)
    cards = []
    for j, est in enumerate(entity.establishments):
        est.finess = numbering.next_finess(est.commune.departement)
        if entity.siren and rng.random() < tables.national["ege_siret_share"]:
            est.siret = siret(entity.siren, j + 1)
        cards.append(establishment_card(rng, tables, entity, est))
    return Described(entity, card, cards)
