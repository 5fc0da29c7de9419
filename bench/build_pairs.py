"""Build bench/data/pairs.jsonl from the hand-written pair sources in bench/data/pairs_src/*.txt.

Source format (one file per event or per seed pair of outlets)::

    event: quake-anatolia          # every pair of the file belongs to this event (splits are made by event)
    split: dev                     # dev or test
    source: written:quake-anatolia # where the sentences come from

    = reworded | note text          # a pair: its label, then an optional note after "|"
    < left sentence
    > right sentence

A side may be prefixed ``<nfd`` / ``>nfd`` to store its text in Unicode NFD (decomposed accents), so that
NFC-versus-NFD pairs can be written readably, or ``<esc`` / ``>esc`` to decode ``\\u00a0``-style escapes
(no-break spaces, tabs) in it. Lines starting with ``#`` are comments.
Run ``python -m bench.build_pairs`` after editing a source; the JSONL file is what tests and benchmarks read.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).parent / "data"
SOURCES = DATA / "pairs_src"
OUTPUT = DATA / "pairs.jsonl"
LABELS = ("same", "edited", "reworded", "different")
SPLITS = ("dev", "test")


def parse(path: Path) -> list[dict[str, str]]:
    """The pairs of one source file, with event, split and source filled in."""
    header: dict[str, str] = {}
    pairs: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip("\n")
        where = f"{path.name}:{number}"
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("= "):
            label, _, note = line[2:].partition("|")
            current = {"label": label.strip(), "note": note.strip()}
            if current["label"] not in LABELS:
                raise ValueError(f"{where}: unknown label {current['label']!r}")
            pairs.append(current)
        elif line[:1] in "<>":
            if current is None:
                raise ValueError(f"{where}: side before any '= label' line")
            side = "left" if line[0] == "<" else "right"
            text = line[1:]
            if text.startswith("nfd "):
                text = unicodedata.normalize("NFD", text[4:])
            elif text.startswith("esc "):
                text = text[4:].encode("ascii", "backslashreplace").decode("unicode_escape")
            elif text.startswith(" "):
                text = text[1:]
            else:
                raise ValueError(f"{where}: expected a space after {line[0]!r}")
            if side in current:
                raise ValueError(f"{where}: second {side} side")
            current[side] = text
        elif ":" in line and current is None:
            key, _, value = line.partition(":")
            header[key.strip()] = value.strip()
        else:
            raise ValueError(f"{where}: cannot read {line!r}")
    for key in ("event", "split", "source"):
        if key not in header:
            raise ValueError(f"{path.name}: missing header {key!r}")
    if header["split"] not in SPLITS:
        raise ValueError(f"{path.name}: split must be dev or test")
    out = []
    for index, pair in enumerate(pairs, 1):
        if "left" not in pair or "right" not in pair:
            raise ValueError(f"{path.name}: pair {index} lacks a side")
        out.append({"id": f"{header['event']}-{index:03d}", "left": pair["left"], "right": pair["right"],
                    "label": pair["label"], "source": header["source"], "note": pair["note"],
                    "split": header["split"], "event": header["event"]})
    return out


def build() -> list[dict[str, str]]:
    """Every pair of every source file, in file order."""
    pairs: list[dict[str, str]] = []
    for path in sorted(SOURCES.glob("*.txt")):
        pairs.extend(parse(path))
    return pairs


def main() -> int:
    """Write the JSONL file and print counts per label and split."""
    pairs = build()
    with OUTPUT.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
    for split in SPLITS:
        counts = {label: sum(1 for p in pairs if p["split"] == split and p["label"] == label) for label in LABELS}
        print(split, sum(counts.values()), counts)
    print("total", len(pairs), "->", OUTPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
