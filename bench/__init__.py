"""openror benchmarks (DESIGN.md §6): ``python -m bench.run [--quick] [--only NAME]``, written to docs/benchmarks.md."""
