"""Benchmarks for the Parallax comparison engine (run as modules: python -m bench.bench_engine)."""
