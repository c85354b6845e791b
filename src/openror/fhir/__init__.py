"""openror.fhir layer."""
