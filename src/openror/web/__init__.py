"""openror.web layer."""
