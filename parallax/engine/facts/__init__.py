"""Fact differences inside a pair of aligned sentences: numbers, dates, names, quoted words and attribution.

One module per kind of fact (``numbers``, ``dates``, ``names``, ``attribution``, ``quotes``), each finding its
mentions in one text; ``pairing`` pairs them across the two sides and reports each difference once, with exact
spans. The words they know (speech verbs, titles, quote marks, aliases) are in ``parallax.engine.lexicon``.
"""

from parallax.engine.facts.mention import FactDiff, Mention
from parallax.engine.facts.names import name_mentions
from parallax.engine.facts.pairing import fact_differences

__all__ = ["FactDiff", "Mention", "fact_differences", "name_mentions"]
