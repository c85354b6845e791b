"""Search: parameter registry, index extraction, query parsing (spec section c)."""
