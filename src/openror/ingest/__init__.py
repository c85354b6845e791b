"""openror.ingest layer."""
