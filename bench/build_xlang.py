"""Build bench/data/real/xlang/ from public news-translation test sets (run once; the output is kept in the repo).

Sources, each a real article in its original language beside its English version made by human translators:

* Russian–English: the WMT22 general test set (``wmttest2022.ru-en.all.xml`` of wmt-conference/wmt22-news-systems),
  news documents of Russian outlets (Kommersant, RT, Izvestiya, Lenta, RFI, VOA...) with translator A's reference.
* Chinese–English: the same test set's plain-text files (``generaltest2022.zh-en.src.zh`` / ``ref.A.en``); an
  article is a run of lines, its bounds read by hand.
* Korean–English: the News Korean-English parallel corpus (jungyeul/korean-parallel-corpora,
  ``korean-english-park.dev``): Korean editions of CNN/wire stories beside the English ones; an article is a run
  of lines, its bounds read by hand.

The translators' segment alignment gives the links (segment i of the original states the fact of segment i of the
English). Hard negatives are other segment pairs of the same article that share a name (compared through anyascii
transliteration) or a number: same names, another claim. Usage::

    python -m bench.build_xlang RU_EN_XML ZH_SRC ZH_REF KO_SRC KO_EN
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from anyascii import anyascii

OUT = Path(__file__).parent / "data" / "real" / "xlang"

#: WMT22 ru-en news documents: (document id, split).
RU_DOCS = [("kommersant.51685", "dev"), ("rt-russian.47278", "dev"), ("izvestiya.97277", "dev"),
           ("lenta.ru.89783", "dev"), ("gazeta.ru.24491", "dev"),
           ("rfi-russian.2537", "test"), ("argumenti.ru.30890", "test"), ("voa-golos-ameriki-ru.12402", "test"),
           ("lenta.ru.89666", "test"), ("izvestiya.97208", "test")]
#: Line ranges (1-based, inclusive) of whole articles in the zh-en files, and their split.
ZH_RUNS = [(274, 279, "dev", "hunan-daily-plenum"), (280, 283, "dev", "xinhua-beijing-graduates"),
           (318, 341, "test", "democracy-summit-closes"), (244, 273, "test", "education-trafficked-children")]
#: Line ranges of whole stories in the Korean-English news corpus, and their split.
KO_RUNS = [(1, 10, "dev", "asci-white-supercomputer"), (79, 87, "dev", "christian-bale-profile"),
           (88, 94, "dev", "iraq-olympic-ban-talks"), (107, 117, "test", "typhoon-fung-wong"),
           (118, 125, "test", "qantas-jet-returns"), (126, 131, "test", "istanbul-bombings-funeral")]

_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")
_NAME_RE = re.compile(r"\b[A-Z][a-z]{3,}")


def _marks(text: str, english: bool) -> set[str]:
    """Numbers and (transliterated, cut to five letters) names of a segment."""
    found = set(_NUMBER_RE.findall(text))
    latin = text if english else anyascii(text)
    found |= {name[:5].lower() for name in _NAME_RE.findall(latin)}
    return found


def negatives(left: list[str], right: list[str], limit: int = 4) -> list[dict[str, str]]:
    """Segment pairs of one article that share a name or number but are not each other's translation."""
    out = []
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            # The headline restates the lead, and neighbours often restate each other: neither is another claim.
            if 0 not in (i, j) and 2 <= abs(i - j) <= 6 and _marks(a, False) & _marks(b, True) and a != b:
                out.append({"left": a, "right": b, "note": "shares " + ", ".join(
                    sorted(_marks(a, False) & _marks(b, True))) + "; another claim"})
    return out[:limit]


def _paragraphs(segments: list[str], size: int = 3) -> list[list[str]]:
    """The headline alone, then paragraphs of ``size`` segments (the test set keeps no paragraph breaks)."""
    return [segments[:1], *(segments[n:n + size] for n in range(1, len(segments), size))]


def write(pair_id: str, split: str, languages: tuple[str, str], left_paras: list[list[str]],
          right_paras: list[list[str]], origin: str, outlet: str) -> None:
    """One labelled pair folder."""
    folder = OUT / pair_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "left.txt").write_text("\n\n".join(" ".join(p) for p in left_paras) + "\n", encoding="utf-8")
    (folder / "right.txt").write_text("\n\n".join(" ".join(p) for p in right_paras) + "\n", encoding="utf-8")
    left = [s for p in left_paras for s in p]
    right = [s for p in right_paras for s in p]
    meta = {"id": pair_id, "event": pair_id, "split": split,
            "left": {"outlet": outlet, "language": languages[0]},
            "right": {"outlet": outlet + " (English translation)", "language": languages[1]},
            "origin": origin,
            "links": [{"left": a, "right": b, "kind": "translated"} for a, b in zip(left, right, strict=True)
                      if a.strip() and b.strip()],
            "hard_negatives": negatives(left, right),
            "notes": "Segment links are the translators' own alignment; hard negatives share a name or number."}
    (folder / "pair.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    """Write every pair."""
    ru_xml, zh_src, zh_ref, ko_src, ko_en = map(Path, argv)
    root = ET.parse(ru_xml).getroot()  # noqa: S314 - a local, trusted test-set file
    docs = {doc.get("id"): doc for doc in root.iter("doc")}
    for doc_id, split in RU_DOCS:
        doc = docs[doc_id]
        src = _paragraphs([seg.text or "" for seg in doc.find("src").iter("seg")])  # type: ignore[union-attr]
        ref = next(r for r in doc.findall("ref") if r.get("translator") == "A")
        refs = _paragraphs([seg.text or "" for seg in ref.iter("seg")])
        write("ru-en-" + re.sub(r"[^a-z0-9]+", "-", doc_id.lower()), split, ("ru", "en"), src, refs,
              f"WMT22 general test set ru-en, document {doc_id}, reference A", doc_id.split(".")[0])
    for (src_file, ref_file, runs, lang, origin) in (
            (zh_src, zh_ref, ZH_RUNS, "zh", "WMT22 general test set zh-en (plain text), lines"),
            (ko_src, ko_en, KO_RUNS, "ko", "News Korean-English parallel corpus (park dev), lines")):
        src_lines = src_file.read_text(encoding="utf-8").splitlines()
        ref_lines = ref_file.read_text(encoding="utf-8").splitlines()
        for first, last, split, name in runs:
            left = [[line] for line in src_lines[first - 1:last]]
            right = [[line] for line in ref_lines[first - 1:last]]
            write(f"{lang}-en-{name}", split, (lang, "en"), left, right, f"{origin} {first}-{last}",
                  "Xinhua / Chinese press" if lang == "zh" else "Korean edition")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
