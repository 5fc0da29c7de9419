"""Edit kinds: what sort of edit each change of a comparison is, read from what the engine already names.

NewsEdits (Spangher et al., 2022) sorts the edits between versions of an article by intent; the kinds here are
read from the row's kind and the fact differences the engine finds in it, never guessed from wording:

- **fact**: a paired passage (changed or reworded) in which a number, date, name, quote or attribution differs;
- **addition** / **removal**: a passage only the later (right) / earlier (left) text carries — a claim added or
  dropped (a one-sided line of fewer than ``MIN_CLAIM_WORDS`` words is a wording edit, not a claim);
- **style**: a paired passage whose wording changed and whose facts did not;
- **structure**: a passage moved to another place.

Unchanged and boilerplate passages are no edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

EditKind = Literal["fact", "addition", "removal", "style", "structure"]
EDIT_KINDS: tuple[EditKind, ...] = ("fact", "addition", "removal", "style", "structure")
#: The label each kind shows on a passage.
LABELS: dict[str, str] = {"fact": "fact changed", "addition": "claim added", "removal": "claim removed",
                          "style": "style edit", "structure": "moved"}
#: Words a one-sided passage needs to be a claim.
MIN_CLAIM_WORDS = 4
_WORD = re.compile(r"[^\W\d_]{2,}|\d+")
#: How each kind is counted in words: (one, many).
_COUNTED = {"fact": ("factual change", "factual changes"), "addition": ("claim added", "claims added"),
            "removal": ("claim removed", "claims removed"), "style": ("style edit", "style edits"),
            "structure": ("moved passage", "moved passages")}


def edit_kind(kind: str, boilerplate: bool, has_facts: bool, text: str | None) -> EditKind | None:
    """The edit kind of one row from its kind, whether it is boilerplate, whether facts differ in it and (for a
    one-sided row) its text; None for an unchanged or boilerplate row."""
    if boilerplate or kind == "same":
        return None
    if kind == "moved":
        return "structure"
    if kind in ("left_only", "right_only"):
        if len(_WORD.findall(text or "")) < MIN_CLAIM_WORDS:
            return "style"
        return "addition" if kind == "right_only" else "removal"
    return "fact" if has_facts else "style"


def counts(kinds: Iterable[str | None]) -> dict[str, int]:
    """How many edits of each kind (every kind listed, zero included)."""
    found: dict[str, int] = dict.fromkeys(EDIT_KINDS, 0)
    for kind in kinds:
        if kind:
            found[kind] += 1
    return found


def describe(found: Mapping[str, int]) -> str:
    """The counts in words, the kinds present only: "3 factual changes, 11 style edits, 1 claim added"; "no edits"
    when there are none."""
    said = [f"{found[k]} {_COUNTED[k][found[k] != 1]}" for k in EDIT_KINDS if found.get(k)]
    return ", ".join(said) if said else "no edits"


def by_row(summary: Any) -> dict[int, dict[str, str]]:
    """A comparison summary's edited rows (its JSON form) by row index, each with its kind and label, for pages."""
    edits = summary.get("edits") if isinstance(summary, Mapping) else None
    rows = edits.get("rows", []) if isinstance(edits, Mapping) else []
    return {int(e["row"]): {"kind": str(e["kind"]), "label": LABELS[str(e["kind"])]} for e in rows}


def step_edits(summary: Any) -> dict[str, Any] | None:
    """A timeline step's edits from its comparison's summary (JSON form): the counts, the words and each kind's
    label; None when the summary has none."""
    edits = summary.get("edits") if isinstance(summary, Mapping) else None
    if not isinstance(edits, Mapping):
        return None
    found: dict[str, int] = {k: int(edits.get("counts", {}).get(k, 0)) for k in EDIT_KINDS}
    return {"counts": found, "text": describe(found),
            "labels": [{"kind": k, "label": LABELS[k], "count": found[k]} for k in EDIT_KINDS if found[k]]}
