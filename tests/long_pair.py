"""A long near-identical pair of sources (about 5,000 words each, a handful of changes) written into a corpus copy."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import STORY, front_matter

#: Sentences per side; about 17 words each, so about 5,000 words.
SENTENCES = 300


def _sentence(n: int) -> str:
    """The n-th sentence of the long report (distinct words per sentence so that each aligns with itself)."""
    return (f"Report line {n} says the delegation of region {n} met officials in district {n * 7} "
            f"and agreed on plan {n * 3} before noon.")


def long_bodies() -> tuple[str, str]:
    """Left and right bodies: the right changes a day, adds 'more than', drops one sentence and adds one."""
    left = [_sentence(n) for n in range(SENTENCES)]
    right = list(left)
    right[150] = right[150].replace("before noon", "on Monday")
    right[200] = right[200].replace("agreed on plan", "agreed on more than plan")
    del right[250]
    right.insert(260, "Jo Chun Ryong joined the talks late in the evening, officials said.")

    def paragraphs(items: list[str]) -> str:
        return "\n\n".join(" ".join(items[i:i + 4]) for i in range(0, len(items), 4))

    return paragraphs(left) + "\n", paragraphs(right) + "\n"


def write_long_pair(corpus_dir: Path) -> tuple[str, str]:
    """Write the pair as two sources of the seed story; returns their ids."""
    left, right = long_bodies()
    for source_id, outlet, body in (("long-left", "Left Wire", left), ("long-right", "Right Wire", right)):
        (corpus_dir / STORY / f"{source_id}.txt").write_text(
            front_matter(id=source_id, story=STORY, outlet=outlet, format="text") + body, encoding="utf-8")
    return "long-left", "long-right"
