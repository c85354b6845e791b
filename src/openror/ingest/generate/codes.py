"""NOS codings and ROR extension helpers of the synthetic data set (issue 4.5; spec a.1, i).

Instances carry the TRE URL in ``coding.system`` (spec i). Displays come from the shipped NOS
CodeSystems (``packaged_terminology().lookup``) and, for the TREs we do not ship, from the
displays of the shipped JDVs or of the IG examples (:data:`_DISPLAYS`). Codings and CodeableConcepts
are built once and shared between resources (they are never mutated: resources are serialised as
soon as they are built).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from openror.fhir.resources import PROFILES
from openror.fhir.terminology import nos_url, packaged_terminology

ROR_SD = "https://interop.esante.gouv.fr/ig/fhir/ror/StructureDefinition/"
HL7_SD = "http://hl7.org/fhir/StructureDefinition/"
ROR_CS = "https://interop.esante.gouv.fr/ig/fhir/ror/CodeSystem/"

SYSTEMS: dict[str, str] = {
    "G07": nos_url("TRE", "G07-TypeIdentifiantStructure"),
    "G15": nos_url("TRE", "G15-ProfessionSante"),
    "R04": nos_url("TRE", "R04-TypeSavoirFaire"),
    "R13": nos_url("TRE", "R13-CommuneOM"),
    "R23": nos_url("TRE", "R23-ModeExercice"),
    "R30": nos_url("TRE", "R30-RegionOM"),
    "R38": nos_url("TRE", "R38-SpecialiteOrdinale"),
    "R66": nos_url("TRE", "R66-CategorieEtablissement"),
    "R69": nos_url("TRE", "R69-FinessAgregatStatutJuridiqueNiv2"),
    "R72": nos_url("TRE", "R72-FinessStatutJuridique"),
    "R200": nos_url("TRE", "R200-CanalCommunication"),
    "R201": nos_url("TRE", "R201-TypeDivisionTerritoriale"),
    "R203": nos_url("TRE", "R203-StatutLieu"),
    "R207": nos_url("TRE", "R207-TypeOrganisationInterne"),
    "R211": nos_url("TRE", "R211-ActiviteOperationnelle"),
    "R212": nos_url("TRE", "R212-Equipement"),
    "R213": nos_url("TRE", "R213-ModePriseEnCharge"),
    "R227": nos_url("TRE", "R227-ChampActivite"),
    "R238": nos_url("TRE", "R238-OuvertureAnnuelle"),
    "R239": nos_url("TRE", "R239-PublicPrisEnCharge"),
    "R240": nos_url("TRE", "R240-TemporaliteAccueil"),
    "R244": nos_url("TRE", "R244-CategorieOrganisation"),
    "R247": nos_url("TRE", "R247-UcumUniteMesure"),
    "R252": nos_url("TRE", "R252-TypeHoraire"),
    "R283": nos_url("TRE", "R283-NiveauConfidentialite"),
    "R287": nos_url("TRE", "R287-NatureContact"),
    "R329": nos_url("TRE", "R329-NatureCapacite"),
    "R330": nos_url("TRE", "R330-TypeStatutCapacite"),
    "R331": nos_url("TRE", "R331-TemporaliteCapacite"),
    "R332": nos_url("TRE", "R332-GenreCapacite"),
    "R333": nos_url("TRE", "R333-TypeFermetureCapacite"),
    "R334": nos_url("TRE", "R334-TypeLitSupplementaire"),
    "R335": nos_url("TRE", "R335-TypeSourceCapacite"),
    "R336": nos_url("TRE", "R336-TypeCrise"),
    "R337": nos_url("TRE", "R337-AffectationTemporaire"),
    "R343": nos_url("TRE", "R343-FonctionLieu"),
    # the profile's pattern spells this one with an underscore in the last segment (spec i caveat)
    "R345": "https://mos.esante.gouv.fr/NOS/TRE_R345-TypeIdentifiantAutre/FHIR/TRE_R345-TypeIdentifiantAutre",
    "R349": nos_url("TRE", "R349-ActionAnomalie"),
    "R350": nos_url("TRE", "R350-ThematiqueAnomalie"),
    "R352": nos_url("TRE", "R352-StatutMetierAnomalie"),
    "R354": nos_url("TRE", "R354-TypeIdentifiantRessourceOperationnelle"),
    "R355": nos_url("TRE", "R355-TypeIdentifiantOffre"),
    "input": ROR_CS + "input-task-ror-codesystem",
}

# Displays of codes whose TRE is not shipped (from the shipped JDVs and the IG examples).
_DISPLAYS: dict[tuple[str, str], str] = {
    ("G15", "10"): "Médecin",
    ("R04", "S"): "Spécialité ordinale",
    ("R23", "S"): "Salarié",
    ("R23", "L"): "Libéral",
    ("R38", "SM04"): "Cardiologie et maladies vasculaires",
    ("R38", "SM20"): "Gynécologie-obstétrique",
    ("R38", "SM54"): "Médecine générale",
    ("R203", "3"): "Opérationnel",
    ("R331", "01"): "Courant",
    ("R331", "03"): "Prévisionnel 24 heures",
    ("R331", "04"): "Prévisionnel 48 heures",
    ("R332", "01"): "Femme",
    ("R332", "02"): "Homme",
    ("R332", "03"): "Indifférencié",
    ("R334", "01"): "Mobilisé",
    ("R334", "02"): "Mobilisable sans ressources humaines",
    ("R334", "03"): "Mobilisable avec ressources humaines",
    ("R335", "01"): "Saisie manuelle",
    ("R335", "02"): "Bed management",
    ("R335", "04"): "Dossier patient informatisé (DPI)",
    ("R336", "01"): "PMIE 1",
    ("R336", "02"): "Situation sanitaire Exceptionnelle (SSE) (Plan blanc)",
    ("R337", "01"): "Aucune",
    ("R337", "02"): "Covid+",
    ("R337", "03"): "Covid-",
    ("R352", "02"): "À traiter",
    ("R352", "03"): "Annulée",
    ("R352", "08"): "Corrigée",
    ("R354", "25"): "Identifiant fonctionnel du lieu",
    ("R354", "26"): "Identifiant externe de synchronisation",
    ("R244", "16"): "Unité d'hospitalisation (hors HDJ)",
}


@cache
def display(key: str, code: str) -> str | None:
    found = packaged_terminology().lookup(SYSTEMS[key], code)
    return found if found is not None else _DISPLAYS.get((key, code))


@cache
def coding(key: str, code: str) -> dict[str, Any]:
    text = display(key, code)
    out: dict[str, Any] = {"system": SYSTEMS[key], "code": code}
    if text is not None:
        out["display"] = text
    return out


@cache
def cc(key: str, code: str) -> dict[str, Any]:
    """A CodeableConcept with one coding."""
    return {"coding": [coding(key, code)]}


@cache
def commune_cc(cog: str, name: str) -> dict[str, Any]:
    return {"coding": [{"system": SYSTEMS["R13"], "code": cog, "display": name}]}


@cache
def meta(rtype: str, region: str) -> dict[str, Any]:
    """``meta`` with the ROR profile and the source region tag (TRE_R30); lastUpdated is the server's."""
    return {"profile": [PROFILES[rtype]], "tag": [coding("R30", region)]}


def ext(name: str, **value: Any) -> dict[str, Any]:
    """A ROR extension: ``ext("ror-meta-creation-date", valueDateTime=…)``."""
    return {"url": ROR_SD + name, **value}


def ext_cc(name: str, key: str, code: str) -> dict[str, Any]:
    return {"url": ROR_SD + name, "valueCodeableConcept": cc(key, code)}


def sub(url: str, **value: Any) -> dict[str, Any]:
    """A sub-extension with a relative url."""
    return {"url": url, **value}


@cache
def telecom_extensions(channel: str, level: str) -> list[dict[str, Any]]:
    """The two mandatory ROR telecom extensions (communication channel TRE_R200, confidentiality TRE_R283)."""
    return [
        ext_cc("ror-telecom-communication-channel", "R200", channel),
        ext_cc("ror-telecom-confidentiality-level", "R283", level),
    ]


def telecom(system: str, value: str, channel: str, level: str, use: str = "work") -> dict[str, Any]:
    return {"extension": telecom_extensions(channel, level), "system": system, "value": value, "use": use}
