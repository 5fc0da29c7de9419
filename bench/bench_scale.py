"""The team server on a large generated corpus, this checkout against another commit in the same run.

For each checkout (this one, and ``--baseline`` built as a git worktree), on its own copy of one generated corpus
(``bench.bench_corpus.generate``), gunicorn alone (PARALLAX_FRONT=none, 2 workers) is started and measured:
start → first source page and first ``/`` (on the corpus's first start, then on a restart; with the server's CPU
seconds), p95 of a source page, a story overview, a search, a comparison and ``/`` (after one warm-up, then again
once every worker has answered: ``warm_p95_ms``; and once more after the quiet spells: ``settled_p95_ms``), idle CPU
of all its processes over a quiet spell, one article
written into the corpus until 20 requests in a row find it (both workers answer), and RSS / PSS per worker
(``/proc/<pid>/smaps_rollup``) after comparisons, and the master's.
Then ``parallax compare`` of two seed files as a process, beside ``git diff --word-diff --no-index``.
The load average of the machine is noted when each server starts and when its figures are taken.

``--corpus DIR`` keeps the generated corpus in DIR (generated there when it holds no story folder, else reused as
it is: a million articles take ~7 minutes to write) and measures this checkout on it in place; with
``--skip-index`` its ``.parallax`` state is removed first, so the first start parses every file, unless
``--keep-state`` (then only a restart on the kept catalogue is measured).

Run: .venv/bin/python -m bench.bench_scale [--size 10000] [--baseline COMMIT] [--skip-index] [--corpus DIR]
(never fails on timing; exit 1 only when a server does not start).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SEEDS = ("corpus/kim-putin-2023/moscow-times-plain.txt", "corpus/kim-putin-2023/moscow-times-markdown.md")


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str, timeout: float = 600.0) -> tuple[int, int]:
    """Status and size of one GET."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310  # nosec B310 - loopback
            return answer.status, len(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


def p95(url: str, count: int) -> dict[str, float]:
    """Median, p95 and slowest wall milliseconds of ``count`` GETs after one warm-up, and the page size; then
    ``warm_p95_ms`` of ``count`` more, when every worker has answered the page before (the first round's slowest is
    often a worker's first answer: what it computes once per process)."""
    fetch(url)
    rounds, size = [], 0
    for _ in range(2):
        times = []
        for _ in range(count):
            started = time.perf_counter()
            _, size = fetch(url)
            times.append((time.perf_counter() - started) * 1000)
        rounds.append(sorted(times))
    first, warm = rounds
    return {"p50_ms": round(statistics.median(first), 1),
            "p95_ms": round(first[min(len(first) - 1, int(0.95 * len(first)))], 1), "max_ms": round(first[-1], 1),
            "warm_p95_ms": round(warm[min(len(warm) - 1, int(0.95 * len(warm)))], 1), "kb": round(size / 1024, 1)}


def children(pid: int) -> list[int]:
    """Process ids whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def memory(pid: int) -> dict[str, float]:
    """RSS and PSS of one process in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return values


def measure(checkout: Path, corpus: Path, size: int, search: bool = True, first_start: bool = True) -> dict[str, Any]:
    """Start the server of one checkout on its corpus copy and take every figure."""
    port = free_port()
    env = {**os.environ, "PARALLAX_CORPUS_DIR": str(corpus), "PARALLAX_FRONT": "none", "PARALLAX_PORT": str(port),
           "PARALLAX_WORKERS": "2", "PARALLAX_THREADS": "4", "PARALLAX_SEARCH_BUILD_ON_START": "false",
           "PARALLAX_LOG_LEVEL": "warning", "PARALLAX_TIMEOUT": "600", "PYTHONPATH": str(checkout)}
    base = f"http://127.0.0.1:{port}"
    story, first, second = "story-000003", "story-000003-a0", "story-000003-a1"
    result: dict[str, Any] = {"checkout": str(checkout), "size": size, "load_at_start": os.getloadavg()}
    # A new id each run: a kept catalogue may still list the article an earlier run added (and then removed).
    added = corpus / story / f"added-{os.getpid()}-{time.time_ns() // 1_000_000}.txt"
    log = corpus.parent / f"server-{checkout.name}.log"
    # The first start on this corpus, then a restart (catalogue kept); only the restart when told the state is kept.
    for start in ("first_start", "restart") if first_start else ("restart",):
        started = time.perf_counter()
        server = subprocess.Popen([PYTHON, "-m", "parallax.serve"], cwd=checkout, env=env,  # nosec
                                  stdout=subprocess.DEVNULL, stderr=log.open("ab"))
        while True:
            if server.poll() is not None:
                raise SystemExit(f"server in {checkout} exited: {log.read_text(errors='replace')[-2000:]}")
            try:
                if fetch(f"{base}/sources/{first}", 5)[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        result[f"{start}_to_source_page_s"] = round(time.perf_counter() - started, 2)
        # CPU seconds the server spent to get there: on a loaded shared machine, steadier than the wall time.
        result[f"{start}_cpu_s"] = round(cpu_seconds([server.pid, *children(server.pid)]), 2)
        fetch(f"{base}/")
        result[f"{start}_to_index_s"] = round(time.perf_counter() - started, 2)
        if start == "first_start":
            server.terminate()
            server.wait(60)
    try:
        result["source"] = p95(f"{base}/sources/{second}", 20)
        result["story"] = p95(f"{base}/stories/{story}", 20)
        result["compare"] = p95(f"{base}/compare/{first}/{second}", 20)
        if search:  # without a built index the first search would build it (minutes at 100k)
            result["search"] = p95(f"{base}/search?q=minister", 20)
        result["index"] = p95(f"{base}/", 3)
        for n in range(6):  # each worker makes a comparison of its own (models loaded where they load)
            fetch(f"{base}/compare/{first}/story-000003-a{2 + n % 4}")
        workers = children(server.pid)
        result["workers"] = [memory(pid) for pid in workers]
        result["master"] = memory(server.pid)  # what the workers share with it counts in its PSS too
        time.sleep(3)
        everyone = [server.pid, *workers]
        before = cpu_seconds(everyone)
        time.sleep(10)
        result["idle_cpu_percent"] = round((cpu_seconds(everyone) - before) / 10 * 100, 2)
        added.write_text(f"---\nid: {added.stem}\nstory: {story}\noutlet: Outlet ZZ\n---\nA new article, added now.\n",
                         encoding="utf-8")
        started, streak, answers = time.perf_counter(), 0, []
        while streak < 20 and time.perf_counter() - started < 120:
            asked = time.perf_counter()
            try:
                status = fetch(f"{base}/sources/{added.stem}", 60)[0]
            except OSError:  # no answer within a minute: not visible yet
                status = 0
            answers.append((status, round(time.perf_counter() - asked, 3)))
            streak = streak + 1 if status == 200 else 0
        result["add_visible_to_all_s"] = round(time.perf_counter() - started, 3)
        result["add_visible"] = streak >= 20
        result["add_answers"] = [*answers[:-20], max(answers[-20:], key=lambda a: a[1])]  # status, seconds
        # Idle again a minute later: the first window can hold start-up work (the first safety-net rescan).
        time.sleep(30)
        before = cpu_seconds(everyone)
        time.sleep(30)
        result["idle_cpu_percent_later"] = round((cpu_seconds(everyone) - before) / 30 * 100, 2)
        # Settled: the same pages again a minute and a half after start-up's one-off work (the first safety-net pass,
        # each worker's first measure of the search index's lag) began, which the rounds above may share the CPU with.
        pages = {"source": f"/sources/{second}", "story": f"/stories/{story}", "compare": f"/compare/{first}/{second}",
                 "index": "/", **({"search": "/search?q=minister"} if search else {})}
        result["settled_p95_ms"] = {name: p95(f"{base}{path}", 20)["warm_p95_ms"] for name, path in pages.items()}
        result["load_at_end"] = os.getloadavg()
    finally:
        server.terminate()
        server.wait(30)
        added.unlink(missing_ok=True)  # a kept corpus stays as generated
    result["corpus_log"] = [line[:300] for line in log.read_text(errors="replace").splitlines()
                            if "corpus" in line and ("watcher" in line or "rescan" in line or "catalogue" in line)][:5]
    return result


def compare_cli(checkout: Path) -> dict[str, float]:
    """Wall seconds of ``parallax compare`` on two seed files as a process, median of 5, and git's word diff."""
    def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)  # nosec
            runs.append(time.perf_counter() - started)
        return round(statistics.median(runs), 3)

    env = {**os.environ, "PYTHONPATH": str(checkout)}
    return {"parallax_compare_s": timed([PYTHON, "-m", "parallax.cli", "compare", *SEEDS], checkout, env),
            "git_word_diff_s": timed(["git", "diff", "--word-diff", "--no-index", *SEEDS], checkout)}


def main(argv: list[str] | None = None) -> int:
    """Generate one corpus, measure this checkout and the baseline on copies of it, print both and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--baseline", default="", help="commit to compare with (a git worktree is made)")
    parser.add_argument("--this", default="", help="commit to measure instead of this checkout's files (a worktree)")
    parser.add_argument("--skip-index", action="store_true", help="do not build the search index (nor time search)")
    parser.add_argument("--corpus", default="", help="keep the generated corpus here (reused when it exists)")
    parser.add_argument("--keep-state", action="store_true",
                        help="with --corpus: keep its .parallax (catalogue) and measure only a restart")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.bench_corpus import generate

    work = Path(tempfile.mkdtemp(prefix="parallax-scale-"))
    generated = Path(args.corpus).resolve() if args.corpus else work / "corpus"
    try:
        if not (generated.is_dir() and any(generated.glob("story-*"))):
            started = time.perf_counter()
            generate(generated, args.size, pairs=False)
            print(json.dumps({"generated": args.size, "seconds": round(time.perf_counter() - started, 1)}), flush=True)
        checkouts = [("this", ROOT)]
        for name, commit in (("this", args.this), ("baseline", args.baseline)):
            if commit:
                tree = work / name
                subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT,
                               check=True, capture_output=True)
                checkouts = [c for c in checkouts if c[0] != name] + [(name, tree)]
        results = {}
        for name, checkout in checkouts:
            if args.corpus and len(checkouts) == 1:  # measured in place: a large corpus is not copied
                corpus = generated
                if args.skip_index and not args.keep_state:
                    shutil.rmtree(corpus / ".parallax", ignore_errors=True)
            else:
                corpus = work / f"corpus-{name}"
                shutil.copytree(generated, corpus)
            if not args.skip_index:
                subprocess.run([PYTHON, "-m", "parallax.cli", "index", str(corpus)], cwd=checkout,
                               env={**os.environ, "PYTHONPATH": str(checkout)}, capture_output=True, check=False)
            results[name] = {**measure(checkout, corpus, args.size, not args.skip_index,
                                             not (args.keep_state and corpus == generated)), **compare_cli(checkout)}
            print(json.dumps({name: results[name]}), flush=True)
        if "baseline" in results:
            this, before = results["this"], results["baseline"]
            for key in ("first_start_to_source_page_s", "first_start_to_index_s", "restart_to_source_page_s",
                        "restart_to_index_s", "idle_cpu_percent", "add_visible_to_all_s", "parallax_compare_s"):
                print(f"{key}: {before[key]} → {this[key]} (×{this[key] / before[key]:.2f})" if before[key] else
                      f"{key}: {before[key]} → {this[key]}")
            for key in ("source", "story", "compare", "search", "index"):
                if key not in this:
                    continue
                print(f"{key} p95 ms: {before[key]['p95_ms']} → {this[key]['p95_ms']} "
                      f"(×{this[key]['p95_ms'] / before[key]['p95_ms']:.2f}), {this[key]['kb']} KB; settled "
                      f"{before['settled_p95_ms'].get(key)} → {this['settled_p95_ms'].get(key)}")
            print(f"workers RSS/PSS MB: {before['workers']} → {this['workers']}")
        return 0
    finally:
        for name in ("this", "baseline"):
            if (work / name).exists():
                subprocess.run(["git", "worktree", "remove", "--force", str(work / name)], cwd=ROOT,
                               capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
