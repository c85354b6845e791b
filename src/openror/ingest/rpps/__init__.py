"""RPPS import, ``openror import rpps`` (spec a.6): file reader in ``extract``, mapping in ``mapping``."""

from openror.ingest.rpps.importer import RppsImporter, RppsReport

__all__ = ["RppsImporter", "RppsReport"]
