"""openror.services layer."""
