"""PS_LibreAcces_Personne_activite lines of one professional → a ROR Practitioner (spec a.6).

* ``id``: ``rpps-`` + Identification nationale PP (deterministic: a re-import updates the same resource).
* ``identifier`` (1..1): system ``urn:oid:1.2.250.1.71.4.2.1``, value the Identification nationale PP
  (idNat_PS: ``8`` + RPPS number or ``0`` + ADELI number).
* ``active``: true (the professional is in the extract).
* ``name[0]``: ``use`` usual, ``family`` Nom d'exercice, ``given`` Prénom d'exercice, ``prefix`` the
  Code civilité (a JDV_J207-Civilite-ROR code: M, MME, MLLE).
* ``qualification``: Code/Libellé profession (TRE_G15-ProfessionSante), and Code/Libellé savoir-faire
  when its type is ``S`` (TRE_R38-SpecialiteOrdinale); one per distinct code over the professional's lines.

Not mapped: the civilité d'exercice (DR, PR…: ``ror-practitionerrole-name`` belongs to the
PractitionerRole), the other savoir-faire types, the practice situations and their structures
(see docs/ingest-nos-rpps.md: no PractitionerRole is created).
"""

from __future__ import annotations

from typing import Any

from openror.fhir.errors import Category, FhirError
from openror.fhir.terminology import nos_url
from openror.ingest.rpps.extract import FAMILY, ID_PP, NAT_ID, TYPE, Line

PRACTITIONER_ID_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
PROFESSION_SYSTEM = nos_url("TRE", "G15-ProfessionSante")
SPECIALTY_SYSTEM = nos_url("TRE", "R38-SpecialiteOrdinale")
ID_PREFIX = "rpps-"

GIVEN, CIVILITY = "Prénom d'exercice", "Code civilité"
PROFESSION, PROFESSION_LABEL = "Code profession", "Libellé profession"
SKILL_TYPE, SKILL, SKILL_LABEL = "Code type savoir-faire", "Code savoir-faire", "Libellé savoir-faire"
IDENTITY = (TYPE, ID_PP, CIVILITY, FAMILY, GIVEN)
"""Columns that must agree on every line of one professional."""


def practitioner_id(national_id: str) -> str:
    return ID_PREFIX + national_id


def practitioner(national_id: str, lines: list[Line], columns: dict[str, int]) -> dict[str, Any]:
    """The Practitioner of one professional; FhirError when its lines disagree on who it is."""

    def get(fields: list[str], column: str) -> str:
        return fields[columns[column]].strip()

    first_no, first = lines[0]
    for lineno, fields in lines[1:]:
        differ = [c for c in IDENTITY if get(fields, c) != get(first, c)]
        if differ:
            raise FhirError.of(
                Category.INVALID,
                f"duplicate {NAT_ID} {national_id} with a different identity on lines {first_no} and {lineno} "
                f"({', '.join(differ)}): not imported",
            )
    name: dict[str, Any] = {"use": "usual", "family": get(first, FAMILY)}
    if get(first, GIVEN):
        name["given"] = [get(first, GIVEN)]
    if get(first, CIVILITY):
        name["prefix"] = [get(first, CIVILITY)]
    qualifications: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def qualify(system: str, code: str, label: str) -> None:
        if code and (system, code) not in seen:
            seen.add((system, code))
            coding = {"system": system, "code": code}
            if label:
                coding["display"] = label
            qualifications.append({"code": {"coding": [coding]}})

    for _lineno, fields in lines:
        qualify(PROFESSION_SYSTEM, get(fields, PROFESSION), get(fields, PROFESSION_LABEL))
    for _lineno, fields in lines:
        if get(fields, SKILL_TYPE) == "S":
            qualify(SPECIALTY_SYSTEM, get(fields, SKILL), get(fields, SKILL_LABEL))
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": practitioner_id(national_id),
        "identifier": [{"use": "official", "system": PRACTITIONER_ID_SYSTEM, "value": national_id}],
        "active": True,
        "name": [name],
    }
    if qualifications:
        resource["qualification"] = qualifications
    return resource
