"""FINESS importers: FINESS+ JSON feeds and etalab CSV extracts → ROR Organization, Location (spec a.2, a.4, i).

Modules: :mod:`.source` (first pass: refuse bad files whole), :mod:`.json_feed` and :mod:`.csv_feed`
(streaming parsers), :mod:`.fields` (the FINESS → FHIR tables, as data), :mod:`.model` (format-neutral
records), :mod:`.mapping` (ROR resources), :mod:`.geo` (commune → region, CRS → WGS84) and
:mod:`.importer` (writing through :class:`openror.ingest.load.Loader`). See docs/ingest.md.
"""

from openror.ingest.finess.importer import FinessImporter, FinessReport

__all__ = ["FinessImporter", "FinessReport"]
