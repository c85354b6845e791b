"""openror.jobs layer."""
