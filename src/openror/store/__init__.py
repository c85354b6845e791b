"""openror.store layer."""
