"""The FINESS → FHIR mapping tables of both formats, as data (spec a.2, a.4; docs/ingest.md).

Each :class:`Field` names a FINESS field (a dotted JSON path relative to its record, or an etalab CSV
column), the attribute of the format-neutral record it fills (:mod:`openror.ingest.finess.model`;
empty when the field is read but not mapped) and, for the documentation, the FHIR element it ends in.
The parsers read the files through these tables; ``docs/ingest.md`` prints them (a test keeps the
two in step).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Field:
    source: str
    target: str
    fhir: str

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.source.split("."))


_ID_EJ = "`Organization.id` = `finess-ej-<n>`; `identifier:finess` (type 1), `identifier:idNatSt` (type 40, `1`+n)"
_ID_EG = "`Organization.id` = `finess-eg-<n>`, `Location.id` = `loc-finess-<n>`; EG `identifier:finess`, `:idNatSt`"
_NAME = "`name` (the long name when given, else this one); the short name goes to `alias` when both differ"
_LOC_NAME = "EG `name`/`alias`, `Location.name`"
_CLOSED = "`extension:organization-period.valuePeriod.end`; `active` = false"
_STATE = "`I` (inactive) → `active` = false (Location `status` inactive, `operationalStatus` TRE_R203 `1`)"
_COMPLEMENT = "`name.extension:ror-organization-additional-name`"

# -- FINESS+ JSON "structures" feed (schema-structures-v1.json), record pmej[] ------------------------

JSON_EJ: tuple[Field, ...] = (
    Field("informationsGeneralesPMEJ.numFinessPm", "finess", _ID_EJ),
    Field("informationsGeneralesPMEJ.denominationPm", "name", "EJ " + _NAME),
    Field("informationsGeneralesPMEJ.denominationLonguePmSmsse", "long_name", "EJ `name`"),
    Field("informationsGeneralesPMEJ.siren", "siren", "EJ `identifier:sirene` (type 2, system `https://sirene.fr`)"),
    Field(
        "informationsGeneralesPMEJ.statutJuridique",
        "legal_status",
        "EJ `type:statutJuridiqueINSEE` (TRE_R72-FinessStatutJuridique)",
    ),
    Field("informationsGeneralesPMEJ.dateCreation", "created", "EJ `extension:ror-organization-creation-date`"),
    Field("informationsGeneralesPMEJ.dateFermeture", "closed", "EJ " + _CLOSED),
    Field("etatObjet", "state", "EJ " + _STATE),
    Field("adresse[]", "address", "EJ `address` (the `usageAdresse` 02 address, else the first), region `meta.tag`"),
    Field("contact[].telecom", "telecoms", "EJ `telecom` (see contacts)"),
    Field("informationsGeneralesPMEJ.codeApe", "", "not mapped (no ROR element)"),
    Field("informationsGeneralesPMEJ.typePersonneMorale", "", "not mapped"),
    Field("informationsGeneralesPMEJ.fonctionPublique", "", "not mapped"),
    Field("engagement[], evenement[], gcc[], gco[]", "", "not mapped (conventions, event history, groupings)"),
    Field("ege[]", "", "the EJ's establishments (below), `partOf` this EJ"),
)

JSON_EG: tuple[Field, ...] = (
    Field("informationsGeneralesEGE.numFinessEge", "finess", _ID_EG),
    Field("informationsGeneralesEGE.nomEgeCourt", "name", "EG " + _NAME),
    Field("informationsGeneralesEGE.nomEgeLong", "long_name", _LOC_NAME),
    Field("informationsGeneralesEGE.complementDenominationEg", "name_complement", "EG " + _COMPLEMENT),
    Field("informationsGeneralesEGE.siret", "siret", "EG `identifier:numSIRET` (type 3, system `https://sirene.fr`)"),
    Field(
        "categorieentiteGeographiqueExercice",
        "category",
        "EG `type:categorieEtablissement` (TRE_R66) when JDV_J55 accepts it, else the `finess-category` extension",
    ),
    Field("informationsGeneralesEGE.espic", "espic", "EG `type:sphParticipation` (TRE_R73-ESPIC), first value"),
    Field("informationsGeneralesEGE.dateOuverture", "opened", "EG `extension:organization-period.valuePeriod.start`"),
    Field("informationsGeneralesEGE.dateFermeture", "closed", "EG " + _CLOSED),
    Field("etatObjet", "state", "EG " + _STATE),
    Field("adresse[]", "address", "EG and Location `address` (the `usageAdresse` 03 address), position, region"),
    Field("contact[].telecom", "telecoms", "EG `telecom`"),
    Field("informationsGeneralesEGE.datePremiereAutorisation", "", "not mapped"),
    Field("informationsGeneralesEGE.numeroEducationNationale", "", "not mapped"),
    Field("modefixationtarifaire, typeBudget[], roleEge[]", "", "not mapped"),
    Field("engagement[], evenement[]", "", "not mapped"),
)

JSON_ADDRESS: tuple[Field, ...] = (
    Field("usageAdresse", "usage", "selects the address: 02 (EJ seat), 03 (EG); 04 and 06 are not mapped"),
    Field("numeroVoie", "number", "`line` + `_line` extension iso21090-ADXP-houseNumber"),
    Field("complementVoie", "number_suffix", "iso21090-ADXP-buildingNumberSuffix"),
    Field("typeVoie", "street_type", "iso21090-ADXP-streetNameType"),
    Field("libelleVoie", "street", "iso21090-ADXP-streetNameBase"),
    Field("ligneQuatre", "street_line", "the street `line` text (else built from the parts)"),
    Field("complementPointGeographique", "complement", "a `line` with iso21090-ADXP-additionalLocator"),
    Field("lieuDit", "lieu_dit", "a `line` with as-ext-lieu-dit (iso21090-ADXP-postBox for BP/CS/TSA)"),
    Field("cogCommune", "commune", "`address.extension` fr-address-insee-code, Location `ror-commune-cog` (TRE_R13)"),
    Field("codePostal", "postal_code", "`address.postalCode`"),
    Field("ligneAcheminement", "city", "`address.city`"),
    Field(
        "coordonneesGeographique.coordonneeX",
        "lon",
        "WGS84 longitude: Location `position.longitude`, Organization `address.extension:geolocation`",
    ),
    Field("coordonneesGeographique.coordonneeY", "lat", "WGS84 latitude: `position.latitude`"),
    Field(
        "coordonneesGeographique.directionLongitude",
        "lambert_x",
        "Lambert-93 X metres: used (projected with pyproj) only when coordonneeX/Y are missing",
    ),
    Field("coordonneesGeographique.directionLatitude", "lambert_y", "Lambert-93 Y metres (idem)"),
    Field("coordonneesGeographique.cleInInteropBAN, scoreBAN", "", "not mapped"),
)

JSON_CONTACT: tuple[Field, ...] = (
    Field(
        "telephone",
        "phone",
        "`telecom` system phone, ror-telecom-communication-channel TRE_R200 2 (1 for 06/07 numbers)",
    ),
    Field("telecopie", "fax", "`telecom` system fax, channel 6"),
    Field("courriel", "email", "`telecom` system email, channel 3"),
)

# -- FINESS+ JSON "activités" feed (schema-activites-v1.json), record pmej[] --------------------------

JSON_ACTIVITY: tuple[Field, ...] = (
    Field("caracteristiquesGeneriques.activiteAeId", "activityId", "`activityId` (string)"),
    Field("caracteristiquesGeneriques.identifiantAutorisation", "authorisationId", "`authorisationId` (string)"),
    Field("caracteristiquesGeneriques.numAutorisationArhgos", "arhgosNumber", "`arhgosNumber` (string)"),
    Field("nature.codeNature", "nature", "`nature` (code: ASR, ASDR, ASMR, ASOCR, AMF, AMM, AER, AASA, EML…)"),
    Field("caracteristiquesGeneriques.typeActiviteSMSSE", "smsseType", "`smsseType` (code)"),
    Field("caracteristiquesGeneriques.etatObjet", "active", "`active` (boolean, A → true)"),
    Field(
        "caracteristiquesGeneriques.dateDebutActiviteAutorisee",
        "authorisedPeriod.start",
        "`authorisedPeriod.start`",
    ),
    Field("caracteristiquesGeneriques.dateFinActiviteAutorisee", "authorisedPeriod.end", "`authorisedPeriod.end`"),
    Field("caracteristiquesGeneriques.dateFinEffectiveActivite", "effectiveEnd", "`effectiveEnd` (date)"),
    Field("caracteristiquesGeneriques.dateCaduciteAutorisation", "lapseDate", "`lapseDate` (date)"),
    Field("nature.caracteristiquesSpecifiques.ageMinAutorise", "authorisedAgeMin", "`authorisedAgeMin` (integer)"),
    Field("nature.caracteristiquesSpecifiques.ageMaxAutorise", "authorisedAgeMax", "`authorisedAgeMax` (integer)"),
    Field("nature.caracteristiquesSpecifiques.ageMinInstalle", "installedAgeMin", "`installedAgeMin` (integer)"),
    Field("nature.caracteristiquesSpecifiques.ageMaxInstalle", "installedAgeMax", "`installedAgeMax` (integer)"),
)

# Leaves of nature.caracteristiquesSpecifiques.typeActivite<Nature> (any nature).
JSON_ACTIVITY_TYPE: tuple[Field, ...] = (
    Field("activiteSanitaireRegulee", "activity", "`activity` (code)"),
    Field("activiteSanitaireDiverseRegulee", "activity", "`activity`"),
    Field("activiteSocialeRegulee", "activity", "`activity`"),
    Field("activiteEnseignementRegulee", "activity", "`activity`"),
    Field("activiteAMF", "activity", "`activity`"),
    Field("activiteAMM", "activity", "`activity`"),
    Field("modaliteActivite", "modality", "`modality` (code)"),
    Field("modaliteAMM", "modality", "`modality`"),
    Field("formeActivite", "form", "`form` (code)"),
    Field("modeFonctionnement", "operatingMode", "`operatingMode` (code)"),
    Field("public", "public", "`public` (code)"),
    Field("typeEmlId", "equipmentType", "`equipmentType` (code, EML = heavy equipment)"),
)

JSON_CAPACITY: tuple[Field, ...] = (
    Field("idCapacite", "id", "`capacity.id` (string)"),
    Field("nombre", "count", "`capacity.count` (integer)"),
    Field("statutCapacite", "status", "`capacity.status` (code: installed / authorised…)"),
    Field("uniteMesureCapacite", "unit", "`capacity.unit` (code: beds, places…)"),
    Field("genre", "gender", "`capacity.gender` (code)"),
    Field("habilitation", "habilitation", "`capacity.habilitation` (code)"),
    Field("typeLogement", "accommodationType", "`capacity.accommodationType` (code)"),
    Field("modeFinancement", "fundingMode", "`capacity.fundingMode` (code)"),
)

# -- etalab CSV extracts: fields by position after the section name ---------------------------------

CSV_EJ: tuple[Field, ...] = (  # cs1100501, section structureej
    Field("nofiness", "finess", _ID_EJ),
    Field("rs", "name", "EJ " + _NAME),
    Field("rslongue", "long_name", "EJ `name`"),
    Field("complrs", "name_complement", "EJ " + _COMPLEMENT),
    Field("numvoie", "number", "address houseNumber"),
    Field("typvoie", "street_type", "address streetNameType"),
    Field("voie", "street", "address streetNameBase"),
    Field("compvoie", "number_suffix", "address buildingNumberSuffix"),
    Field("compldistrib", "complement", "address additionalLocator line"),
    Field("lieuditbp", "lieu_dit", "address lieu-dit / postBox line"),
    Field("commune", "commune3", "INSEE code = département + these 3 digits (see below)"),
    Field("ligneacheminement", "routing", "`postalCode` (5 first characters) and `city` (the rest)"),
    Field("departement", "departement", "FINESS département (01…95, 2A, 2B, 9A…9F, 9J)"),
    Field("libdepartement", "", "not mapped"),
    Field("telephone", "phone", "EJ `telecom` phone"),
    Field("statutjuridique", "legal_status", "EJ `type:statutJuridiqueINSEE` (TRE_R72)"),
    Field("libstatutjuridique", "", "not mapped (display from TRE_R72)"),
    Field("categetab", "", "not mapped"),
    Field("libcategetab", "", "not mapped"),
    Field("siren", "siren", "EJ `identifier:sirene`"),
    Field("codeape", "", "not mapped"),
    Field("datecrea", "created", "EJ `extension:ror-organization-creation-date`"),
)

CSV_ET: tuple[Field, ...] = (  # cs1100502 and cs1100507, section structureet
    Field("nofinesset", "finess", _ID_EG),
    Field("nofinessej", "ej_finess", "EG `partOf` → `Organization/finess-ej-<nofinessej>`"),
    Field("rs", "name", "EG " + _NAME),
    Field("rslongue", "long_name", _LOC_NAME),
    Field("complrs", "name_complement", "EG " + _COMPLEMENT),
    Field("compldistrib", "complement", "address additionalLocator line"),
    Field("numvoie", "number", "address houseNumber"),
    Field("typvoie", "street_type", "address streetNameType"),
    Field("voie", "street", "address streetNameBase"),
    Field("compvoie", "number_suffix", "address buildingNumberSuffix"),
    Field("lieuditbp", "lieu_dit", "address lieu-dit / postBox line"),
    Field("commune", "commune3", "INSEE code = département + these 3 digits; region `meta.tag`, `ror-commune-cog`"),
    Field("departement", "departement", "FINESS département (9A→971…, 9J→986)"),
    Field("libdepartement", "", "not mapped"),
    Field("ligneacheminement", "routing", "`postalCode` and `city`"),
    Field("telephone", "phone", "EG `telecom` phone"),
    Field("telecopie", "fax", "EG `telecom` fax"),
    Field("categetab", "category", "EG `type:categorieEtablissement` (TRE_R66) or `finess-category` extension"),
    Field("libcategetab", "", "not mapped (display from TRE_R66)"),
    Field("categagretab", "", "not mapped"),
    Field("libcategagretab", "", "not mapped"),
    Field("siret", "siret", "EG `identifier:numSIRET`"),
    Field("codeape", "", "not mapped"),
    Field("codemft", "", "not mapped"),
    Field("libmft", "", "not mapped"),
    Field("codesph", "espic", "EG `type:sphParticipation` (TRE_R73-ESPIC)"),
    Field("libsph", "", "not mapped"),
    Field("dateouv", "opened", "EG `extension:organization-period.valuePeriod.start`"),
    Field("dateautor", "", "not mapped"),
    Field("datemaj", "", "not mapped (`meta.lastUpdated` is the import time)"),
    Field("numuai", "", "not mapped (cs1100502 only; empty elsewhere)"),
)

CSV_GEO: tuple[Field, ...] = (  # cs1100507, section geolocalisation (position from both ends)
    Field("nofinesset", "finess", "the establishment whose Location gets the position"),
    Field("coordxet", "x", "projected X (metres) → WGS84 `Location.position.longitude` (pyproj)"),
    Field("coordyet", "y", "projected Y → `Location.position.latitude`"),
    Field(
        "sourcecoordet",
        "source",
        "the CRS: `EPSG:nnnn` (current files) or LAMBERT_93 / UTM_N20 / UTM_N21 / UTM_N22 / UTM_S38 / UTM_S40",
    ),
    Field("datemaj", "", "not mapped (last field of the line)"),
)
