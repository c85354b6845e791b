"""Deterministic synthetic ROR data sets and FINESS+ feeds at S/M/L scale: ``openror generate`` (issue 4.5; spec a, e).

Pure generation logic, no database. One seed and one size define a synthetic FINESS universe
(:mod:`.universe`, frequencies from the real files through ``definitions/generate/distributions.json``);
two writers stream it to disk:

* :func:`write_ndjson` - the ROR data set, one NDJSON file per resource type, every resource valid
  against the ROR profiles and loadable with ``openror load DIR/*.ndjson --trusted``;
* :func:`write_finess` - the FINESS+ "structures" JSON feed of the same universe, for the FINESS
  importer (``openror import finess``).

Same seed and size → byte-identical output; :func:`planned_counts` gives the ROR counts without
writing anything. Sizes, distributions and measured costs: docs/generate.md.
"""

from openror.ingest.generate.finess import write_finess
from openror.ingest.generate.output import Written, write_ndjson
from openror.ingest.generate.ror import TYPES
from openror.ingest.generate.universe import TARGET_RESOURCES, Size, Universe, planned_counts

__all__ = [
    "TARGET_RESOURCES",
    "TYPES",
    "Size",
    "Universe",
    "Written",
    "planned_counts",
    "write_finess",
    "write_ndjson",
]
