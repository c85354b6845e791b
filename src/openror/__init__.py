"""openror: the ROR directory (healthcare offer and resources) served as FHIR R4 per the ANS ROR IG."""

__version__ = "0.1.0.dev0"
