"""Benchmark workloads, their build (benchmarks.build) and data (benchmarks.workloads)."""
