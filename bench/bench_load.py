"""Load benchmark: the team server (python -m parallax.serve: nginx in front of gunicorn) on loopback, with wrk.

Run ``.venv/bin/python -m bench.bench_load``. In one run, on one fresh server, it measures the index, a cached
comparison, uncached comparisons (every request a new option set) and, as the physical baseline, a static file
of the same size as the cached comparison page (nginx serves it); then index latency while uncached comparisons
run alongside. It reports against the targets and never fails on timing (exit 1 only when the setup itself fails).
"""

from __future__ import annotations

import itertools
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from parallax.model import IGNORABLE

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "parallax" / "static"
CACHED = "/compare/press-tv/the-national"
SOURCES = ("moscow-times-plain", "moscow-times-markdown", "press-tv", "rt", "the-national")

DURATION = int(os.environ.get("BENCH_SECONDS", "5"))
#: Interleaved rounds per measurement; the table shows each measurement's median round (the machine is noisy).
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
TARGET_RATIO, TARGET_P99_MS = 0.8, 50.0
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Result:
    """One wrk run: what was measured and its numbers."""

    name: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> bytes:
    """The body of a GET that must succeed."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback URL built here
        return bytes(response.read())


@contextmanager
def server(port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The team server on 127.0.0.1:port, waited for, always terminated."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARALLAX_")}
    env.update({"PARALLAX_HOST": "127.0.0.1", "PARALLAX_PORT": str(port), "PARALLAX_LOG_LEVEL": "info",
                "PARALLAX_CORPUS_RESCAN_SECONDS": "1"})
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "parallax.serve"], cwd=ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                fetch(f"http://127.0.0.1:{port}/-/health.json")
                break
            except (OSError, urllib.error.URLError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start:\n" + log.read_text(errors="replace")) from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def to_ms(value: str) -> float:
    """A wrk duration such as ``1.23ms`` in milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def parse_wrk(name: str, connections: int, output: str) -> Result:
    """Requests/s, p50, p99 and errors from wrk's --latency output."""
    def number(pattern: str) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else 0.0
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(number(r"Non-2xx or 3xx responses: (\d+)"))
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Result(name, connections, number(r"Requests/sec:\s+([\d.]+)"), to_ms(p50.group(1)) if p50 else 0.0,
                  to_ms(p99.group(1)) if p99 else 0.0, int(number(r"(\d+) requests in")), errors)


def wrk_command(url: str, connections: int, seconds: int, script: Path | None = None) -> list[str]:
    """The wrk command line for one run (one thread per 32 connections, at most 2)."""
    threads = 1 if script else min(2, max(1, connections // 32))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
    return [*command, *(["-s", str(script)] if script else []), url]


def wrk(name: str, url: str, connections: int, seconds: int = DURATION, script: Path | None = None) -> Result:
    """Run wrk against one URL and parse its report."""
    output = subprocess.run(wrk_command(url, connections, seconds, script), capture_output=True, text=True,
                            timeout=seconds + 60, check=True).stdout
    return parse_wrk(name, connections, output)


def uncached_paths(count: int, seed: int = 7) -> list[str]:
    """Distinct comparison URLs (ordered pair x unit x ignore set), shuffled, so each request is a cache miss."""
    ignores = ["none"] + [",".join(c) for n in (1, 2, 3) for c in itertools.combinations(IGNORABLE, n)]
    combos = [(a, b, unit, ignore) for a, b in itertools.permutations(SOURCES, 2)
              for unit in ("word", "sentence") for ignore in ignores]
    random.Random(seed).shuffle(combos)  # a benchmark's request order
    return [f"/compare/{a}/{b}?unit={unit}&ignore={ignore}" for a, b, unit, ignore in combos[:count]]


def lua_script(paths: list[str], folder: Path) -> Path:
    """A wrk script that requests each path once, in order (one wrk thread)."""
    body = ",\n".join(f'  "{p}"' for p in paths)
    script = folder / "uncached.lua"
    script.write_text("local paths = {\n" + body + "\n}\nlocal i = 0\n"
                      "request = function()\n  i = i + 1\n"
                      "  return wrk.format(\"GET\", paths[(i - 1) % #paths + 1])\nend\n", encoding="utf-8")
    return script


def starvation(base: str, script: Path) -> tuple[Result, Result]:
    """Index latency while uncached comparisons run on 8 other connections at the same time."""
    background = subprocess.Popen(wrk_command(base + "/", 8, DURATION, script), stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(1)
        index = wrk("index while comparing", base + "/", 4, max(2, DURATION - 2))
        output, _ = background.communicate(timeout=DURATION + 60)
    finally:
        if background.poll() is None:
            background.kill()
            background.wait()
    return index, parse_wrk("uncached alongside", 8, output)


def median_of(rounds: list[Result]) -> Result:
    """One measurement's rounds summarised: median rate and latencies, total requests and errors."""
    first = rounds[0]
    return Result(first.name, first.connections, statistics.median(r.rps for r in rounds),
                  statistics.median(r.p50_ms for r in rounds), statistics.median(r.p99_ms for r in rounds),
                  sum(r.requests for r in rounds), sum(r.errors for r in rounds))


def table(results: list[Result]) -> str:
    """The results as a Markdown table."""
    lines = ["| measured | conns | req/s | p50 ms | p99 ms | requests | errors |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r.name} | {r.connections} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.requests:,} | "
              f"{r.errors} |" for r in results]
    return "\n".join(lines)


def verdicts(results: list[Result]) -> list[str]:
    """Ratios against the static baseline and the targets, as report lines."""
    by = {(r.name, r.connections): r for r in results}
    lines = []
    for conns in (8, 64):
        cached, static = by.get(("cached comparison", conns)), by.get(("static file, same size", conns))
        if cached and static and static.rps:
            ratio = cached.rps / static.rps
            lines.append(f"cached/static throughput at {conns} connections: {ratio:.2f}x "
                         f"(target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    for r in results:
        if r.connections == 64:
            ok = r.p99_ms <= TARGET_P99_MS
            lines.append(f"p99 at 64 connections, {r.name}: {r.p99_ms:.1f} ms "
                         f"(target <= {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'})")
    errors = sum(r.errors for r in results)
    lines.append(f"errors: {errors} (target 0: {'met' if errors == 0 else 'NOT met'})")
    alone, loaded = by.get(("index", 8)), by.get(("index while comparing", 4))
    if alone and loaded:
        lines.append(f"starvation: index p99 {alone.p99_ms:.1f} ms alone (8 conns) vs {loaded.p99_ms:.1f} ms "
                     f"with uncached comparisons running")
    return lines


def run(folder: Path) -> list[Result]:
    """Start the server, warm up, and measure everything in one run (static baseline interleaved each round)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    static_name = f"bench-{secrets.token_hex(4)}.html"
    with server(port, folder / "server.log"):
        page = fetch(base + CACHED)
        (STATIC / static_name).write_bytes(page)
        try:
            for _ in range(20):  # warm every worker: templates compiled, corpus parsed, comparison cached
                for path in ("/", CACHED, f"/static/{static_name}"):
                    fetch(base + path)
            print(f"server: 127.0.0.1:{port}, cached page and static baseline: {len(page):,} bytes", flush=True)
            rounds: dict[tuple[str, int], list[Result]] = {}
            for number in range(ROUNDS):
                for conns in (8, 64):
                    for name, path in (("index", "/"), ("cached comparison", CACHED),
                                       ("static file, same size", f"/static/{static_name}")):
                        result = wrk(name, base + path, conns)
                        rounds.setdefault((name, conns), []).append(result)
                        print(f"round {number + 1}/{ROUNDS}: " + table([result]).splitlines()[-1], flush=True)
            results = [median_of(found) for found in rounds.values()]
            script = lua_script(uncached_paths(6000), folder)
            results.append(wrk("uncached comparison", base + "/", 8, script=script))
            print(table(results[-1:]).splitlines()[-1], flush=True)
            script = lua_script(uncached_paths(6000, seed=11), folder)
            results.extend(starvation(base, script))
        finally:
            (STATIC / static_name).unlink(missing_ok=True)
    return results


def main() -> None:
    """Run the load benchmark and print the table, ratios and target checks."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (CI installs it)")
    with tempfile.TemporaryDirectory(prefix="parallax-bench-") as folder:
        started = time.monotonic()
        results = run(Path(folder))
    print()
    print(table(results))
    print()
    for line in verdicts(results):
        print(line)
    print(f"(whole run {time.monotonic() - started:.0f} s; medians of {ROUNDS} interleaved {DURATION} s rounds; "
          f"{os.cpu_count()} CPUs shared by server and wrk)")


if __name__ == "__main__":
    main()
