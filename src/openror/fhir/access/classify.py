"""Visibility class of each element of a resource (spec f; the element half of docs/security.md).

One function, ``child_class``, is used by the search-index getters (every index row carries the
class of the element its value came from) and by the redaction walk, so what a profile can match
and what it can read are decided by the same code.
"""

from __future__ import annotations

from typing import Any

from openror.fhir.access.rules import Category, Level, combine

ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
SENSITIVE_UNIT_URL = ROR_SD + "ror-healthcareservice-sensitive-unit"
SUPPORTED_CAPACITY_URL = ROR_SD + "ror-location-supported-capacity"
ACT_TYPE_URL = ROR_SD + "ror-act-type"
CONFIDENTIALITY_URLS = frozenset(
    {
        ROR_SD + "ror-telecom-confidentiality-level",
        ROR_SD + "ror-contact-confidentiality-level",
        ROR_SD + "ror-confidentiality-level",
    }
)
_LEVEL_OF_CODE = {"2": Level.RESTRICTED, "3": Level.VERY_RESTRICTED}  # TRE_R283; "1" accès libre is PUBLIC

# Extensions that are a category by their URL alone.
CATEGORY_OF_URL: dict[str, Category] = {
    ROR_SD + "ror-location-equipment": Category.EQUIPMENT,
    ROR_SD + "ror-location-residential-capacity": Category.CAPACITY_INSTALLED,
    ROR_SD + "ror-organization-level-recours-orsan": Category.ORSAN,
    ROR_SD + "ror-organization-level-recourse-orsan": Category.ORSAN,
    ROR_SD + "ror-organization-drop-zone": Category.ORSAN,
}

# TRE_R330-TypeStatutCapacite of a supported-capacity record → category.
CAPACITY_STATUS_CATEGORY = {"01": Category.CAPACITY_INSTALLED, "06": Category.CAPACITY_SUPPLEMENTARY}

# HealthcareService.characteristic slices that are "offer details" (acteSpecifique,
# acteRealiseHorsCabinet, specialisationPriseEnCharge, professionRessource, competenceSpecifique),
# recognised by the NOS table named in coding.system (the slicing discriminator) or, for the two act
# slices, by their mandatory ror-act-type extension.
OFFER_DETAIL_TABLES = (
    "ActeSpecifique",
    "SpecialisationDePriseEnCharge",
    "SpecialisationPriseEnCharge",
    "ProfessionRessource",
    "CompetenceSpecifique",
)


def own_level(obj: dict[str, Any]) -> int:
    """Confidentiality level carried by ``obj`` itself (its TRE_R283 extension); PUBLIC when none."""
    extensions = obj.get("extension")
    if type(extensions) is not list:
        return Level.PUBLIC
    level: int = Level.PUBLIC
    for ext in extensions:
        if type(ext) is dict and ext.get("url") in CONFIDENTIALITY_URLS:
            concept = ext.get("valueCodeableConcept")
            codings = concept.get("coding") if type(concept) is dict else None
            for coding in codings if type(codings) is list else ():
                code = coding.get("code") if type(coding) is dict else None
                if type(code) is str:
                    level = max(level, _LEVEL_OF_CODE.get(code, Level.PUBLIC))
    return level


def _sub_code(ext: dict[str, Any], name: str) -> str | None:
    for sub in ext.get("extension") or ():
        if type(sub) is dict and sub.get("url") == name:
            concept = sub.get("valueCodeableConcept")
            for coding in (concept.get("coding") if type(concept) is dict else None) or ():
                if type(coding) is dict and type(coding.get("code")) is str:
                    return str(coding["code"])
    return None


def capacity_category(ext: dict[str, Any]) -> Category:
    """Category of one ror-location-supported-capacity record, by its capacityStatus (TRE_R330)."""
    return CAPACITY_STATUS_CATEGORY.get(_sub_code(ext, "capacityStatus") or "", Category.CAPACITY_OTHER)


def _is_offer_detail(item: dict[str, Any]) -> bool:
    for ext in item.get("extension") or ():
        if type(ext) is dict and ext.get("url") == ACT_TYPE_URL:
            return True
    for coding in item.get("coding") or ():
        system = coding.get("system") if type(coding) is dict else None
        if type(system) is str and any(t in system for t in OFFER_DETAIL_TABLES):
            return True
    return False


def item_category(name: str, item: dict[str, Any]) -> int:
    """Category an element starts (BASE when it starts none): by extension URL, or characteristic slice."""
    url = item.get("url")
    if url is not None:
        if url == SUPPORTED_CAPACITY_URL:
            return capacity_category(item)
        return CATEGORY_OF_URL.get(url, Category.BASE) if type(url) is str else Category.BASE
    if name == "characteristic" and _is_offer_detail(item):
        return Category.OFFER_DETAIL
    return Category.BASE


def child_class(parent: int, name: str, item: Any) -> int:
    """Visibility class of ``item``, found under member ``name`` of an element of class ``parent``."""
    if type(item) is not dict:
        return parent
    category = item_category(name, item) if ("url" in item or name == "characteristic") else Category.BASE
    level = own_level(item) if "extension" in item else Level.PUBLIC
    if not category and not level:
        return parent
    return combine(parent, level, category)


def is_sensitive_unit(resource: dict[str, Any]) -> bool:
    """A HealthcareService whose uniteSensible extension is true."""
    for ext in resource.get("extension") or ():
        if type(ext) is dict and ext.get("url") == SENSITIVE_UNIT_URL and ext.get("valueBoolean") is True:
            return True
    return False
