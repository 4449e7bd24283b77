"""The benchmarks (`make bench`, `make bench-quota`): scripts, not part of the package."""
