"""openror.api layer."""
