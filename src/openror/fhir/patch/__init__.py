"""PATCH engines: FHIRPath Patch and JSON Patch on FHIR JSON (R4 http.html#patch, fhirpatch.html; ROR spec b.10).

Pure functions over plain dicts: they return a new resource and never modify their input; every
failure is a FhirError (400 INVALID, or 404 NOT_FOUND for a FHIRPath Patch path matching nothing).
"""

from __future__ import annotations

from openror.fhir.patch.fhirpath_patch import apply_fhirpath_patch
from openror.fhir.patch.ig_defects import check_ig_defects, find_ig_defects
from openror.fhir.patch.json_patch import apply_json_patch

__all__ = ["apply_fhirpath_patch", "apply_json_patch", "check_ig_defects", "find_ig_defects"]
