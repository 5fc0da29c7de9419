"""What changed at a glance: a comparison's summary, change list, context excerpts, focus folds and CSV cells.

Everything here reads a comparison as plain data (``Comparison.to_dict()``: rows, display, stats) and returns plain
data; it never touches HTTP. Fields the engine may add later are used when present: a row's ``facts`` (each with a
``label`` and character spans) and a comparison's ``summary`` (with ``text`` and fact differences); without them
the same shapes are built from the rows' segments and the stats.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from parallax.model import row_anchor

#: Words of unchanged text shown on each side of an edit in the change list ("…abroad in ~~more than~~ four…").
CONTEXT_WORDS = 4
#: Words of text around an insertion or deletion that make its fact label readable ("four years → more than…").
LABEL_WORDS = 2
#: Fact differences listed in the summary before "and N more" points to the change list.
MAX_FACTS = 8
#: Facts listed under an outlet that alone states them before "and N more".
MAX_ALONE = 12
#: Focus on changes is on by default above this many passages (display entries); ``focus=on|off`` overrides it.
FOCUS_ABOVE = 40
#: Runs of unchanged passages shorter than this stay open under focus (a fold would save nothing).
FOLD_MIN = 4
#: Unchanged passages kept open next to a change under focus, as context.
FOLD_CONTEXT = 1
#: Characters that make a spreadsheet read a cell as a formula (CSV injection); such cells get a leading quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_WORD = re.compile(r"\w")
#: Words long enough to count as shared between the two sides of a reworded row (short function words are not),
#: and short capitalised names ("Kim", "UN", "Xi"): a name both sides carry is shared however short.
_SHARED_WORD = re.compile(r"\w{4,}|(?<!\w)[A-ZÀ-ÖØ-Þ]\w{1,2}(?!\w)")
#: Short capitalised words that start sentences without being names: never marked shared by their capital.
_SHORT_STARTERS = frozenset({"The", "And", "But", "For", "Yet", "Nor", "Its", "His", "Her", "She", "Him", "Was", "Has",
                             "Had", "Are", "Who", "Why", "How", "Now", "Not", "All", "Any", "Our", "You", "One", "Two",
                             "As", "At", "By", "In", "On", "Of", "To", "It", "He", "We", "If", "Or", "So", "An", "No",
                             "Up", "Do"})


def is_change(row: Mapping[str, Any]) -> bool:
    """Whether a row is a change a reader steps through (not the same, not boilerplate)."""
    return row["kind"] != "same" and not row.get("boilerplate")


def side_names(left: Mapping[str, Any], right: Mapping[str, Any]) -> tuple[str, str]:
    """How the page names each side: the outlet, with the capture's id when both sides have the same outlet."""
    names = [str(s.get("outlet") or s["id"]) for s in (left, right)]
    if names[0] == names[1]:
        return f"{names[0]} ({left['id']})", f"{names[1]} ({right['id']})"
    return names[0], names[1]


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a text."""
    return text.split()


def _shorten(text: str, words: int) -> str:
    """The first ``words`` words of a text, with an ellipsis when it had more."""
    found = _words(text)
    return " ".join(found[:words]) + ("…" if len(found) > words else "")


def _hunks(segments: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str, str]]:
    """Each edit of a row as (equal text before, deleted, inserted, equal text after), in order."""
    found: list[tuple[str, str, str, str]] = []
    before, deleted, inserted = "", "", ""
    for segment in [*segments, {"op": "equal", "text": ""}]:
        if segment["op"] == "delete":
            deleted += segment["text"]
        elif segment["op"] == "insert":
            inserted += segment["text"]
        else:
            if deleted or inserted:
                found.append((before, deleted, inserted, segment["text"]))
            before, deleted, inserted = segment["text"], "", ""
    return found


def excerpt(row: Mapping[str, Any], words: int = CONTEXT_WORDS) -> dict[str, str]:
    """The row's first edit with a few words of unchanged context each side, for the change list.

    Keys: ``before`` and ``after`` (context, with "…" where text was cut), ``deleted`` and ``inserted``.
    """
    if row["kind"] in ("left_only", "right_only"):
        text = row["left"] if row["kind"] == "left_only" else row["right"]
        cut = _shorten(text or "", words * 3)
        return {"before": "", "deleted": cut if row["kind"] == "left_only" else "",
                "inserted": cut if row["kind"] == "right_only" else "", "after": ""}
    edits = [h for h in _hunks(row["segments"]) if _WORD.search(h[1] + h[2])] or _hunks(row["segments"])
    if not edits or (row["kind"] == "moved" and len(row["segments"]) == 1):
        return {"before": _shorten(row["left"] or "", words * 3), "deleted": "", "inserted": "", "after": ""}
    before, deleted, inserted, after = edits[0]
    head, tail = _words(before), _words(after)
    return {"before": ("…" if len(head) > words else "") + " ".join(head[-words:]),
            "deleted": _shorten(deleted, words * 3), "inserted": _shorten(inserted, words * 3),
            "after": " ".join(tail[:words]) + ("…" if len(tail) > words else "")}


def fact_labels(row: Mapping[str, Any]) -> list[str]:
    """Short labels of what a paired row changes ("Tuesday → Monday"): the engine's facts when it gives them,
    else one per edit with words, an insertion or deletion shown with the words next to it."""
    facts = row.get("facts") or []
    if facts:
        return [str(f.get("label") or f"{f.get('left', '')} → {f.get('right', '')}") for f in facts]
    if row.get("whole"):
        return []  # old text then new text: no edit is small enough to name
    labels: list[str] = []
    for before, deleted, inserted, after in _hunks(row["segments"]):
        old, new = " ".join(_words(deleted)), " ".join(_words(inserted))
        if not _WORD.search(old + new):
            continue
        if old and new:
            labels.append(f"{old} → {new}")
            continue
        follow = " ".join(_words(after)[:LABEL_WORDS]).rstrip(".,;:")
        lead = " ".join(_words(before)[-LABEL_WORDS:])
        if follow:
            labels.append(f"{old} {follow} → {follow}" if old else f"{follow} → {new} {follow}")
        elif lead:
            labels.append(f"{lead} {old} → {lead}" if old else f"{lead} → {lead} {new}")
        else:
            labels.append(f"{old} → (removed)" if old else f"(added) → {new}")
    return labels


def change_numbers(rows: Sequence[Mapping[str, Any]], display: Sequence[Sequence[Any]]) -> dict[int, int]:
    """Row index → change number (1-based, reading order), for rows that are changes; a moved row counts once."""
    numbers: dict[int, int] = {}
    for index, _place in display:
        if is_change(rows[index]) and index not in numbers:
            numbers[index] = len(numbers) + 1
    return numbers


def anchor(row: Mapping[str, Any]) -> str:
    """The page anchor of a row (a moved row's left place)."""
    return row_anchor(row["index"], row["kind"])


def changes(rows: Sequence[Mapping[str, Any]], display: Sequence[Sequence[Any]],
            names: tuple[str, str]) -> list[dict[str, Any]]:
    """The change list: each change's number, kind, anchor, words-in-context excerpt and fact labels."""
    numbers = change_numbers(rows, display)
    found = []
    for index, number in numbers.items():
        row = rows[index]
        found.append({"number": number, "row": index, "kind": row["kind"], "anchor": anchor(row),
                      "excerpt": excerpt(row), "labels": [] if row["kind"] in ("left_only", "right_only")
                      else fact_labels(row), "side": (names[0] if row["kind"] == "left_only" else
                                                      names[1] if row["kind"] == "right_only" else None)})
    return found


def _engine_facts(summary: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
                  names: tuple[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """From an engine summary: fact differences of paired rows, then one-sided passages (each chip with its row's
    kind, the kind of fact and the outlet that alone states it); and the facts of one-sided passages by outlet."""
    kinds = {r["index"]: r["kind"] for r in rows}
    found: list[dict[str, Any]] = []
    alone: dict[str, list[dict[str, Any]]] = {}
    for item in summary.get("facts") or []:
        row = item.get("row", (item.get("rows") or [None])[0])
        if row is None or not item.get("label") or int(row) not in kinds:
            continue
        chip = {"label": str(item["label"]), "row": int(row), "kind": kinds[int(row)], "fact": item.get("kind"),
                "outlet": item.get("outlet"), "value": str(item["label"]).rsplit(": only in", 1)[0]}
        if chip["kind"] in ("left_only", "right_only"):
            listed = alone.setdefault(str(item.get("outlet") or ""), [])
            if not any(c["fact"] == chip["fact"] and c["value"] == chip["value"] for c in listed):
                listed.append(chip)  # a fact an outlet alone states is listed once, linked to its first passage
        else:
            found.append(chip)
    for item in summary.get("one_sided") or []:
        first = (item.get("rows") or [None])[0]
        if first is not None and int(first) in kinds:
            side = names[0] if item.get("side") == "left" else names[1]
            found.append({"label": f"“{_shorten(str(item.get('first_words') or ''), 6)}”: only in {side}",
                          "row": int(first), "kind": kinds[int(first)], "fact": "passage", "outlet": side,
                          "value": None})
    return found, [{"outlet": outlet, "facts": facts[:MAX_ALONE], "more": max(0, len(facts) - MAX_ALONE)}
                   for outlet, facts in alone.items()]


def plain_summary(stats: Mapping[str, Any], names: tuple[str, str]) -> str:
    """One short paragraph saying what differs, from the stats."""
    left, right = names
    share = round(float(stats["similarity"]) * 100)
    parts = [f"The two texts share {share}% of their wording."]
    if stats["left_only"] or stats["right_only"]:
        parts.append(f"{stats['left_only']} {'passage is' if stats['left_only'] == 1 else 'passages are'} only in "
                     f"{left} and {stats['right_only']} only in {right}.")
    edited = [f"{stats[k]} {label}" for k, label in (("changed", "edited"), ("reworded", "reworded"),
                                                     ("moved", "moved")) if stats.get(k)]
    if edited:
        parts.append("Of the passages both carry, " + ", ".join(edited) + ".")
    if not (stats["left_only"] or stats["right_only"] or edited):
        parts.append("No passage differs.")
    return " ".join(parts)


def summary(result: Mapping[str, Any], names: tuple[str, str], limit: int = MAX_FACTS) -> dict[str, Any]:
    """The summary shown above the passages: plain text, counts and the first fact differences linked to rows.

    Uses the engine's ``summary`` when the comparison has one, else builds it from the stats and rows.
    """
    rows, stats = result["rows"], result["stats"]
    engine = result.get("summary") or {}
    facts, alone = _engine_facts(engine, rows, names) if engine else ([], [])
    if not facts:
        for item in changes(rows, result["display"], names):
            row = rows[item["row"]]
            plain = {"row": item["row"], "kind": item["kind"], "fact": "passage", "outlet": item["side"],
                     "value": None}
            if item["kind"] in ("left_only", "right_only"):
                facts.append({"label": f"“{_shorten(row['left'] or row['right'] or '', 6)}”: only in {item['side']}",
                              **plain})
            elif not item["labels"]:
                facts.append({"label": f"“{_shorten(row['left'] or '', 6)}”: {item['kind']}", **plain})
            elif row.get("facts"):
                facts.extend({**plain, "label": str(f.get("label")), "fact": f.get("kind"), "outlet": f.get("outlet"),
                              "value": str(f.get("label")).rsplit(": only in", 1)[0]} for f in row["facts"])
            else:
                facts.extend({"label": label, **plain, "fact": "edit"} for label in item["labels"])
        # Differences in what both carry first (they are the facts), then what only one side carries.
        facts.sort(key=lambda fact: fact["kind"] in ("left_only", "right_only"))
    by_index = {r["index"]: r for r in rows}
    for fact in [*facts, *(chip for group in alone for chip in group["facts"])]:
        fact["anchor"] = anchor(by_index[fact["row"]]) if fact["row"] in by_index else f"r{fact['row']}"
    counts = {k: int(stats.get(k, 0)) for k in ("same", "changed", "reworded", "moved", "left_only", "right_only")}
    return {"text": str(engine.get("text") or plain_summary({**counts, **stats}, names)), "counts": counts,
            "facts": facts[:limit], "more": max(0, len(facts) - limit), "total_facts": len(facts), "alone": alone}


def focus_default(display: Sequence[Any]) -> bool:
    """Whether focus on changes is on when the URL does not say: above ``FOCUS_ABOVE`` passages."""
    return len(display) > FOCUS_ABOVE


def blocks(rows: Sequence[Mapping[str, Any]], display: Sequence[Sequence[Any]], focus: bool,
           fold_boilerplate: bool) -> list[dict[str, Any]]:
    """The display list cut into blocks: ``rows`` shown, ``fold`` (a run of unchanged passages, under focus) and
    ``boilerplate`` (folded boilerplate passages), each with its entries as (row index, place) pairs."""
    kinds: list[str] = []
    for index, _place in display:
        row = rows[index]
        if fold_boilerplate and row.get("boilerplate"):
            kinds.append("boilerplate")
        elif focus and row["kind"] == "same" and not row.get("boilerplate"):
            kinds.append("same")
        else:
            kinds.append("rows")
    found: list[dict[str, Any]] = []

    def add(kind: str, entries: list[tuple[int, str]]) -> None:
        if not entries:
            return
        if found and found[-1]["type"] == kind == "rows":
            found[-1]["entries"].extend(entries)
            found[-1]["count"] = len(found[-1]["entries"])
        else:
            found.append({"type": kind, "entries": entries, "count": len(entries)})

    start = 0
    while start < len(display):
        end = start
        while end < len(display) and kinds[end] == kinds[start]:
            end += 1
        run = [(int(i), str(p)) for i, p in display[start:end]]
        if kinds[start] == "same":
            lead = FOLD_CONTEXT if start > 0 else 0
            trail = FOLD_CONTEXT if end < len(display) else 0
            if len(run) - lead - trail >= FOLD_MIN:
                add("rows", run[:lead])
                add("fold", run[lead:len(run) - trail])
                add("rows", run[len(run) - trail:])
            else:
                add("rows", run)
        else:
            add(kinds[start], run)
        start = end
    return found


def pieces(row: Mapping[str, Any], side: str) -> list[tuple[str, str]]:
    """One side of a reworded row as (text, mark) pieces: mark is ``fact`` inside a fact's span on this side,
    ``shared`` for words both sides have, else empty. The whole sentence stays readable, not a word diff."""
    text = (row[side] or "")
    marks = [""] * len(text)
    position = 0
    for segment in row["segments"]:
        op = segment["op"]
        chunk = (segment.get("right_text") or segment["text"]) if side == "right" and op == "equal" else segment["text"]
        if op == "equal" or (op == "delete" and side == "left") or (op == "insert" and side == "right"):
            if op == "equal":
                for k in range(position, min(position + len(chunk), len(text))):
                    marks[k] = "shared" if not text[k].isspace() else ""
            position += len(chunk)
    if not any(segment["op"] == "equal" for segment in row["segments"]):
        # Shown whole (old text, new text): mark the words the other side also has, so what is shared still shows.
        other = {w.casefold() for w in _SHARED_WORD.findall(row["right" if side == "left" else "left"] or "")
                 if w not in _SHORT_STARTERS}
        for match in _SHARED_WORD.finditer(text):
            if match.group().casefold() in other and match.group() not in _SHORT_STARTERS:
                for k in range(match.start(), match.end()):
                    marks[k] = "shared"
    for fact in row.get("facts") or []:
        span = fact.get(f"{side}_span")
        if span and len(span) == 2:
            for k in range(max(0, int(span[0])), min(len(text), int(span[1]))):
                marks[k] = "fact"
    found: list[tuple[str, str]] = []
    for char, mark in zip(text, marks, strict=True):
        if found and found[-1][1] == mark:
            found[-1] = (found[-1][0] + char, mark)
        else:
            found.append((char, mark))
    while found and not found[0][0].strip():
        found.pop(0)
    while found and not found[-1][0].strip():
        found.pop()
    if found:
        found[0] = (found[0][0].lstrip(), found[0][1])
        found[-1] = (found[-1][0].rstrip(), found[-1][1])
    return found


def csv_cell(value: Any) -> str:
    """A value as a CSV cell that no spreadsheet runs as a formula (a leading = + - @ gets a quote before it)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def comparison_csv_rows(result: Mapping[str, Any], names: tuple[str, str]) -> list[list[str]]:
    """The comparison as CSV records: a header, one ``row`` record per passage and one ``fact`` per difference
    (its kind of fact, the value on each side and the outlet that alone states it, when the engine read them)."""
    header = ["record", "row", "change", "kind", "left_pos", "right_pos", "similarity", "boilerplate",
              f"left: {names[0]}", f"right: {names[1]}", "difference", "fact_kind", "left_value", "right_value",
              "only_in"]
    numbers = change_numbers(result["rows"], result["display"])
    out: list[list[Any]] = [header]
    for row in result["rows"]:
        out.append(["row", row["index"], numbers.get(row["index"], ""), row["kind"], row["left_pos"],
                    row["right_pos"], round(float(row["similarity"]), 3), row["boilerplate"],
                    (row["left"] or "").strip(), (row["right"] or "").strip(), "", "", "", "", ""])
    for item in changes(result["rows"], result["display"], names):
        lead = ["fact", item["row"], item["number"], item["kind"], "", "", "", "", "", ""]
        facts = result["rows"][item["row"]].get("facts") or []
        if item["side"]:
            out.append([*lead, f"only in {item['side']}", "passage", "", "", item["side"]])
        elif not facts:
            out.extend([*lead, label, "", "", "", ""] for label in item["labels"])
        for fact in facts:
            out.append([*lead, fact["label"], fact["kind"], fact["left"] or "", fact["right"] or "",
                        fact.get("outlet") or ""])
    return [[csv_cell(v) for v in record] for record in out]
