"""openror.cli layer."""
