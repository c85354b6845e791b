"""openror.config layer."""
