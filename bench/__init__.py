"""Benchmarks run through the sandbox (`make bench`)."""
