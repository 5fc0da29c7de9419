"""Helpers for engine tests: the seed articles (from corpus/ later, /work/shared/seeds for now)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED_DIRS = (Path("/work/shared/seeds"), ROOT.parent / "shared" / "seeds")


def seed_text(prefix: str) -> str:
    """The text of the seed file whose name starts with prefix (e.g. "000")."""
    for folder in SEED_DIRS:
        found = sorted(folder.glob(f"{prefix}*.txt")) if folder.is_dir() else []
        if found:
            return found[0].read_text(encoding="utf-8")
    raise FileNotFoundError(f"no seed {prefix}* in {', '.join(map(str, SEED_DIRS))}")
