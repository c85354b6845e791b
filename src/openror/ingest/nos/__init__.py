"""NOS terminology import, ``openror import nos`` (spec i): file formats in ``formats``, the import in ``importer``."""

from openror.ingest.nos.importer import NosFileReport, NosImporter

__all__ = ["NosFileReport", "NosImporter"]
