"""openror.app layer."""
