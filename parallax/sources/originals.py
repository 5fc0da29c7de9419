"""Kept pages: the page each watched version was extracted from, gzipped in its story's hidden ``.originals/``.

A page is written before its version: first under a hidden pending name made from the text's hash, then, once
the version is saved, renamed to ``<id>.html.gz``. A watcher killed in between leaves a pending page (attached to
its version, or dropped when the version was never saved) or a temporary file; ``recover`` tidies both.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from parallax.corpus import Corpus, Source
from parallax.sources import ingest
from parallax.sources.manage import ORIGINALS  # per story folder, hidden from the loader
from parallax.sources.storage import write_exclusive

PENDING = ".pending-"  # a page whose version is being saved: .pending-<body hash>-<random>.html.gz


def original_path(root: Path, source: Source) -> Path:
    """Where the page a watched version was extracted from is kept (gzip), beside the story's files."""
    return root / source.story / ORIGINALS / f"{source.id}.html.gz"


def keep_original(root: Path, source: Source, raw: bytes) -> None:
    """Keep the fetched bytes, compressed, for provenance (never overwriting)."""
    path = original_path(root, source)
    path.parent.mkdir(exist_ok=True)
    write_exclusive(path, gzip.compress(raw, mtime=0))


def keep_pending(root: Path, story: str, digest: str, raw: bytes) -> Path:
    """Keep a fetched page, compressed, before its version is saved, under a hidden name made from the text's hash
    ``digest`` (``recover`` finds the version by it) and a random part; its path."""
    folder = root / story / ORIGINALS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{PENDING}{digest}-{os.urandom(4).hex()}.html.gz"
    write_exclusive(path, gzip.compress(raw, mtime=0))
    return path


def read_original(root: Path, source: Source) -> bytes | None:
    """The page as fetched for this version, or None when none was kept."""
    path = original_path(root, source)
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile):
        return None


def recover(root: Path, corpus: Corpus, capture_prefix: str) -> dict[str, int]:
    """Tidy what an interrupted save left in the ``.originals`` folders (call it while no save is under way):
    temporary files are removed; a pending page whose version was saved (same story, captured by the watcher,
    same text, no page yet) becomes that version's page, and any other pending page is removed. Counts of each."""
    done = {"temporary": 0, "attached": 0, "dropped": 0}
    for folder in (f / ORIGINALS for f in root.iterdir() if (f / ORIGINALS).is_dir()):
        for path in folder.iterdir():
            if path.name.startswith(".") and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
                done["temporary"] += 1
            elif path.name.startswith(PENDING):
                digest = path.name[len(PENDING):].partition("-")[0]
                owner = next((s for s in corpus.sources.values() if s.story == folder.parent.name
                              and s.capture.startswith(capture_prefix) and not original_path(root, s).exists()
                              and ingest.body_hash(s.body) == digest), None)
                if owner is None:
                    path.unlink(missing_ok=True)
                else:
                    os.replace(path, original_path(root, owner))
                done["dropped" if owner is None else "attached"] += 1
    return done
