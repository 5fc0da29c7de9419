"""Run every benchmark in turn (`python -m bench`); `--quick` passes a shorter run to those that have one."""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("bench.bench_engine", "bench.bench_overview", "bench.bench_load", "bench.lighthouse",
              "bench.bench_quality", "bench.bench_facts", "bench.bench_watch", "bench.bench_reuse",
              "bench.bench_corpus", "bench.bench_slow_clients")
QUICK = {"bench.bench_engine", "bench.bench_watch"}


def main() -> int:
    """Run each benchmark module as its own process so peak-memory figures stay separate."""
    quick = "--quick" in sys.argv[1:]
    failed = []
    for module in BENCHMARKS:
        print(f"\n=== {module}", flush=True)
        extra = ["--quick"] if quick and module in QUICK else []
        if subprocess.run([sys.executable, "-m", module, *extra], check=False).returncode:
            failed.append(module)
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
